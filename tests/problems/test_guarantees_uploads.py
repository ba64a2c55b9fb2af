"""An uploaded Moodle XML file can't make the server read its files (issue 18, item 10).

The older test looked only at the error text. These prove the file behind an external entity is
never opened: it is a named pipe that records whether anyone opened it for reading (and, if
someone did, feeds them a secret, which must then appear nowhere in what was imported).
docs/testing.md lists the mutation this was written to kill.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import Personas
from tutor.problems.models import Problem, ProblemSet
from tutor.problems.services import problem_set_import

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-from-the-server-disk"


@dataclass
class WatchedFile:
    """A named pipe: opening it for reading is seen at once, without relying on access times."""

    path: Path
    opened: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)

    def watch(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:  # ENXIO: nobody has it open for reading
                if exc.errno != errno.ENXIO:
                    raise
                self._stop.wait(0.005)
                continue
            self.opened.set()
            try:
                os.write(fd, SECRET.encode())
            finally:
                os.close(fd)


@pytest.fixture
def server_file(tmp_path: Path) -> Iterator[WatchedFile]:
    watched = WatchedFile(tmp_path / "server-secret.txt")
    os.mkfifo(watched.path)
    thread = threading.Thread(target=watched.watch, daemon=True)
    thread.start()
    yield watched
    watched._stop.set()
    thread.join(5)


def quiz(doctype: str, entity: str) -> bytes:
    return f"""<?xml version="1.0"?>
{doctype}
<quiz><question type="numerical"><name><text>Speed {entity}</text></name>
<questiontext format="html"><text>A car goes 150 km in 2 h. {entity}</text></questiontext>
<answer fraction="100"><text>75</text></answer></question></quiz>""".encode()


def attacks(path: Path) -> list[tuple[str, bytes]]:
    return [
        ("general.xml", quiz(f'<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file://{path}">]>', "&xxe;")),
        ("bare-path.xml", quiz(f'<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "{path}">]>', "&xxe;")),
        ("parameter.xml", quiz(f'<!DOCTYPE quiz [<!ENTITY % p SYSTEM "file://{path}"> %p;]>', "")),
        ("external-dtd.xml", quiz(f'<!DOCTYPE quiz SYSTEM "file://{path}">', "")),
    ]


def everything_imported(result) -> str:
    return " ".join(
        [str(e) for e in result.errors]
        + [str(w) for w in result.warnings]
        + [" ".join(row) for row in result.read_as]
        + [f"{p.key} {p.statement} {p.answer}" for p in Problem.objects.all()]
    )


@pytest.mark.parametrize("name", ["general.xml", "bare-path.xml", "parameter.xml", "external-dtd.xml"])
def test_an_external_entity_never_opens_a_server_file(
    personas: Personas, server_file: WatchedFile, name: str
) -> None:
    sets_before, problems_before = ProblemSet.objects.count(), Problem.objects.count()
    data = dict(attacks(server_file.path))[name]
    result = problem_set_import(owner=personas.teacher, filename=name, data=data)
    assert not server_file.opened.wait(0.2), "the importer opened the file an entity pointed to"
    assert SECRET not in everything_imported(result)
    assert not result.ok
    assert any("refused because it declares a DTD" in str(e) for e in result.errors), result.errors
    assert (ProblemSet.objects.count(), Problem.objects.count()) == (sets_before, problems_before)
