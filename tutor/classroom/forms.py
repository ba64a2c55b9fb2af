from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import User


class SignupForm(UserCreationForm):
    role = forms.ChoiceField(
        choices=[(User.Role.STUDENT, "I'm a student"), (User.Role.TEACHER, "I'm a teacher")],
        widget=forms.RadioSelect,
        initial=User.Role.STUDENT,
        label="I am signing up as",
    )
    first_name = forms.CharField(max_length=150, required=False, label="First name (optional)")
    join_code = forms.CharField(
        max_length=16,
        required=False,
        label="Class code (optional)",
        help_text="Students: the code from your teacher.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "first_name")

    def __init__(self, *args: object, teacher_signup: str = "open", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if teacher_signup == "closed":
            self.fields["role"].choices = [(User.Role.STUDENT, "I'm a student")]
            self.fields["role"].error_messages["invalid_choice"] = (
                "Teacher accounts on this site are set up by an admin. Sign up as a student, or ask the admin."
            )
        elif teacher_signup == "approval":
            self.fields["role"].choices = [
                (User.Role.STUDENT, "I'm a student"),
                (
                    User.Role.TEACHER,
                    "I'm a teacher (an admin approves teacher accounts before they can be used)",
                ),
            ]


class ClassroomForm(forms.Form):
    name = forms.CharField(max_length=120, label="Class name")


class JoinForm(forms.Form):
    code = forms.CharField(max_length=16, label="Class code")
