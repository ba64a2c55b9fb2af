from django import forms

from tutor.classroom.models import Assignment, Classroom

from .models import ProblemSet


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Problem set file",
        help_text="YAML or JSON (our format), CSV, Moodle XML, GIFT, or a .zip of those. Up to 2 MB and 500 problems.",
    )
    dry_run = forms.BooleanField(required=False, label="Only check the file, don't save it")


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = [
            "classroom",
            "problem_set",
            "opens_at",
            "due_at",
            "solutions_release_at",
            "tutor_mode",
            "solutions_after_attempts",
        ]
        labels = {
            "classroom": "Class",
            "problem_set": "Problem set",
            "opens_at": "Opens",
            "due_at": "Due",
            "solutions_release_at": "Worked solutions released",
            "tutor_mode": "What the tutor may do",
            "solutions_after_attempts": "Attempts before the tutor may show a solution",
        }
        help_texts = {
            "opens_at": "Leave empty if students can start now.",
            "due_at": "Leave empty for no due date.",
            "solutions_release_at": "From then on the tutor may show worked solutions, whatever is chosen below. "
            "Leave empty to go by the choice below only.",
            "tutor_mode": "Hints only: the tutor never gives the answer. The other two let it show a worked solution.",
            "solutions_after_attempts": "Used with 'Solutions after some attempts'.",
        }
        widgets = {
            name: forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
            for name in ("opens_at", "due_at", "solutions_release_at")
        }

    def __init__(self, *args: object, teacher=None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["classroom"].queryset = Classroom.objects.filter(teacher=teacher)
        self.fields["problem_set"].queryset = ProblemSet.objects.filter(owner=teacher)

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
