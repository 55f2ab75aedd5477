"""The console's personas and dataset (docs/console.md, "Personas and dataset"): search the
fictitious file from one box (data/lookup.py), see a person's accounts and the rights on them,
and the ready requests that find this person, one per search type, as curl and as Python, for
the client chosen.

The requests are the API's own: the client's certificate, key and CA from its credentials file
(gateway/clients.py), a token from `/token` (client_credentials, HTTP Basic: protocol v11 §7),
then the search with a fresh `X-Correlation-ID`. The secret is never written in the page: the
snippets read it from the credentials file, which stays on the server's machine, mode 0600.
"""

from __future__ import annotations

import json
import shlex
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ficoba_sandbox.admin.common import requester, today
from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts, language
from ficoba_sandbox.admin.dataset import person_of
from ficoba_sandbox.data.lookup import Personne, lookup
from ficoba_sandbox.data.model import PersonneMorale, PersonnePhysique
from ficoba_sandbox.domain.access import SearchType
from ficoba_sandbox.domain.codes import DROITS, NATURES
from ficoba_sandbox.gateway.clients import DEMO_CLIENT_ID, GATEWAY_PREFIX, public_origin
from ficoba_sandbox.gateway.pki import PkiPaths
from ficoba_sandbox.qa import magic
from ficoba_sandbox.sandbox import Sandbox

SECTION = "personas"
PAGE = f"{CONSOLE}/{SECTION}"
#: the search box's longest useful text (a name, an IBAN): anything longer is cut
MAX_QUERY = 120

TEXTS: Texts = {
    "en": {
        "intro": "Search the fictitious file by name, IBAN, SPI, SIREN or SIRET. A person's "
        "page has the accounts, the rights on them and a ready request for each search type "
        "that finds this person.",
        "search": "Name, IBAN, SPI, SIREN or SIRET",
        "find": "Search",
        "read_as": "Read as",
        "iban": "IBAN",
        "spi": "SPI",
        "siren": "SIREN",
        "siret": "SIRET",
        "name": "name",
        "found": "Found",
        "nobody": "Nobody in the file matches.",
        "more": "{n} more match: give more of the name.",
        "named_personas": "Named personas",
        "personas_intro": "The hand-written personas of the file (fixtures), with their "
        "identifiers.",
        "persona": "persona",
        "kind_pp": "natural person",
        "kind_pm": "legal entity",
        "who": "Who",
        "kind": "Kind",
        "identifiers": "Identifiers",
        "accounts": "Accounts",
        "identity": "Identity",
        "born": "Born",
        "deceased": "Deceased",
        "address": "Address",
        "bank": "Bank",
        "nature": "Nature",
        "opened": "Opened",
        "closed": "Closed",
        "right": "This person's right",
        "holders": "Everyone's rights on it",
        "requests": "Ready requests",
        "requests_intro": "For client {client}: its certificate, key and CA from {file}, a "
        "token from /token, then the search. The secret is read from that file, never shown.",
        "client": "For client",
        "show": "Show",
        "no_credentials": "The state directory holds no credentials file for this client: the "
        "requests name its files where `clients add` would write them.",
        "search_type": "Search type",
        "resource": "Resource",
        "curl": "curl",
        "python": "Python (httpx)",
        "no_accounts": "No account.",
        "unknown_person": "Nobody with this id in the file.",
        "none": "—",
    },
    "fr": {
        "intro": "Chercher dans le fichier fictif par nom, IBAN, SPI, SIREN ou SIRET. La page "
        "d'une personne donne ses comptes, les droits sur ces comptes et une requête prête pour "
        "chaque type de recherche qui la trouve.",
        "search": "Nom, IBAN, SPI, SIREN ou SIRET",
        "find": "Chercher",
        "read_as": "Lu comme",
        "iban": "IBAN",
        "spi": "SPI",
        "siren": "SIREN",
        "siret": "SIRET",
        "name": "nom",
        "found": "Trouvé",
        "nobody": "Personne dans le fichier ne correspond.",
        "more": "{n} autres correspondent : précisez le nom.",
        "named_personas": "Personas nommés",
        "personas_intro": "Les personas écrits à la main du fichier (fixtures), avec leurs "
        "identifiants.",
        "persona": "persona",
        "kind_pp": "personne physique",
        "kind_pm": "personne morale",
        "who": "Qui",
        "kind": "Nature",
        "identifiers": "Identifiants",
        "accounts": "Comptes",
        "identity": "Identité",
        "born": "Naissance",
        "deceased": "Décès",
        "address": "Adresse",
        "bank": "Établissement",
        "nature": "Nature",
        "opened": "Ouverture",
        "closed": "Clôture",
        "right": "Droit de cette personne",
        "holders": "Les droits de chacun",
        "requests": "Requêtes prêtes",
        "requests_intro": "Pour le client {client} : son certificat, sa clé et l'AC depuis "
        "{file}, un jeton sur /token, puis la recherche. Le secret est lu dans ce fichier, "
        "jamais affiché.",
        "client": "Pour le client",
        "show": "Afficher",
        "no_credentials": "Le répertoire d'état n'a pas de fichier d'identifiants pour ce "
        "client : les requêtes nomment ses fichiers là où `clients add` les écrirait.",
        "search_type": "Type de recherche",
        "resource": "Ressource",
        "curl": "curl",
        "python": "Python (httpx)",
        "no_accounts": "Aucun compte.",
        "unknown_person": "Personne de cet identifiant dans le fichier.",
        "none": "—",
    },
}


