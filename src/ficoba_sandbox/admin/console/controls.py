"""The console's controls (docs/console.md, "Controls"): the sandbox's clock, maintenance,
latency, and each client's faults and quota, each shown with its current state and changed by
the same functions as the admin routes (admin/clock.py, service_levels.py, clients.py; the
fault table of qa/faults.py), with the same admin events.

Each control is one fragment of the page (`templates/controls/<name>.html`): its forms post to
`/__sandbox/console/controls/<name>/<action>`, and the answer is the control again with its new
state (forms.py says how a form is answered with and without JavaScript).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ficoba_sandbox.admin.clients import fill_quota, reset_quota
from ficoba_sandbox.admin.clock import (
    ClockNotDriven,
    advance_clock,
    clock_json,
    freeze_clock,
    real_time,
    unfreeze_clock,
)
from ficoba_sandbox.admin.console.forms import (
    Form,
    FormError,
    back_to_page,
    from_htmx,
    paris_time,
    read_form,
)
from ficoba_sandbox.admin.console.layout import CONSOLE, Console, Texts
from ficoba_sandbox.admin.service_levels import MaintenanceState, set_latency, set_maintenance
from ficoba_sandbox.domain.clock import paris
from ficoba_sandbox.domain.errors import ALL_CODES
from ficoba_sandbox.qa.faults import FAULT_RESOURCES, Fault
from ficoba_sandbox.sandbox import Sandbox

SECTION = "controls"
PAGE = f"{CONSOLE}/{SECTION}"
CONTROLS = ("clock", "maintenance", "latency", "faults", "quota")
#: under this, the sandbox's clock is the wall clock (two readings a moment apart)
REAL_TIME_TOLERANCE = 1.0

TEXTS: Texts = {
    "en": {
        "intro": "Clock, maintenance, latency, faults and quota per client, each with its "
        "current state. Every change here is what the admin routes do, and is kept as they keep "
        "it.",
        "clock": "Clock",
        "clock_now": "Sandbox time",
        "clock_today": "Sandbox day (Paris)",
        "clock_state": "State",
        "clock_real": "Real time",
        "clock_frozen": "Frozen",
        "clock_running_offset": "Running, offset from the wall clock",
        "clock_offset": "Offset",
        "clock_at": "Freeze at (Paris time, optional)",
        "clock_freeze": "Freeze",
        "clock_duration": "Advance by (e.g. 90s, 15m, 2h, 1d)",
        "clock_advance": "Advance",
        "clock_unfreeze": "Let it run",
        "clock_reset": "Back to real time",
        "clock_not_driven": "This sandbox's clock cannot be driven.",
        "maintenance": "Maintenance",
        "maintenance_state": "Service",
        "maintenance_available": "Open",
        "maintenance_unavailable": "In maintenance (503 CAT001)",
        "maintenance_forced": "Forced",
        "maintenance_schedule": "Following the schedule",
        "maintenance_window": "Maintenance window",
        "maintenance_none": "none",
        "maintenance_down": "Force maintenance",
        "maintenance_up": "Force open",
        "maintenance_release": "Back to the schedule",
        "latency": "Latency",
        "latency_current": "Emulated latency",
        "latency_none": "none",
        "latency_spec": "Latency (e.g. 200ms, p50=80ms,p99=400ms, numCpte=300ms)",
        "latency_set": "Set",
        "latency_clear": "No latency",
        "faults": "Faults per client",
        "faults_client": "Client",
        "faults_current": "Current fault",
        "faults_none": "none",
        "faults_code": "Error code",
        "faults_rate": "Error rate (0 to 1)",
        "faults_latency": "Added latency (ms)",
        "faults_remaining": "For the next N calls (empty: until cleared)",
        "faults_resources": "Only these resources (none ticked: all)",
        "faults_set": "Set the fault",
        "faults_clear": "Clear",
        "faults_calls": "calls",
        "quota": "Quota per client",
        "quota_per_minute": "Per minute",
        "quota_used": "Used",
        "quota_remaining": "Remaining",
        "quota_reset_in": "Window ends in (s)",
        "quota_reset": "Reset",
        "quota_fill": "Use it up (next call 429)",
        "actions": "Actions",
        "bad_form": "This form is not one of the console's.",
        "unknown_client": "Unknown client.",
    },
    "fr": {
        "intro": "Horloge, maintenance, latence, pannes et quota par client, chacun avec son "
        "état. Chaque changement fait ici est ce que font les routes d'administration, et il est "
        "gardé comme elles le gardent.",
        "clock": "Horloge",
        "clock_now": "Heure du bac à sable",
        "clock_today": "Jour du bac à sable (Paris)",
        "clock_state": "État",
        "clock_real": "Heure réelle",
        "clock_frozen": "Arrêtée",
        "clock_running_offset": "En marche, décalée de l'horloge réelle",
        "clock_offset": "Décalage",
        "clock_at": "Arrêter à (heure de Paris, facultatif)",
        "clock_freeze": "Arrêter",
        "clock_duration": "Avancer de (ex. 90s, 15m, 2h, 1d)",
        "clock_advance": "Avancer",
        "clock_unfreeze": "Laisser repartir",
        "clock_reset": "Revenir à l'heure réelle",
        "clock_not_driven": "L'horloge de ce bac à sable ne peut pas être pilotée.",
        "maintenance": "Maintenance",
        "maintenance_state": "Service",
        "maintenance_available": "Ouvert",
        "maintenance_unavailable": "En maintenance (503 CAT001)",
        "maintenance_forced": "Forcé",
        "maintenance_schedule": "Selon le calendrier",
        "maintenance_window": "Fenêtre de maintenance",
        "maintenance_none": "aucune",
        "maintenance_down": "Forcer la maintenance",
        "maintenance_up": "Forcer l'ouverture",
        "maintenance_release": "Revenir au calendrier",
        "latency": "Latence",
        "latency_current": "Latence émulée",
        "latency_none": "aucune",
        "latency_spec": "Latence (ex. 200ms, p50=80ms,p99=400ms, numCpte=300ms)",
        "latency_set": "Appliquer",
        "latency_clear": "Aucune latence",
        "faults": "Pannes par client",
        "faults_client": "Client",
        "faults_current": "Panne en cours",
        "faults_none": "aucune",
        "faults_code": "Code d'erreur",
        "faults_rate": "Taux d'erreur (0 à 1)",
        "faults_latency": "Latence ajoutée (ms)",
        "faults_remaining": "Pour les N appels suivants (vide : jusqu'à effacement)",
        "faults_resources": "Seulement ces ressources (aucune cochée : toutes)",
        "faults_set": "Appliquer la panne",
        "faults_clear": "Effacer",
        "faults_calls": "appels",
        "quota": "Quota par client",
        "quota_per_minute": "Par minute",
        "quota_used": "Utilisés",
        "quota_remaining": "Restants",
        "quota_reset_in": "Fin de la fenêtre dans (s)",
        "quota_reset": "Remettre à zéro",
        "quota_fill": "L'épuiser (appel suivant : 429)",
        "actions": "Actions",
        "bad_form": "Ce formulaire n'est pas un de ceux de la console.",
        "unknown_client": "Client inconnu.",
    },
}


class Refused(ValueError):
    """An input a control refuses: its message is shown in the control (role=alert)."""


def _int(form: Form, name: str, default: int | None) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise Refused(f"{name}: {text!r} is not a whole number") from None


def _float(form: Form, name: str, default: float) -> float:
    text = form.get(name, "").strip().replace(",", ".")
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise Refused(f"{name}: {text!r} is not a number") from None


def _offset(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    return sign + str(timedelta(seconds=round(abs(seconds))))


async def clock_state(sandbox: Sandbox) -> dict[str, Any]:
    now = clock_json(sandbox)
    instant = datetime.fromisoformat(now["now"])
    real = not now["frozen"] and abs(now["offset_seconds"]) < REAL_TIME_TOLERANCE
    return {
        **now,
        "paris": instant.astimezone(paris()).strftime("%Y-%m-%d %H:%M:%S %Z"),
        "utc": instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "real": real,
        "offset": _offset(now["offset_seconds"]),
    }


async def clients_state(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every registered client with its fault and its quota state."""
    out = []
    for record in sandbox.gateway.registry:
        fault = sandbox.faults.get(record.client_id)
        out.append(
            {
                "client_id": record.client_id,
                "revoked": record.revoked,
                "fault": fault.to_json() if fault else None,
                "applied": sandbox.faults.applied.get(record.client_id, 0),
                "quota": await sandbox.levels.quota_state(record.client_id),
            }
        )
    return out


