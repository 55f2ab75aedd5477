"""A uvicorn h11 protocol that exposes the verified client certificate to the app.

uvicorn 0.54 implements no ASGI TLS extension. asyncio's SSL transport calls `connection_made`
after the handshake, so the peer certificate is known there; we wrap `self.app` for that
connection and add `scope["extensions"]["tls"]` in the shape of the ASGI TLS extension
(`client_cert_chain`: PEM strings, leaf first). Plain-HTTP connections get no `tls` key (spec).
Pass the class as `uvicorn.Config(http=TLSExtensionH11Protocol)`. The integration tests fail if a
uvicorn upgrade stops calling it.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class TLSExtensionH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sslobj = transport.get_extra_info("ssl_object")
        if sslobj is None:
            return
        der = sslobj.getpeercert(binary_form=True)
        cipher = sslobj.cipher()
        tls: dict[str, Any] = {
            "server_cert": None,
            "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
            "client_cert_name": None,
            "client_cert_error": None,
            "tls_version": sslobj.version(),
            "cipher_suite": cipher[0] if cipher else None,
        }
        inner = self.app

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] in ("http", "websocket"):
                extensions = dict(scope.get("extensions") or {})
                extensions["tls"] = tls
                scope["extensions"] = extensions
            await inner(scope, receive, send)

        self.app = app