def criteria(personne: Personne, ibans: list[str]) -> list[tuple[SearchType, str, Any]]:
    """(search type, resource, criteresRecherche) of every search type that finds `personne`:
    six for a natural person, eight for a legal entity, the account ones on its first IBAN."""
    iban = ibans[0] if ibans else None
    found: list[tuple[SearchType, str, Any]] = []
    if isinstance(personne, PersonnePhysique):
        person = person_of(personne)
        if personne.numero_spi:
            found.append((SearchType.SPI, "spi", {"numeroSPI": personne.numero_spi}))
        found.append((SearchType.PERSONNE_PHYSIQUE, "perPhy", magic.per_phy(person)))
        if iban:
            found.append((SearchType.COMPTE, "numCpte", magic.num_cpte(iban)))
            found.append((SearchType.VERIF_IBAN_PP, "verifIban", magic.verif_iban_pp(iban, person)))
        found.append((SearchType.MULTIDET_PP, "multiDet", magic.multi_det_pp(person, "1")))
        return found
    name = personne.raison_sociale
    # one of the two identifiers, never both (CAF010)
    ident = (
        {"siret": "", "siren": personne.siren}
        if personne.siren
        else {"siret": personne.siret, "siren": ""}
    )
    found.append((SearchType.PERSONNE_MORALE, "perPro", magic.per_pro(name)))
    if personne.siren or personne.siret:
        found.append((SearchType.SIREN_SIRET, "siretSiren", ident))
    if iban:
        found.append((SearchType.COMPTE, "numCpte", magic.num_cpte(iban)))
        found.append(
            (
                SearchType.VERIF_IBAN_PM,
                "verifIban",
                magic.verif_iban_pm(iban, name, personne.categorie_juridique),
            )
        )
        if personne.siren or personne.siret:
            found.append(
                (SearchType.VERIF_IBAN_SIRET, "verifIban", magic.verif_iban_siret(iban, **ident))
            )
    found.append((SearchType.MULTIDET_PM, "multiDet", magic.multi_det_pm(name, "1")))
    if personne.siren:
        found.append(
            (SearchType.MULTIDET_SIRET, "multiDet", magic.multi_det_siren(personne.siren, "1"))
        )
    return found


def curl_snippet(origin: str, credentials: Path, client_id: str, url: str, body: Any) -> str:
    """The token, then the search, with curl and python3 (for the secret and a UUID): the
    README's own way (no jq)."""
    creds = shlex.quote(str(credentials))
    pki = PkiPaths(credentials.parent.parent)
    tls = (
        f"--cacert {shlex.quote(str(pki.ca_cert))} "
        f"--cert {shlex.quote(str(pki.client_cert(client_id)))} "
        f"--key {shlex.quote(str(pki.client_key(client_id)))}"
    )
    secret = "python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"client_secret\"])'"
    token_json = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'"
    return "\n".join(
        [
            f"CREDS={creds}",
            f'SECRET="$({secret} "$CREDS")"',
            f'TOKEN="$(curl -sS --fail-with-body {tls} -u {shlex.quote(client_id)}:"$SECRET" '
            f'-d grant_type=client_credentials {origin}/token | {token_json})"',
            f"curl -sS {tls} \\",
            '  -H "Authorization: Bearer $TOKEN" \\',
            "  -H \"X-Correlation-ID: $(python3 -c 'import uuid; print(uuid.uuid4())')\" \\",
            "  -H 'Content-Type: application/json' --data-binary @- \\",
            f"  {url} <<'JSON'",
            json.dumps(body, ensure_ascii=False, indent=2),
            "JSON",
        ]
    )


def python_snippet(origin: str, credentials: Path, url: str, body: Any) -> str:
    """The same with httpx, the credentials file giving every path and the secret."""
    return "\n".join(
        [
            "import json, ssl, uuid",
            "",
            "import httpx",
            "",
            f"creds = json.load(open({str(credentials)!r}))",
            'tls = ssl.create_default_context(cafile=creds["ca"])',
            'tls.load_cert_chain(creds["cert"], creds["key"])',
            f"body = json.loads({json.dumps(body, ensure_ascii=False)!r})",
            "with httpx.Client(verify=tls, timeout=30) as http:",
            "    token = http.post(",
            f"        {origin + '/token'!r},",
            '        data={"grant_type": "client_credentials"},',
            '        auth=(creds["client_id"], creds["client_secret"]),',
            '    ).json()["access_token"]',
            "    answer = http.post(",
            f"        {url!r},",
            "        json=body,",
            '        headers={"Authorization": f"Bearer {token}", '
            '"X-Correlation-ID": str(uuid.uuid4())},',
            "    )",
            "print(answer.status_code)",
            "print(json.dumps(answer.json(), ensure_ascii=False, indent=2))",
        ]
    )


