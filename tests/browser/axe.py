"""axe-core (Deque's accessibility engine) for the browser tests, fetched without npm.

Test-only, so it is not in package.json (whose packages scripts/vendor_static.py installs for the
pages). The tarball comes from the npm registry once, is checked against the sha512 the registry
published for this version (`npm view axe-core@4.14.1 dist.integrity`), and is cached next to the
front-end tarballs (TUTOR_VENDOR_CACHE, default ~/.cache/phi4-tutor/npm). A mismatch fails the test.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any

AXE_VERSION = "4.14.1"
AXE_LICENSE = "MPL-2.0"
AXE_INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
MAX_BYTES = 20 * 1024 * 1024

# Attributes whose value is one id or a list of ids: each must name an element on the page.
IDREF_ATTRIBUTES = (
    "aria-labelledby",
    "aria-describedby",
    "aria-controls",
    "aria-owns",
    "aria-activedescendant",
    "aria-errormessage",
    "aria-details",
    "aria-flowto",
)

_MISSING_IDREFS = """(attributes) => {
  const missing = [];
  for (const name of attributes) {
    for (const element of document.querySelectorAll('[' + name + ']')) {
      for (const id of element.getAttribute(name).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          missing.push(element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + ' ' + name + '=' + id);
        }
      }
    }
  }
  return missing;
}"""


# Links a screen reader lists by name: one name must mean one destination (WCAG 2.4.4), unless the
# link's list item or table row says which (a "Preview" per problem). axe only marks its
# `identical-links-same-purpose` rule for review. Hidden links don't count.
_AMBIGUOUS_LINKS = """() => {
  const byName = new Map();
  for (const link of document.querySelectorAll('a[href]')) {
    if (!link.getClientRects().length || getComputedStyle(link).visibility === 'hidden') continue;
    if (link.closest('li, tr')) continue;
    const name = (link.getAttribute('aria-label') || link.innerText || '').trim().replace(/\\s+/g, ' ');
    if (!byName.has(name)) byName.set(name, new Set());
    byName.get(name).add(new URL(link.href, location.href).href);
  }
  return [...byName].filter(([, hrefs]) => hrefs.size > 1).map(([name, hrefs]) => name + ' -> ' + [...hrefs].join(', '));
}"""


def _matches(data: bytes) -> bool:
    algorithm, _, expected = AXE_INTEGRITY.partition("-")
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected


@cache
def axe_source() -> str:
    cache_dir = Path(os.environ.get("TUTOR_VENDOR_CACHE", Path.home() / ".cache" / "phi4-tutor" / "npm"))
    tarball = cache_dir / f"axe-core-{AXE_VERSION}.tgz"
    data = tarball.read_bytes() if tarball.exists() else b""
    if not _matches(data):
        registry = os.environ.get("TUTOR_NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")
        url = f"{registry}/axe-core/-/axe-core-{AXE_VERSION}.tgz"
        request = urllib.request.Request(url, headers={"User-Agent": "phi4-tutor tests"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            data = response.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES or not _matches(data):
            raise AssertionError(f"{url} does not match axe-core {AXE_VERSION}'s published sha512")
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = tarball.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(tarball)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None
        return member.read().decode()


def axe_problems(page: Any, *, links: bool = True) -> list[str]:
    """axe's violations on the page as it is now (every rule axe runs by default: WCAG 2.x A/AA and
    best practices), plus aria-* attributes naming ids that aren't on the page and links whose one
    name leads to different places (`links`); one line each."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') doesn't apply.
        page.evaluate(axe_source())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
    ]
    problems += [f"missing id: {ref}" for ref in page.evaluate(_MISSING_IDREFS, list(IDREF_ATTRIBUTES))]
    if links:
        problems += [
            f"one link name, several destinations: {link}" for link in page.evaluate(_AMBIGUOUS_LINKS)
        ]
    return problems
