# ficoba-sandbox: the DGFiP FICOBA API v2 sandbox (mutual TLS on 8443, admin plane on 8081).
#   docker build -t ficoba-sandbox .
#   docker run --rm -p 8443:8443 -p 8081:8081 -v ficoba-data:/data ficoba-sandbox
# First start: CA, server certificate (SANs: localhost, 127.0.0.1, ::1, the container's hostname,
# every name in FICOBA_SANDBOX_SAN), demo client (/data/demo-client.json) and admin token
# (/data/admin.json, or FICOBA_SANDBOX_ADMIN_TOKEN). Every setting is FICOBA_SANDBOX_<NAME>.

ARG BASE=python:3.11-slim-bookworm

# ---------------------------------------------------------------- build: a venv, hash-checked installs
# The official base by default; `make docker-test` passes a Debian-built stand-in where Docker Hub
# cannot be reached (docs/docker.md).
FROM ${BASE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
# Every package that enters the image is pinned with its hashes (`make docker-lock` writes both
# files), and wheels only: the build needs no compiler. /opt/build holds the build backend and
# pip; the runtime venv /opt/ficoba gets neither.
COPY docker/requirements.txt docker/build-requirements.txt docker/
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --only-binary=:all: -r docker/build-requirements.txt \
    && python -m venv --without-pip /opt/ficoba \
    && /opt/build/bin/pip --python /opt/ficoba/bin/python install \
       --require-hashes --only-binary=:all: -r docker/requirements.txt

COPY pyproject.toml README.md LICENSE ./
COPY src src
# src/ficoba_sandbox/personas is a symlink to fixtures/personas: the wheel ships real copies.
COPY fixtures/personas fixtures/personas
# Faker is read, never imported: data/tables.py takes fr_FR's name lists from the provider's source,
# so its 6-7 MB of bytecode go.
RUN /opt/build/bin/pip wheel --no-build-isolation --no-deps --wheel-dir /tmp/dist . \
    && /opt/build/bin/pip --python /opt/ficoba/bin/python install --no-deps /tmp/dist/*.whl \
    && find /opt/ficoba/lib -path '*/site-packages/faker/*' -name __pycache__ -prune -exec rm -r {} + \
    && /opt/ficoba/bin/ficoba-sandbox --version

# ---------------------------------------------------------------- runtime
FROM ${BASE}

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

# `ficoba-sandbox healthcheck`'s check without the CLI's start-up, paced by itself: healthy within
# a second or two of the server listening, then one check per ~30 s (src/ficoba_sandbox/cli/ops.py,
# docs/docker.md). --start-interval would do the pacing, but Docker 20.10 refuses the flag.
HEALTHCHECK --interval=1s --timeout=45s --start-period=60s --retries=3 \
    CMD ["python", "-I", "-m", "ficoba_sandbox.cli.ops"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["ficoba-sandbox"]
CMD ["serve"]
