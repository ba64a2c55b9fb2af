from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tests.conftest import Personas
from tutor.problems.services import ImportResult, problem_set_import

DATA = Path(__file__).resolve().parents[1] / "data"


def load(personas: Personas, name: str, data: bytes | None = None, **options: object) -> ImportResult:
    return problem_set_import(
        owner=personas.teacher,
        filename=name,
        data=data if data is not None else (DATA / name).read_bytes(),
        **options,
    )


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()
