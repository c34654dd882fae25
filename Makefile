# The two sacred commands: `make run` and `make test`. Both work on a fresh machine with only Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run test lint typecheck bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN) browser
	$(BIN)/liandiao up --demo --print-tokens

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/mypy domain workflows activities application workers infra entrypoints bootstrap
	$(BIN)/mypy --explicit-package-bases bench  # scripts, not a package: each checked against the repo root

# The dossier and workbench tests drive Debian's Chromium (Playwright launches /usr/bin/chromium; it never
# downloads a browser) and need CJK fonts to render Chinese; the mediation papers embed the same fonts in
# their PDFs (infra/pdf.py, so `make run` needs them too) and their tests read the PDFs back with
# poppler-utils' pdftotext. Installed here when missing and apt-get can (root); otherwise make stops with one
# line naming the packages.
browser:
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null \
				|| { echo "make test: could not install the Debian packages$$missing"; exit 1; }; \
		else echo "make test: install the Debian packages$$missing (apt-get install$$missing)"; exit 1; fi; \
	fi

test: lint browser
	@mkdir -p .pytest-tmp
	PYTEST_DEBUG_TEMPROOT=$(CURDIR)/.pytest-tmp $(BIN)/pytest -q

bench: $(STAMP_DEV)
	$(BIN)/python bench/event_store.py
	@for b in bench/lifecycle.py bench/queries.py bench/reports.py bench/analysis.py bench/notifications.py bench/soak.py; do \
		if [ -f $$b ]; then $(BIN)/python $$b || exit 1; fi; \
	done

clean:
	rm -rf $(VENV) .liandiao .pytest-tmp .pytest_cache .mypy_cache .ruff_cache
