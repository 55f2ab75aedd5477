"""The recette report as JSON, Markdown or self-contained HTML, in French (default) or English."""

from __future__ import annotations

import html
import json
from typing import Any

from ficoba_sandbox.qa.drills import KINDS
from ficoba_sandbox.recette.collect import Recette
from ficoba_sandbox.recette.criteria import FAIL, NOT_EXERCISED, OUTCOMES, PASS

LANGS = ("fr", "en")
FORMATS = ("html", "json", "md")

#: criterion -> lang -> (title, rule, what to fix)
TEXTS: dict[str, dict[str, tuple[str, str, str]]] = {
    "coverage": {
        "fr": (
            "Couverture des types de recherche",
            "Chaque type de recherche habilité a reçu au moins une réponse HTTP 200.",
            "Appelez chaque type de recherche pour lequel vous êtes habilité avec une requête "
            "conforme au contrat (voir la matrice : types sans réponse 200).",
        ),
        "en": (
            "Search type coverage",
            "Every search type the client is entitled to got at least one HTTP 200.",
            "Call each search type you are entitled to with a request the contract accepts "
            "(see the matrix: types without a 200).",
        ),
    },
    "correlation_id": {
        "fr": (
            "Identifiant de corrélation",
            "Chaque appel porte un X-Correlation-ID au format UUID, jamais réutilisé.",
            "Générez un nouvel UUID (uuid4) pour chaque appel, y compris pour une nouvelle "
            "tentative, et envoyez-le dans l'en-tête X-Correlation-ID.",
        ),
        "en": (
            "Correlation id",
            "Every call carries an X-Correlation-ID that is a UUID, never reused.",
            "Generate a new UUID (uuid4) for every call, retries included, and send it in the "
            "X-Correlation-ID header.",
        ),
    },
    "justification": {
        "fr": (
            "Justification",
            "Chaque recherche porte une justification non vide (traçabilité CNIL).",
            "Renseignez « justification » avec la référence du dossier qui motive la recherche.",
        ),
        "en": (
            "Justification",
            "Every search carries a non-empty justification (CNIL traceability).",
            "Fill `justification` with the reference of the case that motivates the search.",
        ),
    },
    "registration": {
        "fr": (
            "Motif et demandeur",
            "Motif enregistré et autorisé pour le type de recherche ; demandeur "
            "(SIRET/SIREN) déclaré à l'habilitation.",
            "N'utilisez que les motifs et le SIRET demandeur de votre habilitation DataPass, et "
            "chaque motif seulement pour les types de recherche qu'il autorise.",
        ),
        "en": (
            "Motif and requester",
            "A registered motif allowed for the search type; a registered requester (SIRET/SIREN).",
            "Use only the motifs and requester SIRET of your DataPass authorisation, each motif "
            "only for the search types it allows.",
        ),
    },
    "token_present": {
        "fr": (
            "Jeton présent",
            "Aucun appel à l'API sans jeton Bearer.",
            "Obtenez un jeton sur /token avant le premier appel et envoyez-le dans chaque appel "
            "(Authorization: Bearer ...).",
        ),
        "en": (
            "Token present",
            "No API call without a Bearer token.",
            "Get a token from /token before the first call and send it with every call "
            "(Authorization: Bearer ...).",
        ),
    },
    "token_reuse": {
        "fr": (
            "Réutilisation du jeton",
            "Un nouveau jeton n'est demandé qu'après un refus 401 ou à moins de 60 s de "
            "l'expiration du précédent (une demande inexpliquée tolérée par 10 appels : redémarrages).",
            "Gardez le jeton en mémoire et réutilisez-le jusqu'à son expiration (expires_in) ; "
            "ne demandez pas un jeton par appel.",
        ),
        "en": (
            "Token reuse",
            "A new token is requested only after a 401 or within 60 s of the previous one's "
            "expiry (one unexplained request per 10 calls tolerated: restarts).",
            "Keep the token in memory and reuse it until it expires (expires_in); do not "
            "request one token per call.",
        ),
    },
    "token_renewal": {
        "fr": (
            "Renouvellement après 401 900901",
            "Après un refus 401 900901, l'appel suivant porte un nouveau jeton.",
            "Sur 401 900901, jetez le jeton, demandez-en un nouveau sur /token, puis rejouez "
            "l'appel une fois.",
        ),
        "en": (
            "Renewal after 401 900901",
            "After a 401 900901, the next call carries a new token.",
            "On 401 900901, drop the token, fetch a new one from /token, then replay the call once.",
        ),
    },
    "retry_after": {
        "fr": (
            "Respect de Retry-After (429)",
            "Après une réponse 429, l'appel suivant attend au moins Retry-After secondes.",
            "Sur 429, lisez l'en-tête Retry-After et attendez ce délai avant tout nouvel appel.",
        ),
        "en": (
            "Retry-After honoured (429)",
            "After a 429, the next call waits at least Retry-After seconds.",
            "On 429, read the Retry-After header and wait that long before any new call.",
        ),
    },
    "backoff": {
        "fr": (
            "Repli après 500/503",
            "Après 500 ou 503, l'appel suivant attend Retry-After (1 s à défaut) ; jamais plus "
            "de 3 erreurs 500/503 en 10 s.",
            "Sur 500/503, attendez (Retry-After, sinon 1 s puis un délai croissant) et limitez "
            "le nombre de nouvelles tentatives.",
        ),
        "en": (
            "Back-off after 500/503",
            "After a 500 or 503, the next call waits Retry-After (1 s when absent); never more "
            "than 3 errors 500/503 within 10 s.",
            "On 500/503, wait (Retry-After, else 1 s then an increasing delay) and cap the "
            "number of retries.",
        ),
    },
    "quota": {
        "fr": (
            "Quota",
            "Aucun 429 hors exercice de limitation ; jamais plus d'appels en 60 s que le quota.",
            "Limitez votre débit sous le quota de votre habilitation (200 appels/minute par "
            "défaut, CGU §9.2).",
        ),
        "en": (
            "Quota",
            "No 429 outside the throttling drill; never more calls in 60 s than the quota.",
            "Keep your rate under your quota (200 calls/minute by default, CGU §9.2).",
        ),
    },
    "slow_answers": {
        "fr": (
            "Réponses lentes",
            "Aucun appel abandonné par le client pendant que la réponse arrivait.",
            "Réglez le délai d'attente du client au-dessus des temps de réponse du service "
            "(au moins 10 s) au lieu d'abandonner les appels.",
        ),
        "en": (
            "Slow answers",
            "No call abandoned by the client while the answer was coming.",
            "Set the client timeout above the service's response times (10 s at least) instead "
            "of abandoning calls.",
        ),
    },
    "tls_ip": {
        "fr": (
            "TLS et IP",
            "Chaque appel présente le certificat enregistré, depuis une IP autorisée. Les refus "
            "au handshake TLS n'atteignent pas l'application et ne sont pas observables.",
            "Présentez le certificat client enregistré pour ce client_id et appelez depuis une "
            "adresse IP déclarée.",
        ),
        "en": (
            "TLS and IP",
            "Every call presents the registered certificate from an allowed IP. TLS handshake "
            "refusals never reach the application and are not observable.",
            "Present the client certificate registered for this client_id and call from a "
            "declared IP address.",
        ),
    },
}