async def state(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "clock": await clock_state(sandbox),
        "service": sandbox.levels.service_state(),
        "latency": sandbox.levels.latency.describe(),
        "clients": await clients_state(sandbox),
        "codes": [(code, entry.http_status) for code, entry in sorted(ALL_CODES.items())],
        "resources": sorted(FAULT_RESOURCES),
    }


def _client(sandbox: Sandbox, form: Form) -> str:
    client_id = form.get("client_id", "")
    if sandbox.gateway.registry.get(client_id) is None:
        raise Refused("unknown_client")
    return client_id


def _fault(form: Form) -> Fault:
    resources = tuple(form.getlist("resources"))
    try:
        return Fault(
            latency_ms=_int(form, "latency_ms", 0) or 0,
            error_rate=_float(form, "error_rate", 1.0),
            error_code=form.get("error_code", "CAT004"),
            remaining=_int(form, "remaining", None),
            resources=resources,
        )
    except ValueError as exc:  # Fault checks its own fields
        raise Refused(str(exc)) from None


Action = Callable[[Sandbox, Request, Form], Awaitable[None]]


async def _freeze(sandbox: Sandbox, request: Request, form: Form) -> None:
    freeze_clock(sandbox, request, paris_time(form.get("at", "")))


async def _advance(sandbox: Sandbox, request: Request, form: Form) -> None:
    advance_clock(sandbox, None, form.get("duration", "").strip())


