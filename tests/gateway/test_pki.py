"""The dev PKI: a CA that may sign an intermediate CA, also in an older state directory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ficoba_sandbox.gateway.clients import ClientSpec, enrol
from ficoba_sandbox.gateway.pki import PkiPaths, ensure_pki, load_cert, load_key, write_public
from ficoba_sandbox.gateway.trust import ChainVerifier, der_bytes
from gateway_support import ExternalPKI


def _path_length(cert: x509.Certificate) -> int | None:
    return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length


def test_the_ca_allows_an_intermediate(tmp_path: Path) -> None:
    paths, _ = ensure_pki(tmp_path / "d")
    ca = load_cert(paths.ca_cert)
    assert _path_length(ca) is None
    sub = ExternalPKI("sub", under=(ca, load_key(paths.ca_key)))
    leaf, _, _ = sub.leaf(tmp_path, "leaf")
    cert = x509.load_pem_x509_certificate(leaf.read_bytes())
    verifier = ChainVerifier([ca])
    at = datetime.now(UTC)
    assert verifier.refusal(der_bytes(cert), (der_bytes(sub.intermediate),), at) is None


def _old_ca(paths_root: Path) -> None:
    """Make the CA of `paths_root` what older sandboxes wrote: `pathlen:0`, same key."""
    paths, _ = ensure_pki(paths_root)
    ca, key = load_cert(paths.ca_cert), load_key(paths.ca_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(ca.subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(ca.serial_number)
        .not_valid_before(ca.not_valid_before_utc)
        .not_valid_after(ca.not_valid_after_utc)
    )
    for ext in ca.extensions:
        value = ext.value
        if isinstance(value, x509.BasicConstraints):
            value = x509.BasicConstraints(ca=True, path_length=0)
        builder = builder.add_extension(value, ext.critical)
    write_public(
        paths.ca_cert, builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    )


def test_an_old_pathlen_0_ca_is_certified_again_with_the_same_key(tmp_path: Path) -> None:
    root = tmp_path / "d"
    _old_ca(root)
    paths = PkiPaths(root.resolve())
    old = load_cert(paths.ca_cert)
    assert _path_length(old) == 0
    creds = enrol(paths, ClientSpec(client_id="before"), "https://localhost:8443")
    server_before = paths.server_cert.read_bytes()
    # with pathlen:0, an intermediate under it does not verify
    sub = ExternalPKI("sub", under=(old, load_key(paths.ca_key)))
    leaf, _, _ = sub.leaf(tmp_path, "leaf")
    leaf_der = der_bytes(x509.load_pem_x509_certificate(leaf.read_bytes()))
    now = datetime.now(UTC)
    assert ChainVerifier([old]).refusal(leaf_der, (der_bytes(sub.intermediate),), now)

    _, done = ensure_pki(root)
    new = load_cert(paths.ca_cert)
    assert any("pathlen:0" in line for line in done)
    assert _path_length(new) is None
    assert new.public_key() == old.public_key() and new.subject == old.subject
    assert (new.not_valid_before_utc, new.not_valid_after_utc) == (
        old.not_valid_before_utc,
        old.not_valid_after_utc,
    )
    assert paths.server_cert.read_bytes() == server_before  # nothing else re-issued
    verifier = ChainVerifier([new])
    client = x509.load_pem_x509_certificate(Path(creds["cert"]).read_bytes())
    assert verifier.refusal(der_bytes(client), (), now) is None  # issued before: still chains
    assert verifier.refusal(leaf_der, (der_bytes(sub.intermediate),), now) is None
    assert ensure_pki(root)[1] == []  # once
