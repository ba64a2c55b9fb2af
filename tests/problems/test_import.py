"""Uploading problem sets in the formats teachers already have."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import Personas
from tutor.problems.models import Problem, ProblemSet
from tutor.problems.services import problem_set_export_moodle, problem_set_export_yaml, problem_set_import

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data"


def load(personas: Personas, name: str, data: bytes | None = None):
    return problem_set_import(
        owner=personas.teacher, filename=name, data=data if data is not None else (DATA / name).read_bytes()
    )


def test_our_yaml_format_with_parts_units_tolerance_and_hints(personas: Personas) -> None:
    result = load(personas, "kinematics.yaml")
    assert result.ok, [str(e) for e in result.errors]
    problem_set = result.problem_set
    assert (problem_set.title, problem_set.model_name) == ("Kinematics warm-up", "phi4-mini")
    speed = problem_set.problems.get(key="speed")
    assert (speed.answer_type, speed.tolerance, speed.difficulty) == ("quantity", 0.01, 1)
    assert speed.hints == ["Speed is distance divided by time.", "Divide 150 by 2."]
    assert problem_set.problems.get(key="roots").answer_type == "equation"
    stem = problem_set.problems.get(key="ball")
    parts = list(stem.parts.order_by("position"))
    assert [p.key for p in parts] == ["ball-a", "ball-b"]
    assert (parts[1].units, parts[1].sig_figs) == ("m", 2)
    read = dict((key, latex) for key, _, latex in result.read_as)
    assert "km/h" in read["speed"]


def test_csv(personas: Personas) -> None:
    result = load(personas, "algebra.csv")
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.key: p for p in result.problem_set.problems.all()}
    assert problems["lin1"].hints == ["Subtract 7 first.", "Then divide by 3."]
    assert (problems["g"].answer_type, problems["g"].tolerance, problems["g"].sig_figs) == (
        "quantity",
        0.01,
        3,
    )
    assert problems["set1"].answer == "{2, 3}" and problems["set1"].difficulty == 3
    assert dict((k, latex) for k, _, latex in result.read_as)["frac"] == "\\frac{3}{4}"


def test_moodle_xml(personas: Personas) -> None:
    result = load(personas, "quiz.xml")
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.title: p for p in result.problem_set.problems.all()}
    fall = problems["Free fall"]
    assert (fall.answer, fall.answer_type, fall.units, fall.tolerance) == ("44.1", "quantity", "m", 0.5)
    assert fall.checker_options["tolerance_mode"] == "absolute"
    assert fall.hints == ["Use d = ½ g t²."] and "44.1 m" in fall.solution
    assert "How far does it fall" in fall.statement and "<p>" not in fall.statement
    assert problems["Derivative"].answer_type == "expression"
    force = problems["Units of force"]
    assert (force.answer, force.answer_type, force.choices) == (
        "newton",
        "choice",
        ["joule", "newton", "watt"],
    )
    assert "Random speeds" not in problems
    assert any("calculated question" in w and "line" in w for w in result.warnings)
    assert result.problem_set.title == "Mechanics"


def test_gift(personas: Personas) -> None:
    result = load(personas, "circuits.gift")
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.title: p for p in result.problem_set.problems.all()}
    ohm = problems["Ohm's law"]
    assert (ohm.answer, ohm.tolerance, ohm.solution) == ("3", 0.1, "R = V / I = 3 ohms")
    assert ohm.checker_options["tolerance_mode"] == "absolute"
    span = problems["Range"]
    assert float(span.answer) == pytest.approx(3.14) and span.tolerance == pytest.approx(0.01)
    assert problems["Weighted"].answer == "0.333"
    carrier = problems["Charge carrier"]
    assert (carrier.answer, carrier.answer_type) == ("electrons", "choice")
    assert carrier.choices == ["electrons", "protons", "neutrons"]
    assert problems["Capital"].answer == "carbon dioxide"
    assert result.problem_set.title == "Electricity"


def test_three_bad_rows_are_all_reported_with_their_lines_and_nothing_is_saved(personas: Personas) -> None:
    before = Problem.objects.count()
    result = load(personas, "bad_rows.csv")
    assert not result.ok
    messages = [str(e) for e in result.errors]
    assert len(messages) == 3, messages
    assert any("line 3" in m and "answer" in m and "'3 +'" in m for m in messages)
    assert any("line 5" in m and "tolerance" in m and "'lots'" in m for m in messages)
    assert any("line 6" in m and "answer_type" in m and "banana" in m for m in messages)
    assert Problem.objects.count() == before
    assert not ProblemSet.objects.filter(key="bad_rows").exists()


def test_reupload_updates_instead_of_duplicating(personas: Personas) -> None:
    first = load(personas, "algebra.csv")
    changed = (
        (DATA / "algebra.csv")
        .read_text()
        .replace("Solve $3x + 7 = 22$.", "Solve $3x + 7 = 25$.")
        .replace(",5,number", ",6,number")
    )
    second = load(personas, "algebra.csv", changed.encode())
    assert second.ok and second.problem_set.pk == first.problem_set.pk
    assert (second.created, second.updated) == (0, 4)
    assert ProblemSet.objects.filter(owner=personas.teacher, key="algebra").count() == 1
    assert second.problem_set.problems.get(key="lin1").answer == "6"


def test_exports_round_trip(personas: Personas) -> None:
    problem_set = load(personas, "kinematics.yaml").problem_set
    yaml_text = problem_set_export_yaml(problem_set=problem_set)
    problem_set.key = "kinematics-original"
    problem_set.save()
    again = load(personas, "kinematics.yaml", yaml_text.encode())
    assert again.ok, [str(e) for e in again.errors]
    assert again.problem_set.problems.count() == problem_set.problems.count()
    xml = problem_set_export_moodle(problem_set=problem_set)
    back = load(personas, "kinematics-moodle.xml", xml.encode())
    assert back.ok, [str(e) for e in back.errors]
    assert back.problem_set.problems.filter(answer_type="quantity").count() >= 1


# --- hostile files -------------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="numerical"><name><text>&xxe;</text></name><questiontext><text>x</text></questiontext>
<answer fraction="100"><text>1</text></answer></question></quiz>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<quiz><question type="shortanswer"><name><text>&lol9;</text></name></question></quiz>"""


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("xxe.xml", lambda: XXE, "refused"),
        ("laughs.xml", lambda: LAUGHS, "refused"),
        ("bomb.zip", lambda: zip_of({"big.csv": b"0" * (9 * 1024 * 1024)}), "zip bomb"),
        ("huge.zip", lambda: zip_of({f"f{i}.csv": b"0" * (1024 * 1024) for i in range(12)}), "unpack to"),
        ("slip.zip", lambda: zip_of({"../../evil.csv": b"key,statement\nq,x\n"}), "unsafe path"),
        ("big.csv", lambda: b"key,statement,answer\n" + b"q,x,1\n" * 400_000, "limit is 2 MB"),
        (
            "many.csv",
            lambda: b"key,statement,answer\n" + b"".join(f"q{i},Solve,1\n".encode() for i in range(600)),
            "limit is 500",
        ),
        ("latin1.csv", lambda: "key,statement\nq,caf\xe9\n".encode("latin-1"), "UTF-8"),
    ],
)
def test_hostile_uploads_are_refused_quickly_and_cheaply(
    personas: Personas, name: str, make, words: str
) -> None:
    data = make()
    sets_before = ProblemSet.objects.count()
    tracemalloc.start()
    started = time.monotonic()
    result = problem_set_import(owner=personas.teacher, filename=name, data=data)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not result.ok
    assert any(words in str(e) for e in result.errors), [str(e) for e in result.errors]
    assert elapsed < 3, f"{elapsed:.1f} s"
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert ProblemSet.objects.count() == sets_before


