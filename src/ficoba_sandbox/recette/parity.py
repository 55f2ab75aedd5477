"""`ficoba-sandbox parity`: the same portable steps against two targets, compared.

For each step and target: the status, `erreur.code`, the set of JSON fields with their types
(lists as `a[]`), the headers a client relies on (`X-Correlation-ID`, `RateLimit*`, `Retry-After`,
`WWW-Authenticate`) and the response time. Every difference is classified as expected when the
parity table (`parity-table.yaml` beside this module: README "Parity with DGFiP",
docs/contract-choices.md) lists it with its reason, else unexpected. Only portable steps run
(fixtures/scenarios/README.md, "Portability"); the targets' secrets never reach the report.
"""

from __future__ import annotations

import fnmatch
import html
import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

import httpx
import yaml

from ficoba_sandbox.qa.pack import Pack, portability
from ficoba_sandbox.qa.runner import Runner, json_type
from ficoba_sandbox.recette.render import REPORT_CSS

#: headers compared by presence; the RateLimit ones also by value (RFC 9331-style fields as
#: gateway/quota.py writes them).
HEADERS = ("X-Correlation-ID", "RateLimit-Policy", "RateLimit", "Retry-After", "WWW-Authenticate")
BY_VALUE = ("RateLimit-Policy",)


@dataclass
class Observation:
    status: int | None = None
    error_code: str | None = None
    fields: dict[str, str] = field(default_factory=dict)  # path -> JSON type(s)
    headers: dict[str, str | None] = field(default_factory=dict)  # name -> value | None (absent)
    seconds: float = 0.0
    error: str | None = None  # the call itself failed (no answer)


@dataclass
class Difference:
    aspect: str
    a: Any
    b: Any
    expected: bool = False
    reason: str = ""


@dataclass
class StepParity:
    pack: str
    step: str
    a: Observation | None = None
    b: Observation | None = None
    differences: list[Difference] = field(default_factory=list)
    skipped: str | None = None


@dataclass
class TableEntry:
    aspect: str
    reason: str
    step: str | None = None

    def matches(self, step: str, aspect: str) -> bool:
        if self.step is not None and not fnmatch.fnmatchcase(step, self.step):
            return False
        return fnmatch.fnmatchcase(aspect, self.aspect)


def default_table() -> list[TableEntry]:
    text = (
        resources.files("ficoba_sandbox.recette").joinpath("parity-table.yaml").read_text("utf-8")
    )
    return load_table(text)


def load_table(text: str) -> list[TableEntry]:
    doc = yaml.safe_load(text) or []
    if not isinstance(doc, list):
        raise ValueError("a parity table is a list of {aspect, reason, step?}")
    out = []
    for i, e in enumerate(doc):
        if not isinstance(e, dict) or not e.get("aspect") or not e.get("reason"):
            raise ValueError(f"parity table entry {i}: needs aspect and reason")
        out.append(TableEntry(str(e["aspect"]), str(e["reason"]), e.get("step")))
    return out


def field_types(doc: Any, prefix: str = "") -> dict[str, str]:
    """path -> JSON type of every value of a document; list elements merged under `a[]`."""
    out: dict[str, set[str]] = {}

    def walk(node: Any, path: str) -> None:
        if path:
            out.setdefault(path, set()).add(json_type(node))
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, f"{path}[]")

    walk(doc, prefix)
    return {k: "|".join(sorted(v)) for k, v in out.items()}


def observe(runner: Runner, pack: Pack, index: int) -> Observation:
    step = pack.steps[index]
    assert step.request is not None
    try:
        r, secs, _ = runner.send(step.request)
    except (RuntimeError, OSError, KeyError, httpx.HTTPError) as exc:  # no answer
        return Observation(error=f"{type(exc).__name__}: {exc}")
    try:
        doc: Any = r.json()
    except ValueError:
        doc = None
    code = (
        doc.get("erreur", {}).get("code")
        if isinstance(doc, dict) and isinstance(doc.get("erreur"), dict)
        else None
    )
    return Observation(
        status=r.status_code,
        error_code=None if code is None else str(code),
        fields=field_types(doc) if doc is not None else {},
        headers={h: r.headers.get(h) for h in HEADERS},
        seconds=round(secs, 3),
    )


def compare(a: Observation, b: Observation, *, latency_tolerance: float) -> list[Difference]:
    diffs: list[Difference] = []
    if a.error or b.error:
        if a.error != b.error:
            diffs.append(Difference("call", a.error, b.error))
        return diffs
    if a.status != b.status:
        diffs.append(Difference("status", a.status, b.status))
    if a.error_code != b.error_code:
        diffs.append(Difference("erreur.code", a.error_code, b.error_code))
    for path in sorted(set(a.fields) | set(b.fields)):
        ta, tb = a.fields.get(path), b.fields.get(path)
        if ta != tb:
            diffs.append(Difference(f"field:{path}", ta, tb))
    for h in HEADERS:
        va, vb = a.headers.get(h), b.headers.get(h)
        if h in BY_VALUE and va != vb:
            diffs.append(Difference(f"header:{h}", va, vb))
        elif (va is None) != (vb is None):
            diffs.append(Difference(f"header:{h}", "present" if va is not None else None,
                                    "present" if vb is not None else None))  # fmt: skip
    if abs(a.seconds - b.seconds) > latency_tolerance:
        diffs.append(Difference("seconds", a.seconds, b.seconds))
    return diffs


