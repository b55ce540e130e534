# Lianzheng: `make handouts` builds the handouts from the bundled library; `make test` runs the tests.
# Both create the virtual environment in .venv on first use; nothing needs installing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install handouts test lint check bench clean

$(STAMP): pyproject.toml
	@bash scripts/bootstrap.sh "$(PYTHON)" "$(VENV)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## The main job: until the handout builder lands, check the bundled library and print its statistics.
handouts: $(STAMP)
	$(BIN)/lianzheng check casebook
	$(BIN)/lianzheng stats casebook

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check toolkit tests bench
	$(BIN)/mypy

check: lint test

bench: $(STAMP)
	$(BIN)/python bench/library_load.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
