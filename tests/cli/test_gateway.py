"""`ficoba-sandbox init`, `clients add|revoke` and `ca add|list` (cli/gateway.py): the admin
token made at init, a revocation and a re-issue recorded as admin events, bring-your-own
certificates (`clients add --cert/--ca`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ficoba_sandbox.cli import main
from ficoba_sandbox.gateway.pki import PkiPaths
from ficoba_sandbox.gateway.registry import Registry
from ficoba_sandbox.journal import JournalReader
from gateway_support import ExternalPKI


def test_clients_add_with_own_certificate_and_ca(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "d"
    pki = ExternalPKI("cli")
    (tmp_path / "cas.pem").write_bytes(pki.bundle())
    cert, _, chain = pki.leaf(tmp_path, "cli-client")
    # without its CA registered: one line, exit 2
    assert main(["clients", "add", "--dir", str(d), "--id", "cli-client", "--cert", str(cert)]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "not issued by a trusted CA" in err
    add = ["clients", "add", "--dir", str(d), "--id", "cli-client"]
    code = main([*add, "--cert", str(chain), "--ca", str(tmp_path / "cas.pem")])
    out, err = capsys.readouterr()
    assert code == 0, err
    creds = json.loads(out)
    assert creds["key"] is None and "private key" in creds["key_note"]
    assert "trusted CA CN=cli issuing CA" in err and "next start" in err
    record = Registry(d).get("cli-client")
    assert record is not None and record.cert_subject == "CN=cli-client"
    assert main(["ca", "list", "--dir", str(d)]) == 0
    listed = capsys.readouterr().out
    assert "CN=cli issuing CA" in listed and "CN=cli root" in listed
    # `ca add` of the same bundle again: nothing new
    assert main(["ca", "add", "--dir", str(d), str(tmp_path / "cas.pem")]) == 0
    assert "trusted CA" not in capsys.readouterr().err
    assert PkiPaths(d.resolve()).client_ca_bundle.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["ca", "add", "--dir", "{tmp}/d", "{tmp}/missing.pem"],
        ["ca", "add", "--dir", "{tmp}/d", "{tmp}/leaf.pem"],
        [
            "clients",
            "add",
            "--dir",
            "{tmp}/d",
            "--id",
            "x",
            "--cert",
            "{tmp}/leaf.pem",
            "--expired",
        ],
        ["clients", "add", "--dir", "{tmp}/d", "--id", "x", "--cert", "{tmp}/missing.pem"],
    ],
)
def test_bad_certificate_arguments_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    ExternalPKI("bad").leaf(tmp_path, "leaf")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.strip().count("\n") == 0


def test_init_writes_the_admin_token_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--dir", str(tmp_path)]) == 0
    admin_file = tmp_path / "admin.json"
    assert admin_file.stat().st_mode & 0o777 == 0o600
    first = json.loads(admin_file.read_text())
    assert first["admin_url"] == "http://127.0.0.1:8081" and len(first["admin_token"]) == 64
    out, err = capsys.readouterr()  # stdout: the demo client's credentials, its secret too
    assert first["admin_token"] not in out + err
    assert main(["init", "--dir", str(tmp_path)]) == 0
    assert json.loads(admin_file.read_text()) == first  # idempotent
    out, err = capsys.readouterr()
    assert first["admin_token"] not in out + err


def test_revoke_and_replace_are_admin_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = str(tmp_path)
    assert main(["clients", "add", "--dir", d, "--id", "acme"]) == 0
    assert main(["clients", "add", "--dir", d, "--id", "acme", "--replace"]) == 0
    assert main(["clients", "revoke", "--dir", d, "acme"]) == 0
    assert main(["clients", "revoke", "--dir", d, "nobody"]) == 2  # refused: no event
    events = JournalReader.in_dir(tmp_path).events()
    assert [(e["action"], e["details"]) for e in events] == [
        ("client.revoke", {"client_id": "acme"}),
        ("client.replace", {"client_id": "acme"}),
    ]
    assert events[0]["peer_ip"] == "local"
    assert events[0]["credential"].startswith("command line (user ")
    capsys.readouterr()
    assert main(["journal", "events", "--dir", d]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "client.revoke  local (command line (user " in lines[0]
    assert lines[0].endswith("client_id=acme")
    assert main(["journal", "events", "--dir", d, "--format", "jsonl", "-n", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "client.revoke"


def test_clients_add_operation_scopes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--operation-scope` registers the gateway's operation scopes; without it, those of the
    modalities; `clients list` shows them; a registry written before them derives them too."""
    d = tmp_path / "d"
    add = ["clients", "add", "--dir", str(d)]
    assert main([*add, "--id", "ops-default", "--modality", "with_ficoba_spi"]) == 0
    assert main([*add, "--id", "ops-chosen", "--operation-scope", "VerifParIban"]) == 0
    capsys.readouterr()
    registry = Registry(d)
    default, chosen = registry.get("ops-default"), registry.get("ops-chosen")
    assert default is not None and default.operation_scopes == {"RechercheParSpi"}
    assert chosen is not None and chosen.operation_scopes == {"VerifParIban"}
    assert main(["clients", "list", "--dir", str(d)]) == 0
    listed = capsys.readouterr().out
    assert "operations RechercheParSpi" in listed and "operations VerifParIban" in listed
    with pytest.raises(SystemExit):
        main([*add, "--id", "ops-bad", "--operation-scope", "RechercheParSpy"])
    capsys.readouterr()
    # an older registry file: no `operation_scopes` key, the modalities decide
    path = d / "registry.json"
    data = json.loads(path.read_text())
    del data["clients"]["ops-chosen"]["operation_scopes"]
    data["clients"]["ops-chosen"]["modalities"] = ["with_ficoba_multi_detention"]
    path.write_text(json.dumps(data))
    reread = Registry(d).get("ops-chosen")
    assert reread is not None and reread.operation_scopes == {"VerifMultiDetention"}