def test_a_zip_of_good_files_imports_them_together(personas: Personas) -> None:
    data = zip_of(
        {
            "a/algebra.csv": (DATA / "algebra.csv").read_bytes(),
            "circuits.gift": (DATA / "circuits.gift").read_bytes(),
        }
    )
    result = problem_set_import(owner=personas.teacher, filename="term1.zip", data=data)
    assert result.ok, [str(e) for e in result.errors]
    assert result.problem_set.key == "term1"
    assert result.problem_set.problems.count() == 9


# --- pages and command ----------------------------------------------------------------------------


def test_upload_page_for_teachers_only(personas: Personas) -> None:
    teacher = Client()
    teacher.force_login(personas.teacher)
    page = teacher.post(
        reverse("problem_set_upload"),
        {"file": SimpleUploadedFile("algebra.csv", (DATA / "algebra.csv").read_bytes())},
        follow=True,
    )
    assert "Imported" in page.content.decode()
    bad = teacher.post(
        reverse("problem_set_upload"),
        {"file": SimpleUploadedFile("bad_rows.csv", (DATA / "bad_rows.csv").read_bytes())},
    )
    assert bad.status_code == 400
    assert "Nothing was saved: 3 problems to fix" in bad.content.decode()
    student = Client()
    student.force_login(personas.student)
    assert student.get(reverse("problem_set_upload")).status_code == 403
    other = Client()
    other.force_login(personas.other_teacher)
    problem_set = ProblemSet.objects.get(key="algebra")
    assert other.get(reverse("problem_set_export", args=[problem_set.pk, "yaml"])).status_code == 404
    assert teacher.get(reverse("problem_set_export", args=[problem_set.pk, "xml"]))[
        "Content-Type"
    ].startswith("application/xml")


