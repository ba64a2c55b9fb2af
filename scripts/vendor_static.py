"""Install the front-end libraries (KaTeX, marked, DOMPurify, MathLive) into static/vendor/ without npm.

Runs from `make install` and the Dockerfile. package-lock.json pins each package's version and the
sha512 of its npm tarball; this script downloads the tarballs from the npm registry with the standard
library, refuses any whose hash differs from the lock, and copies the few files the pages use (plus
source maps, which the hashed static storage follows, and each licence) into static/vendor/<package>/.
static/vendor/VERSIONS.json records version, licence, hash and source of each. Nothing runs when
VERSIONS.json already matches the lock, so `make run` needs the network only the first time.

Tarballs are kept in a cache (TUTOR_VENDOR_CACHE, default ~/.cache/phi4-tutor/npm) and checked against
the lock again when reused. TUTOR_NPM_REGISTRY points at a mirror (default https://registry.npmjs.org).
static/vendor/ is generated, not committed.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "package-lock.json"
VENDOR = ROOT / "static" / "vendor"
DEFAULT_REGISTRY = "https://registry.npmjs.org"
# Largest tarball we accept (MathLive's is 1.6 MB); a bound on what a broken mirror can make us read.
MAX_TARBALL_BYTES = 50 * 1024 * 1024
TIMEOUT_SECONDS = 60

# Paths inside each npm package (a file, or a folder copied whole) -> copied to static/vendor/<package>/
# under their last name. The .map files are there because the hashed static storage rewrites the
# `sourceMappingURL` comments and refuses one that points at a missing file.
FILES = {
    "katex": ["dist/katex.min.js", "dist/katex.min.css", "dist/fonts", "LICENSE"],
    "marked": ["lib/marked.umd.js", "lib/marked.umd.js.map", "LICENSE"],
    "dompurify": ["dist/purify.min.js", "dist/purify.min.js.map", "LICENSE"],
    "mathlive": ["mathlive.min.js", "fonts", "LICENSE.txt"],
}


class VendorError(Exception):
    """The front-end files could not be installed; the message says why and what to do."""


def locked_packages() -> dict[str, dict[str, str]]:
    lock = json.loads(LOCK.read_text())
    packages = {}
    for name in FILES:
        entry = lock["packages"].get(f"node_modules/{name}")
        if entry is None or "integrity" not in entry:
            raise VendorError(f"package-lock.json has no version and integrity for {name}")
        packages[name] = {
            "version": entry["version"],
            "integrity": entry["integrity"],
            "license": entry.get("license", ""),
            "resolved": entry.get("resolved", ""),
        }
    return packages


def tarball_url(name: str, package: dict[str, str], registry: str) -> str:
    if package["resolved"] and registry == DEFAULT_REGISTRY:
        return package["resolved"]
    basename = name.rsplit("/", 1)[-1]
    return f"{registry.rstrip('/')}/{name}/-/{basename}-{package['version']}.tgz"


def matches(data: bytes, integrity: str) -> bool:
    """Subresource-integrity check as npm does it: any of the listed hashes we can compute matches."""
    for token in integrity.split():
        algorithm, _, expected = token.partition("-")
        if algorithm in {"sha512", "sha384", "sha256"}:
            digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
            if digest == expected:
                return True
    return False


def download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "phi4-tutor vendor_static"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            data = response.read(MAX_TARBALL_BYTES + 1)
    except OSError as exc:
        raise VendorError(
            f"Could not download {url} ({exc}). The front-end libraries come from the npm registry "
            "the first time; check the internet connection, or set TUTOR_NPM_REGISTRY to a mirror."
        ) from exc
    if len(data) > MAX_TARBALL_BYTES:
        raise VendorError(f"{url} is larger than {MAX_TARBALL_BYTES} bytes; refusing it")
    return data


def fetch(name: str, package: dict[str, str], *, registry: str, cache: Path) -> bytes:
    cached = cache / f"{name.replace('/', '__')}-{package['version']}.tgz"
    if cached.exists():
        data = cached.read_bytes()
        if matches(data, package["integrity"]):
            return data
    url = tarball_url(name, package, registry)
    data = download(url)
    if not matches(data, package["integrity"]):
        raise VendorError(
            f"{url} does not match the integrity hash in package-lock.json for {name} "
            f"{package['version']}; refusing to install it."
        )
    cache.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(cached)
    return data


def extract(name: str, data: bytes, target: Path) -> None:
    """Copy the listed files out of the tarball: regular files only, never outside `target`."""
    wanted = [PurePosixPath("package", path) for path in FILES[name]]
    found: set[PurePosixPath] = set()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            path = PurePosixPath(member.name)
            for root in wanted:
                if path == root or root in path.parents:
                    relative = path.relative_to(root.parent)
                    if ".." in relative.parts or relative.is_absolute():
                        raise VendorError(f"{name}: unsafe path {member.name} in the tarball")
                    destination = target.joinpath(*relative.parts)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    source = archive.extractfile(member)
                    assert source is not None
                    destination.write_bytes(source.read())
                    found.add(root)
    missing = [str(root.relative_to("package")) for root in wanted if root not in found]
    if missing:
        raise VendorError(f"{name}: the tarball has no {', '.join(missing)}")


def record(packages: dict[str, dict[str, str]], registry: str) -> dict[str, dict[str, str]]:
    return {
        name: {
            "version": package["version"],
            "license": package["license"],
            "integrity": package["integrity"],
            "source": tarball_url(name, package, registry),
        }
        for name, package in packages.items()
    }


def up_to_date(packages: dict[str, dict[str, str]]) -> bool:
    try:
        installed = json.loads((VENDOR / "VERSIONS.json").read_text())
    except (OSError, ValueError):
        return False
    for name, package in packages.items():
        entry = installed.get(name)
        if not isinstance(entry, dict) or entry.get("integrity") != package["integrity"]:
            return False
        if not all((VENDOR / name / PurePosixPath(path).name).exists() for path in FILES[name]):
            return False
    return True


def install(*, registry: str, cache: Path) -> bool:
    """Install what the lock names; False when it was already there."""
    packages = locked_packages()
    if up_to_date(packages):
        return False
    cache.mkdir(parents=True, exist_ok=True)
    # Two `make install`s at once (two terminals, parallel test runs) take turns.
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if up_to_date(packages):
            return False
        replace_vendor(packages, registry=registry, cache=cache)
    return True


def replace_vendor(packages: dict[str, dict[str, str]], *, registry: str, cache: Path) -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    # Build everything beside the old files, then swap: a failed download leaves the old set whole.
    with tempfile.TemporaryDirectory(dir=VENDOR.parent, prefix=".vendor-") as staging:
        for name, package in packages.items():
            extract(name, fetch(name, package, registry=registry, cache=cache), Path(staging) / name)
        for name in packages:
            shutil.rmtree(VENDOR / name, ignore_errors=True)
            (Path(staging) / name).replace(VENDOR / name)
    versions = json.dumps(record(packages, registry), indent=2) + "\n"
    (VENDOR / "VERSIONS.json").write_text(versions)


def main() -> int:
    registry = os.environ.get("TUTOR_NPM_REGISTRY") or DEFAULT_REGISTRY
    cache = Path(os.environ.get("TUTOR_VENDOR_CACHE") or Path.home() / ".cache" / "phi4-tutor" / "npm")
    try:
        if install(registry=registry, cache=cache):
            print(f"Front-end libraries installed in {VENDOR.relative_to(ROOT)} (see VERSIONS.json).")
    except VendorError as exc:
        print(f"vendor_static: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