UI: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Rapport de recette fonctionnelle — API FICOBA (bac à sable)",
        "intro": "Établi par le bac à sable à partir du journal d'audit des appels du client "
        "(CGU du bac à sable §3.1.2).",
        "client": "Client",
        "thumb": "Empreinte du certificat (x5t#S256)",
        "subject": "Sujet du certificat",
        "period": "Période",
        "from_start": "depuis le dernier « recette start »",
        "version": "Version du bac à sable",
        "digest": "Empreinte du jeu de données",
        "handshakes": "Poignées de main TLS refusées par le serveur depuis son démarrage",
        "calls": "Appels journalisés",
        "verdict": "Verdict",
        "criteria": "Critères",
        "criterion": "Critère",
        "rule": "Règle",
        "result": "Résultat",
        "evidence": "Preuves (entrées du journal)",
        "coverage": "Matrice de couverture",
        "type": "Type de recherche",
        "fix": "À corriger",
        "nothing": "Rien à corriger.",
        "drills": "Exercices (drills)",
        "no_drills": "Aucun exercice armé pendant la période.",
        "journal": "Extraits du journal",
        "more": "autres",
        "entitled": "habilité",
        "not_entitled": "hors habilitation",
        "security": "Événements de sécurité",
        "no_security": "Aucun événement de sécurité pendant la période.",
        "security_note": "Ce que les appels du client ont déclenché (fichier des événements, "
        "format ECS) : à retrouver dans votre SIEM.",
        "tls_note": "Les refus au niveau TLS (certificat absent, inconnu ou expiré) échouent "
        "pendant la poignée de main et n'atteignent jamais l'application : ils ne figurent pas "
        "au journal.",
        PASS: "conforme",
        FAIL: "non conforme",
        NOT_EXERCISED: "non exercé",
        "pass_with_gaps": "conforme, avec des critères non exercés",
        "data": "données",
        "no_result": "aucun résultat",
        "validation_error": "erreur de validation",
        "gateway_error": "erreur passerelle / technique",
    },
    "en": {
        "title": "Functional acceptance report — FICOBA API (sandbox)",
        "intro": "Produced by the sandbox from the audit journal of the client's calls "
        "(sandbox terms of use §3.1.2).",
        "client": "Client",
        "thumb": "Certificate thumbprint (x5t#S256)",
        "subject": "Certificate subject",
        "period": "Period",
        "from_start": "since the last `recette start`",
        "version": "Sandbox version",
        "digest": "Dataset digest",
        "handshakes": "TLS handshakes the server refused since its start",
        "calls": "Journaled calls",
        "verdict": "Verdict",
        "criteria": "Criteria",
        "criterion": "Criterion",
        "rule": "Rule",
        "result": "Result",
        "evidence": "Evidence (journal entries)",
        "coverage": "Coverage matrix",
        "type": "Search type",
        "fix": "What to fix",
        "nothing": "Nothing to fix.",
        "drills": "Drills",
        "no_drills": "No drill armed during the period.",
        "journal": "Journal excerpts",
        "more": "more",
        "entitled": "entitled",
        "not_entitled": "not entitled",
        "security": "Security events",
        "no_security": "No security event during the period.",
        "security_note": "What the client's calls triggered (the events file, ECS format): "
        "to find again in your SIEM.",
        "tls_note": "Refusals at the TLS level (missing, unknown or expired certificate) fail "
        "during the handshake and never reach the application: they are not in the journal.",
        PASS: "pass",
        FAIL: "fail",
        NOT_EXERCISED: "not exercised",
        "pass_with_gaps": "pass, with criteria not exercised",
        "data": "data",
        "no_result": "no result",
        "validation_error": "validation error",
        "gateway_error": "gateway / technical error",
    },
}


