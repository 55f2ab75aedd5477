"""Scenario packs: the model (pydantic, JSON Schema derived from it), the loader and the checker.

A pack is a YAML file (format: fixtures/scenarios/README.md, schema: pack.schema.json beside it).
`load_pack(path)` validates the structure and the names it refers to (magic entries, personas,
resources) and raises `PackError("<file>: <place> (line N): <reason>")` on the first problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ficoba_sandbox.data.personas import default_personas_dir
from ficoba_sandbox.domain.examples import REQUEST_EXAMPLES
from ficoba_sandbox.qa import magic

RESOURCES = (*magic.RESOURCES, "etatSante")
SEARCHES = ("spi", "perPhy", "numCpte", "perPro", "siretSiren")


class PackError(ValueError):
    def __init__(self, path: Path | str, place: str, reason: str) -> None:
        super().__init__(f"{path}: {place}: {reason}")
        self.path, self.place, self.reason = str(path), place, reason


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestSpec(_M):
    resource: str = Field(description="numCpte, spi, siretSiren, perPhy, perPro, verifIban, "
                          "multiDet or etatSante")  # fmt: skip
    prefix: Literal["gateway", "backend"] = Field(
        "gateway", description="/ficoba-api/v2 (gateway) or /fcb-masrestit/api/v2 (backend)"
    )
    magic: str | None = Field(None, description="start from this magic entry's request body")
    persona: str | None = Field(None, description="persona id (sbx-cloture, pp:..., pm:...)")
    search: str | None = Field(None, description="with persona: spi, perPhy, numCpte, ...")
    example: str | None = Field(
        None, description="protocol example <resource>/<name>: its criteresRecherche"
    )
    criteres: dict[str, Any] | None = Field(None, description="criteresRecherche (merged)")
    body: dict[str, Any] | None = Field(None, description="envelope fields (deep-merged)")
    raw_body: str | None = Field(None, description="sent exactly as written")
    remove: list[str] = Field(default_factory=list, description="dotted paths removed")
    headers: dict[str, str] = Field(default_factory=dict)
    scenario: str | None = Field(None, description="X-Sandbox-Scenario header")
    token: Literal["valid", "none", "invalid", "fresh"] = "valid"
    correlation_id: bool | str = Field(True, description="true: a fresh UUID; false: none")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = Field(
        None, description="another HTTP method than the resource's (a 405 in the API's format)"
    )
    path: str | None = Field(
        None,
        pattern=r"^/[A-Za-z0-9._~/-]*$",
        description="another path under the prefix than the resource's (a 404 in the API's "
        "format), e.g. /comptes/inconnu",
    )
    repeat: int = Field(
        1,
        ge=1,
        le=10_000,
        description="send the request this many times in a row and judge the last answer "
        "(201 calls use up a quota of 200 a minute: the 429)",
    )
    body_size: int | None = Field(
        None,
        ge=1,
        le=16 * 1024 * 1024,
        description="send the JSON body padded with spaces to this many bytes (still valid "
        "JSON, RFC 8259 section 2 allows whitespace after the value): the body cap's 413",
    )

    @model_validator(mode="after")
    def _one_source(self) -> RequestSpec:
        sources = [s for s in ("magic", "persona", "example", "raw_body") if getattr(self, s)]
        if len(sources) > 1:
            raise ValueError(f"give at most one of magic, persona, example, raw_body: {sources}")
        if self.persona and not self.search:
            raise ValueError("persona needs search (spi, perPhy, numCpte, perPro, siretSiren)")
        return self


#: JSON types a loose expectation names (`fields.types`), as RFC 8259 section 3 lists them,
#: with "integer" for a number without fraction.
class JsonType(StrEnum):  # an Enum: its schema keeps this order (a Literal's may not)
    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    ARRAY = "array"
    OBJECT = "object"
    NULL = "null"


class FieldsExpect(_M):
    equal: dict[str, Any] = Field(default_factory=dict, description="JSON path -> value")
    present: list[str] = Field(
        default_factory=list, description="JSON paths; `a[].b`: in every element of a"
    )
    absent: list[str] = Field(default_factory=list, description="JSON paths; `a[].b` allowed")
    types: dict[str, JsonType | list[JsonType]] = Field(
        default_factory=dict,
        description="JSON path -> JSON type (or a list of them) for loose expectations where "
        "the real data is unknown: `comptes[].iban: string` (every element, at least one)",
    )


class HeadersExpect(_M):
    present: list[str] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list)
    equal: dict[str, str] = Field(default_factory=dict)


class Expect(_M):
    status: int | None = Field(None, ge=100, le=599)
    error_code: str | None = Field(None, description="erreur.code")
    info_code: str | None = Field(None, description="messageInformatif.code")
    fields: FieldsExpect = Field(default_factory=FieldsExpect)
    headers: HeadersExpect = Field(default_factory=HeadersExpect)
    min_seconds: float | None = None
    max_seconds: float | None = None
    from_magic: bool = Field(
        False, description="also expect the magic entry's status, code and fields"
    )


class FaultSpec(_M):
    latency_ms: int = Field(0, ge=0)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    error_code: str = "CAT004"
    remaining: int | None = Field(None, ge=1)
    resources: list[str] = Field(default_factory=list)


class AdminAction(_M):
    advance_clock: str | None = Field(None, description="e.g. 90s, 15m, 2h, 1d")
    freeze_clock: bool | None = None
    reset_clock: bool | None = None
    maintenance: Literal["down", "up", "schedule"] | None = None
    reset_quota: bool | None = None
    fill_quota: bool | int | None = Field(None, description="true: the whole quota; n: n calls")
    faults: FaultSpec | None = None
    clear_faults: bool | None = None
    purge_journal: bool | None = None
    keep_token: bool = Field(False, description="keep the cached token after a clock move")

    @model_validator(mode="after")
    def _something(self) -> AdminAction:
        fields = self.model_dump(exclude={"keep_token"}, exclude_none=True)
        if not fields:
            raise ValueError("an admin step needs at least one action")
        return self


class Step(_M):
    name: str
    portable: bool | None = Field(
        None,
        description="true: the outcome does not depend on sandbox-only data or controls (runs "
        "against any FICOBA target); false: sandbox-only. Derived when absent "
        "(fixtures/scenarios/README.md, 'Portability')",
    )
    request: RequestSpec | None = None
    expect: Expect | None = None
    admin: AdminAction | None = None

    @model_validator(mode="after")
    def _kind(self) -> Step:
        if (self.request is None) == (self.admin is None):
            raise ValueError("a step has either request (+ expect) or admin")
        if self.admin is not None and self.expect is not None:
            raise ValueError("expect goes with request, not admin")
        return self


class Pack(_M):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str
    client: str = Field("demo", description="'demo' (the replay's client) or a client_id")
    tags: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)


def pack_json_schema() -> dict[str, Any]:
    schema = Pack.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ficoba-sandbox.invalid/schemas/scenario-pack.json"
    schema["title"] = "ficoba-sandbox scenario pack"
    return schema


def schema_text() -> str:
    return json.dumps(pack_json_schema(), indent=2, ensure_ascii=False) + "\n"


# --- loading ---------------------------------------------------------------------------------


def _place(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "-"


def _line_of(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """1-based line of the YAML node at `loc` (the deepest one found)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            nxt = node.value[part] if part < len(node.value) else None
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def _at(path: Path, root: yaml.Node | None, loc: Sequence[Any], reason: str) -> PackError:
    line = _line_of(root, loc)
    place = _place(loc) + (f" (line {line})" if line else "")
    return PackError(path, place, reason)


