# ficoba-sandbox: the DGFiP FICOBA API v2 sandbox (mutual TLS on 8443, admin plane on 8081).
#   docker build -t ficoba-sandbox .
#   docker run --rm -p 8443:8443 -p 8081:8081 -v ficoba-data:/data ficoba-sandbox
# First start: CA, server certificate (SANs: localhost, 127.0.0.1, ::1, the container's hostname,
# every name in FICOBA_SANDBOX_SAN), demo client (/data/demo-client.json) and admin token
# (/data/admin-token, or FICOBA_SANDBOX_ADMIN_TOKEN). Every setting is FICOBA_SANDBOX_<NAME>.

# ---------------------------------------------------------------- build: a venv, pinned installs
FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
COPY docker/requirements.txt docker/requirements.txt
RUN python -m venv /opt/ficoba \
    && /opt/ficoba/bin/pip install --no-cache-dir --require-virtualenv -r docker/requirements.txt

COPY pyproject.toml README.md LICENSE ./
COPY src src
# src/ficoba_sandbox/personas is a symlink to fixtures/personas: the wheel ships real copies.
COPY fixtures/personas fixtures/personas
RUN /opt/ficoba/bin/pip install --no-cache-dir --require-virtualenv --no-deps . \
    && /opt/ficoba/bin/ficoba-sandbox --version

# ---------------------------------------------------------------- runtime
FROM python:3.11-slim-bookworm

LABEL org.opencontainers.image.title="ficoba-sandbox" \
      org.opencontainers.image.description="Sandbox of the DGFiP FICOBA API v2 (mutual TLS, OAuth2, fictitious data)" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT"

RUN groupadd --system --gid 10001 ficoba \
    && useradd --system --uid 10001 --gid ficoba --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin ficoba \
    && mkdir /data \
    && chown ficoba:ficoba /data

COPY --from=build /opt/ficoba /opt/ficoba

ENV PATH=/opt/ficoba/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FICOBA_SANDBOX_STATE_DIR=/data \
    FICOBA_SANDBOX_HOST=0.0.0.0 \
    FICOBA_SANDBOX_PORT=8443 \
    FICOBA_SANDBOX_ADMIN_HOST=0.0.0.0 \
    FICOBA_SANDBOX_ADMIN_PORT=8081 \
    FICOBA_SANDBOX_LOG_JSON=1 \
    FICOBA_SANDBOX_DEMO_CLIENT_IPS=0.0.0.0/0,::/0

USER 10001:10001
WORKDIR /data

# The default dataset, built now into /data/cache: a new named volume starts with it (warm start).
RUN ["ficoba-sandbox", "prepare"]

VOLUME ["/data"]
EXPOSE 8443 8081

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["ficoba-sandbox", "healthcheck"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["ficoba-sandbox"]
CMD ["serve"]
