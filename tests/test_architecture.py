"""One-way data flow (ARCHITECTURE.md): settings -> app factory -> API edge -> data store -> pure
domain. Lower layers never import higher ones; the pure layers import no web framework.

Read statically (ast), so a lazy import inside a function counts as much as a top-level one."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "ficoba_sandbox"
WEB = {"fastapi", "starlette", "uvicorn"}

#: layer -> the project layers it may import (itself always allowed)
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "data": {"domain"},
    "backend": {"domain", "data"},
    "gateway": {"domain"},
    "journal": {"domain"},
    "api": {"domain", "data", "backend", "gateway", "journal"},
    "recette": {"domain", "data", "backend", "gateway", "journal", "api"},
    "qa": {"domain", "data", "backend", "api"},
    "admin": {"domain", "data", "backend", "gateway", "journal", "api", "recette", "qa"},
}
#: third-party imports a layer must not make
FORBIDDEN: dict[str, set[str]] = {
    "domain": WEB | {"faker", "pydantic", "yaml", "httpx"},
    "data": WEB | {"httpx"},
    "backend": WEB | {"httpx"},
    "gateway": {"fastapi", "starlette"},  # tls.py subclasses uvicorn's h11 protocol
    "journal": WEB | {"pydantic"},
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_layers_import_only_downwards() -> None:
    problems = []
    checked = 0
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = _layer(path)
        if layer not in ALLOWED:
            continue  # app.py, cli/, settings.py, testing.py: may import every layer
        checked += 1
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "ficoba_sandbox" and "." in name:
                target = name.split(".")[1]
                if target != layer and target not in ALLOWED[layer] and target != "__init__":
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
            elif top in FORBIDDEN.get(layer, set()):
                problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert checked > 40
    assert not problems, "\n".join(problems)


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("def f():\n    from ficoba_sandbox.api import resources\n")
    assert "ficoba_sandbox.api" in _imports(bad)
