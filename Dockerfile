# syntax=docker/dockerfile:1
# Clinix image: one image for every process (web, Celery worker, Celery beat, migrations).
# See docs/operations.md. Build: docker build -t clinix .

ARG PYTHON_VERSION=3.12

# --- builder: compile wheels for every pinned requirement --------------------------------------
# Compilers live only here; the final stage installs the finished wheels and nothing else.
FROM python:${PYTHON_VERSION}-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN apt-get update \
    && apt-get install --yes --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt


# --- runtime ----------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=clinix.settings \
    PORT=8000 \
    GUNICORN_WORKERS=2 \
    GUNICORN_THREADS=4 \
    GUNICORN_TIMEOUT=30 \
    GUNICORN_GRACEFUL_TIMEOUT=30 \
    GUNICORN_KEEPALIVE=5 \
    GUNICORN_MAX_REQUESTS=1000 \
    GUNICORN_MAX_REQUESTS_JITTER=100

# A fixed uid/gid so that named volumes and host mounts get predictable ownership.
RUN groupadd --system --gid 10001 clinix \
    && useradd --system --uid 10001 --gid clinix --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin clinix

# Install from the builder's wheels only (--no-index: nothing is fetched or compiled here).
# The wheels are bind-mounted, so they never become a layer of this image.
COPY requirements.txt /tmp/requirements.txt
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
    && pip install --no-index --find-links=/wheels -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

WORKDIR /app
# Application code stays owned by root: the clinix user can read it but not change it.
COPY . .

# Static files are collected at build time (whitenoise serves them with hashed names).
# Settings refuse to import without SECRET_KEY when DEBUG is off, so this one RUN step gets a
# throwaway, non-secret value; it is not an ENV, so the image never carries a SECRET_KEY.
# CELERY_BROKER_URL=memory:// keeps settings from creating the file-system broker folders
# under var/, which only the embedded developer default uses.
RUN SECRET_KEY=collectstatic-build-step-only-not-a-secret \
    DEBUG=false \
    CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown clinix:clinix /app/var

USER clinix

EXPOSE 8000

# Liveness only: is something accepting connections on the port? An HTTP /healthz check
# replaces this once that endpoint exists. Worker and beat containers run the same image and
# listen on no port, so docker-compose.yml disables or replaces this check for them.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, socket; socket.create_connection(('127.0.0.1', int(os.environ.get('PORT', '8000'))), timeout=3).close()"]

# Shell form so the GUNICORN_* variables expand when the container starts; `exec` then makes
# gunicorn PID 1, so `docker stop` (SIGTERM) reaches it and it shuts down gracefully.
# gthread workers: threads cover waits on PostgreSQL and Redis; each thread keeps its own
# persistent database connection (CONN_MAX_AGE), so workers x threads x containers must stay
# below PostgreSQL's max_connections. /dev/shm keeps the worker heartbeat off the overlay fs;
# the control socket (for `gunicornc`) goes to /tmp because the clinix user cannot write /app.
CMD exec gunicorn clinix.wsgi \
    --bind "0.0.0.0:${PORT}" \
    --worker-class gthread \
    --workers "${GUNICORN_WORKERS}" \
    --threads "${GUNICORN_THREADS}" \
    --timeout "${GUNICORN_TIMEOUT}" \
    --graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT}" \
    --keep-alive "${GUNICORN_KEEPALIVE}" \
    --max-requests "${GUNICORN_MAX_REQUESTS}" \
    --max-requests-jitter "${GUNICORN_MAX_REQUESTS_JITTER}" \
    --worker-tmp-dir /dev/shm \
    --control-socket /tmp/gunicorn.ctl \
    --access-logfile - \
    --error-logfile -
