"""The upload page in headless Chromium: the file goes up, the keys come back rendered by KaTeX,
under the site's CSP (no inline script), with no errors in the console."""

from __future__ import annotations

import pytest

from tests.browser.fixtures import log_in
from tests.conftest import Personas
from tests.factories import PASSWORD
from tests.problems.helpers import DATA
from tutor.problems.models import ProblemSet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_shows_the_keys_as_read_and_saves_the_set(site_url: str, page, personas: Personas) -> None:
    log_in(page, site_url, personas.teacher.username, PASSWORD)
    page.goto(f"{site_url}/sets/upload/")
    page.get_by_label("Problem set file").set_input_files(str(DATA / "algebra.csv"))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("#read-as .katex")
    # 3/4, 19.6 m/s and {2, 3} are rendered; the plain 5 reads as written, with nothing to render.
    assert page.locator("#read-as .katex").count() == 3
    assert "4 new and 0 updated problems" in page.locator(".messages").inner_text()
    assert ProblemSet.objects.filter(owner=personas.teacher, key="algebra").exists()
    problems = [line for line in page.console if "error" in line.lower() and "favicon.ico" not in line]
    assert not problems, problems  # a CSP violation ("Refused to ...") would show here
