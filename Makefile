# The two commands of the README: `make run` and `make test`. Both create .venv and
# install what is missing first, so they work on a machine that has only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

# Every test process rewrites the tests' asserts and every process compiles the code it imports;
# with PYTHONDONTWRITEBYTECODE set (some shells set it) none of it is kept for the next process:
# 7 s of CPU per test process to collect the tests, twice as much as from __pycache__.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test lint typecheck unit install key migrate reencrypt lock bench emulator fuzz deep clean \
	builder builder-deps builder-api builder-check bench-builder builder-screenshots

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[embedded]'
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(RUN_STAMP) $@

install: $(DEV_STAMP)

run: $(RUN_STAMP)
	@$(PY) -m app.launcher

migrate: $(RUN_STAMP)
	$(PY) -m app.cli migrate

key: $(RUN_STAMP)
	@$(PY) -m app.cli create-key

# After putting a new key first in VAULT_KEYS: re-seal every secret with it.
reencrypt: $(RUN_STAMP)
	@$(PY) -m app.cli reencrypt

# Ruff, then the ladder between packages (pyproject.toml [tool.importlinter]).
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy .

# Three test processes, each with its own Temporal servers, emulator and API servers: the tests
# wait on servers much of the time, so on 2 cores three keep them busiest (quiet machine, with
# PostgreSQL: 2 → 344 s, 3 → 282 s, 4 → 314 s). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 3
unit: $(DEV_STAMP)
	$(VENV)/bin/pytest --numprocesses $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test: lint typecheck unit

# Every property search at its full count of examples (`make test` tries a quarter of each:
# tests/utils/properties.py), on the same workers as `make unit`.
deep: $(DEV_STAMP)
	FLOWHOLD_PROPERTIES=deep $(VENV)/bin/pytest --numprocesses $(PYTEST_WORKERS) --dist worksteal \
		-m hypothesis $(PYTEST_ARGS)

# Every schemathesis phase against the API, on each configured database: a minute or two per
# database on a quiet machine, a quarter of an hour under load (past the per-test timeout).
fuzz: $(DEV_STAMP)
	FLOWHOLD_FUZZ=full $(VENV)/bin/pytest --timeout 1800 tests/api/test_no_server_errors.py

# The image's dependencies, pinned with their hashes, from pyproject.toml's (not the extras).
lock: $(DEV_STAMP)
	PIP_CONSTRAINT= $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

bench: $(DEV_STAMP)
	$(PY) -m bench.machine
	$(PY) -m bench.compile_graphs
	$(PY) -m bench.compile_instructions
	$(PY) -m bench.interpreter
	$(PY) -m bench.api_start
	$(PY) -m bench.http_clients
	$(PY) -m bench.slowest_expression
	$(PY) -m bench.tenant_fairness
	$(PY) -m bench.healthz_under_big_graphs
	$(PY) -m bench.webhook_automation
	$(PY) -m bench.worker_cpu
	$(PY) -m bench.temporal_floor
	$(PY) -m bench.waiting_memory
	$(PY) -m bench.summary

# The visual builder (builder/, served at /ui). Its built bundle is committed in app/ui, so
# `make run` needs no Node; these targets need Node 20 and npm.
builder/node_modules/.package-lock.json: builder/package-lock.json
	cd builder && npm ci --no-audit --no-fund --loglevel=error

builder-deps: builder/node_modules/.package-lock.json

# Rebuild the bundle from source (commit app/ui afterwards).
builder: builder-deps
	cd builder && npm run build

# After an API change: the OpenAPI snapshot and the typed client generated from it.
builder-api: $(DEV_STAMP) builder-deps
	$(PY) builder/scripts/openapi_snapshot.py > builder/openapi.json
	cd builder && npm run gen:api

# Lint, type-check, and fail when the committed bundle or API types differ from a rebuild.
builder-check:
	builder/scripts/check.sh

# The README's pictures of the canvas and the execution view (docs/images).
builder-screenshots: $(DEV_STAMP)
	$(PY) -m builder.scripts.screenshots

# Headless Chromium on a 500-node graph and a run view taking 1,000 updates (figures only).
bench-builder: $(DEV_STAMP)
	$(PY) -m bench.builder

# The local X / Instagram / Meta webhooks emulator (README: Platform emulator).
EMULATOR_PORT ?= 8900
emulator: $(RUN_STAMP)
	@$(PY) -m emulator --host 127.0.0.1 --port $(EMULATOR_PORT)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache builder/node_modules
