"""The DGFiP gateway (APIM) stand-in: dev PKI, client registry, tokens, peer identity.

Nothing here imports FastAPI or uvicorn except `tls.py` (the uvicorn protocol class); the ASGI
middleware and the `/token` route live in `api/gateway.py` and `api/token.py`.
"""
