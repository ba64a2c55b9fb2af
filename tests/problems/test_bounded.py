"""Issue 11: uploads are read in a bounded child process; what used to freeze the server or end in
a 500 ends in an error that names its line."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from tests.conftest import Personas
from tests.problems.helpers import load, zip_of
from tests.problems.hostile_files import FREEZERS, formula_xml
from tutor.problems.models import ProblemSet

pytestmark = pytest.mark.django_db


def upload_page(personas: Personas, name: str, data: bytes) -> tuple[int, str]:
    client = Client()
    client.force_login(personas.teacher)
    response = client.post(reverse("problem_set_upload"), {"file": SimpleUploadedFile(name, data)})
    return response.status_code, response.content.decode()


BIG_NUMBERS = [
    (
        "tolerance.yaml",
        b"problems:\n- statement: s\n  answer: 1\n  tolerance: " + b"9" * 5000 + b"\n",
        "line 4",
    ),
    ("hex.yaml", b"problems:\n- statement: s\n  answer: 0x" + b"f" * 5000 + b"\n", "line 3"),
    ("sixty.yaml", b"problems:\n- statement: s\n  answer: " + b"59:" * 2000 + b"1\n", "line 3"),
    ("answer.json", b'{"problems": [\n  {"statement": "s",\n   "answer": ' + b"7" * 5000 + b"}]}", "line 3"),
]


@pytest.mark.parametrize(("name", "data", "line"), BIG_NUMBERS, ids=[b[0] for b in BIG_NUMBERS])
def test_a_huge_whole_number_is_an_error_on_its_line_not_a_500(
    personas: Personas, name: str, data: bytes, line: str
) -> None:
    status, html = upload_page(personas, name, data)
    assert status == 400
    assert f"{name}, {line}: a number " in html and "digits long is more than any problem needs" in html
    assert not ProblemSet.objects.filter(key=name.split(".")[0]).exists()


def test_a_calculated_formula_is_worked_out_in_floats_and_an_overflow_names_the_question(
    personas: Personas,
) -> None:
    result = load(personas, "formula.xml", formula_xml())
    assert [str(e) for e in result.errors] == [
        "formula.xml, line 3, answer: question 'Huge power': the formula 'floor(3.0)**floor(3e7)' "
        "gives a number too large to work out with these values"
    ]
    # floor, ceil and round are Moodle's, with round's second argument; a = 3.
    result = load(personas, "ok.xml", formula_xml("round({a}/7, 3) + floor({a}/2) + ceil(0.5)", "Fine"))
    assert result.ok, [str(e) for e in result.errors]
    assert result.problem_set.problems.get().answer == "2.429"


@pytest.mark.parametrize(("name", "make", "words"), FREEZERS, ids=[f[0] for f in FREEZERS])
def test_what_froze_the_server_is_an_error_on_its_line(
    personas: Personas, name: str, make: Callable[[], bytes], words: str
) -> None:
    result = load(personas, name, make())
    messages = [str(e) for e in result.errors]
    assert not result.ok and messages
    assert all(re.match(rf"{re.escape(name)}\S*, line \d+", m) for m in messages), messages
    assert any(words in m for m in messages), messages
    assert all(len(m) < 400 for m in messages), "a message must not repeat a huge value"


def essays(count: int) -> bytes:
    return "".join(f"::Essay {i}:: Explain why {i}. {{}}\n\n" for i in range(count)).encode()


@override_settings(PROBLEM_UPLOAD_READ_SECONDS=1.5)
def test_a_file_that_takes_too_long_to_read_is_stopped_with_the_line_it_had_reached(
    personas: Personas,
) -> None:
    # Five files of 60 000 essay questions each: legal, only slow (seconds, against a second and a half).
    data = zip_of({f"part{i}.gift": essays(60_000)[:1_900_000] for i in range(5)})
    result = load(personas, "essays.zip", data)
    [message] = [str(e) for e in result.errors]
    assert re.match(
        r"essays\.zip/part\d\.gift, line \d+: reading the file took longer than 1\.5 seconds", message
    )
    assert "Nothing was saved" in message
    assert not ProblemSet.objects.filter(key="essays").exists()


def test_thousands_of_notes_are_summed_up(personas: Personas) -> None:
    result = load(personas, "essays.gift", essays(3000) + b"::Sum:: 1 + 1 = {#2}\n")
    assert result.ok
    assert len(result.warnings) == 101
    assert result.warnings[-1] == "essays.gift: 2900 more notes like these."


def test_reading_stops_after_a_hundred_things_to_fix(personas: Personas) -> None:
    data = b"".join(b"::Q%d:: No answer here\n\n" % i for i in range(5000))
    messages = [str(e) for e in load(personas, "broken.gift", data).errors]
    assert len(messages) == 101
    assert messages[-1].startswith("broken.gift, line 201: reading stopped here after 100 things to fix")


def test_an_escaped_half_character_is_an_error_not_a_500(personas: Personas) -> None:
    # JSON may spell a lone surrogate; PostgreSQL can't store one (UnicodeEncodeError, a 500).
    data = b'{"problems": [{"statement": "What is 1 + 1?", "answer": "2", "hints": ["a \\ud800 b"]}]}'
    status, html = upload_page(personas, "half.json", data)
    assert status == 400
    assert "half.json, problem 1, hints: has an escape for half a character (\\ud800) at position 3" in html
