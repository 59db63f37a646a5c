# The two commands of the README: `make demo` and `make test`.
# Both create a virtual environment in .venv and install the project into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test test-fast lint bench docs

# the documentation site, strict: a broken link or reference, an undocumented public
# function or setting fails it (docs/hooks.py); written into src/kuafu/server/site/,
# which `kuafu serve` serves at /docs
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# `kuafu warm` builds the bytecode and numba caches ahead (in parallel), so the demo's
# server starts on caches instead of compiling while the user waits (issue 20)
demo: $(BIN)/python
	$(PIP) install -e .
	$(BIN)/kuafu warm
	$(BIN)/kuafu demo

test: $(BIN)/python
	$(PIP) install -e '.[test]'
	$(BIN)/ruff check src tests benchmarks
	$(MKDOCS)
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-pyquafu.sh
	bash scripts/ensure-quafu-sdk.sh
	$(BIN)/python -m pytest -n 2

test-fast: $(BIN)/python
	$(BIN)/python -m pytest -n 2 -m "not slow"

lint: $(BIN)/python
	$(BIN)/ruff check src tests benchmarks

docs: $(BIN)/python
	$(PIP) install -e '.[docs]'
	$(MKDOCS)

bench: $(BIN)/python
	$(PIP) install -e '.[test]'
	$(BIN)/python benchmarks/bench_qasm.py
