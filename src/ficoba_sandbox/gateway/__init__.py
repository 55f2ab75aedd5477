"""The DGFiP gateway (APIM) stand-in: dev PKI, client registry, tokens, the OAuth token endpoint,
the checks of every call, peer identity, and the service levels (quota, service hours, latency).

- `state`: `Gateway`, what a sandbox opens of its state directory (registry, token key);
- `checks`: correlation id, bearer token, certificate binding, IP allow-list;
- `oauth`: `POST /token` (RFC 6749, RFC 8705), framework-free;
- `service_levels`: the quota, the service hours and the emulated latency of one sandbox.

Nothing here imports FastAPI; `tls.py` subclasses uvicorn's protocol to expose the client
certificate. The API's pipeline (api/pipeline.py) calls these checks in the contract's order.
"""
