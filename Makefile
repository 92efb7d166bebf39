# The two commands of the README: `make run` and `make test`. Both create .venv and
# install what is missing first, so they work on a machine that has only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck unit install key migrate reencrypt bench emulator fuzz clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
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

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy .

unit: $(DEV_STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint typecheck unit

# Every schemathesis phase against the API, on each configured database (a few minutes).
fuzz: $(DEV_STAMP)
	FLOWHOLD_FUZZ=full $(VENV)/bin/pytest tests/api/test_no_server_errors.py

bench: $(DEV_STAMP)
	$(PY) -m bench.compile_graphs
	$(PY) -m bench.interpreter
	$(PY) -m bench.http_clients
	$(PY) -m bench.slowest_expression

# The local X / Instagram / Meta webhooks emulator (README: Platform emulator).
EMULATOR_PORT ?= 8900
emulator: $(RUN_STAMP)
	@$(PY) -m tests.emulator --host 127.0.0.1 --port $(EMULATOR_PORT)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
