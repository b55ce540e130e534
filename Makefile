# Lianzheng: `make handouts` builds the handouts from the bundled library; `make test` runs the tests.
# Both create the virtual environment in .venv on first use; nothing needs installing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install handouts studio test test-fast lint check bench clean

$(STAMP): pyproject.toml
	@bash scripts/system-packages.sh
	@bash scripts/bootstrap.sh "$(PYTHON)" "$(VENV)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## The main job: every audience's casebook, outline, worksheet and quiz in HTML, PDF, DOCX and slides,
## in Chinese (handouts/zh-CN) and English (handouts/en), with one index.html linking both.
handouts: $(STAMP)
	$(BIN)/lianzheng check casebook
	$(BIN)/lianzheng build --library casebook --lang zh-CN,en --out handouts

## The trainer studio: JupyterLab with notebooks/studio.ipynb open (the address is printed below).
studio: $(STAMP)
	$(BIN)/jupyter lab notebooks/studio.ipynb $(if $(filter 0,$(shell id -u)),--allow-root)

## Every test, the browser and slow ones included: what CI runs.
test: $(STAMP)
	$(BIN)/python -m pytest

## Everything but the slow and browser tests (doctests included): under a minute, for while you work.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check toolkit tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

## The benchmarks: their naive loop and engine comparison run WeasyPrint (the `bench` extra, with Pango).
bench: $(STAMP)
	@bash scripts/system-packages.sh bench
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/library_load.py
	$(BIN)/python bench/build.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/responses.py
	$(BIN)/python bench/hall.py
	$(BIN)/python bench/studio.py --browser

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
