# syntax=docker/dockerfile:1
#
# The awareness service image: one virtual environment holding the project's wheel (which
# bundles config/, migrations/ and dashboard/) and its dependencies, run as an unprivileged user.
#
#   docker build -t awareness:local .
#   docker run --rm -e AWARENESS_DATABASE_URL=postgresql+asyncpg://USER:PASS@HOST:5432/DB \
#       -p 8000:8000 awareness:local
#
# Base image: python 3.11.15 on Debian bookworm (slim), pinned by tag AND by the digest of its
# multi-platform index, so a rebuild gets the same bytes. To move to a newer patch release:
#   docker buildx imagetools inspect python:3.11-slim-bookworm
# and update both FROM lines together.

# ---- build: turn the source tree into a wheel and install it into /opt/awareness ----
FROM python:3.11.15-slim-bookworm@sha256:b18992999dbe963a45a8a4da40ac2b1975be1a776d939d098c647482bcad5cba AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
# Only what the wheel is made of (see [tool.hatch.build] in pyproject.toml); README.md is the
# package's long description.
COPY pyproject.toml README.md ./
COPY src ./src
COPY config ./config
COPY migrations ./migrations
COPY dashboard ./dashboard

RUN python -m venv /opt/awareness \
    && /opt/awareness/bin/pip wheel --no-deps --wheel-dir /tmp/wheels . \
    && /opt/awareness/bin/pip install /tmp/wheels/awareness-*.whl \
    && /opt/awareness/bin/awareness --help > /dev/null

# ---- runtime: the same base, the venv, nothing else ----
FROM python:3.11.15-slim-bookworm@sha256:b18992999dbe963a45a8a4da40ac2b1975be1a776d939d098c647482bcad5cba AS runtime

ENV PATH=/opt/awareness/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AWARENESS_LOG__FORMAT=json

# A fixed numeric uid/gid so orchestrators can check "runs as non-root" without a passwd lookup.
RUN groupadd --system --gid 10001 awareness \
    && useradd --system --uid 10001 --gid awareness --home-dir /home/awareness \
        --create-home --shell /usr/sbin/nologin awareness

COPY --from=build /opt/awareness /opt/awareness

WORKDIR /home/awareness
USER 10001:10001

EXPOSE 8000
# uvicorn finishes in-flight requests and closes feed clients with "going away" on SIGTERM.
STOPSIGNAL SIGTERM
# Liveness only (no database): slim has no curl, so Python's urllib asks /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["awareness", "serve", "--host", "0.0.0.0", "--port", "8000"]