def ready_requests(
    sandbox: Sandbox, personne: Personne, ibans: list[str], client_id: str
) -> list[dict[str, Any]]:
    """Each search type that finds `personne`, its body for `client_id` (its SIRET and a motif
    that allows every search type) on the sandbox's day, as curl and Python."""
    who = requester(sandbox.gateway.registry, client_id)
    envelope = partial(magic.envelope, who.siret, who.motif, today(sandbox))
    settings = sandbox.settings
    origin = public_origin(settings.host, settings.port)
    credentials = PkiPaths(Path(settings.state_dir).resolve()).client_credentials(who.client_id)
    out = []
    for search_type, resource, criteres in criteria(personne, ibans):
        body = envelope(criteres)
        url = f"{origin}{GATEWAY_PREFIX}/comptes/{resource}"
        out.append(
            {
                "search_type": search_type.value,
                "resource": resource,
                "body": body,
                "curl": curl_snippet(origin, credentials, who.client_id, url, body),
                "python": python_snippet(origin, credentials, url, body),
            }
        )
    return out


def summary(personne: Personne) -> dict[str, Any]:
    """One line of a result list."""
    if isinstance(personne, PersonnePhysique):
        name = f"{personne.nom_naissance} {personne.prenoms}".strip()
        usage = personne.nom_usage.strip()
        if usage and usage != personne.nom_naissance:
            name += f" ({usage})"
        ids = [("spi", personne.numero_spi)] if personne.numero_spi else []
        return {"id": personne.id, "kind": "kind_pp", "name": name, "ids": ids,
                "persona": personne.persona}  # fmt: skip
    ids = [(k, v) for k, v in (("siren", personne.siren), ("siret", personne.siret)) if v]
    return {"id": personne.id, "kind": "kind_pm", "name": personne.raison_sociale, "ids": ids,
            "persona": personne.persona}  # fmt: skip


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    sandbox = console.sandbox
    store = sandbox.store

    def results(text: str) -> dict[str, Any]:
        text = text[:MAX_QUERY]
        found = lookup(store, text) if text.strip() else None
        return {
            "q": text,
            "lookup": found,
            "found": [summary(p) for p in found.personnes] if found else [],
            "page": PAGE,
        }

    def personas() -> list[dict[str, Any]]:
        named: list[Personne] = [p for p in store.personnes_physiques() if p.persona]
        named += [m for m in store.personnes_morales() if m.persona]
        return [summary(p) for p in named]

    @r.get(PAGE)
    async def page(request: Request, q: str = "") -> Response:
        return console.render(
            request, "personas.html", SECTION, TEXTS, personas=personas(), **results(q)
        )

    @r.get(PAGE + "/results")
    async def found(request: Request, q: str = "") -> Response:
        """The results alone, which htmx swaps in as one types."""
        return console.render(request, "personas/results.html", SECTION, TEXTS, **results(q))

    @r.get(PAGE + "/person/{personne_id}")
    async def person(request: Request, personne_id: str, client: str = "") -> Response:
        personne = store.personne(personne_id)
        if personne is None:
            return console.render(
                request, "personas/person.html", SECTION, TEXTS, status_code=404,
                personne=None, page=PAGE,
            )  # fmt: skip
        rows = (
            store.comptes_of_personne_physique(personne)
            if isinstance(personne, PersonnePhysique)
            else store.comptes_of_personne_morale(personne)
        )
        accounts = []
        for compte, droit in rows:
            banque = store.banque(compte.numero_etablissement)
            holders = []
            for other in store.droits_of_compte(compte):
                who = store.personne(other.personne)
                holders.append(
                    {
                        "id": other.personne,
                        "name": summary(who)["name"] if who else other.personne,
                        "right": DROITS.get(other.droit_sur_compte, other.droit_sur_compte),
                        "self": other.personne == personne.id,
                    }
                )
            accounts.append(
                {
                    "compte": compte,
                    "bank": banque,
                    "nature": NATURES.get(compte.code_nature, str(compte.code_nature)),
                    "right": DROITS.get(droit.droit_sur_compte, droit.droit_sur_compte),
                    "holders": holders,
                }
            )
        clients = [record.client_id for record in sandbox.gateway.registry]
        chosen = client if client in clients else DEMO_CLIENT_ID
        paths = PkiPaths(Path(sandbox.settings.state_dir).resolve())
        requests = ready_requests(sandbox, personne, [c.iban for c, _ in rows], chosen)
        return console.render(
            request,
            "personas/person.html",
            SECTION,
            TEXTS,
            personne=personne,
            is_pp=isinstance(personne, PersonnePhysique),
            is_pm=isinstance(personne, PersonneMorale),
            head=summary(personne),
            accounts=accounts,
            clients=clients,
            client_id=chosen,
            credentials=str(paths.client_credentials(chosen)),
            has_credentials=paths.client_credentials(chosen).is_file(),
            requests=requests,
            page=PAGE,
            lang_fr=language(request) == "fr",
        )

    return r
