"""The client certificates the sandbox trusts: those issued by the sandbox CA, or by a CA an
integrator registered (their own PKI: `ficoba-sandbox ca add`, `clients add --ca`).

Two doors, one trust store:
- the TLS listener: `D/pki/client-cas.pem` (the sandbox CA, then the registered CAs), uvicorn's
  `ssl_ca_certs`, checked by OpenSSL during the handshake;
- a certificate forwarded by a trusted proxy (RFC 9440 `Client-Cert`, intermediates in
  `Client-Cert-Chain`), which no handshake checked: `ChainVerifier`, on `cryptography`'s
  X.509 path validation (`cryptography.x509.verification`, RFC 5280 §6), at the sandbox's clock.

Every CA certificate registered is a trust anchor, intermediates included (the TLS listener sets
`VERIFY_X509_PARTIAL_CHAIN` so that OpenSSL agrees): an integrator may register the issuing CA
of their client certificates without the root above it. docs/security.md, "Certificates and
proxy mode".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification

from ficoba_sandbox.gateway.pki import PkiPaths, load_cert, write_private

#: how many verified chains `ChainVerifier` remembers (a client forwards the same one on every
#: call; a chain is verified again once the call's instant leaves its validity window)
_CACHE_SIZE = 256


class TrustError(ValueError):
    """A certificate or bundle that cannot be registered (not PEM, not a CA, not trusted)."""


def load_bundle(data: bytes, what: str = "bundle") -> list[x509.Certificate]:
    """Every certificate of a PEM file (one or several `BEGIN CERTIFICATE` blocks)."""
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise TrustError(f"{what}: no PEM certificate could be read") from None
    return certs


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def der_bytes(cert: x509.Certificate) -> bytes:
    """The DER encoding of `cert`."""
    return cert.public_bytes(serialization.Encoding.DER)


def extra_cas(paths: PkiPaths) -> list[x509.Certificate]:
    """The CAs registered in `D` (none when there is no `extra-cas.pem`)."""
    if not paths.extra_cas.exists():
        return []
    return load_bundle(paths.extra_cas.read_bytes(), str(paths.extra_cas))


def trusted_cas(paths: PkiPaths) -> list[x509.Certificate]:
    """The sandbox CA, then the registered ones."""
    return [load_cert(paths.ca_cert), *extra_cas(paths)]


def add_cas(paths: PkiPaths, data: bytes, what: str = "bundle") -> list[x509.Certificate]:
    """Register the CA certificates of a PEM bundle (roots and intermediates); returns those that
    were new. Refuses a bundle holding anything but CA certificates (basicConstraints cA)."""
    certs = load_bundle(data, what)
    not_ca = [c.subject.rfc4514_string() for c in certs if not _is_ca(c)]
    if not_ca:
        raise TrustError(f"{what}: not a CA certificate: {not_ca[0]}")
    have = extra_cas(paths)
    known = {der_bytes(c) for c in have}
    new: list[x509.Certificate] = []
    for cert in certs:
        if der_bytes(cert) not in known:
            known.add(der_bytes(cert))
            new.append(cert)
    if new:
        write_private(paths.extra_cas, _pem(have + new))
    write_bundle(paths)
    return new


def write_bundle(paths: PkiPaths) -> PkiPaths:
    """`D/pki/client-cas.pem`: the sandbox CA and the registered CAs, the TLS listener's
    `ssl_ca_certs` (mode 0600)."""
    write_private(paths.client_ca_bundle, _pem(trusted_cas(paths)))
    return paths


def _pem(certs: Iterable[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _ee_policy() -> verification.ExtensionPolicy:
    # The Web PKI profile of an end-entity certificate, but with subjectAltName optional: a
    # client certificate names its holder in the subject (the sandbox's own have CN = client_id
    # and no SAN), RFC 5280 §4.2.1.6 requires a SAN only when the subject is empty.
    return verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, verification.Criticality.AGNOSTIC, None
    )


class ChainVerifier:
    """Path validation of a forwarded client certificate: to one of `anchors`, through the
    intermediates given, EKU clientAuth, every certificate of the path valid at the instant
    asked (the sandbox's clock, which the admin plane may move)."""

    def __init__(self, anchors: Sequence[x509.Certificate]) -> None:
        self._builder = verification.PolicyBuilder().store(verification.Store(list(anchors)))
        self._builder = self._builder.extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=_ee_policy()
        )
        # (leaf, chain) -> the window in which the path found is valid
        self._verified: dict[tuple[bytes, tuple[bytes, ...]], tuple[datetime, datetime]] = {}

    @classmethod
    def of(cls, paths: PkiPaths) -> ChainVerifier:
        return cls(trusted_cas(paths))

    def refusal(self, leaf: bytes, chain: tuple[bytes, ...], at: datetime) -> str | None:
        """None when `leaf` (DER), with the intermediates `chain` (DER), is a client certificate
        the sandbox trusts at `at`; else why not, in a few words (no quote, ASCII: it goes into
        `WWW-Authenticate` and `error_description`)."""
        refused = self.explain(leaf, chain, at)
        if refused is None:
            return None
        return refused.partition(" (")[0]

    def explain(self, leaf: bytes, chain: tuple[bytes, ...], at: datetime) -> str | None:
        """`refusal`, followed by the verifier's own words in parentheses (for a person at the
        command line: they name the certificate and the rule it breaks)."""
        window = self._verified.get((leaf, chain))
        if window is not None and window[0] <= at <= window[1]:
            return None
        try:
            cert = x509.load_der_x509_certificate(leaf)
            intermediates = [x509.load_der_x509_certificate(c) for c in chain]
            verified = self._builder.time(at).build_client_verifier().verify(cert, intermediates)
        except ValueError:
            return "client certificate unreadable"
        except verification.VerificationError as exc:
            if "not valid at validation time" in str(exc):
                return f"client certificate expired or not yet valid ({exc})"
            return f"client certificate not issued by a trusted CA ({exc})"
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()
        self._verified[(leaf, chain)] = (
            max(c.not_valid_before_utc for c in verified.chain),
            min(c.not_valid_after_utc for c in verified.chain),
        )
        return None