async def _unfreeze(sandbox: Sandbox, request: Request, form: Form) -> None:
    unfreeze_clock(sandbox)


async def _real_time(sandbox: Sandbox, request: Request, form: Form) -> None:
    real_time(sandbox, request)


def _maintenance(target: MaintenanceState) -> Action:
    async def act(sandbox: Sandbox, request: Request, form: Form) -> None:
        set_maintenance(sandbox, target)

    return act


async def _latency(sandbox: Sandbox, request: Request, form: Form) -> None:
    set_latency(sandbox, form.get("spec", "").strip())


async def _latency_clear(sandbox: Sandbox, request: Request, form: Form) -> None:
    set_latency(sandbox, "")


async def _fault_set(sandbox: Sandbox, request: Request, form: Form) -> None:
    client_id = _client(sandbox, form)
    sandbox.faults.set(client_id, _fault(form))


async def _fault_clear(sandbox: Sandbox, request: Request, form: Form) -> None:
    sandbox.faults.clear(_client(sandbox, form))


async def _quota_reset(sandbox: Sandbox, request: Request, form: Form) -> None:
    await reset_quota(sandbox, request, _client(sandbox, form))


async def _quota_fill(sandbox: Sandbox, request: Request, form: Form) -> None:
    await fill_quota(sandbox, _client(sandbox, form))


#: (control, action) -> what it does
ACTIONS: dict[tuple[str, str], Action] = {
    ("clock", "freeze"): _freeze,
    ("clock", "advance"): _advance,
    ("clock", "unfreeze"): _unfreeze,
    ("clock", "reset"): _real_time,
    ("maintenance", "down"): _maintenance("down"),
    ("maintenance", "up"): _maintenance("up"),
    ("maintenance", "schedule"): _maintenance("schedule"),
    ("latency", "set"): _latency,
    ("latency", "clear"): _latency_clear,
    ("faults", "set"): _fault_set,
    ("faults", "clear"): _fault_clear,
    ("quota", "reset"): _quota_reset,
    ("quota", "fill"): _quota_fill,
}


def router(console: Console) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    sandbox = console.sandbox

    async def show(
        request: Request,
        control: str | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Response:
        """One control's fragment for htmx, else the page; `error` shown in `control`."""
        context = {**await state(sandbox), "error": error, "error_in": control, "page": PAGE}
        whole = control is None or not from_htmx(request)
        template = "controls.html" if whole else f"controls/{control}.html"
        return console.render(request, template, SECTION, TEXTS, status_code=status_code, **context)

    @r.get(PAGE)
    async def page(request: Request) -> Response:
        return await show(request)

    @r.post(PAGE + "/{control}/{action}")
    async def act(request: Request, control: str, action: str) -> Response:
        run = ACTIONS.get((control, action))
        if run is None:
            return await show(request, None, "bad_form", 404)
        try:
            await run(sandbox, request, await read_form(request))
        except FormError:
            return await show(request, control, "bad_form", 400)
        except ClockNotDriven:
            return await show(request, control, "clock_not_driven", 409)
        except (Refused, ValueError) as exc:  # ValueError: a duration or latency refused
            return await show(request, control, str(exc), 422)
        if from_htmx(request):
            return await show(request, control)
        return back_to_page(f"{PAGE}#control-{control}")

    return r
