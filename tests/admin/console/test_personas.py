"""The console's personas and dataset (admin/console/personas.py, data/lookup.py): one box finds
people by name, IBAN, SPI, SIREN or SIRET; a person's accounts and rights; and the ready
requests, run as printed (Python, and curl) against the console's real mutual-TLS server."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys

import httpx

from ficoba_sandbox.admin.console.personas import PAGE
from ficoba_sandbox.data.lookup import lookup, read_as
from ficoba_sandbox.data.model import PersonneMorale, PersonnePhysique
from gateway_support import QAServer
from system_deps import skip_or_fail

HTMX = {"HX-Request": "true"}


def a_person(server: QAServer) -> PersonnePhysique:
    """A natural person with a SPI and an account she holds."""
    store = server.app.sandbox.store
    return next(
        p
        for p in store.personnes_physiques()
        if p.numero_spi and len(p.numero_spi) == 13 and not p.date_deces
        and any(d.droit_sur_compte == "1" for _, d in store.comptes_of_personne_physique(p))
    )  # fmt: skip


def an_entity(server: QAServer) -> PersonneMorale:
    store = server.app.sandbox.store
    return next(
        m for m in store.personnes_morales() if m.siren and store.comptes_of_personne_morale(m)
    )


def snippets(page: str) -> dict[tuple[str, str], str]:
    """(search type, curl|python) -> the snippet's text, as a browser would copy it."""
    out = {}
    for section in page.split('<section class="request" id="request-')[1:]:
        search_type = section.split('"', 1)[0]
        for kind, text in re.findall(
            r'<pre class="snippet" data-kind="(\w+)">(.*?)</pre>', section, re.S
        ):
            out[search_type, kind] = html.unescape(text)
    return out


def run_python(snippet: str) -> tuple[int, dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    status, _, body = proc.stdout.partition("\n")
    return int(status), json.loads(body)


def test_the_box_reads_what_it_is_given() -> None:
    assert read_as("FR76 3000 4008 7118 1205 0237 399") == ("iban", "FR7630004008711812050237399")
    assert read_as("1234567890123") == ("spi", "1234567890123")
    assert read_as("123456789") == ("siren", "123456789")
    assert read_as("12345678900012") == ("siret", "12345678900012")
    assert read_as("  martin   jean ") == ("name", "martin jean")
    assert read_as("   ") == ("", "")


def test_find_by_each_identifier_and_by_name(console_server: QAServer) -> None:
    store = console_server.app.sandbox.store
    pp, pm = a_person(console_server), an_entity(console_server)
    iban = store.comptes_of_personne_physique(pp)[0][0].iban
    assert pp in lookup(store, iban).personnes
    assert lookup(store, pp.numero_spi).personnes == [pp]
    assert pm in lookup(store, pm.siren).personnes
    assert lookup(store, pm.siret).personnes == [pm]
    by_name = lookup(store, f"{pp.nom_naissance.lower()} {pp.prenoms.split()[0]}")
    assert by_name.read_as == "name" and pp in by_name.personnes
    assert pm in lookup(store, pm.raison_sociale.split()[0]).personnes + (
        lookup(store, pm.raison_sociale).personnes
    )
    assert lookup(store, "ZZZZ NOBODY").personnes == []


def test_the_page_searches_as_one_types(admin: httpx.Client, console_server: QAServer) -> None:
    pp = a_person(console_server)
    page = admin.get(PAGE)
    assert page.status_code == 200 and 'id="personas-list"' in page.text
    assert 'class="badge">persona' in page.text  # the named personas, marked
    assert 'hx-trigger="input changed delay:300ms, search"' in page.text
    found = admin.get(PAGE + "/results", params={"q": pp.numero_spi}, headers=HTMX)
    assert found.text.lstrip().startswith('<section id="results"')
    assert f'data-personne="{pp.id}"' in found.text and ">SPI<" in found.text
    nobody = admin.get(PAGE, params={"q": "ZZZZ NOBODY"})
    assert "Nobody in the file matches." in nobody.text
    # a text too long is cut, never an error
    assert admin.get(PAGE, params={"q": "x" * 10_000}).status_code == 200
    assert admin.get(PAGE + "/person/pp:nobody").status_code == 404


def test_a_person_her_accounts_and_requests_that_work_as_printed(
    admin: httpx.Client, console_server: QAServer, demo_creds: dict[str, str]
) -> None:
    store = console_server.app.sandbox.store
    pp = a_person(console_server)
    page = admin.get(f"{PAGE}/person/{pp.id}")
    assert page.status_code == 200 and pp.nom_naissance in page.text
    iban = store.comptes_of_personne_physique(pp)[0][0].iban
    assert f"<code>{iban}</code>" in page.text and "Titulaire" in page.text
    assert demo_creds["client_secret"] not in page.text
    found = snippets(page.text)
    assert {t for t, _ in found} >= {
        "spi",
        "personne_physique",
        "compte",
        "multi_detention_personne_physique",
        "verif_iban_personne_physique",
    }
    status, answer = run_python(found["personne_physique", "python"])
    assert status == 200 and pp.nom_naissance in json.dumps(answer, ensure_ascii=False)
    status, answer = run_python(found["compte", "python"])
    assert status == 200 and iban in json.dumps(answer)
    status, answer = run_python(found["verif_iban_personne_physique", "python"])
    assert status == 200, answer

    pm = an_entity(console_server)
    page = admin.get(f"{PAGE}/person/{pm.id}")
    found = snippets(page.text)
    assert {t for t, _ in found} >= {
        "personne_morale", "siren_siret", "compte", "verif_iban_personne_morale",
        "verif_iban_siret", "multi_detention_personne_morale", "multi_detention_siret",
    }  # fmt: skip
    status, answer = run_python(found["siren_siret", "python"])
    assert status == 200 and pm.siren in json.dumps(answer)
    for search_type in ("verif_iban_personne_morale", "verif_iban_siret", "multi_detention_siret"):
        status, answer = run_python(found[search_type, "python"])
        assert status == 200, (search_type, answer)

    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed (apt-get install curl)")
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", found["siren_siret", "curl"]],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert pm.siren in proc.stdout and '"erreur"' not in proc.stdout
