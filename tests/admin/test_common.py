"""What the admin routers share (admin/common.py): the client lookup, the requester of the
ready-to-send bodies, the sandbox's day."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import HTTPException

from ficoba_sandbox.admin.common import Requester, known_client, requester, today
from ficoba_sandbox.domain.access import SearchType
from ficoba_sandbox.gateway.clients import DEMO_CLIENT_ID, fictitious_siret
from ficoba_sandbox.gateway.registry import DEMO_SIRET, Registry


def test_known_client(app: Any) -> None:
    registry = app.sandbox.gateway.registry
    assert known_client(registry, DEMO_CLIENT_ID).client_id == DEMO_CLIENT_ID
    with pytest.raises(HTTPException) as refused:
        known_client(registry, "nobody")
    assert (refused.value.status_code, refused.value.detail) == (404, "unknown client 'nobody'")


def test_requester_is_the_named_client_else_the_demo_client(
    app: Any, demo_creds: dict[str, Any], enrol_client: Callable[..., dict[str, Any]]
) -> None:
    registry = app.sandbox.gateway.registry
    demo = requester(registry, None)
    assert (demo.client_id, demo.siret) == (DEMO_CLIENT_ID, demo_creds["siret_demandeur"])
    # the smallest SIRET, whatever the order of registration
    sirets = sorted(
        [fictitious_siret("requester-a"), fictitious_siret("requester-b")], reverse=True
    )
    enrol_client("admin-requester", sirets=sirets)
    assert requester(registry, "admin-requester").siret == min(sirets)
    with pytest.raises(HTTPException):
        requester(registry, "nobody")


def test_requester_prefers_a_motif_that_allows_every_search_type(
    app: Any, enrol_client: Callable[..., dict[str, Any]]
) -> None:
    registry = app.sandbox.gateway.registry
    narrow = [SearchType.COMPTE]
    enrol_client("admin-motifs", motifs={"0001": narrow, "0009": list(SearchType)})
    assert requester(registry, "admin-motifs").motif == "0009"
    enrol_client("admin-motifs", motifs={"0007": narrow, "0003": [SearchType.SPI]})
    assert requester(registry, "admin-motifs").motif == "0003"  # else the first, in order


def test_requester_without_a_demo_client(tmp_path: Path) -> None:
    assert requester(Registry(tmp_path), None) == Requester(DEMO_CLIENT_ID, DEMO_SIRET, "0001")


def test_today_is_the_backend_day(app: Any) -> None:
    assert today(app.sandbox) == app.sandbox.backend.today().isoformat()
