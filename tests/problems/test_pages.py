"""The teacher's pages: upload, import progress for large files, export, and the command."""

from __future__ import annotations

import re
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests import clients
from tests.conftest import Personas
from tests.problems.helpers import DATA, load
from tutor.problems.models import ImportJob, ProblemSet

pytestmark = pytest.mark.django_db


# Every form on these pages is posted with its CSRF token, as the browser does.
client_for = partial(clients.client_for, csrf_checks=True)


def csrf_post(client: Client, url: str, data: dict) -> object:
    page = client.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def test_teacher_uploads_a_file_and_sees_how_the_keys_were_read(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    page = teacher.get(reverse("problem_set_upload"))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<label for="id_file">' in html and "<script>" not in html and "onclick" not in html
    response = csrf_post(
        teacher,
        reverse("problem_set_upload"),
        {"file": SimpleUploadedFile("algebra.csv", (DATA / "algebra.csv").read_bytes())},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Imported &#x27;Algebra&#x27;: 4 new and 0 updated problems." in html
    assert 'data-latex="\\frac{3}{4}"' in html
    problem_set = ProblemSet.objects.get(owner=personas.teacher, key="algebra")
    assert reverse("problem_set_detail", args=[problem_set.pk]) in html


def test_the_upload_page_checks_csrf(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    response = teacher.post(
        reverse("problem_set_upload"),
        {"file": SimpleUploadedFile("algebra.csv", (DATA / "algebra.csv").read_bytes())},
    )
    assert response.status_code == 403
    assert not ProblemSet.objects.filter(key="algebra").exists()


def test_a_bad_file_lists_every_problem_and_saves_nothing(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    response = csrf_post(
        teacher,
        reverse("problem_set_upload"),
        {"file": SimpleUploadedFile("bad_rows.csv", (DATA / "bad_rows.csv").read_bytes())},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved: 3 problems to fix" in html
    assert "bad_rows.csv, line 3, answer:" in html and "bad_rows.csv, line 6, answer_type:" in html
    assert not ProblemSet.objects.filter(key="bad_rows").exists()


def test_a_dry_run_saves_nothing(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    response = csrf_post(
        teacher,
        reverse("problem_set_upload"),
        {
            "file": SimpleUploadedFile("kinematics.yaml", (DATA / "kinematics.yaml").read_bytes()),
            "dry_run": "on",
        },
    )
    assert response.status_code == 200 and "The file is fine" in response.content.decode()
    assert not ProblemSet.objects.filter(key="kinematics-1").exists()


def test_students_get_403_and_other_teachers_get_404(personas: Personas) -> None:
    problem_set = load(personas, "algebra.csv").problem_set
    student = client_for(personas.student)
    assert student.get(reverse("problem_set_upload")).status_code == 403
    assert student.get(reverse("problem_set_export", args=[problem_set.pk, "yaml"])).status_code == 403
    other = client_for(personas.other_teacher)
    assert other.get(reverse("problem_set_export", args=[problem_set.pk, "yaml"])).status_code == 404
    assert other.get(reverse("problem_set_export", args=[problem_set.pk, "xml"])).status_code == 404
    assert other.get(reverse("problem_set_detail", args=[problem_set.pk])).status_code == 404
    anonymous = Client()
    assert anonymous.get(reverse("problem_set_upload")).status_code == 302


def test_the_owner_downloads_exports_from_the_set_page(personas: Personas) -> None:
    problem_set = load(personas, "kinematics.yaml").problem_set
    teacher = client_for(personas.teacher)
    page = teacher.get(reverse("problem_set_detail", args=[problem_set.pk])).content.decode()
    yaml_url = reverse("problem_set_export", args=[problem_set.pk, "yaml"])
    xml_url = reverse("problem_set_export", args=[problem_set.pk, "xml"])
    assert yaml_url in page and xml_url in page
    response = teacher.get(xml_url)
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"] == 'attachment; filename="kinematics-1-moodle.xml"'
    exported = teacher.get(yaml_url)
    assert (
        exported["Content-Type"].startswith("application/yaml") and b"key: kinematics-1" in exported.content
    )
    assert teacher.get(reverse("problem_set_export", args=[problem_set.pk, "pdf"])).status_code == 404
    # Students of the class see the set, not the owner's buttons.
    problem_set.assignments.create(classroom=personas.classroom)
    student_page = client_for(personas.student).get(reverse("problem_set_detail", args=[problem_set.pk]))
    assert yaml_url not in student_page.content.decode()


def test_management_command(personas: Personas, capsys) -> None:
    call_command("import_problems", str(DATA / "algebra.csv"), owner=personas.teacher.username)
    out = capsys.readouterr().out
    assert "Imported 'Algebra': 4 new, 0 updated." in out and "frac: '3/4' read as \\frac{3}{4}" in out
    call_command("import_problems", str(DATA / "algebra.csv"), owner=personas.teacher.username)
    assert "0 new, 4 updated" in capsys.readouterr().out
    with pytest.raises(CommandError, match="3 problem"):
        call_command("import_problems", str(DATA / "bad_rows.csv"), owner=personas.teacher.username)
    assert "bad_rows.csv, line 3, answer" in capsys.readouterr().err
    with pytest.raises(CommandError, match="not a teacher"):
        call_command("import_problems", str(DATA / "algebra.csv"), owner=personas.student.username)
    with pytest.raises(CommandError, match="No user"):
        call_command("import_problems", str(DATA / "algebra.csv"), owner="nobody")


# --- large uploads run as a task -------------------------------------------------------------------


@pytest.fixture
def eager_celery():
    from tutor.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def big_csv(rows: int, bad_row: int | None = None) -> bytes:
    lines = [
        f"q{i},Problem {i},What is ${i} + 1$?,{'oops +' if i == bad_row else i + 1},number\n"
        for i in range(rows)
    ]
    return ("key,title,statement,answer,answer_type\n" + "".join(lines)).encode()


def test_a_large_upload_runs_as_a_task_with_progress(
    personas: Personas, eager_celery, django_capture_on_commit_callbacks
) -> None:
    teacher = client_for(personas.teacher)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = csrf_post(
            teacher, reverse("problem_set_upload"), {"file": SimpleUploadedFile("big-set.csv", big_csv(60))}
        )
    assert response.status_code == 302 and len(callbacks) == 1
    job_url = response["Location"]
    status = teacher.get(job_url + "?format=json").json()
    assert status["done"] and status["status"] == "done"
    assert status["processed"] == status["total"] == 60
    page = teacher.get(job_url).content.decode()
    assert "Imported" in page and "big-set" in page.lower()
    assert "js/import-progress.js" in page and "<script>" not in page
    assert 'id="read-as"' in page and "http-equiv" not in page  # finished: no refresh
    assert ProblemSet.objects.get(key="big-set").problems.count() == 60
    assert ImportJob.objects.get().data == b""  # the upload isn't kept once imported
    assert client_for(personas.other_teacher).get(job_url).status_code == 404
    assert client_for(personas.student).get(job_url).status_code == 403


def test_a_queued_job_page_refreshes_itself_without_javascript(personas: Personas) -> None:
    job = ImportJob.objects.create(owner=personas.teacher, filename="big.csv", data=b"x", total=80)
    page = client_for(personas.teacher).get(reverse("import_job", args=[job.pk])).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "0 of 80 answer keys checked" in page
    assert client_for(personas.teacher).get(
        reverse("import_job", args=[job.pk]), HTTP_ACCEPT="application/json"
    ).json() == {
        "status": "queued",
        "status_text": "Waiting to start",
        "processed": 0,
        "total": 80,
        "errors": [],
        "done": False,
    }


def test_a_large_upload_with_a_bad_row_saves_nothing_and_says_where(
    personas: Personas, eager_celery, django_capture_on_commit_callbacks
) -> None:
    teacher = client_for(personas.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(
            teacher,
            reverse("problem_set_upload"),
            {"file": SimpleUploadedFile("big-bad.csv", big_csv(70, 41))},
        )
    status = teacher.get(response["Location"] + "?format=json").json()
    assert status["status"] == "failed"
    assert status["errors"] == [
        "big-bad.csv, line 43, answer: 'oops +' couldn't be read: "
        + status["errors"][0].split("couldn't be read: ")[1]
    ]
    assert not ProblemSet.objects.filter(key="big-bad").exists()


def test_a_job_that_crashes_is_marked_failed_and_the_task_fails_loudly(
    personas: Personas, monkeypatch
) -> None:
    from tutor.problems import services

    job = ImportJob.objects.create(owner=personas.teacher, filename="x.csv", data=big_csv(3))

    def explode(**kwargs: object) -> None:
        raise RuntimeError("checker pool died")

    monkeypatch.setattr(services, "problem_set_import", explode)
    with pytest.raises(RuntimeError):
        services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "Nothing was saved" in job.errors[0]
    services.import_job_run(job_id=job.pk)  # a redelivered task does nothing
