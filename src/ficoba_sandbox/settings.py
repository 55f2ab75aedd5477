"""Configuration: every option is a CLI flag and an environment variable `FICOBA_SANDBOX_<NAME>`.

No module-level instance: `create_app(settings)` receives one (docs/architecture.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ficoba_sandbox.domain.access import DEFAULT_QUOTA
from ficoba_sandbox.domain.contract import NEWEST, VERSIONS, contract_version

# A list setting read from the environment as `a,b,c` (or a JSON array).
CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    # Explicit: no `.env` file is read behind the user's back (docs/pitfalls.md: the rate-limit
    # library slowapi does, which is why the quota uses its engine, `limits`, directly).
    model_config = SettingsConfigDict(env_prefix="FICOBA_SANDBOX_", env_file=None, extra="ignore")

    state_dir: Path = Field(Path(".sandbox"), description="PKI, client registry, journal, caches")
    host: str = "127.0.0.1"
    port: int = 8443
    admin_host: str = "127.0.0.1"
    admin_port: int = 8081

    seed: int = 42
    size: int = Field(10_000, ge=1, description="number of natural persons generated")
    personas_dir: Path | None = Field(
        None, description="extra persona files, beside fixtures/personas"
    )

    max_body_bytes: int = Field(
        64 * 1024, description="request bodies above this are refused (413)"
    )
    token_ttl: int = Field(3600, description="access-token lifetime in seconds")
    token_backoff_window: int = Field(
        60, ge=1, description="seconds over which failed client authentications are counted"
    )
    token_backoff_client_failures: int = Field(
        10,
        ge=0,
        description="failed authentications of one client_id within the window before /token "
        "answers 429 (0: no back-off per client)",
    )
    token_backoff_peer_failures: int = Field(
        100,
        ge=0,
        description="failed client authentications from one address within the window before "
        "/token answers 429 (0: no back-off per address)",
    )
    # Slow and idle clients (gateway/connections.py, docs/reliability.md)
    tls_handshake_timeout: float = Field(
        10.0, gt=0, description="seconds a client has to finish the TLS handshake"
    )
    header_timeout: float = Field(
        10.0,
        gt=0,
        description="seconds a request's line and headers have to arrive (the first request's "
        "from the handshake, a later one's from its first byte)",
    )
    body_timeout: float = Field(
        30.0, gt=0, description="seconds a request's body has to arrive, from its headers"
    )
    keep_alive_timeout: int = Field(
        5, ge=1, description="seconds an idle connection is kept between two requests"
    )
    max_connections: int = Field(
        256,
        ge=1,
        description="simultaneous API connections; beyond, requests answer 503 CAT001 and close",
    )
    trusted_proxies: CommaList = Field(default_factory=list)
    trust_loopback_proxy: bool = Field(
        False, description="allow a --trusted-proxy range that holds loopback (127.0.0.0/8, ::1)"
    )
    proxy_tls_client_auth: bool = Field(
        False,
        description="let a certificate forwarded by a trusted proxy authenticate a client at "
        "/token on its own (tls_client_auth, no secret)",
    )
    san: CommaList = Field(default_factory=list)

    quota_storage: str = Field(
        "memory://", description="memory:// or redis://HOST:PORT/DB (shared by replicas)"
    )
    default_quota: int = Field(
        DEFAULT_QUOTA, ge=1, description="calls per minute of a client registered without a quota"
    )
    request_timeout: str | None = Field(
        None, description="e.g. 2s: an emulated latency above it answers 408"
    )
    maintenance_window: str | None = None
    latency: str | None = None
    # never in a repr: settings end up in logs and test reports
    admin_token: str | None = Field(
        None, repr=False, description="the admin plane's token (default: the one of D/admin.json)"
    )
    admin_open: bool = Field(
        False, description="admin plane without a token, loopback only (a throwaway local run)"
    )
    mask_journal: bool = True
    journal_mask_keep: int = Field(
        2, ge=0, description="characters kept at each end of a masked identifier"
    )
    journal_max_rows: int = Field(200_000, ge=0, description="journal bound: rows (0: none)")
    journal_max_bytes: int = Field(
        256 * 1024 * 1024, ge=0, description="journal bound: bytes (0: none)"
    )
    journal_retention_days: float = Field(
        30, ge=0, description="journal rows older than this go (0: kept)"
    )
    journal_writer: Literal["process", "thread"] = Field(
        "process",
        description="where the journal is masked and written: a child process (off the "
        "server's GIL, the fast one) or a thread of the server",
    )
    journal_durability: Literal["commit", "batch"] = Field(
        "commit",
        description="commit: an answer leaves once its journal row is committed (a killed "
        "server loses no answered call); batch: answers do not wait, a kill may lose the rows "
        "of the last 50 ms",
    )
    metrics: bool = Field(
        True,
        description="count every call for the admin plane's /metrics (docs/metrics.md); off, "
        "the per-call counting is skipped",
    )
    # Security events (events/, docs/security.md "Security events")
    events_file: Path | None = Field(
        None, description="the security events' ECS JSON lines (default: D/events.jsonl)"
    )
    events_stdout: bool = Field(False, description="security events on stdout too (ECS lines)")
    events_max_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="events file size before its one rotation"
    )
    events_auth_burst: int = Field(
        5, ge=0, description="failed client authentications in the window making a burst (0: off)"
    )
    events_auth_peer_burst: int = Field(
        20,
        ge=0,
        description="failed client authentications from one address in the window "
        "making a burst (0: off)",
    )
    events_auth_window: float = Field(60.0, gt=0, description="seconds of the burst window")
    events_enumeration_distinct: int = Field(
        50, ge=0, description="distinct search criteria of one client in the window (0: off)"
    )
    events_enumeration_no_result: int = Field(
        20, ge=0, description="no-result answers of one client in the window (0: off)"
    )
    events_enumeration_window: float = Field(
        300.0, gt=0, description="seconds of the enumeration window"
    )
    events_correlation_window: float = Field(
        600.0, ge=0, description="seconds a client's X-Correlation-ID must not come back (0: off)"
    )
    events_retry_after_repeats: int = Field(
        3, ge=0, description="429s before Retry-After is over making an event (0: off)"
    )
    log_json: bool = False
    contract_version: str = Field(
        NEWEST,
        description=f"the published contract followed where versions differ: {', '.join(VERSIONS)} "
        "(docs/contract-versions.md)",
    )
    demo_client_ips: CommaList = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="networks the demo client may call from (set when it is first created)",
    )

    @field_validator("contract_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        return contract_version(value).name

    @field_validator("trusted_proxies", "san", "demo_client_ips", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value
