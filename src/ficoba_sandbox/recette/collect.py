"""Gather a recette's inputs from a state directory: journal rows, registration, plan, server info."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ficoba_sandbox import __version__
from ficoba_sandbox.domain.access import DEFAULT_QUOTA
from ficoba_sandbox.events.reader import action, events_path, instant, read_events
from ficoba_sandbox.gateway.registry import Registry
from ficoba_sandbox.journal import JournalReader, parse_since
from ficoba_sandbox.qa.drills import START_PATH, read_plan
from ficoba_sandbox.recette.criteria import Evaluation, Profile, evaluate
from ficoba_sandbox.recette.server_info import read_server_info


class RecetteError(LookupError):
    """The client is unknown, or the state directory has no journal."""


def profile_of(
    state_dir: Path, client_id: str, default_quota: int = DEFAULT_QUOTA
) -> tuple[Profile, dict[str, Any]]:
    """The client's registration as a `Profile`, and header facts (certificate subject...).
    `default_quota`: the quota of a client registered without one (the server's)."""
    record = Registry(Path(state_dir)).get(client_id)
    if record is None:
        raise RecetteError(f"client {client_id!r} is not registered in {state_dir}")
    profile = Profile(
        client_id=record.client_id,
        thumbprint=record.cert_x5t_s256 or None,
        modalities=frozenset(record.modalities),
        motifs={m: frozenset(str(t) for t in types) for m, types in record.motifs.items()},
        sirets=frozenset(record.sirets),
        sirens=frozenset(record.sirens),
        quota_per_minute=record.quota_per_minute or default_quota,
        ips=tuple(str(n) for n in record.ips),
    )
    facts = {
        "certificate_subject": record.cert_subject,
        "certificate_not_after": record.cert_not_after,
        "revoked": record.revoked,
    }
    return profile, facts


def last_start(state_dir: Path, client_id: str) -> str | None:
    """When the client's last `recette start` was recorded (journal `ts`), or None."""
    reader = JournalReader.in_dir(Path(state_dir))
    try:
        return reader.last_at_path(client_id, "RECETTE", START_PATH)
    except FileNotFoundError as exc:
        raise RecetteError(str(exc)) from None


def rows_of(
    state_dir: Path, client_id: str, since: str | datetime | None = None
) -> list[dict[str, Any]]:
    reader = JournalReader.in_dir(Path(state_dir))
    try:
        return list(reader.iter_rows(client_id=client_id, since=since))
    except FileNotFoundError as exc:
        raise RecetteError(str(exc)) from None


#: the events a report lists one by one (the counts cover them all)
EVENTS_LISTED = 20


def security_events_of(
    state_dir: Path,
    client_id: str,
    since: str | datetime | None = None,
    events_file: Path | None = None,
) -> dict[str, Any]:
    """What the client triggered in the window: its security events (the events file the
    server writes, `D/events.jsonl` unless `--events-file`; docs/security.md), counted by
    type, the first `EVENTS_LISTED` listed."""
    start = parse_since(since) if since is not None else None
    path = events_file if events_file is not None else events_path(state_dir)
    lines = read_events(path, since=start, client_id=client_id)
    by_type: dict[str, int] = {}
    for line in lines:
        kind = action(line) or "?"
        by_type[kind] = by_type.get(kind, 0) + 1
    listed = []
    for line in lines[:EVENTS_LISTED]:
        at = instant(line)
        event = line.get("event") or {}
        listed.append(
            {
                "at": at.isoformat().replace("+00:00", "Z") if at else None,
                "type": action(line),
                "severity": event.get("severity") if isinstance(event, dict) else None,
                "message": line.get("message"),
                "evidence": line.get("ficoba") or {},
            }
        )
    return {"total": len(lines), "by_type": dict(sorted(by_type.items())), "events": listed}


@dataclass(slots=True)
class Recette:
    """Everything a report shows."""

    evaluation: Evaluation
    header: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"header": self.header, **self.evaluation.to_json()}


def build_recette(
    state_dir: Path,
    client_id: str,
    since: str | datetime | None = None,
    *,
    rows: list[dict[str, Any]] | None = None,
    server: dict[str, Any] | None = None,
) -> Recette:
    server = server if server is not None else read_server_info(state_dir)
    profile, facts = profile_of(state_dir, client_id, server.get("default_quota") or DEFAULT_QUOTA)
    window = "since" if since is not None else "all"
    if rows is None:
        # no --since: the run starts at the client's last `recette start`, so what the tester
        # tried before (deliberate errors, magic values, quota) stays out of the report
        if since is None:
            since = last_start(state_dir, client_id)
            window = "last_start" if since is not None else "all"
        rows = rows_of(state_dir, client_id, since)
    evaluation = evaluate(rows, profile)
    plan = read_plan(state_dir, client_id)
    header = {
        "client_id": client_id,
        "certificate_thumbprint": profile.thumbprint,
        **facts,
        "period_from": evaluation.period[0],
        "period_to": evaluation.period[1],
        "since": str(since) if since is not None else None,
        "window": window,
        "sandbox_version": server.get("sandbox_version") or __version__,
        "dataset_digest": server.get("dataset_digest"),
        "dataset_seed": server.get("seed"),
        "dataset_size": server.get("size"),
        "quota_per_minute": profile.quota_per_minute,
        "modalities": sorted(profile.modalities),
        "motifs": {m: sorted(t) for m, t in profile.motifs.items()},
        "drill_plan": plan.to_json() if plan else None,
        # known to the server that serves the report only (admin plane); None from the CLI
        "tls_handshakes_refused": server.get("tls_handshakes_refused"),
        "security_events": security_events_of(
            state_dir,
            client_id,
            since,
            Path(server["events_file"]) if server.get("events_file") else None,
        ),
    }
    return Recette(evaluation=evaluation, header=header)