def classify(step: str, diffs: list[Difference], table: list[TableEntry]) -> None:
    for d in diffs:
        entry = next((e for e in table if e.matches(step, d.aspect)), None)
        if entry is not None:
            d.expected, d.reason = True, entry.reason


def run_parity(
    a: Runner,
    b: Runner,
    packs: list[Pack],
    *,
    table: list[TableEntry] | None = None,
    latency_tolerance: float = 1.0,
) -> list[StepParity]:
    table = default_table() if table is None else table
    out: list[StepParity] = []
    for pack in packs:
        a._token = b._token = None
        for i, step in enumerate(pack.steps):
            p = portability(step)
            sp = StepParity(pack.name, step.name)
            if not p.portable:
                sp.skipped = ", ".join(p.reasons) or "declared sandbox-only"
                out.append(sp)
                continue
            sp.a, sp.b = observe(a, pack, i), observe(b, pack, i)
            sp.differences = compare(sp.a, sp.b, latency_tolerance=latency_tolerance)
            classify(step.name, sp.differences, table)
            out.append(sp)
    return out


def unexpected(steps: list[StepParity]) -> list[tuple[StepParity, Difference]]:
    return [(s, d) for s in steps for d in s.differences if not d.expected]


# --- report ------------------------------------------------------------------------------------


def to_json(steps: list[StepParity], a_name: str, b_name: str) -> dict[str, Any]:
    n_expected = sum(d.expected for s in steps for d in s.differences)
    return {
        "targets": {"a": a_name, "b": b_name},
        "summary": {
            "steps": sum(s.skipped is None for s in steps),
            "skipped": sum(s.skipped is not None for s in steps),
            "expected_differences": n_expected,
            "unexpected_differences": len(unexpected(steps)),
        },
        "steps": [asdict(s) for s in steps],
    }


def render_json(steps: list[StepParity], a_name: str, b_name: str) -> str:
    return json.dumps(to_json(steps, a_name, b_name), indent=2, ensure_ascii=False) + "\n"


def _cell(v: Any) -> str:
    return "—" if v is None else str(v).replace("|", "\\|")


def render_md(steps: list[StepParity], a_name: str, b_name: str) -> str:
    doc = to_json(steps, a_name, b_name)
    s = doc["summary"]
    lines = [
        f"# Parity report: A = {a_name}, B = {b_name}",
        "",
        f"{s['steps']} steps compared, {s['skipped']} sandbox-only skipped; "
        f"**{s['unexpected_differences']} unexpected**, {s['expected_differences']} expected "
        "difference(s).",
        "",
    ]
    rows = [(sp, d) for sp in steps for d in sp.differences]
    if rows:
        lines += [
            "| pack | step | aspect | A | B | class | reason |",
            "|---|---|---|---|---|---|---|",
        ]
        for sp, d in rows:
            cls = "expected" if d.expected else "**unexpected**"
            lines.append(f"| {_cell(sp.pack)} | {_cell(sp.step)} | {_cell(d.aspect)} | "
                         f"{_cell(d.a)} | {_cell(d.b)} | {cls} | {_cell(d.reason)} |")  # fmt: skip
        lines.append("")
    lines += ["## Steps", "", "| pack | step | A status | B status | A code | B code |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for sp in steps:
        if sp.skipped is not None:
            lines.append(
                f"| {_cell(sp.pack)} | {_cell(sp.step)} | skipped: {_cell(sp.skipped)} | | | |"
            )
            continue
        a, b = sp.a or Observation(), sp.b or Observation()
        lines.append(f"| {_cell(sp.pack)} | {_cell(sp.step)} | {_cell(a.status or a.error)} | "
                     f"{_cell(b.status or b.error)} | {_cell(a.error_code)} | {_cell(b.error_code)} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def render_html(steps: list[StepParity], a_name: str, b_name: str) -> str:
    doc = to_json(steps, a_name, b_name)
    s = doc["summary"]
    e = html.escape
    verdict = "fail" if s["unexpected_differences"] else "pass"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Parity report — {e(a_name)} / {e(b_name)}</title>",
        f"<style>{REPORT_CSS}</style></head><body>",
        f"<h1>Parity report: A = {e(a_name)}, B = {e(b_name)}</h1>",
        f'<div id="verdict" class="verdict v-{verdict}" data-verdict="{verdict}">'
        f"{s['unexpected_differences']} unexpected, {s['expected_differences']} expected "
        f"difference(s); {s['steps']} steps compared, {s['skipped']} skipped</div>",
        "<table><tr><th>pack</th><th>step</th><th>aspect</th><th>A</th><th>B</th>"
        "<th>class</th><th>reason</th></tr>",
    ]
    for sp in steps:
        for d in sp.differences:
            cls = "expected" if d.expected else "unexpected"
            parts.append(f"<tr class='{cls}'><td>{e(sp.pack)}</td><td>{e(sp.step)}</td>"
                         f"<td>{e(d.aspect)}</td><td>{e(_cell(d.a))}</td><td>{e(_cell(d.b))}</td>"
                         f"<td>{cls}</td><td>{e(d.reason)}</td></tr>")  # fmt: skip
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def render(steps: list[StepParity], a_name: str, b_name: str, fmt: str = "html") -> str:
    return {"html": render_html, "json": render_json, "md": render_md}[fmt](steps, a_name, b_name)
