"""One-way data flow (ARCHITECTURE.md): settings -> app factory -> API edge -> data store -> pure
domain. Lower layers never import higher ones; the pure layers import no web framework.

Read statically (ast), so a lazy import inside a function counts as much as a top-level one."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

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


#: packages held to the two rules below: no project import inside a function (a lazy import
#: hides a dependency, and a cycle with it), and no cycle between their modules
STRICT = ("domain", "data")


def _module(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_imports(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(n for n in names if n.startswith("ficoba_sandbox."))
    return found


def _imports_inside_functions(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found |= _project_imports(node)
    return found


def _strict_files() -> list[Path]:
    return sorted(p for name in STRICT for p in (PACKAGE / name).rglob("*.py"))


def test_no_project_import_inside_a_function() -> None:
    problems = [
        f"{path.relative_to(PACKAGE)} imports {name} inside a function"
        for path in _strict_files()
        for name in sorted(_imports_inside_functions(path))
    ]
    assert not problems, "\n".join(problems)


def test_the_rule_catches_an_import_inside_a_function(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text(
        "import ficoba_sandbox.domain\n\ndef f():\n    from ficoba_sandbox.data import model\n"
    )
    assert _imports_inside_functions(bad) == {"ficoba_sandbox.data", "ficoba_sandbox.data.model"}


def _graph(files: list[Path], root: Path = PACKAGE.parent) -> dict[str, set[str]]:
    """Module -> the project modules it imports (anywhere in it), for the modules of `files`."""
    modules = {_module(p, root): p for p in files}
    return {
        name: {m for m in _project_imports(ast.parse(path.read_text("utf-8"))) if m in modules}
        - {name}
        for name, path in modules.items()
    }


def test_no_import_cycle_between_modules() -> None:
    graph = _graph(_strict_files())
    assert len(graph) > 15
    TopologicalSorter(graph).prepare()  # raises CycleError, naming the cycle


def test_the_rule_catches_a_cycle(tmp_path: Path) -> None:
    data = tmp_path / "ficoba_sandbox" / "data"
    data.mkdir(parents=True)
    (data / "store.py").write_text("def f():\n    from ficoba_sandbox.data import build\n")
    (data / "build.py").write_text("from ficoba_sandbox.data.store import Store\n")
    graph = _graph(sorted(data.glob("*.py")), tmp_path)
    assert graph == {
        "ficoba_sandbox.data.build": {"ficoba_sandbox.data.store"},
        "ficoba_sandbox.data.store": {"ficoba_sandbox.data.build"},
    }
    with pytest.raises(CycleError):
        TopologicalSorter(graph).prepare()


def test_the_domain_imports_no_framework_at_run_time() -> None:
    """What the static rule cannot see: the modules the domain's imports pull in themselves."""
    modules = ", ".join(
        f"ficoba_sandbox.domain.{p.stem}" for p in (PACKAGE / "domain").glob("*.py")
    )
    code = (
        f"import sys, {modules}\n"
        "ficoba_sandbox.domain.insee.pays('99100')\n"
        "print(sorted(m for m in ('fastapi', 'faker', 'pydantic', 'yaml', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
