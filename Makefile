# Two commands for a fresh machine: `make demo` (the main job) and `make test` (the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint test-live bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.installed-local: pyproject.toml | $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,local]'
	touch $@

demo: $(VENV)/.installed  ## set up, then run the example suite offline from committed cassettes
	$(BIN)/harness validate specs/

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy harness

test: lint  ## set up, then lint, type-check and run the test suite
	$(BIN)/pytest -m "not live_local" -n 2 -q

test-live: $(VENV)/.installed-local  ## the live end-to-end test on a real local model (builds llama.cpp)
	$(BIN)/pytest -m live_local -q

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
