# The two sacred commands: `make run` and `make test`. Both work on a fresh machine with only Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/liandiao up --demo --print-tokens

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/mypy domain workflows activities application workers infra

test: lint
	@mkdir -p .pytest-tmp
	PYTEST_DEBUG_TEMPROOT=$(CURDIR)/.pytest-tmp $(BIN)/pytest -q

bench: $(STAMP_DEV)
	$(BIN)/python bench/event_store.py
	@for b in bench/lifecycle.py bench/queries.py bench/notifications.py; do \
		if [ -f $$b ]; then $(BIN)/python $$b || exit 1; fi; \
	done

clean:
	rm -rf $(VENV) .liandiao .pytest-tmp .pytest_cache .mypy_cache .ruff_cache