def default_persona_ids() -> set[str]:
    d = default_personas_dir()
    return persona_ids([d] if d else [])


def persona_ids(dirs: Iterable[Path]) -> set[str]:
    ids: set[str] = set()
    for d in dirs:
        for f in sorted(Path(d).glob("*.y*ml")):
            doc = yaml.safe_load(f.read_text("utf-8")) or {}
            for p in doc.get("personnesPhysiques") or []:
                ids.add("pp:" + str(p.get("id")))
            for m in doc.get("personnesMorales") or []:
                ids.add("pm:" + str(m.get("id")))
    return ids


def check_names(pack: Pack, path: Path, root: yaml.Node | None, personas: set[str]) -> None:
    for i, step in enumerate(pack.steps):
        req = step.request
        base = ["steps", i, "request"]
        if req is not None:
            if req.resource not in RESOURCES:
                raise _at(path, root, [*base, "resource"],
                          f"unknown resource {req.resource!r}: one of {', '.join(RESOURCES)}")  # fmt: skip
            if req.magic:
                entry = magic.get(req.magic)
                if entry is None:
                    raise _at(path, root, [*base, "magic"],
                              f"unknown magic entry {req.magic!r}: one of {', '.join(magic.names())}")  # fmt: skip
                if entry.resource != req.resource:
                    raise _at(path, root, [*base, "magic"],
                              f"magic entry {req.magic!r} is for {entry.resource}, not {req.resource}")  # fmt: skip
            if req.scenario:
                valid = magic.names_for(req.resource) if req.resource != "etatSante" else [
                    e.name for e in magic.ENTRIES if e.any_resource]  # fmt: skip
                if req.scenario not in valid:
                    expect = step.expect
                    if not (expect and expect.status == 400):
                        raise _at(path, root, [*base, "scenario"],
                                  f"scenario {req.scenario!r} does not apply to {req.resource} "
                                  f"(valid: {', '.join(valid)}); expect status 400 to test the refusal")  # fmt: skip
            if req.persona:
                pid = req.persona
                if not pid.startswith(("pp:", "pm:")):
                    found = {f"pp:{pid}", f"pm:{pid}"} & personas
                    pid = next(iter(found), pid)
                if pid not in personas:
                    raise _at(path, root, [*base, "persona"], f"unknown persona {req.persona!r}")
                if req.search not in SEARCHES:
                    raise _at(path, root, [*base, "search"],
                              f"unknown search {req.search!r}: one of {', '.join(SEARCHES)}")  # fmt: skip
            if req.example:
                res, _, name = req.example.partition("/")
                if name not in REQUEST_EXAMPLES.get(res, {}):
                    known = [f"{r}/{n}" for r, ex in REQUEST_EXAMPLES.items() for n in ex]
                    raise _at(path, root, [*base, "example"],
                              f"unknown protocol example {req.example!r}: one of {', '.join(known)}")  # fmt: skip
            exp = step.expect
            if exp is not None and exp.from_magic and not req.magic and not req.scenario:
                raise _at(path, root, ["steps", i, "expect", "from_magic"],
                          "from_magic needs request.magic or request.scenario")  # fmt: skip


