from django import forms


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Problem set file",
        help_text="YAML or JSON (our format), CSV, Moodle XML, GIFT, or a .zip of those. Up to 2 MB and 500 problems.",
    )
    dry_run = forms.BooleanField(required=False, label="Only check the file, don't save it")
