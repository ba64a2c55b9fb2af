"""Copy the front-end libraries from node_modules into static/vendor/ and record their versions.

Runs from `make install`. Installs the npm packages first when node_modules is missing
(`npm ci` against package-lock.json). static/vendor/ is generated, not committed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"
FILES = {
    "katex": ["dist/katex.min.js", "dist/katex.min.css", "dist/fonts"],
    "marked": ["lib/marked.umd.js"],
    "dompurify": ["dist/purify.min.js"],
    "mathlive": ["mathlive.min.js", "fonts"],
}


def npm_install() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "npm is needed to install the front-end libraries (KaTeX, marked, DOMPurify): apt-get install npm"
        )
    command = [
        npm,
        "ci" if (ROOT / "package-lock.json").exists() else "install",
        "--no-audit",
        "--no-fund",
        "--silent",
    ]
    subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603


def main() -> int:
    if not all((MODULES / name / "package.json").exists() for name in FILES):
        npm_install()
    versions = {}
    for name, paths in FILES.items():
        package = json.loads((MODULES / name / "package.json").read_text())
        versions[name] = package["version"]
        target = VENDOR / name
        target.mkdir(parents=True, exist_ok=True)
        for relative in paths:
            source = MODULES / name / relative
            destination = target / Path(relative).name
            if source.is_dir():
                shutil.copytree(source, destination, dirs_exist_ok=True)
            else:
                shutil.copy2(source, destination)
    (VENDOR / "VERSIONS.json").write_text(json.dumps(versions, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