def test_management_command(personas: Personas, capsys) -> None:
    call_command("import_problems", str(DATA / "algebra.csv"), owner=personas.teacher.username)
    assert "Imported" in capsys.readouterr().out
    with pytest.raises(CommandError, match="3 problem"):
        call_command("import_problems", str(DATA / "bad_rows.csv"), owner=personas.teacher.username)


def test_assignments_with_dates_and_tutor_mode(personas: Personas) -> None:
    teacher = Client()
    teacher.force_login(personas.teacher)
    new_set = load(personas, "algebra.csv").problem_set
    response = teacher.post(
        reverse("assignment_create"),
        {
            "classroom": personas.classroom.pk,
            "problem_set": new_set.pk,
            "opens_at": "2026-11-23T08:00",
            "due_at": "2026-11-30T17:00",
            "solutions_release_at": "2026-12-01T08:00",
            "tutor_mode": "socratic",
            "solutions_after_attempts": 2,
        },
    )
    assert response.status_code == 302
    assignment = personas.classroom.assignments.get(problem_set=new_set)
    assert assignment.tutor_mode == "socratic" and assignment.due_at.day == 30
    backwards = teacher.post(
        reverse("assignment_edit", args=[assignment.pk]),
        {
            "classroom": personas.classroom.pk,
            "problem_set": new_set.pk,
            "opens_at": "2026-11-30T08:00",
            "due_at": "2026-11-23T17:00",
            "tutor_mode": "socratic",
            "solutions_after_attempts": 2,
        },
    )
    assert "before the opening date" in backwards.content.decode()
    other = Client()
    other.force_login(personas.other_teacher)
    assert other.get(reverse("assignment_edit", args=[assignment.pk])).status_code == 404
    sneaky = other.post(
        reverse("assignment_create"),
        {
            "classroom": personas.classroom.pk,
            "problem_set": new_set.pk,
            "tutor_mode": "solutions",
            "solutions_after_attempts": 0,
        },
    )
    assert sneaky.status_code == 200 and "Select a valid choice" in sneaky.content.decode()


@pytest.fixture
def eager_celery():
    from tutor.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_a_large_upload_runs_as_a_task_with_progress(
    personas: Personas, eager_celery, django_capture_on_commit_callbacks
) -> None:
    rows = "".join(f"q{i},Problem {i},What is ${i} + 1$?,{i + 1},number\n" for i in range(60))
    data = ("key,title,statement,answer,answer_type\n" + rows).encode()
    teacher = Client()
    teacher.force_login(personas.teacher)
    with django_capture_on_commit_callbacks(execute=True):
        response = teacher.post(
            reverse("problem_set_upload"), {"file": SimpleUploadedFile("big-set.csv", data)}
        )
    assert response.status_code == 302
    job_url = response["Location"]
    status = teacher.get(job_url + "?format=json").json()
    assert status["done"] and status["status"] == "done"
    assert status["processed"] == status["total"] == 60
    page = teacher.get(job_url).content.decode()
    assert "Imported" in page and "big-set" in page.lower()
    assert ProblemSet.objects.get(key="big-set").problems.count() == 60
    other = Client()
    other.force_login(personas.other_teacher)
    assert other.get(job_url).status_code == 404
