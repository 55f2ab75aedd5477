"""The package map of docs/architecture.md, enforced: who may import whom, which third-party
libraries a layer must not import, no import cycle, no project import inside a function outside
the entry points. The rules are read from the document itself, so the two cannot drift apart.

Read statically (ast): a lazy import inside a function counts as much as a top-level one."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "ficoba_sandbox"
#: entry points: may import project modules inside functions (docs/architecture.md)
ENTRY_POINTS = ("cli", "testing")


def package_map() -> dict[str, tuple[set[str] | None, set[str]]]:
    """layer -> (layers it may import, None for everything; third-party tops it must not)."""
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    table = text.split("| package | owns | may import | must not import |", 1)[1]
    rules: dict[str, tuple[set[str] | None, set[str]]] = {}
    for line in table.split("\n\n", 1)[0].splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        layer = cells[0].strip("`")
        allowed = None if cells[2] == "everything" else set(re.findall(r"`(\w+)`", cells[2]))
        forbidden = {name.strip() for name in cells[3].split(",") if name.strip()}
        rules[layer] = (allowed, forbidden)
    return rules


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _module(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(("ficoba_sandbox", *parts))


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, inside a function) for each import of the file."""
    tree = ast.parse(path.read_text("utf-8"))
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            nested.update(id(n) for n in ast.walk(node) if n is not node)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in nested) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found += [(node.module, id(node) in nested)]
            # `from ficoba_sandbox.x import y`: y may be a module of the package
            found += [(name, id(node) in nested) for name in names if _is_module(name)]
    return found


def _is_module(name: str) -> bool:
    if not name.startswith("ficoba_sandbox."):
        return False
    rel = Path(*name.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").exists() or (PACKAGE / rel / "__init__.py").exists()


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "personas" not in p.parts)


def behaviour_tests() -> set[str]:
    """The test files docs/architecture.md lists as judging the whole server, not one module."""
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    table = text.split("| test file | what it checks |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `(tests/[^`]+)`", table, flags=re.MULTILINE))


def test_tests_mirror_the_package() -> None:
    """`tests/<package>/test_<module>.py` tests `<package>/<module>.py`; the rest is listed."""
    listed = behaviour_tests()
    unmatched = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        rel = path.relative_to(ROOT).as_posix()
        parts = path.relative_to(ROOT / "tests").parts
        name = parts[-1].removeprefix("test_").removesuffix(".py")
        target = PACKAGE.joinpath(*parts[:-1], name)
        if not (target.with_suffix(".py").exists() or target.is_dir()) and rel not in listed:
            unmatched.append(rel)
    assert not unmatched, (
        f"neither a module's tests nor listed in docs/architecture.md: {unmatched}"
    )
    assert all((ROOT / rel).exists() for rel in listed), "a listed test file is gone"


def test_every_layer_is_in_the_map() -> None:
    rules = package_map()
    layers = {_layer(p) for p in _sources()} - {"__init__", "__main__"}
    assert layers <= set(rules), f"layers missing from docs/architecture.md: {layers - set(rules)}"
    assert {"domain", "api", "admin", "qa"} <= set(rules)


def test_layers_import_only_what_the_map_allows() -> None:
    rules = package_map()
    problems = []
    for path in _sources():
        layer = _layer(path)
        if layer not in rules:
            continue
        allowed, forbidden = rules[layer]
        for name, _ in _imports(path):
            top, _, rest = name.partition(".")
            if top == "ficoba_sandbox" and rest:
                target = rest.split(".")[0]
                ok = allowed is None or target in (allowed | {layer, "__init__"})
                if not ok and target not in rules:  # `from ficoba_sandbox import __version__`
                    ok = not _is_module(name)
                if not ok:
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
            elif top in forbidden:
                problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not problems, "\n".join(problems)


def test_no_project_import_inside_a_function_outside_the_entry_points() -> None:
    problems = [
        f"{path.relative_to(PACKAGE)} imports {name} inside a function"
        for path in _sources()
        if _layer(path) not in ENTRY_POINTS
        for name, inside in _imports(path)
        if inside and name.startswith("ficoba_sandbox")
    ]
    assert not problems, "\n".join(problems)


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for path in _sources():
        graph[_module(path)] = {
            name
            for name, inside in _imports(path)
            if not inside and name.startswith("ficoba_sandbox") and _is_module(name)
        }
    assert _cycles(graph) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import os\n\ndef f():\n    from ficoba_sandbox.api import pipeline\n")
    assert ("ficoba_sandbox.api", True) in _imports(bad)
    assert ("ficoba_sandbox.api.pipeline", True) in _imports(bad)
    assert ("os", False) in _imports(bad)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    allowed, _ = package_map()["admin"]
    assert allowed is not None and "api" not in allowed and "recette" in allowed
    assert package_map()["cli"][0] is None and "fastapi" in package_map()["domain"][1]


def test_the_domain_imports_no_forbidden_library_at_run_time() -> None:
    """What the static rule cannot see: the modules the domain's imports pull in themselves."""
    forbidden = sorted(package_map()["domain"][1])
    modules = ", ".join(
        f"ficoba_sandbox.domain.{p.stem}" for p in (PACKAGE / "domain").glob("*.py")
    )
    code = (
        f"import sys, {modules}\n"
        "ficoba_sandbox.domain.insee.pays('99100')\n"
        f"print(sorted(m for m in {forbidden!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert len(forbidden) > 3 and out.stdout.strip() == "[]"
