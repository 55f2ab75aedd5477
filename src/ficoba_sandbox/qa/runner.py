"""`replay`: run scenario packs against any running sandbox over real mutual TLS.

The API calls use httpx with an `ssl.SSLContext` (CA + client certificate: docs/pitfalls.md, httpx 0.28
ignores `cert=` with `verify=<path>`). Names (magic entries, personas) are resolved from the
server's own admin plane (`/__sandbox/magic`, `/__sandbox/dataset`) when it answers, so a pack
cannot drift from the server it runs against; without an admin plane the local catalogue is used
and admin steps fail. After each pack the runner calls `POST /__sandbox/reset` (faults off,
maintenance schedule back, clock back, the client's quota reset). The admin plane's URL and token
come from the state directory's `admin.json` beside the client file, unless given
(gateway/admin_key.py).
"""

from __future__ import annotations

import copy
import json
import re
import ssl
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from ficoba_sandbox.domain.examples import REQUEST_EXAMPLES
from ficoba_sandbox.gateway.admin_key import ADMIN_FILE, DEFAULT_ADMIN_URL, find_admin_access
from ficoba_sandbox.qa import magic
from ficoba_sandbox.qa.pack import (
    VARIABLE,
    AdminAction,
    Expect,
    Pack,
    RequestSpec,
    Step,
    portability,
)

PREFIXES = {"gateway": "/ficoba-api/v2", "backend": "/fcb-masrestit/api/v2"}