#: French summaries from the figures (the criteria module writes them in English).
SUMMARY_FR: dict[str, str] = {
    "coverage": "{covered}/{entitled} types de recherche habilités ont reçu une réponse 200",
    "correlation_id": "{calls} appels : {missing} sans identifiant, {invalid} invalides, "
    "{duplicates} réutilisés",
    "justification": "{searches} recherches, {empty_or_absent} sans justification",
    "registration": "{searches} recherches, {inconsistent} incohérentes avec l'habilitation",
    "token_present": "{calls} appels, {without_token} sans jeton",
    "token_reuse": "{token_requests} jetons demandés pour {api_calls} appels ; "
    "{unjustified_requests} alors que le précédent restait valide (tolérance {tolerated})",
    "token_renewal": "{refusals} refus 401 900901 : {renewed} suivis d'un nouveau jeton, "
    "{not_renewed} non",
    "retry_after": "{throttled} réponses 429 : {too_early} suivies d'un appel avant Retry-After",
    "backoff": "{errors} réponses 500/503 ; {violations} manquements à la règle de repli",
    "quota": "pic de {peak_per_60s} appels en 60 s pour un quota de {quota_per_minute} ; "
    "{429} réponses 429 hors exercice",
    "slow_answers": "{slow} réponses lentes, {abandoned} appels abandonnés par le client",
    "tls_ip": "{calls} appels reçus en TLS mutuel ; {refused_or_foreign} avec un autre "
    "certificat ou une autre IP",
}
NOT_EXERCISED_FR: dict[str, str] = {
    "no search was made": "aucune recherche",
    "no API call": "aucun appel à l'API",
    "no call": "aucun appel",
    "fewer than two API calls": "moins de deux appels à l'API",
    "no 401 900901 was answered": "aucun refus 401 900901",
    "no 429 was answered": "aucune réponse 429",
    "no 500 or 503 was answered": "aucune réponse 500 ou 503",
    "no answer took 1 s or more": "aucune réponse d'une seconde ou plus",
}


