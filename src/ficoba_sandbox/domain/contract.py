"""The published versions of the FICOBA v2 contract, and what the sandbox does differently in each.

One `ContractVersion` per OpenAPI document DGFiP published (docs/contract-versions.md, which
cites each difference to the documents' schema and parameter names; the copies are in
`docs/reference/`). `create_app(settings)` picks one (`--contract-version`); the pipeline and the
served OpenAPI read its fields, never the version's name. What holds in every version (the
`X-Correlation-ID` on every gateway refusal, `X-Request-ID` generated when absent,
`X-JWT-Assertion` accepted and recorded) is not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: CompteCaracteristiques, CompteMultiDet (2024-11): one `motifOuverture` where later versions
#: have `codeMotifOuverture` and `libelleMotifOuverture`; it carries the code (the label is the
#: code's, protocol v11 Annex "motifs d'ouverture"; no 2024-11 example shows the value).
_MOTIF_2024_11: Mapping[str, str | None] = {
    "codeMotifOuverture": "motifOuverture",
    "libelleMotifOuverture": None,
    "bicEtablissement": None,  # EtablissementBancaire (2024-11) has no BIC
}


@dataclass(frozen=True, slots=True)
class ContractVersion:
    """What one published version of the contract says where versions differ."""

    name: str
    #: the OpenAPI document of the version, in `docs/reference/`
    document: str
    #: `/etatSante` refused 910000 without `X-Correlation-ID` (required until 2025-04)
    health_requires_correlation_id: bool
    #: the gateway's per-operation OAuth2 scopes checked (403 900910), from 2026-01
    operation_scopes: bool
    #: answer field renames (old name -> name in this version, None: left out)
    renamed_fields: Mapping[str, str | None]

    def rename(self, document: Any) -> Any:
        """`document` (an answer's JSON) with this version's field names; itself when none
        differ."""
        if not self.renamed_fields:
            return document
        return _rename(document, self.renamed_fields)


def _rename(value: Any, renames: Mapping[str, str | None]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = renames.get(key, key)
            if name is not None:
                out[name] = _rename(item, renames)
        return out
    if isinstance(value, list):
        return [_rename(item, renames) for item in value]
    return value


VERSIONS: Mapping[str, ContractVersion] = {
    v.name: v
    for v in (
        ContractVersion(
            "2024-11",
            "history/openapi-ficoba-2024-11-20.json",
            health_requires_correlation_id=True,
            operation_scopes=False,
            renamed_fields=_MOTIF_2024_11,
        ),
        ContractVersion(
            "2025-04",
            "openapi-ficoba-v2.json",
            health_requires_correlation_id=True,
            operation_scopes=False,
            renamed_fields={},
        ),
        ContractVersion(
            "2025-10",
            "history/openapi-ficoba3-2025-10-29.json",
            health_requires_correlation_id=False,
            operation_scopes=False,
            renamed_fields={},
        ),
        ContractVersion(
            "2026-01",
            "history/openapi-ficoba3-gateway-2026-01-20.json",
            health_requires_correlation_id=False,
            operation_scopes=True,
            renamed_fields={},
        ),
    )
}
NEWEST = "2026-01"


def contract_version(name: str) -> ContractVersion:
    """The version named `name`, or ValueError naming the known ones."""
    try:
        return VERSIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown contract version {name!r}: one of {', '.join(VERSIONS)}"
        ) from None