@dataclass
class Target:
    base_url: str  # https://host:port/ficoba-api/v2 (the origin is taken from it)
    token_url: str
    cert: str
    key: str
    ca: str
    client_id: str
    client_secret: str
    admin_url: str | None = DEFAULT_ADMIN_URL
    admin_token: str | None = None
    siret: str | None = None
    motif: str | None = None

    @property
    def origin(self) -> str:
        m = re.match(r"^(https?://[^/]+)", self.base_url)
        return m[1] if m else self.base_url

    @classmethod
    def from_file(cls, path: Path | str, **overrides: Any) -> Target:
        """A client file (`D/demo-client.json`, `D/clients/<id>.json`); the admin plane's URL and
        token from `D/admin.json` (or `FICOBA_SANDBOX_ADMIN_TOKEN`) unless overridden."""
        creds = json.loads(Path(path).read_text("utf-8"))
        admin = find_admin_access(state_dir_of(Path(path)))
        values = {
            "base_url": creds["base_url"],
            "token_url": creds["token_url"],
            "cert": creds["cert"],
            "key": creds["key"],
            "ca": creds["ca"],
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "siret": creds.get("siret_demandeur"),
            "motif": (creds.get("motifs") or [None])[0],
            "admin_url": admin.url,
            "admin_token": admin.token,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def state_dir_of(client_file: Path) -> Path:
    """The state directory of a client file: the one of `D/demo-client.json` or of
    `D/clients/<id>.json` that holds `admin.json` (else the file's own directory)."""
    for folder in (client_file.parent, client_file.parent.parent):
        if (folder / ADMIN_FILE).exists():
            return folder
    return client_file.parent


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    failures: list[str] = field(default_factory=list)
    status: int | None = None
    request: str = ""
    skipped: str | None = None  # why the step did not run (--portable-only)


@dataclass
class PackResult:
    name: str
    file: str
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(s.ok for s in self.steps)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


# --- JSON paths ------------------------------------------------------------------------------

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


def get_path(doc: Any, path: str) -> Any:
    node = doc
    for name, index in _TOKEN.findall(path):
        if name:
            if not isinstance(node, dict) or name not in node:
                return _MISSING
            node = node[name]
        else:
            i = int(index)
            if not isinstance(node, list) or i >= len(node):
                return _MISSING
            node = node[i]
    return node


def get_all(doc: Any, path: str) -> list[Any]:
    """Every value at `path`, where `a[]` stands for each element of the list `a` (an empty
    list: nothing found); without `[]`, the one value of get_path or nothing."""
    if "[]" not in path:
        got = get_path(doc, path)
        return [] if got is _MISSING else [got]
    head, _, rest = path.partition("[]")
    node = get_path(doc, head) if head else doc
    if not isinstance(node, list):
        return []
    rest = rest.removeprefix(".")
    return [v for item in node for v in (get_all(item, rest) if rest else [item])]


def json_type(value: Any) -> str:
    """The JSON type of a decoded value (RFC 8259 section 3), `integer` for a whole number."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _type_ok(value: Any, want: str | Sequence[str]) -> bool:
    wanted = [want] if isinstance(want, str) else want
    got = json_type(value)
    return got in wanted or (got == "integer" and "number" in wanted)


def fill_variables(value: Any, variables: dict[str, str]) -> Any:
    """`${NAME}` replaced by the user's value; a missing one is a RuntimeError naming it."""

    def one(m: re.Match[str]) -> str:
        if m[1] not in variables:
            raise RuntimeError(f"variable {m[1]} not given (--var {m[1]}=VALUE or --vars FILE)")
        return variables[m[1]]

    if isinstance(value, str):
        return VARIABLE.sub(one, value)
    if isinstance(value, dict):
        return {k: fill_variables(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_variables(v, variables) for v in value]
    return value


def remove_path(doc: Any, path: str) -> None:
    parts = path.split(".")
    node = doc
    for p in parts[:-1]:
        node = node.get(p) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def substitute(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: names.get(m[1], m[0]), value)
    if isinstance(value, dict):
        return {k: substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, int | float) and str(a) == str(b))


# --- the runner ------------------------------------------------------------------------------


class Runner:
    def __init__(
        self,
        target: Target,
        *,
        timeout: float = 30.0,
        variables: dict[str, str] | None = None,
        portable_only: bool = False,
    ) -> None:
        self.t = target
        self.variables = dict(variables or {})
        self.portable_only = portable_only
        self.http = httpx.Client(verify=target.ssl_context(), timeout=timeout)
        headers = {"Authorization": f"Bearer {target.admin_token}"} if target.admin_token else {}
        self.admin = (
            httpx.Client(base_url=target.admin_url, timeout=timeout, headers=headers)
            if target.admin_url
            else None
        )
        self._token: str | None = None
        self._catalogue: dict[str, dict[str, Any]] | None = None
        self._personas: dict[str, dict[str, Any]] | None = None
        self._admin_ok: bool | None = None

    def close(self) -> None:
        self.http.close()
        if self.admin is not None:
            self.admin.close()

    # -- admin plane ----------------------------------------------------------------------
    def admin_available(self) -> bool:
        if self._admin_ok is None:
            try:
                ok = self.admin is not None and self.admin.get("/__sandbox/health").is_success
            except httpx.HTTPError:
                ok = False
            self._admin_ok = ok
        return self._admin_ok

    def _admin(self, method: str, path: str, **kw: Any) -> Any:
        if not self.admin_available() or self.admin is None:
            raise RuntimeError(f"admin plane unreachable at {self.t.admin_url}")
        r = self.admin.request(method, path, **kw)
        if not r.is_success:
            raise RuntimeError(f"admin {method} {path}: {r.status_code} {r.text[:200]}")
        return r.json()

    def today(self) -> str:
        if self.admin_available():
            try:
                return str(self._admin("GET", "/__sandbox/clock")["today"])
            except RuntimeError:
                pass
        return date.today().isoformat()

    def catalogue(self) -> dict[str, dict[str, Any]]:
        if self._catalogue is None:
            if self.admin_available():
                doc = self._admin("GET", "/__sandbox/magic", params={"client_id": self.t.client_id})
                entries = doc["entries"]
            else:
                entries = magic.catalogue(
                    siret=self.t.siret or "", motif=self.t.motif or "0001", today=self.today()
                )
            self._catalogue = {e["name"]: e for e in entries}
        return self._catalogue

    def personas(self) -> dict[str, dict[str, Any]]:
        if self._personas is None:
            doc = self._admin("GET", "/__sandbox/dataset", params={"client_id": self.t.client_id})
            self._personas = {}
            for p in doc["personas"]:
                self._personas[p["id"]] = p
                self._personas.setdefault(p["id"].split(":", 1)[1], p)
        return self._personas

    def requester(self) -> tuple[str, str]:
        siret, motif = self.t.siret, self.t.motif
        if not siret or not motif:
            entry = next(iter(self.catalogue().values()))
            siret = siret or entry["body"]["siretDemandeur"]
            motif = motif or entry["body"]["motif"]
        return siret, motif

    def do_admin(self, action: AdminAction) -> None:
        cid = self.t.client_id
        if action.advance_clock:
            self._admin("POST", "/__sandbox/clock/advance", json={"duration": action.advance_clock})
        if action.freeze_clock:
            self._admin("POST", "/__sandbox/clock/freeze", json={})
        if action.reset_clock:
            self._admin("POST", "/__sandbox/clock/reset")
        if action.maintenance:
            self._admin("POST", "/__sandbox/maintenance", json={"state": action.maintenance})
        if action.reset_quota:
            self._admin("POST", f"/__sandbox/clients/{cid}/quota/reset")
        if action.fill_quota:
            calls = None if action.fill_quota is True else int(action.fill_quota)
            self._admin("POST", f"/__sandbox/clients/{cid}/quota/fill", json={"calls": calls})
        if action.faults is not None:
            self._admin("PUT", f"/__sandbox/faults/{cid}", json=action.faults.model_dump())
        if action.clear_faults:
            self._admin("DELETE", f"/__sandbox/faults/{cid}")
        if action.purge_journal:
            self._admin("DELETE", "/__sandbox/journal", params={"client": cid})
        clock_moved = action.advance_clock or action.freeze_clock or action.reset_clock
        if clock_moved and not action.keep_token:
            self._token = None

    # -- API calls ------------------------------------------------------------------------
    def token(self, fresh: bool = False) -> str:
        if self._token is None or fresh:
            r = self.http.post(
                self.t.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self.t.client_id, self.t.client_secret),
            )
            if r.status_code != 200:
                raise RuntimeError(f"token endpoint: {r.status_code} {r.text[:200]}")
            self._token = str(r.json()["access_token"])
        return self._token

    def build_body(self, req: RequestSpec) -> tuple[dict[str, Any] | None, str | None]:
        """(JSON body, or raw text)"""
        siret, motif = self.requester()
        today = self.today()
        names = {"today": today, "siret": siret, "motif": motif, "client_id": self.t.client_id}
        if req.raw_body is not None:
            return None, substitute(fill_variables(req.raw_body, self.variables), names)
        if req.resource == "etatSante":
            return None, None
        if req.magic:
            body = copy.deepcopy(self.catalogue()[req.magic]["body"])
            body["dateDemande"] = today
        elif req.persona:
            persona = self.personas().get(req.persona)
            if persona is None:
                raise RuntimeError(f"persona {req.persona!r} unknown to this server")
            if req.search not in persona["requests"]:
                raise RuntimeError(f"no {req.search} request for persona {req.persona!r}")
            body = copy.deepcopy(persona["requests"][req.search])
            body["dateDemande"] = today
        elif req.example:
            res, _, name = req.example.partition("/")
            crit = REQUEST_EXAMPLES[res][name]["criteresRecherche"]
            body = magic.envelope(siret, motif, today, crit, justification=f"QA {req.example}")
        elif req.scenario and not req.criteres:
            body = magic.envelope(siret, motif, today, magic.NEUTRAL.get(req.resource, {}))
        else:
            body = magic.envelope(siret, motif, today, {})
        if req.criteres:
            body["criteresRecherche"] = deep_merge(body.get("criteresRecherche") or {},
                                                   fill_variables(req.criteres, self.variables))  # fmt: skip
        if req.body:
            body = deep_merge(body, fill_variables(req.body, self.variables))
        for p in req.remove:
            remove_path(body, p)
        return substitute(body, names), None

    def send(self, req: RequestSpec) -> tuple[httpx.Response, float, str]:
        body, raw = self.build_body(req)
        headers: dict[str, str] = {}
        if req.correlation_id is True:
            headers["X-Correlation-ID"] = str(uuid.uuid4())
        elif isinstance(req.correlation_id, str):
            headers["X-Correlation-ID"] = fill_variables(req.correlation_id, self.variables)
        if req.token in ("valid", "fresh"):
            headers["Authorization"] = f"Bearer {self.token(fresh=req.token == 'fresh')}"
        elif req.token == "invalid":
            headers["Authorization"] = "Bearer not.a.token"
        if req.scenario:
            headers[magic.HEADER] = req.scenario
        headers.update(fill_variables(req.headers, self.variables))
        url = self.t.origin + PREFIXES[req.prefix]
        if req.resource == "etatSante":
            path, method = "/etatSante", "GET"
        else:
            path, method = f"/comptes/{req.resource}", "POST"
        url += req.path or path
        method = req.method or method
        content: bytes | None = None
        if raw is not None:
            content = raw.encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        elif body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        if req.body_size is not None and content is not None:
            content = content.ljust(req.body_size, b" ")
        for _ in range(req.repeat - 1):  # the calls before the one judged
            self.http.request(method, url, content=content, headers=headers)
        start = time.monotonic()
        r = self.http.request(method, url, content=content, headers=headers)
        return r, time.monotonic() - start, f"{method} {url}"

    def check(self, req: RequestSpec, exp: Expect, r: httpx.Response, secs: float) -> list[str]:
        problems: list[str] = []
        status, error_code, info_code = exp.status, exp.error_code, exp.info_code
        equal = dict(exp.fields.equal)
        present, absent = list(exp.fields.present), list(exp.fields.absent)
        hdr_present = list(exp.headers.present)
        if exp.from_magic:
            entry = self.catalogue()[req.magic or req.scenario or ""]["expected"]
            status = status if status is not None else entry["status"]
            if entry["code_field"] == "erreur.code":
                error_code = error_code or entry["code"]
            elif entry["code_field"] == "messageInformatif.code":
                info_code = info_code or entry["code"]
            equal = {**entry["fields_equal"], **equal}
            present += entry["fields_present"]
            absent += entry["fields_absent"]
            hdr_present += entry["headers_present"]
        try:
            doc: Any = r.json()
        except ValueError:
            doc = None
        if status is not None and r.status_code != status:
            problems.append(f"status {r.status_code}, expected {status}")
        if error_code is not None:
            got = get_path(doc, "erreur.code")
            if not _same(got, error_code):
                problems.append(f"erreur.code {_show(got)}, expected {error_code}")
        if info_code is not None:
            got = get_path(doc, "messageInformatif.code")
            if not _same(got, info_code):
                problems.append(f"messageInformatif.code {_show(got)}, expected {info_code}")
        for path, want in equal.items():
            got = get_path(doc, path)
            if not _same(got, want):
                problems.append(f"{path} = {_show(got)}, expected {want!r}")
        for path in present:
            if not get_all(doc, path):
                problems.append(f"{path} absent, expected present")
        for path in absent:
            if get_all(doc, path):
                problems.append(f"{path} present, expected absent")
        for path, want in exp.fields.types.items():
            values = get_all(doc, path)
            if not values:
                problems.append(f"{path} absent, expected {want}")
            bad = sorted({json_type(v) for v in values if not _type_ok(v, want)})
            if bad:
                problems.append(f"{path} is {'/'.join(bad)}, expected {want}")
        for name in hdr_present:
            if name not in r.headers:
                problems.append(f"header {name} absent")
        for name in exp.headers.absent:
            if name in r.headers:
                problems.append(f"header {name} present, expected absent")
        for name, want in exp.headers.equal.items():
            if r.headers.get(name) != want:
                problems.append(f"header {name} = {r.headers.get(name)!r}, expected {want!r}")
        if exp.min_seconds is not None and secs < exp.min_seconds:
            problems.append(f"answered in {secs:.2f}s, expected >= {exp.min_seconds}s")
        if exp.max_seconds is not None and secs > exp.max_seconds:
            problems.append(f"answered in {secs:.2f}s, expected <= {exp.max_seconds}s")
        if problems:
            problems.append(f"response: {r.text[:300]}")
        return problems

    def run_step(self, step: Step) -> StepResult:
        start = time.monotonic()
        if self.portable_only:
            p = portability(step)
            if not p.portable:
                why = ", ".join(p.reasons) or "declared sandbox-only"
                return StepResult(step.name, True, 0.0, request="skipped", skipped=why)
        try:
            if step.admin is not None:
                self.do_admin(step.admin)
                return StepResult(step.name, True, time.monotonic() - start, request="admin")
            assert step.request is not None
            r, secs, what = self.send(step.request)
            problems = self.check(step.request, step.expect or Expect(), r, secs)
            return StepResult(
                step.name, not problems, time.monotonic() - start, problems, r.status_code, what
            )
        except (RuntimeError, httpx.HTTPError, KeyError) as exc:
            msg = f"{type(exc).__name__}: {exc}"
            return StepResult(step.name, False, time.monotonic() - start, [msg])

    def run_pack(self, pack: Pack, file: str = "") -> PackResult:
        result = PackResult(pack.name, file)
        self._token = None
        try:
            for step in pack.steps:
                result.steps.append(self.run_step(step))
        finally:
            if self.admin_available():
                try:
                    self._admin("POST", "/__sandbox/reset", params={"client_id": self.t.client_id})
                except RuntimeError as exc:
                    result.error = f"reset after the pack failed: {exc}"
        return result


