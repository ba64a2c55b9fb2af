from django import forms
from django.contrib.auth.forms import UserCreationForm

from tutor.problems.models import ProblemSet

from .assignments import ASSIGNMENT_FIELDS
from .models import Assignment, Classroom, User


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


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = list(ASSIGNMENT_FIELDS)
        labels = {
            "classroom": "Class",
            "problem_set": "Problem set",
            "opens_at": "Opens",
            "due_at": "Due",
            "late_policy": "After the due date",
            "solutions_release_at": "Worked solutions released",
            "tutor_mode": "What the tutor may do",
            "solutions_after_attempts": "Attempts before the tutor may show a solution",
            "same_numbers": "Same numbers for everyone",
        }
        help_texts = {
            "opens_at": "Leave empty if students can start now.",
            "due_at": "Leave empty for no due date.",
            "late_policy": "Late answers can count as on time, count but be marked late in your grades, or not be taken.",
            "solutions_release_at": "From then on the tutor may show worked solutions, whatever is chosen below. "
            "Leave empty to go by the choice below only.",
            "tutor_mode": "Hints only: the tutor never gives the answer. The other two let it show a worked solution.",
            "solutions_after_attempts": "Used with 'Solutions after some attempts'.",
            "same_numbers": "For problems with random numbers: tick to give the whole class the same numbers "
            "instead of each student their own.",
        }
        widgets = {
            name: forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
            for name in ("opens_at", "due_at", "solutions_release_at")
        }

    def __init__(self, *args: object, teacher=None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["classroom"].queryset = Classroom.objects.filter(teacher=teacher)
        self.fields["problem_set"].queryset = ProblemSet.objects.filter(owner=teacher)
        if self.instance.pk is None:
            # A teacher with one class (or one set) has nothing to choose: start with it picked.
            for name in ("classroom", "problem_set"):
                only = list(self.fields[name].queryset.values_list("pk", flat=True)[:2])
                if len(only) == 1 and not self.initial.get(name):
                    self.initial[name] = only[0]
        # A form posted without it (an older page, a script) keeps the default: marked late.
        self.fields["late_policy"].required = False

    def clean_late_policy(self) -> str:
        return self.cleaned_data.get("late_policy") or Assignment.LatePolicy.MARK

    def clean(self) -> dict:
        data = super().clean()
        opens, due = data.get("opens_at"), data.get("due_at")
        if opens and due and due < opens:
            self.add_error("due_at", "The due date is before the opening date.")
        if data.get("tutor_mode") == Assignment.TutorMode.AFTER_ATTEMPTS and not data.get(
            "solutions_after_attempts"
        ):
            self.add_error("solutions_after_attempts", "Say after how many attempts (1 or more).")
        return data


class SettingsForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        help_text="Dates and times on your pages are shown in it, and the dates you type for assignments are read in it.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        from .time_zones import time_zone_names

        self.fields["time_zone"].choices = [
            ("", "Choose…"),
            *((n, n.replace("_", " ")) for n in time_zone_names()),
        ]
