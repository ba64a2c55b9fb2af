"""Upload fixes from issue 16: a quantity or number key made of letters is refused (not read as
a·f·s·t), problems are listed in line order, a zip of one CSV becomes a set named after the zip,
and the upload page gives the key's LaTeX to the page to render (the LaTeX itself on demand)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.clients import client_for
from tests.conftest import Personas
from tests.problems.helpers import load, zip_of

pytestmark = pytest.mark.django_db

HEADER = "key,title,statement,answer,answer_type,tolerance,units\n"


def test_a_word_as_a_quantity_key_is_refused_not_read_as_letters_multiplied(personas: Personas) -> None:
    csv = (
        HEADER
        + "train,Train,How fast is the train?,fast,quantity,,km/h\n"
        + "n,N,Name a number,abc,number,,\n"
    )
    result = load(personas, "speeds.csv", csv.encode())
    assert not result.ok
    messages = [str(e) for e in result.errors]
    assert len(messages) == 2
    assert messages[0].startswith(
        "speeds.csv, line 2, answer: 'fast' was read as letters multiplied together"
    )
    assert "e.g. 12.5" in messages[0] and "make the answer type text" in messages[0]
    assert messages[1].startswith("speeds.csv, line 3, answer: 'abc'")
    ok = load(personas, "speeds.csv", (HEADER + "train,Train,How fast?,75,quantity,,km/h\n").encode())
    assert ok.ok, [str(e) for e in ok.errors]


def test_problems_are_listed_in_line_order(personas: Personas) -> None:
    # Line 2's key can't be read (found when checking keys), line 3 has a bad tolerance (found when
    # reading the file): reading's problems used to come first.
    csv = (
        HEADER
        + "a,A,What is 1+1?,2 +,number,,\n"
        + "b,B,What is 2+2?,4,number,lots,\n"
        + "c,C,Speed?,slow,quantity,,m/s\n"
    )
    result = load(personas, "order.csv", csv.encode())
    lines = [int(re.search(r"line (\d+)", str(e)).group(1)) for e in result.errors]
    assert lines == sorted(lines) and lines[0] == 2 and set(lines) == {2, 3, 4}, [
        str(e) for e in result.errors
    ]


def test_a_zip_of_one_csv_is_named_after_the_zip(personas: Personas) -> None:
    csv = HEADER + "q1,One,What is 1+1?,2,number,,\n"
    result = load(personas, "week-3-homework.zip", zip_of({"export (1).csv": csv.encode()}))
    assert result.ok, [str(e) for e in result.errors]
    assert (result.problem_set.key, result.problem_set.title) == ("week-3-homework", "Week 3 homework")
    # A title the file gives itself is kept.
    yaml = b"key: vectors\ntitle: Vectors, week 4\nproblems:\n  - key: q1\n    statement: What is 1+1?\n    answer: '2'\n"
    named = load(personas, "bundle.zip", zip_of({"vectors.yaml": yaml}))
    assert named.ok, [str(e) for e in named.errors]
    assert (named.problem_set.key, named.problem_set.title) == ("bundle", "Vectors, week 4")


def test_the_upload_page_hands_the_latex_to_the_renderer(personas: Personas) -> None:
    csv = HEADER + "q1,Root,What is the square root of 2?,sqrt(2),number,,\n"
    response = client_for(personas.teacher).post(
        reverse("problem_set_upload"),
        {"file": SimpleUploadedFile("roots.csv", csv.encode()), "dry_run": "on"},
    )
    html = response.content.decode()
    assert 'class="rendered-latex" data-latex="\\sqrt{2}"' in html
    assert "js/read-as.js" in html


def test_a_text_key_is_shown_as_written_not_as_maths(personas: Personas) -> None:
    csv = HEADER + "q1,Colour,What colour is the sky?,Blue,text,,\n"
    response = client_for(personas.teacher).post(
        reverse("problem_set_upload"),
        {"file": SimpleUploadedFile("sky.csv", csv.encode()), "dry_run": "on"},
    )
    row = response.content.decode().split('id="read-as"')[1].split("</tr>")[1]
    assert "<td>Blue</td>" in row and "data-latex" not in row, "KaTeX would set Blue as B·l·u·e in italics"