def _summary_fr(item: dict[str, Any]) -> str:
    if item["verdict"] == NOT_EXERCISED or not item["figures"]:
        return str(NOT_EXERCISED_FR.get(item["summary"], item["summary"]))
    try:
        figures = {str(k): v for k, v in item["figures"].items()}
        return str(SUMMARY_FR[item["id"]].format(**figures))
    except (KeyError, IndexError, ValueError):
        return str(item["summary"])


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGS)}")
    return lang


def to_json(recette: Recette, lang: str = "fr") -> dict[str, Any]:
    lang = _lang(lang)
    doc = recette.to_json()
    doc["lang"] = lang
    for item in doc["criteria"]:
        title, rule, fix = TEXTS[item["id"]][lang]
        item.update({"title": title, "rule": rule, "fix": fix if item["verdict"] == FAIL else None})
        if lang == "fr":
            item["summary"] = _summary_fr(item)
    doc["to_fix"] = [
        {"id": c["id"], "title": c["title"], "fix": c["fix"]}
        for c in doc["criteria"]
        if c["verdict"] == FAIL
    ]
    return doc


def render_json(recette: Recette, lang: str = "fr") -> str:
    return json.dumps(to_json(recette, lang), ensure_ascii=False, indent=2) + "\n"


def _period(h: dict[str, Any], t: dict[str, str]) -> str:
    a, b = h.get("period_from"), h.get("period_to")
    window = f" ({t['from_start']})" if h.get("window") == "last_start" else ""
    return f"{a or '—'} → {b or '—'}{window}"


def _handshakes(h: dict[str, Any]) -> str:
    """`12 (no_certificate 10, unknown_ca 2)`, or "" when the report was not made by the server
    (the command line reads the journal only)."""
    refused = h.get("tls_handshakes_refused")
    if not refused:
        return ""
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(refused["by_reason"].items()))
    return f"{refused['total']} ({reasons})" if reasons else str(refused["total"])


def _security_lines(h: dict[str, Any], t: dict[str, str]) -> list[str]:
    """The security events of the window: counts by type, then the first ones."""
    found = h.get("security_events") or {}
    if not found.get("total"):
        return [t["no_security"]]
    lines = [f"- `{kind}` : {n}" for kind, n in found["by_type"].items()]
    for ev in found.get("events", []):
        evidence = ", ".join(f"{k}={v}" for k, v in sorted(ev["evidence"].items()))
        lines.append(f"  - {ev['at']} `{ev['type']}` ({ev['severity']}) {evidence}")
    return lines


def render_md(recette: Recette, lang: str = "fr") -> str:
    doc = to_json(recette, lang)
    t = UI[lang]
    h = doc["header"]
    out = [
        f"# {t['title']}",
        "",
        t["intro"],
        "",
        f"- **{t['client']}** : `{h['client_id']}`",
        f"- **{t['thumb']}** : `{h.get('certificate_thumbprint') or '—'}`",
        f"- **{t['period']}** : {_period(h, t)}",
        f"- **{t['version']}** : {h.get('sandbox_version')}",
        f"- **{t['digest']}** : `{h.get('dataset_digest') or '—'}`",
        *([f"- **{t['handshakes']}** : {_handshakes(h)}"] if _handshakes(h) else []),
        f"- **{t['calls']}** : {doc['calls']}",
        f"- **{t['verdict']}** : **{t[doc['verdict']].upper()}**",
        "",
        f"## {t['criteria']}",
        "",
        f"| {t['criterion']} | {t['result']} | {t['rule']} | {t['evidence']} |",
        "|---|---|---|---|",
    ]
    for c in doc["criteria"]:
        ev = ", ".join(f"#{e['row']}" for e in c["evidence"] if e["row"] is not None)
        extra = c["evidence_total"] - len(c["evidence"])
        if extra > 0:
            ev += f" (+{extra} {t['more']})"
        out.append(
            f"| {c['title']} | **{t[c['verdict']]}** — {c['summary']} | {c['rule']} | {ev or '—'} |"
        )
    out += ["", f"## {t['coverage']}", "", _md_matrix(doc, t), "", f"## {t['fix']}", ""]
    out += [f"- **{f['title']}** : {f['fix']}" for f in doc["to_fix"]] or [t["nothing"]]
    out += ["", f"## {t['drills']}", ""]
    out += _drill_lines(doc, lang) or [t["no_drills"]]
    out += ["", f"## {t['security']}", "", t["security_note"], "", *_security_lines(h, t)]
    out += ["", f"> {t['tls_note']}", ""]
    return "\n".join(out)


