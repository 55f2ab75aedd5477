"""Refresh the vendored Swagger UI and ReDoc files under src/ficoba_sandbox/docs_ui/assets/.

The documentation pages (`/docs`, `/redoc`, and the admin plane's) load their JavaScript and CSS
from the sandbox itself, never from a CDN (docs/architecture.md, `docs_ui`). This script fetches
the pinned npm packages with `npm pack` (the npm registry), copies the few files the pages need
into a directory named after the package and its version (the served path is versioned, so the
files may be cached as immutable), and writes the NOTICE beside them.

    python scripts/update_docs_assets.py                 # the pinned versions
    python scripts/update_docs_assets.py --swagger-ui 5.35.0 --redoc 2.5.4

After a version change: update SWAGGER_UI_VERSION / REDOC_VERSION in
src/ficoba_sandbox/docs_ui/__init__.py (this script reads them as its defaults), delete the old
version's directory, run tests/test_docs_ui.py.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "ficoba_sandbox" / "docs_ui"
ASSETS = PACKAGE / "assets"

#: npm package -> (directory prefix, files copied from the package, licence)
PACKAGES = {
    "swagger-ui-dist": (
        "swagger-ui",
        ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"),
        "Apache-2.0",
    ),
    "redoc": ("redoc", ("bundles/redoc.standalone.js", "LICENSE"), "MIT"),
}


def pinned() -> dict[str, str]:
    """The versions the package pins (docs_ui/__init__.py), read without importing it."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text("utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = str(node.value.value)
    return {"swagger-ui-dist": found["SWAGGER_UI_VERSION"], "redoc": found["REDOC_VERSION"]}


def fetch(name: str, version: str, work: Path) -> Path:
    """`npm pack name@version` into `work`; the tarball's path."""
    out = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return work / out[-1]


def vendor(name: str, version: str, work: Path) -> str:
    prefix, files, licence = PACKAGES[name]
    target = ASSETS / f"{prefix}-{version}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with tarfile.open(fetch(name, version, work)) as tar:
        for file in files:
            member = tar.extractfile(f"package/{file}")
            if member is None:
                raise SystemExit(f"{name}@{version} has no {file}")
            (target / Path(file).name).write_bytes(member.read())
    return (
        f"- `{prefix}-{version}/`: npm `{name}` {version}, licence {licence} (its LICENSE beside)"
    )


def main() -> int:
    versions = pinned()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swagger-ui", default=versions["swagger-ui-dist"])
    parser.add_argument("--redoc", default=versions["redoc"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lines = [
            vendor("swagger-ui-dist", args.swagger_ui, Path(tmp)),
            vendor("redoc", args.redoc, Path(tmp)),
        ]
    (ASSETS / "NOTICE.md").write_text(
        "# Vendored documentation assets\n\n"
        "Files copied unchanged from npm packages by `scripts/update_docs_assets.py`, so the\n"
        "documentation pages load nothing from outside the sandbox:\n\n" + "\n".join(lines) + "\n",
        "utf-8",
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
