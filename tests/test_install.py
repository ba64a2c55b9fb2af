"""A fresh clone installs on a machine with Python and make but no node or npm (the README's promise),
and the Docker image's build steps run the same way (python:3.11-slim has no npm). No Docker engine
here, so the Dockerfile's RUN steps run in a copy of its build context (the files .dockerignore lets
through) with a PATH that has no node or npm. The front-end tarballs come from the npm registry."""

from __future__ import annotations

import fnmatch
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
LOCK = json.loads((ROOT / "package-lock.json").read_text())
FRONT_END = ("katex", "marked", "dompurify", "mathlive")


def fresh_clone(target: Path, *, ignore: list[str] = ()) -> Path:
    """The files a clone of this working tree has (nothing git ignores: no node_modules, no static/vendor)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if any(fnmatch.fnmatch(name, pattern) or name.startswith(pattern + "/") for pattern in ignore):
            continue
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def bare_path(tmp_path: Path) -> str:
    """A PATH with python, make and a few shell tools, and certainly no node or npm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "sh", "rm", "env", "git"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    for name in ("python", "python3"):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec "{VENV / "bin" / "python"}" "$@"\n')
        wrapper.chmod(0o755)
    path = str(bin_dir)
    assert shutil.which("npm", path=path) is None and shutil.which("node", path=path) is None
    return path


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": bare_path(tmp_path),
        "HOME": str(tmp_path / "home"),
        "TUTOR_VENDOR_CACHE": str(tmp_path / "cache"),
        "LANG": "C.UTF-8",
        **extra,
    }


def assert_front_end_installed(clone: Path) -> None:
    vendor = clone / "static" / "vendor"
    versions = json.loads((vendor / "VERSIONS.json").read_text())
    for name in FRONT_END:
        locked = LOCK["packages"][f"node_modules/{name}"]
        assert versions[name]["version"] == locked["version"]
        assert versions[name]["integrity"] == locked["integrity"]
        assert versions[name]["license"], f"{name}'s licence is recorded"
        assert any(p.name.startswith("LICENSE") for p in (vendor / name).iterdir()), (
            f"{name} ships its licence"
        )
    # What the pages load.
    for relative in (
        "katex/katex.min.js",
        "katex/katex.min.css",
        "katex/fonts/KaTeX_Main-Regular.woff2",
        "marked/marked.umd.js",
        "dompurify/purify.min.js",
        "mathlive/mathlive.min.js",
        "mathlive/fonts/KaTeX_Main-Regular.woff2",
    ):
        assert (vendor / relative).stat().st_size > 1000, relative
    assert b"katex" in (vendor / "katex/katex.min.js").read_bytes()[:2000].lower()


def test_a_fresh_clone_installs_the_front_end_with_make_install_and_no_npm(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path / "clone")
    assert not (clone / "static" / "vendor").exists() and not (clone / "node_modules").exists()
    env = clean_env(tmp_path)
    # `make install` with the Python packages already in .venv: only its front-end step runs.
    stamp = VENV / ".installed"
    make = ["make", "install", f"VENV={VENV}", "-o", str(stamp)]
    result = subprocess.run(make, cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_front_end_installed(clone)

    # Installed once, `make run` starts offline: the second install reads nothing from the network.
    offline = {
        **env,
        "TUTOR_NPM_REGISTRY": "http://127.0.0.1:9",
        "TUTOR_VENDOR_CACHE": str(tmp_path / "none"),
    }
    again = subprocess.run(make, cwd=clone, env=offline, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "installed" not in again.stdout


@pytest.fixture
def lying_mirror(tmp_path: Path) -> Iterator[str]:
    """A registry mirror that serves something else under every tarball's name."""
    body = b"\x1f\x8b not the package you locked"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_a_tarball_that_does_not_match_the_lock_is_refused(tmp_path: Path, lying_mirror: str) -> None:
    clone = fresh_clone(tmp_path / "clone")
    env = clean_env(tmp_path, TUTOR_NPM_REGISTRY=lying_mirror)
    result = subprocess.run(
        ["python", "scripts/vendor_static.py"], cwd=clone, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "does not match the integrity hash in package-lock.json" in result.stderr
    assert not (clone / "static" / "vendor" / "VERSIONS.json").exists()
    assert not list(tmp_path.glob("cache/*.tgz")), "nothing unverified is kept for next time"


def dockerfile_steps() -> tuple[dict[str, str], list[str]]:
    """The Dockerfile's ENV and the RUN steps that come after the project is copied in."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    env: dict[str, str] = {}
    steps: list[str] = []
    copied = False
    for line in text.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction == "ENV":
            env.update(pair.split("=", 1) for pair in rest.split())
        elif instruction == "COPY" and rest.split() == [".", "."]:
            copied = True
        elif instruction == "RUN" and copied:
            steps.append(rest)
    return env, steps


def test_the_docker_image_build_steps_run_without_npm(tmp_path: Path) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("FROM python:3.11-slim"), "the image this test stands in for"
    instructions = "\n".join(line for line in dockerfile.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\b(npm|node)\b", instructions), "the slim image has no npm"
    ignore = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    ignore = [line for line in ignore if line and not line.startswith("#")]
    context = fresh_clone(tmp_path / "app", ignore=ignore)
    env = {**clean_env(tmp_path), **dockerfile_steps()[0]}
    steps = dockerfile_steps()[1]
    assert any("vendor_static.py" in step for step in steps)
    assert any("collectstatic" in step for step in steps)
    for step in steps:
        if "useradd" in step:
            continue  # the image's user: not ours to make on this machine
        result = subprocess.run(
            ["sh", "-c", step], cwd=context, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"RUN {step}\n{result.stdout}{result.stderr}"
    assert_front_end_installed(context)
    # What production serves: hashed names in the manifest, each with a gzip copy.
    manifest = json.loads((context / "staticfiles" / "staticfiles.json").read_text())["paths"]
    for name in (
        "css/app.css",
        "js/problem.js",
        "vendor/mathlive/mathlive.min.js",
        "vendor/katex/katex.min.css",
    ):
        hashed = context / "staticfiles" / manifest[name]
        assert hashed.exists() and hashed.with_name(hashed.name + ".gz").exists(), name
    css = (context / "staticfiles" / manifest["vendor/katex/katex.min.css"]).read_text()
    font = re.search(r"url\(\"?fonts/KaTeX_Main-Regular\.[0-9a-f]{12}\.woff2\"?\)", css)
    assert font, "KaTeX's fonts are referenced by their hashed names"


def test_building_the_package_prints_no_deprecation_warning(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in ("pyproject.toml", "README.md"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)
    for package in ("tutor", "inference"):
        (project / package).mkdir()
        (project / package / "__init__.py").write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path / "wheel"), "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "BuildBackendWarning" not in output and "SetuptoolsDeprecationWarning" not in output, output
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith("/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
