"""The checker tests share one warm pool (two workers by default) and stop it at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inference.checker import shutdown_pool


@pytest.fixture(scope="session", autouse=True)
def _checker_pool() -> Iterator[None]:
    yield
    shutdown_pool()
