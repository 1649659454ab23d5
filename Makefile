# Clinix developer commands. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check lint format migrate seed worker shell clean bench

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Clinix needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

# A developer's settings: DEBUG on and a random secret key, never committed.
.env:
	@$(PYTHON) -c 'import secrets; print("DEBUG=true\nSECRET_KEY=" + secrets.token_urlsafe(50))' > .env
	@echo "Wrote .env (DEBUG on, random SECRET_KEY) for the embedded default."

## run: the embedded default: SQLite, file broker, demo data, web server + Celery worker with beat.
run: $(STAMP) .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Clinix on http://$(HOST):$(PORT)/ (back office: /admin/). Ctrl-C stops everything."
	@trap 'trap - EXIT INT TERM; kill 0' EXIT INT TERM; \
	$(BIN)/celery -A clinix worker --beat --pool=solo --loglevel=INFO & \
	$(PY) manage.py runserver $(HOST):$(PORT)

## test: lint, import contract, then the whole suite on the local PostgreSQL and Redis.
test: $(STAMP) lint
	$(BIN)/pytest -n 2 --dist loadgroup

## bench: build the scale world in clinix_bench if missing (REBUILD=1: from scratch), run every
## scenario against the local PostgreSQL and Redis, write docs/performance.md (about 15 min).
bench: $(STAMP)
	$(PY) -m bench.run $(if $(REBUILD),--rebuild) $(if $(NOTE),--note "$(NOTE)")

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP) .env
	$(PY) manage.py migrate

seed: $(STAMP) .env
	$(PY) manage.py seed_demo

worker: $(STAMP) .env
	$(BIN)/celery -A clinix worker --beat --loglevel=INFO

shell: $(STAMP) .env
	$(PY) manage.py shell

clean:
	rm -rf $(VENV) var/*.sqlite3* var/broker var/cache var/celerybeat-schedule* staticfiles
