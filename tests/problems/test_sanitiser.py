"""Issue 11: a problem statement (teacher content; model output goes through the same renderer)
that tries to draw a fake overlay and take over the page's own elements, opened by a student in
Debian's chromium. The page keeps its own parts, and the maths still renders with KaTeX's layout."""

from __future__ import annotations

import pytest

from tests.browser.fixtures import log_in, screenshot
from tests.conftest import Personas
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE_STATEMENT = (
    "Solve $\\frac{1}{2}x = \\sqrt{9}$, then find $x^2$.\n\n"
    '<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;background:#fff;z-index:9999" '
    'id="answer-result" class="site-header">Your session expired. Type your password to go on.</div>\n\n'
    '<span class="badge badge-verified" name="answer">Verified</span> '
    '<a href="https://example.com/$x$" id="check">more</a>'
)


def test_statement_cannot_draw_over_the_page_or_take_its_elements_and_maths_still_renders(
    site_url: str,
    page,
    personas: Personas,
) -> None:
    personas.problem.statement = HOSTILE_STATEMENT
    personas.problem.save()
    log_in(page, site_url, personas.student.username, PASSWORD)
    page.goto(f"{site_url}/problems/{personas.problem.pk}/")
    page.wait_for_selector("#statement .katex")
    screenshot(page, "hostile-statement")

    statement = page.locator("#statement")
    assert "Your session expired" in statement.inner_text()  # shown as text, in its place
    # The page's own result box is the only #answer-result, and it is empty, as the page made it.
    assert page.locator("#answer-result").count() == 1
    assert "session expired" not in page.locator("#answer-result").inner_text()
    outside_maths = """(selector) => [...document.querySelectorAll('#statement ' + selector)]
        .filter((element) => !element.closest('.katex')).length"""
    for attribute in ("[style]", "[id]", "[class]", "[name]"):
        assert page.evaluate(outside_maths, attribute) == 0, attribute
    # What is at the top of the window is still the site's header, not the statement's overlay.
    top = page.evaluate("() => document.elementFromPoint(400, 10).closest('#statement') === null")
    assert top
    # A formula inside a link's address doesn't survive into the address.
    assert page.locator("#statement a").get_attribute("href") is None

    # KaTeX's layout: the fraction has its bar and stacked rows, the root its drawn sign.
    assert page.locator("#statement .katex .mfrac .frac-line").count() == 1
    assert page.locator("#statement .katex .vlist [style*='top']").count() >= 2
    assert page.locator("#statement .katex .sqrt svg").count() == 1
    numerator, denominator = page.evaluate(
        """() => ['1', '2'].map((digit) => [...document.querySelectorAll('#statement .mfrac .mord')]
            .find((element) => element.textContent === digit).getBoundingClientRect().bottom)"""
    )
    assert numerator < denominator - 5, "1 sits above 2, not beside it"
    problems = [line for line in page.console if "error" in line.lower() and "favicon.ico" not in line]
    assert not problems, problems
