# Two entry points that do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test check lint typecheck rules-doc bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.demo-installed: $(BIN)/python pyproject.toml
	$(PIP) install -e .
	touch $@

$(VENV)/.test-installed: $(BIN)/python pyproject.toml
	$(PIP) install -e '.[test]'
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/preflight check examples/model_repo

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -q

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

check: lint typecheck test

rules-doc: $(VENV)/.demo-installed
	$(BIN)/preflight rules --format md > docs/rules.md

bench: $(VENV)/.demo-installed
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_engine_header.py
	$(BIN)/python benchmarks/bench_manifest.py
	$(BIN)/python benchmarks/bench_build_log.py
	$(BIN)/python benchmarks/bench_large_repo.py
	$(BIN)/python benchmarks/bench_remote.py
	$(BIN)/python benchmarks/bench_pbtxt_import.py
	$(BIN)/python benchmarks/bench_install.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
