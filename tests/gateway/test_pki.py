"""The dev PKI: a CA that may sign an intermediate CA, also in an older state directory."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ficoba_sandbox.gateway.clients import ClientSpec, enrol
from ficoba_sandbox.gateway.pki import PkiPaths, ensure_pki, load_cert, load_key, write_public
from ficoba_sandbox.gateway.trust import ChainVerifier, der_bytes
from gateway_support import ExternalPKI
from system_deps import skip_or_fail


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


def test_an_issued_client_gets_a_p12_of_its_key_certificate_and_the_ca(tmp_path: Path) -> None:
    paths, _ = ensure_pki(tmp_path / "d")
    creds = enrol(paths, ClientSpec(client_id="browser"), "https://localhost:8443")
    p12 = Path(creds["p12"])
    assert p12 == paths.client_p12("browser") and (p12.stat().st_mode & 0o777) == 0o600
    password = creds["p12_password"]
    assert len(password) == 32 and int(password, 16) >= 0  # hex: safe at any prompt
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(p12.read_bytes(), None)  # encrypted, not empty
    key, cert, cas = pkcs12.load_key_and_certificates(p12.read_bytes(), password.encode())
    assert key is not None and cert is not None
    pem_key = load_key(Path(creds["key"]))
    assert key.private_numbers() == pem_key.private_numbers()  # type: ignore[union-attr]
    assert cert == load_cert(Path(creds["cert"]))
    assert cas == [load_cert(paths.ca_cert)]
    openssl = shutil.which("openssl")
    if openssl is None:
        skip_or_fail("openssl is not installed (apt-get install openssl)")
    assert openssl is not None
    info = subprocess.run(
        [openssl, "pkcs12", "-info", "-noout", "-in", str(p12), "-passin", "stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert info.returncode == 0, info.stderr
    wrong = subprocess.run(
        [openssl, "pkcs12", "-info", "-noout", "-in", str(p12), "-passin", "stdin"],
        input="0" * 32 + "\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert wrong.returncode != 0


def test_a_bring_your_own_client_gets_no_p12(tmp_path: Path) -> None:
    paths, _ = ensure_pki(tmp_path / "d")
    enrol(paths, ClientSpec(client_id="byo"), "https://localhost:8443")
    assert paths.client_p12("byo").exists()
    own = ExternalPKI("own", under=(load_cert(paths.ca_cert), load_key(paths.ca_key)))
    _, _, chain = own.leaf(tmp_path, "byo")
    pem = chain.read_bytes()
    creds = enrol(
        paths, ClientSpec(client_id="byo", cert_pem=pem), "https://localhost:8443", replace=True
    )
    assert creds["p12"] is None and "p12_password" not in creds
    assert ".p12" in creds["key_note"]
    assert not paths.client_p12("byo").exists()  # the old one went with the old key
