"""Development PKI: a sandbox CA, the server certificate, client certificates, the token key.

Layout under the state directory `D` (all private keys mode 0600, never overwritten):

    D/pki/ca.pem, D/pki/ca.key            the sandbox CA (EC P-256, 10 years; no path length
                                          limit, so an intermediate CA can be tested)
    D/pki/extra-cas.pem                   CAs an integrator registered (`ca add`, `clients add
                                          --ca`): their own PKI's roots and intermediates
    D/pki/client-cas.pem                  the sandbox CA plus those: the TLS listener's trust
                                          store, rewritten at every start (gateway/trust.py)
    D/pki/server.pem, D/pki/server.key    server certificate (EKU serverAuth; SANs localhost,
                                          127.0.0.1, ::1 and every --san)
    D/pki/token-signing.key               ES256 key signing the access tokens (RFC 9068)
    D/clients/<client_id>.pem / .key      client certificates (EKU clientAuth, CN = client_id)
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import secrets
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ficoba_sandbox.domain.private import private_dir

ORGANIZATION = "ficoba-sandbox"
DEFAULT_SANS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
CA_VALIDITY = timedelta(days=3650)
SERVER_VALIDITY = timedelta(days=825)
DEFAULT_CLIENT_VALIDITY_DAYS = 365


@dataclass(frozen=True, slots=True)
class PkiPaths:
    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def ca_cert(self) -> Path:
        return self.pki / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.pki / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.pki / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.pki / "server.key"

    @property
    def extra_cas(self) -> Path:
        return self.pki / "extra-cas.pem"

    @property
    def client_ca_bundle(self) -> Path:
        return self.pki / "client-cas.pem"

    @property
    def token_key(self) -> Path:
        return self.pki / "token-signing.key"

    @property
    def clients(self) -> Path:
        return self.root / "clients"

    def client_cert(self, client_id: str) -> Path:
        return self.clients / f"{client_id}.pem"

    def client_key(self, client_id: str) -> Path:
        return self.clients / f"{client_id}.key"

    def client_p12(self, client_id: str) -> Path:
        return self.clients / f"{client_id}.p12"

    def client_credentials(self, client_id: str) -> Path:
        """The client's credentials file (its secret inside, mode 0600), gateway/clients.py."""
        return self.clients / f"{client_id}.json"


