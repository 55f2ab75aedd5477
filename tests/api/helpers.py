"""Test-only plumbing for the resource tests: a fixed clock, the caller profiles (each enrolled
as a client of its own by `conftest.py`), request headers and bodies."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from ficoba_sandbox.domain.access import MODALITIES, SCOPES, Caller, SearchType

PREFIXES = ("/ficoba-api/v2", "/fcb-masrestit/api/v2")
# Near the real time: the gateway checks certificate and token validity against the app clock.
NOW = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=123456)


class FixedClock:
    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


ALL_TYPES = frozenset(SearchType)
#: The requester SIRETs of the protocol's examples. The gateway registry only accepts
#: Luhn-valid SIRETs, and three of the examples' are not: requests carrying one of those are sent
#: with REPLACEMENT_SIRET instead (`replace_invalid_sirets`), and the expected echo is adapted the same way.
INVALID_SIRETS = frozenset({"11210489100013", "81325471100020", "42062523800040"})
REPLACEMENT_SIRET = "13000453400017"
SIRETS = frozenset({"13000453400017", "13000495500121", "66204244900014", "81325471100019"})


def replace_invalid_sirets(body: Any) -> Any:
    if isinstance(body, dict) and body.get("siretDemandeur") in INVALID_SIRETS:
        body = {**body, "siretDemandeur": REPLACEMENT_SIRET}
    return body


MOTIFS = {m: ALL_TYPES for m in ("0020", "0005", "0003", "0100", "0021")}

CALLERS: dict[str, Caller] = {
    "full": Caller(client_id="full", sirets=SIRETS, sirens=frozenset({"662042449"}), motifs=MOTIFS),
    "verif": Caller(
        client_id="verif",
        scopes=frozenset({"dgfip_ficoba_restitution_verification"}),
        sirets=SIRETS,
        motifs=MOTIFS,
    ),
    "no_spi": Caller(
        client_id="no_spi",
        modalities=frozenset(MODALITIES) - {"with_ficoba_spi"},
        sirets=SIRETS,
        motifs=MOTIFS,
    ),
    "motif_restreint": Caller(
        client_id="motif_restreint",
        sirets=SIRETS,
        motifs={"0020": frozenset({SearchType.COMPTE})},
    ),
    "banque": Caller(
        client_id="banque",
        sirets=SIRETS,
        motifs=MOTIFS,
        codes_etablissement=frozenset({"30004"}),
    ),
}
assert set(SCOPES)


def headers(**extra: str) -> dict[str, str]:
    return {"X-Correlation-ID": str(uuid.uuid4()), "Content-Type": "application/json", **extra}


def body(example: dict[str, Any], **criteres: Any) -> dict[str, Any]:
    out = copy.deepcopy(example)
    out["criteresRecherche"].update(criteres)
    return out
