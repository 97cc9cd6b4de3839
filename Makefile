# The two set-up commands of the README: `make demo` and `make test`, each complete on a
# fresh machine with Python 3.11+, node and npm.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mlwork-installed
EXECUTED := build/executed
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

LABEXT := mlwork_jupyter/labextension/package.json
TS_SOURCES := $(wildcard labextension/src/*.ts labextension/style/*) tsconfig.json package.json

.PHONY: demo test install lint typecheck pytest clean

install: $(STAMP) $(LABEXT)

$(STAMP): pyproject.toml package.json package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m pip install --quiet -e ".[tensorflow,test]"
	$(BIN)/jupyter-builder develop --overwrite . >/dev/null
	touch $@

# The editable install links the built extension into the venv; rebuild it when its source changes.
$(LABEXT): $(STAMP) $(TS_SOURCES)
	npm run --silent build:prod
	touch $@

demo: install
	$(BIN)/python scripts/run_examples.py --output $(EXECUTED)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_versions.py
	npm run --silent lint:check

typecheck: install
	$(BIN)/mypy
	npm run --silent typecheck

pytest: install
	npm test --silent
	$(BIN)/python -m pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) node_modules lib mlwork_jupyter/labextension build .mypy_cache .ruff_cache .pytest_cache