# --- portability -----------------------------------------------------------------------------

#: A variable the user gives (`--var NAME=VALUE`, `--vars FILE`): `${IBAN}`.
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Portability:
    portable: bool
    controls: tuple[str, ...]  # sandbox-only controls: never portable
    data: tuple[str, ...]  # sandbox-only data: portable only when declared so
    declared: bool | None

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.controls + self.data


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


def _reserved() -> dict[str, str]:
    return {value: kind for kind, value in magic.reserved_values()}


def portability(step: Step) -> Portability:
    """Whether a step runs the same against any FICOBA target: sandbox-only controls (admin
    actions, the scenario header or justification token, the magic catalogue's expectations)
    and sandbox-only data (magic entries, personas, protocol examples, reserved identifiers:
    the bank 99999, names `SANDBOX ...`) make it sandbox-only; `portable: true` vouches for
    the data, never for a control."""
    controls: list[str] = []
    data: list[str] = []
    req = step.request
    if step.admin is not None:
        controls.append("admin action")
    if req is not None:
        if req.scenario or any(h.lower() == magic.HEADER.lower() for h in req.headers):
            controls.append(f"{magic.HEADER} header")
        if step.expect is not None and step.expect.from_magic:
            controls.append("expectation from the magic catalogue")
        if req.magic:
            data.append(f"magic entry {req.magic}")
        if req.persona:
            data.append(f"sandbox persona {req.persona}")
        if req.example:
            data.append(f"protocol example {req.example}")
        texts = list(_texts([req.criteres, req.body, req.raw_body, req.headers]))
        if any(magic.JUSTIFICATION_TOKEN.search(t) for t in texts):
            controls.append("sandbox-scenario justification token")
        reserved = _reserved()
        for t in texts:
            kind = reserved.get(t)
            if kind is not None:
                data.append(f"reserved {kind} {t}")
            elif t.upper().startswith("SANDBOX "):
                data.append(f"reserved name {t}")
            elif t.upper().startswith("FR") and t[4:9] == magic.BANK:
                data.append(f"reserved bank {magic.BANK} in {t}")
        if req.criteres and not req.magic and magic.by_trigger(
            req.resource, {"criteresRecherche": req.criteres}
        ):  # fmt: skip
            data.append("criteria of a magic entry")
    portable = not controls and (not data if step.portable is None else step.portable)
    if step.portable is False:
        portable = False
    return Portability(portable, tuple(dict.fromkeys(controls)), tuple(dict.fromkeys(data)),
                       step.portable)  # fmt: skip


def variables_of(step: Step) -> list[str]:
    """The `${NAME}` variables a step's request uses, in order."""
    if step.request is None:
        return []
    req = step.request
    texts = _texts([req.criteres, req.body, req.raw_body, req.headers, req.correlation_id])
    return list(dict.fromkeys(m for t in texts for m in VARIABLE.findall(t)))


def check_portability(pack: Pack, path: Path, root: yaml.Node | None) -> None:
    for i, step in enumerate(pack.steps):
        p = portability(step)
        if step.portable is True and p.controls:
            raise _at(path, root, ["steps", i, "portable"],
                      f"declared portable but uses {', '.join(p.controls)} (sandbox-only)")  # fmt: skip


def load_pack(path: Path | str, personas: set[str] | None = None) -> Pack:
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise PackError(path, "-", f"cannot read: {exc.strerror or exc}") from None
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        raise PackError(path, place, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise PackError(path, "-", "a pack is a mapping (name, description, steps)")
    try:
        pack = Pack.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        raise _at(path, root, loc, err["msg"]) from None
    check_names(pack, path, root, personas if personas is not None else default_persona_ids())
    check_portability(pack, path, root)
    return pack


def pack_files(paths: Iterable[Path | str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.suffix in (".yaml", ".yml")))
        else:
            out.append(p)
    return out


def check(paths: Iterable[Path | str], personas: set[str] | None = None) -> list[PackError]:
    """Every problem of every pack (one per file)."""
    ids = personas if personas is not None else default_persona_ids()
    errors: list[PackError] = []
    names: dict[str, Path] = {}
    for f in pack_files(paths):
        try:
            pack = load_pack(f, ids)
        except PackError as exc:
            errors.append(exc)
            continue
        if pack.name in names:
            errors.append(PackError(f, "name", f"duplicate pack name (also {names[pack.name]})"))
        names[pack.name] = f
    return errors
