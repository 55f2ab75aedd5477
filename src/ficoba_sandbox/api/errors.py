"""Every error in the API's own format: `{"erreur": {"code", "message", "horodatage"}}`.

Never FastAPI's 422 with a `detail` array, never a stack trace, never a 500 for bad input;
404 and 405 too. `horodatage` is `YYYY-MM-DDTHH:MM:SS.mmmZ` (domain.clock.horodatage).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ficoba_sandbox.domain.clock import SystemClock, horodatage
from ficoba_sandbox.domain.errors import ALL_CODES, FicobaError

log = logging.getLogger(__name__)

_HTTP = {404: "HTTP404", 405: "HTTP405", 406: "HTTP406", 408: "HTTP408", 413: "HTTP413"}


def corps_erreur(code: str, message: str, request: Request | None = None) -> dict:
    clock = getattr(request.app.state, "clock", None) if request is not None else None
    now = (clock or SystemClock()).now()
    return {"erreur": {"code": code, "message": message, "horodatage": horodatage(now)}}


def reponse_erreur(request: Request | None, err: FicobaError) -> JSONResponse:
    return JSONResponse(
        corps_erreur(err.code, err.message, request),
        status_code=err.http_status,
        headers=err.headers or None,
    )


async def _ficoba(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FicobaError)
    return reponse_erreur(request, exc)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP.get(exc.status_code)
    if code is None:
        code = "CAT002" if exc.status_code == 400 else "CAT004"
    entry = ALL_CODES[code]
    status = exc.status_code if code.startswith("HTTP") or code == "CAT002" else 500
    headers = dict(exc.headers or {})
    return JSONResponse(
        corps_erreur(code, entry.message, request), status_code=status, headers=headers or None
    )


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    # Bodies are read by hand; should a FastAPI validation still happen, answer like FICOBA.
    return reponse_erreur(request, FicobaError("CAT002"))


async def _inattendue(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return reponse_erreur(request, FicobaError("CAT004"))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FicobaError, _ficoba)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _inattendue)
