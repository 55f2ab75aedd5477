"""What leaves the server of a call: secrets never, identifiers and names masked.

- secrets are never stored, masked or not: `Authorization` (only its scheme is kept),
  `client_secret`, tokens, assertions, passwords, anything shaped like a JWT;
- with masking on (the default), identifiers (IBAN, SPI, SIREN, SIRET: by key and by shape
  anywhere in the body or path) keep `mask_keep` characters at each end, names and addresses keep
  their first letter, free text (`justification`) keeps nothing. Lengths and separators survive so
  the QA toolkit can still explain a format error;
- a body that parses neither as JSON nor as a UTF-8 form (text/plain, a stray byte, anything) is
  not stored at all, only its length and a keyed digest: `[not stored: N bytes, hmac-sha256 H]`.
  Such a body may hold anything, a secret included, and no rule can mask what it cannot read. The
  digest is HMAC-SHA256 under a key of the state directory (`domain/private.py`), cut to 64 bits:
  it tells two identical bodies apart and lets the key's owner check a guess, while a bare SHA-256
  of a short secret could be brute-forced by anyone who reads the journal.

Masking runs for every call (in the writer process, or in the server with the thread writer),
hence its fast paths: orjson where it gives json's own result (`domain/jsondoc.py`), a memo of
each key's rule and of each masked text, short strings skipping the identifier patterns they
cannot match. Each fast path has a test comparing it with the plain rule
(`tests/journal/test_masking.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from ficoba_sandbox.domain.jsondoc import read_json

#: Keys whose value is a secret: replaced by REDACTED whatever the masking setting.
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "client_secret",
        "secret",
        "password",
        "passwd",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "client_assertion",
        "assertion",
        "authorization",
        "api_key",
        "apikey",
        "code",  # OAuth authorization code, only in a form body
        "cookie",
        "private_key",
        "key",
    )
)
#: Keys of a form-encoded body (the token endpoint) kept as they are; every other one is redacted.
FORM_KEYS_KEPT = frozenset({"grant_type", "client_id", "scope"})
#: Identifier keys (IBAN, SPI, SIREN, SIRET, including the requester's).
IDENTIFIER_KEYS = frozenset(
    k.lower()
    for k in (
        "iban",
        "numeroSPI",
        "numeroSpi",
        "spi",
        "siren",
        "siret",
        "sirenDemandeur",
        "siretDemandeur",
        "numCpte",
        "numeroCompte",
    )
)
#: Names and address lines: keep the first letter.
NAME_KEYS = frozenset(
    k.lower()
    for k in (
        "nom",
        "nomNaissance",
        "nomUsage",
        "prenom",
        "prenoms",
        "raisonSociale",
        "sigle",
        "enseigne",
        "denomination",
        "libelleVoie",
        "libelleComplAdr",
        "libAdr1",
        "libAdr2",
        "libAdr3",
        "libAdr4",
    )
)
#: Free text: nothing kept.
FREE_TEXT_KEYS = frozenset({"justification"})

#: The masking rule of a key (its lower-case form in one of the sets above, in this order).
_OTHER, _SECRET, _IDENT, _NAME, _FREE = range(5)


def _rule_of(key: str) -> int:
    lowered = key.lower()
    if lowered in SECRET_KEYS:
        return _SECRET
    if lowered in IDENTIFIER_KEYS:
        return _IDENT
    if lowered in NAME_KEYS:
        return _NAME
    if lowered in FREE_TEXT_KEYS:
        return _FREE
    return _OTHER


REDACTED = "[redacted]"
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){10,30}\b", re.IGNORECASE)
_DIGITS_RE = re.compile(r"\d(?:[ ]?\d){8,}")  # SIREN (9), SPI (13), SIRET (14), bank numbers
_DIGIT_RE = re.compile(r"\d")  # both patterns above need one
_SHORTEST_IDENTIFIER = 9  # nothing shorter matches _IBAN_RE (14) or _DIGITS_RE (9)
#: the masked strings kept (`Masker._string`): at most this many, none longer than that
_MEMO_ENTRIES = 16_384
_MEMO_LONGEST = 200


def _hide(text: str, keep_start: int, keep_end: int) -> str:
    """Replace letters and digits by `*`, keeping the given counts of them at each end."""
    if text.isalnum():  # every character counts (IBAN, SIRET...): same result, by slicing
        n = len(text)
        if n <= keep_start + keep_end:
            return "*" * n
        return text[:keep_start] + "*" * (n - keep_start - keep_end) + text[n - keep_end :]
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    if len(positions) <= keep_start + keep_end:
        keep_start, keep_end = 0, 0  # too short to reveal anything
    hidden = set(positions[keep_start : len(positions) - keep_end])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


@dataclass(frozen=True, slots=True)
class Masker:
    """What leaves the process: secrets always redacted; identifiers and names masked if `enabled`."""

    enabled: bool = True
    keep: int = 2  # characters kept at each end of an identifier (0: all hidden)
    #: the key of the digest of a body that is not stored (a random one by default: digests then
    #: compare within one process only)
    digest_key: bytes = field(
        default_factory=lambda: secrets.token_bytes(32), compare=False, repr=False
    )
    #: key -> its rule (`_rule_of`), bounded; keys repeat on every call (the wire's field names)
    _rules: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    #: (rule, text) -> its masked form, bounded: most values repeat from call to call (the day's
    #: `dateDemande`, the requester, the motif, the path, the justification of a batch...)
    _masked_texts: dict[tuple[int, str], str] = field(
        default_factory=dict, compare=False, repr=False
    )

    def _rule(self, key: str | None) -> int:
        if key is None:
            return _OTHER
        rule = self._rules.get(key)
        if rule is None:
            rule = _rule_of(key)
            if len(self._rules) < 4096:
                self._rules[key] = rule
        return rule

    def secrets(self, text: str) -> str:
        if "eyJ" not in text:  # every match starts with it: nothing to replace
            return text
        return _JWT_RE.sub(REDACTED, text)

    def identifier(self, text: str) -> str:
        return _hide(text, self.keep, self.keep) if self.enabled else text

    def name(self, text: str) -> str:
        return _hide(text, min(self.keep, 1), 0) if self.enabled else text

    def free_text(self, text: str) -> str:
        return _hide(text, 0, 0) if self.enabled else text

    def text(self, text: str) -> str:
        """Any string: secrets out, and identifier-shaped runs masked."""
        text = self.secrets(text)
        if (
            self.enabled
            and len(text) >= _SHORTEST_IDENTIFIER
            and _DIGIT_RE.search(text) is not None  # both patterns need digits
        ):
            text = _IBAN_RE.sub(lambda m: self.identifier(m.group(0)), text)
            text = _DIGITS_RE.sub(lambda m: self.identifier(m.group(0)), text)
        return text

    def value(self, key: str | None, value: Any) -> Any:
        """One JSON value under `key` (recursively)."""
        return self._masked(self._rule(key), value)

    def _string(self, rule: int, text: str) -> str:
        if len(text) > _MEMO_LONGEST:
            return self._string_of(rule, text)
        key = (rule, text)
        masked = self._masked_texts.get(key)
        if masked is None:
            if len(self._masked_texts) >= _MEMO_ENTRIES:
                self._masked_texts.clear()
            masked = self._masked_texts[key] = self._string_of(rule, text)
        return masked

    def _string_of(self, rule: int, text: str) -> str:
        if rule == _OTHER:
            return self.text(text)
        if rule == _SECRET:
            return REDACTED
        if rule == _IDENT:
            return self.identifier(self.secrets(text))
        if rule == _NAME:
            return self.name(self.secrets(text))
        return self.free_text(self.secrets(text))

    def _masked(self, rule: int, value: Any) -> Any:
        kind = type(value)
        if kind is str:  # the common case first
            return self._string(rule, value)
        if kind is dict or isinstance(value, Mapping):
            return {str(k): self._masked(self._rule(str(k)), v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._masked(rule, v) for v in value]
        if rule == _SECRET and value is not None:
            return REDACTED
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            if self.enabled and (rule == _IDENT or len(str(value)) >= 9):
                return self.identifier(str(value))
            return value
        return self._string(rule, str(value))

    def unreadable(self, raw: bytes) -> str:
        """What is stored of a body no rule can read: its length and a keyed digest."""
        digest = hmac.new(self.digest_key, raw, hashlib.sha256).hexdigest()[:16]
        return f"[not stored: {len(raw)} bytes, hmac-sha256 {digest}]"

    def body(self, raw: bytes | None, content_type: str | None, limit: int) -> str | None:
        """The stored form of a request body: masked JSON, masked form, or `unreadable`."""
        if not raw:
            return None
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            try:
                pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                pairs = None
            if pairs is not None:
                kept = [
                    (k, self.text(v) if k.lower() in FORM_KEYS_KEPT else REDACTED) for k, v in pairs
                ]
                return cap(urllib.parse.urlencode(kept, safe="[]"), limit)
        try:
            parsed, plain = read_json(raw)
        except (ValueError, RecursionError, UnicodeDecodeError):
            return self.unreadable(raw)
        try:
            masked = self.value(None, parsed)
        except RecursionError:
            return "[not stored: nesting too deep]"
        return cap(dump_compact(masked, plain), limit)


def dump_compact(value: Any, plain: bool = False) -> str:
    """`json.dumps(value, ensure_ascii=False, separators=(",", ":"))`, by orjson unless `plain`
    (orjson spells some floats differently: pass True when `value` may hold a float)."""
    if not plain:
        try:
            return orjson.dumps(value).decode("utf-8")
        except TypeError:  # a big integer, a lone surrogate, deep nesting...: json says it
            pass
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"…[truncated, {len(text)} chars]"
