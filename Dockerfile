# syntax=docker/dockerfile:1
# One image for all four services; each Deployment picks its service by command, e.g.
#   python -m services.aggregator.main
# They share every dependency and the shared/ package, so one image is one build, one scan and
# one tag to promote, and the services cannot drift apart in versions (see deploy/README.md).
#
# Build: docker build -t accountant-hub:$(git rev-parse --short HEAD) .
# Pin the base by digest in your registry mirror when you promote (see deploy/README.md).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# --- build: the runtime dependencies into a venv, wheels only, every file checked by hash ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
COPY requirements-runtime.lock /tmp/requirements-runtime.lock
# requirements-runtime.lock is requirements.lock without the dev extras (tests, linters, browser).
RUN /opt/venv/bin/pip install --no-deps --only-binary=:all: --require-hashes \
        -r /tmp/requirements-runtime.lock \
    && /opt/venv/bin/pip uninstall --yes pip setuptools
WORKDIR /app
COPY shared/ shared/
COPY services/ services/
# Byte-compile now: the running container's root filesystem is read-only.
RUN python -m compileall -q --invalidation-mode unchecked-hash /app

# --- runtime: the interpreter, the venv and the code; no pip, no compiler, no tests ---
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 hub \
    && useradd --system --uid 10001 --gid hub --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin hub \
    && python -m pip uninstall --yes pip setuptools wheel
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HUB_HTTP_HOST=0.0.0.0 \
    HUB_LOG_JSON=true
WORKDIR /app
USER 10001:10001
# gateway 8000, sync 8001, aggregator 8002, tasks 8003 (each serves /health/live and /health/ready)
EXPOSE 8000 8001 8002 8003
CMD ["python", "-m", "services.gateway.main"]