# --------------------------------------------------------------------------- files


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to a new file created with mode 0600 (atomically, via a temporary name)."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_public(path: Path, data: bytes) -> None:
    """A certificate: public, yet 0600 too, as every file of the state directory (the user who
    runs the sandbox reads it; docs/security.md)."""
    write_private(path, data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - we only write EC
        raise TypeError(f"{path}: not an EC private key")
    return key


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


# --------------------------------------------------------------------------- thumbprints


def x5t_s256(cert: x509.Certificate | bytes | str) -> str:
    """RFC 8705 §3.1 `x5t#S256`: base64url(SHA-256(DER)) without padding.

    Accepts a certificate object, DER bytes or a PEM string/bytes.
    """
    if isinstance(cert, x509.Certificate):
        der = cert.public_bytes(serialization.Encoding.DER)
    elif isinstance(cert, str):
        der = ssl.PEM_cert_to_DER_cert(cert)
    elif cert.lstrip().startswith(b"-----BEGIN"):
        der = ssl.PEM_cert_to_DER_cert(cert.decode("ascii"))
    else:
        der = cert
    digest = hashlib.sha256(der).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# --------------------------------------------------------------------------- issuing


def _name(common_name: str, unit: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
    ]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def create_ca(
    common_name: str = "ficoba-sandbox dev CA",
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = _ca_cert(key, _name(common_name), now - timedelta(minutes=5), now + CA_VALIDITY)
    return cert, key


def _ca_cert(
    key: ec.EllipticCurvePrivateKey, name: x509.Name, not_before: datetime, not_after: datetime
) -> x509.Certificate:
    """The self-signed CA certificate of `key`. No path length constraint (RFC 5280 §4.2.1.9):
    an integrator's client certificate comes through an intermediate CA in every real PKI, and
    the sandbox CA may sign one to test that."""
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )


def _lift_path_length(paths: PkiPaths) -> bool:
    """A CA of an older sandbox was issued with `pathlen:0` (no intermediate CA below it):
    certify the same key again, same name and dates, without it. Every certificate it signed
    still chains (same issuer name and key), and a client that trusts the old `ca.pem` still
    verifies the server. True when it was done."""
    cert = load_cert(paths.ca_cert)
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:  # pragma: no cover - we always wrote it
        return False
    if constraints.path_length != 0:
        return False
    lifted = _ca_cert(
        load_key(paths.ca_key), cert.subject, cert.not_valid_before_utc, cert.not_valid_after_utc
    )
    write_public(paths.ca_cert, _cert_pem(lifted))
    return True


def _leaf(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    subject: x509.Name,
    eku: x509.ObjectIdentifier,
    not_before: datetime,
    not_after: datetime,
    sans: Iterable[str] = (),
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    general_names: list[x509.GeneralName] = []
    for san in sans:
        try:
            general_names.append(x509.IPAddress(ipaddress.ip_address(san)))
        except ValueError:
            general_names.append(x509.DNSName(san))
    if general_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(general_names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def issue_server_cert(
    ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, sans: Iterable[str]
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    sans = list(dict.fromkeys([*DEFAULT_SANS, *sans]))
    now = _now()
    return _leaf(
        ca_cert,
        ca_key,
        _name(sans[0], "server"),
        ExtendedKeyUsageOID.SERVER_AUTH,
        now - timedelta(minutes=5),
        now + SERVER_VALIDITY,
        sans,
    )


def issue_client_cert(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    client_id: str,
    *,
    validity_days: int = DEFAULT_CLIENT_VALIDITY_DAYS,
    expired: bool = False,
    not_yet_valid: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A client certificate: EKU clientAuth, CN = client_id. Test-only shapes: expired, not yet valid."""
    now = _now()
    if expired:
        not_before, not_after = now - timedelta(days=validity_days + 1), now - timedelta(days=1)
    elif not_yet_valid:
        not_before = now + timedelta(days=30)
        not_after = not_before + timedelta(days=validity_days)
    else:
        not_before, not_after = now - timedelta(minutes=5), now + timedelta(days=validity_days)
    return _leaf(
        ca_cert,
        ca_key,
        _name(client_id, "clients"),
        ExtendedKeyUsageOID.CLIENT_AUTH,
        not_before,
        not_after,
    )


# --------------------------------------------------------------------------- the state dir


def server_sans(cert: x509.Certificate) -> set[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    names = {str(n) for n in ext.get_values_for_type(x509.DNSName)}
    names |= {str(n) for n in ext.get_values_for_type(x509.IPAddress)}
    return names


def _normalise_san(san: str) -> str:
    try:
        return str(ipaddress.ip_address(san))
    except ValueError:
        return san.lower()


def ensure_pki(root: Path, sans: Iterable[str] = ()) -> tuple[PkiPaths, list[str]]:
    """Create whatever is missing of the CA, server certificate and token key. Idempotent.

    The server certificate is re-issued (by the same CA) only when a requested SAN is missing
    from it; the keys are never overwritten, and the CA certificate only to lift an old
    `pathlen:0` (same key, `_lift_path_length`). Returns the paths and what was done.
    """
    paths = PkiPaths(root.resolve())
    private_dir(paths.pki)
    done: list[str] = []
    if not paths.ca_cert.exists() or not paths.ca_key.exists():
        if paths.ca_cert.exists() or paths.ca_key.exists():
            present, missing = (
                (paths.ca_cert, paths.ca_key)
                if paths.ca_cert.exists()
                else (paths.ca_key, paths.ca_cert)
            )
            raise FileExistsError(
                f"{missing}: missing while {present} exists (half a CA); restore it: a CA is "
                "never overwritten (every client certificate hangs on it)"
            )
        cert, key = create_ca()
        write_private(paths.ca_key, _key_pem(key))
        write_public(paths.ca_cert, _cert_pem(cert))
        done.append(f"created CA {paths.ca_cert}")
    elif _lift_path_length(paths):
        done.append(f"re-certified CA {paths.ca_cert} without pathlen:0 (same key)")
    ca_cert, ca_key = load_cert(paths.ca_cert), load_key(paths.ca_key)

    wanted = {_normalise_san(s) for s in [*DEFAULT_SANS, *sans]}
    reissue = not paths.server_cert.exists() or not paths.server_key.exists()
    if not reissue:
        current = load_cert(paths.server_cert)
        have = {_normalise_san(s) for s in server_sans(current)}
        reissue = not wanted <= have or current.not_valid_after_utc <= _now()
        wanted |= have
    if reissue:
        cert, key = issue_server_cert(
            ca_cert, ca_key, sorted(wanted, key=lambda s: (s != "localhost", s))
        )
        write_private(paths.server_key, _key_pem(key))
        write_public(paths.server_cert, _cert_pem(cert))
        done.append(
            f"issued server certificate {paths.server_cert} for {', '.join(sorted(wanted))}"
        )

    if not paths.token_key.exists():
        write_private(paths.token_key, _key_pem(ec.generate_private_key(ec.SECP256R1())))
        done.append(f"created token signing key {paths.token_key}")
    return paths, done


def write_client_cert(
    paths: PkiPaths,
    client_id: str,
    *,
    validity_days: int = DEFAULT_CLIENT_VALIDITY_DAYS,
    expired: bool = False,
    not_yet_valid: bool = False,
) -> x509.Certificate:
    """Issue and store a client certificate (replacing a previous one for the same id)."""
    ca_cert, ca_key = load_cert(paths.ca_cert), load_key(paths.ca_key)
    cert, key = issue_client_cert(
        ca_cert,
        ca_key,
        client_id,
        validity_days=validity_days,
        expired=expired,
        not_yet_valid=not_yet_valid,
    )
    write_private(paths.client_key(client_id), _key_pem(key))
    write_public(paths.client_cert(client_id), _cert_pem(cert))
    return cert


def new_p12_password() -> str:
    """128 random bits in hex: typed or pasted at a browser's import prompt, and safe in
    `openssl pkcs12 -passin pass:...`. Not empty: some Firefox versions refuse to import a
    PKCS#12 file whose password is empty (README, "From a browser")."""
    return secrets.token_hex(16)


def write_client_p12(paths: PkiPaths, client_id: str, password: str) -> Path:
    """The client's key and certificate, with the sandbox CA, as one PKCS#12 file (RFC 7292), for
    browsers, which import that and not PEM; encrypted with `password` (cryptography's best
    available: PBES2, AES-256-CBC, PBKDF2), mode 0600 as the key."""
    data = pkcs12.serialize_key_and_certificates(
        name=client_id.encode("utf-8"),
        key=load_key(paths.client_key(client_id)),
        cert=load_cert(paths.client_cert(client_id)),
        cas=[load_cert(paths.ca_cert)],
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
    write_private(paths.client_p12(client_id), data)
    return paths.client_p12(client_id)


def client_ssl_context(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    """An `ssl.SSLContext` for a client of the sandbox (httpx 0.28: pass it as `verify=`)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.load_cert_chain(str(cert), str(key))
    return ctx