def _show(v: Any) -> str:
    return "absent" if v is _MISSING else repr(v)


# --- report ----------------------------------------------------------------------------------


def report(results: Iterable[PackResult]) -> str:
    lines: list[str] = []
    total = failed = skipped = 0
    for pr in results:
        mark = "PASS" if pr.ok else "FAIL"
        n_ok = sum(s.ok for s in pr.steps)
        lines.append(
            f"{mark}  {pr.name}  ({n_ok}/{len(pr.steps)} steps, {pr.seconds:.2f}s)  {pr.file}"
        )
        for i, s in enumerate(pr.steps, 1):
            if s.skipped is not None:
                skipped += 1
                lines.append(f"   - step {i} {s.name!r} skipped: sandbox-only ({s.skipped})")
                continue
            total += 1
            if not s.ok:
                failed += 1
                lines.append(f"   x step {i} {s.name!r}  {s.request}")
                lines.extend(f"       - {f}" for f in s.failures)
        if pr.error:
            lines.append(f"   ! {pr.error}")
    lines.append(
        f"{total - failed}/{total} steps passed"
        + (f", {failed} failed" if failed else "")
        + (f", {skipped} sandbox-only skipped" if skipped else "")
    )
    return "\n".join(lines)


def junit_xml(results: Iterable[PackResult]) -> str:
    results = list(results)
    root = ET.Element("testsuites", name="ficoba-sandbox replay")
    all_tests = all_fail = 0
    for pr in results:
        fails = sum(not s.ok for s in pr.steps) + (1 if pr.error else 0)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=pr.name,
            tests=str(len(pr.steps)),
            failures=str(fails),
            errors="0",
            time=f"{pr.seconds:.3f}",
            file=pr.file,
        )
        for i, s in enumerate(pr.steps, 1):
            case = ET.SubElement(
                suite, "testcase", classname=pr.name, name=f"{i:02d} {s.name}",
                time=f"{s.seconds:.3f}",
            )  # fmt: skip
            if s.skipped is not None:
                ET.SubElement(case, "skipped", message=f"sandbox-only: {s.skipped}")
            elif not s.ok:
                fail = ET.SubElement(case, "failure", message=s.failures[0] if s.failures else "")
                fail.text = "\n".join([s.request, *s.failures])
        if pr.error:
            case = ET.SubElement(suite, "testcase", classname=pr.name, name="reset")
            ET.SubElement(case, "error", message=pr.error)
        all_tests += len(pr.steps)
        all_fail += fails
    root.set("tests", str(all_tests))
    root.set("failures", str(all_fail))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