def _md_matrix(doc: dict[str, Any], t: dict[str, str]) -> str:
    lines = [
        f"| {t['type']} | " + " | ".join(t[o] for o in OUTCOMES) + " |",
        "|---|" + "---|" * len(OUTCOMES),
    ]
    entitled = set(doc["coverage"]["entitled"])
    for stype, cells in doc["coverage"]["matrix"].items():
        mark = "" if stype in entitled else f" ({t['not_entitled']})"
        lines.append(f"| {stype}{mark} | " + " | ".join(str(cells[o]) for o in OUTCOMES) + " |")
    return "\n".join(lines)


def _drill_lines(doc: dict[str, Any], lang: str) -> list[str]:
    lines = []
    for d in doc["drills"]:
        if d.get("event") == "fired":
            kind = KINDS.get(d["drill"])
            text = getattr(kind, lang) if kind else d["drill"]
            rows = ", ".join(f"#{r}" for r in d["rows"])
            lines.append(f"- `{d['drill']}` ({d['count']}) : {text} {rows}")
        else:
            drills = ", ".join(d.get("drills") or [])
            lines.append(f"- {d.get('ts')} `recette {d.get('event')}` {drills}")
    return lines


#: the style of every report page (the recette's, the parity's): one look, one place
REPORT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:68rem;padding:0 1rem;color:#1e1e1e;line-height:1.45}
h1{font-size:1.5rem;border-bottom:3px solid #000091;padding-bottom:.4rem}
h2{font-size:1.15rem;margin-top:2rem;color:#000091}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f5}
dl.header{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dl.header dt{font-weight:600} dl.header dd{margin:0;word-break:break-all}
.verdict{font-size:1.3rem;font-weight:700;padding:.8rem 1rem;border-radius:.4rem;margin:1rem 0}
.v-pass{background:#b8fec9;color:#18753c} .v-fail{background:#ffe9e9;color:#ce0500}
.v-not_exercised,.v-pass_with_gaps{background:#fff4d6;color:#716043}
.badge{display:inline-block;padding:.1rem .45rem;border-radius:.3rem;font-weight:600}
td.n0{color:#999} td.hit{background:#eef9f1} tr.missing td:first-child{color:#ce0500}
code{font-size:.85em} .note{color:#555;font-size:.85rem}
@media print{body{margin:0}}
"""


def render_html(recette: Recette, lang: str = "fr") -> str:
    doc = to_json(recette, lang)
    t = UI[lang]
    h = doc["header"]
    e = html.escape
    verdict = doc["verdict"]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(t['title'])} — {e(h['client_id'])}</title>",
        f"<style>{REPORT_CSS}</style></head><body>",
        f"<h1>{e(t['title'])}</h1>",
        f"<p class='note'>{e(t['intro'])}</p>",
        f'<div id="verdict" class="verdict v-{verdict}" data-verdict="{verdict}">'
        f"{e(t['verdict'])} : {e(t[verdict].upper())}</div>",
        '<dl class="header">',
    ]
    for label, value in (
        (t["client"], h["client_id"]),
        (t["thumb"], h.get("certificate_thumbprint") or "—"),
        (t["subject"], h.get("certificate_subject") or "—"),
        (t["period"], _period(h, t)),
        (t["version"], h.get("sandbox_version") or "—"),
        (t["digest"], h.get("dataset_digest") or "—"),
        *([(t["handshakes"], _handshakes(h))] if _handshakes(h) else []),
        (t["calls"], str(doc["calls"])),
    ):
        parts.append(f"<dt>{e(label)}</dt><dd><code>{e(str(value))}</code></dd>")
    parts.append("</dl>")

    parts += [
        f"<h2>{e(t['criteria'])}</h2>",
        f"<table id='criteria'><thead><tr><th>{e(t['criterion'])}</th><th>{e(t['result'])}</th>"
        f"<th>{e(t['rule'])}</th><th>{e(t['evidence'])}</th></tr></thead><tbody>",
    ]
    for c in doc["criteria"]:
        links = " ".join(
            f'<a href="#e-{ev["row"]}" title="{e(ev["note"])}">#{ev["row"]}</a>'
            for ev in c["evidence"]
            if ev["row"] is not None
        )
        notes = "".join(f"<li>{e(ev['note'])}</li>" for ev in c["evidence"] if ev["row"] is None)
        extra = c["evidence_total"] - len(c["evidence"])
        if extra > 0:
            links += f" <span class='note'>(+{extra} {e(t['more'])})</span>"
        parts.append(
            f"<tr id='c-{c['id']}' data-verdict='{c['verdict']}'><td>{e(c['title'])}</td>"
            f"<td><span class='badge v-{c['verdict']}'>{e(t[c['verdict']])}</span><br>"
            f"<span class='note'>{e(c['summary'])}</span></td>"
            f"<td>{e(c['rule'])}</td><td>{links or '—'}"
            f"{'<ul>' + notes + '</ul>' if notes else ''}</td></tr>"
        )
    parts.append("</tbody></table>")

    parts += [
        f"<h2>{e(t['coverage'])}</h2>",
        f"<table id='coverage'><thead><tr><th>{e(t['type'])}</th>"
        + "".join(f"<th>{e(t[o])}</th>" for o in OUTCOMES)
        + "</tr></thead><tbody>",
    ]
    entitled = set(doc["coverage"]["entitled"])
    for stype, cells in doc["coverage"]["matrix"].items():
        ok = cells["data"] + cells["no_result"] > 0
        cls = "" if ok or stype not in entitled else " class='missing'"
        mark = "" if stype in entitled else f" <span class='note'>({e(t['not_entitled'])})</span>"
        parts.append(
            f"<tr{cls}><td><code>{e(stype)}</code>{mark}</td>"
            + "".join(
                f"<td class='{'hit' if cells[o] else 'n0'}'>{cells[o]}</td>" for o in OUTCOMES
            )
            + "</tr>"
        )
    parts.append("</tbody></table>")

    parts.append(f"<h2>{e(t['fix'])}</h2>")
    if doc["to_fix"]:
        parts.append(
            "<ul id='to-fix'>"
            + "".join(f"<li><b>{e(f['title'])}</b> : {e(f['fix'])}</li>" for f in doc["to_fix"])
            + "</ul>"
        )
    else:
        parts.append(f"<p id='to-fix'>{e(t['nothing'])}</p>")

    parts.append(f"<h2>{e(t['drills'])}</h2>")
    lines = _drill_lines(doc, lang)
    parts.append(
        "<ul>" + "".join(f"<li>{e(x[2:])}</li>" for x in lines) + "</ul>"
        if lines
        else f"<p>{e(t['no_drills'])}</p>"
    )
    parts += [
        f"<h2>{e(t['security'])}</h2>",
        f"<p class='note'>{e(t['security_note'])}</p>",
        "<ul id='security-events'>"
        + "".join(f"<li>{e(x.strip().removeprefix('- '))}</li>" for x in _security_lines(h, t))
        + "</ul>",
    ]
    parts.append(f"<p class='note'>{e(t['tls_note'])}</p>")

    parts += [
        f"<h2>{e(t['journal'])}</h2>",
        "<table id='journal'><thead><tr><th>#</th><th>ts</th><th>method</th><th>path</th>"
        "<th>status</th><th>code</th><th>X-Correlation-ID</th><th>drill</th></tr></thead><tbody>",
    ]
    for row_id in sorted(recette.evaluation.rows_by_id):
        r = recette.evaluation.rows_by_id[row_id]
        raw = r.get("details")
        d: dict[str, Any] = raw if isinstance(raw, dict) else {}
        code = r.get("error_code") or r.get("info_code") or ""
        parts.append(
            f"<tr id='e-{row_id}'><td>{row_id}</td><td>{e(str(r.get('ts')))}</td>"
            f"<td>{e(str(r.get('method')))}</td><td><code>{e(str(r.get('path')))}</code></td>"
            f"<td>{e(str(r.get('status')))}</td><td>{e(str(code))}</td>"
            f"<td><code>{e(str(r.get('correlation_id') or '—'))}</code></td>"
            f"<td>{e(str(d.get('drill') or ''))}</td></tr>"
        )
    parts += ["</tbody></table>", "</body></html>", ""]
    return "\n".join(parts)


def render(recette: Recette, fmt: str = "html", lang: str = "fr") -> str:
    if fmt == "json":
        return render_json(recette, lang)
    if fmt == "md":
        return render_md(recette, lang)
    if fmt == "html":
        return render_html(recette, lang)
    raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
