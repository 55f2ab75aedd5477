"""The console's forms: reading a posted form and answering it, the same way on every page.

A form is `application/x-www-form-urlencoded` (the HTML default), read here with the standard
library: Starlette's own form reader needs python-multipart, which the console has no other
use for. A posted form is answered in one of two ways (docs/console.md, "Forms"):

- from htmx (`HX-Request: true`): the changed part of the page only (a fragment), which htmx
  swaps in place, also on a refused input (400/422, which base.html tells htmx to swap);
- from a browser without JavaScript: after a change, a redirect to the page (303, POST/redirect/
  GET, so a reload does not post again); after a refused input, the whole page with the alert.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import ImmutableMultiDict

from ficoba_sandbox.admin.console.layout import SECURITY_HEADERS
from ficoba_sandbox.domain.clock import paris

#: a console form is a few short fields: anything longer is not one of its forms
MAX_FORM_BYTES = 16_384
MAX_FORM_FIELDS = 64

Form = ImmutableMultiDict[str, str]


class FormError(ValueError):
    """A form that cannot be one of the console's."""


async def read_form(request: Request) -> Form:
    """The posted fields (a name may repeat: `getlist`); FormError when the body is too long,
    has too many fields or is not text."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormError("form too long")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError("not a form of the console") from exc
    return ImmutableMultiDict(pairs)


def from_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def back_to_page(path: str) -> Response:
    """A change done by a plain form post: back to the page it came from."""
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)


def paris_time(text: str) -> datetime | None:
    """An `<input type="datetime-local">` value (no offset) read in Paris, the sandbox's days'
    time zone (domain/clock.py); None when empty, ValueError when it is not a time."""
    text = text.strip()
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time") from None
    return at.replace(tzinfo=paris()) if at.tzinfo is None else at
