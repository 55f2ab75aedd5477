"""`gateway/admin_key.py`: the admin token's file in the state directory, and how a consumer of
the admin plane finds its URL and token."""

from __future__ import annotations

import json
from pathlib import Path

from ficoba_sandbox.gateway.admin_key import (
    ADMIN_FILE,
    admin_url,
    ensure_admin_key,
    find_admin_access,
)


def test_made_once_kept_and_told_where_the_plane_moved(tmp_path: Path) -> None:
    token, created = ensure_admin_key(tmp_path, "http://127.0.0.1:8081")
    assert created and len(token) == 64
    assert (tmp_path / ADMIN_FILE).stat().st_mode & 0o777 == 0o600
    assert ensure_admin_key(tmp_path, "http://127.0.0.1:8081") == (token, False)
    assert ensure_admin_key(tmp_path, "http://127.0.0.1:9000") == (token, False)
    doc = json.loads((tmp_path / ADMIN_FILE).read_text())
    assert doc == {"admin_url": "http://127.0.0.1:9000", "admin_token": token}


def test_the_token_file_of_an_earlier_state_directory_is_adopted(tmp_path: Path) -> None:
    (tmp_path / "admin-token").write_text("a" * 64 + "\n")
    assert ensure_admin_key(tmp_path, "http://127.0.0.1:8081") == ("a" * 64, False)


def test_a_consumer_finds_the_url_and_token(tmp_path: Path) -> None:
    token, _ = ensure_admin_key(tmp_path, "http://127.0.0.1:9001")
    found = find_admin_access(tmp_path, env={})
    assert (found.url, found.token) == ("http://127.0.0.1:9001", token)
    assert found.headers() == {"Authorization": f"Bearer {token}"}
    by_env = find_admin_access(env={"FICOBA_SANDBOX_STATE_DIR": str(tmp_path)})
    assert by_env == found
    env = {"FICOBA_SANDBOX_ADMIN_TOKEN": "from-env", "FICOBA_SANDBOX_STATE_DIR": str(tmp_path)}
    assert find_admin_access(env=env).token == "from-env"
    assert find_admin_access(tmp_path, token="given", env=env).token == "given"
    nothing = find_admin_access(tmp_path / "none", env={})
    assert (nothing.url, nothing.token, nothing.headers()) == ("http://127.0.0.1:8081", None, {})


def test_the_url_of_a_bind_address() -> None:
    assert admin_url("0.0.0.0", 8081) == "http://127.0.0.1:8081"
    assert admin_url("::1", 8081) == "http://[::1]:8081"
    assert admin_url("10.0.0.5", 81) == "http://10.0.0.5:81"
    assert admin_url("fd00::5", 81) == "http://[fd00::5]:81"
