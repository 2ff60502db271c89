# Two entry points for a new user (see README):  make demo   and   make test
# Each creates/updates the local virtual environment .venv from pyproject.toml first.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ith-installed
CORES  ?= 2
SEED   ?= 1
DEMO   ?= demo

export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup demo test browser bench clean-demo clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ith needs Python >= 3.11; set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# Simulate the demo cohort (once; `make clean-demo` to redo) and run the whole workflow on it.
demo: setup
	test -f $(DEMO)/config.yaml || $(BIN)/ith simulate --preset demo --seed $(SEED) --out $(DEMO) --threads $(CORES)
	$(BIN)/snakemake --cores $(CORES) --configfile $(DEMO)/config.yaml
	@echo "Demo done: results/ (open results/report/cohort.html, one report per patient in results/report/)"

# The report's browser test needs Chromium: Debian's package is installed when missing and we are
# root with apt; otherwise that test skips and says why.
test: setup browser
	$(BIN)/python -m pytest -q --durations=25

browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	     DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) ; } || \
	  echo "chromium not installed (not root or no apt): the report's browser test will be skipped"

# Speed and accuracy against baselines measured in the same run (numbers go in the issue notes).
# bench/variants.py and `bench/copynumber.py cnvkit` need the demo workflow's results: run them by hand.
bench: setup
	$(BIN)/python bench/simulate.py
	test -f $(DEMO)/config.yaml || $(BIN)/ith simulate --preset demo --seed $(SEED) --out $(DEMO) --threads $(CORES)
	$(BIN)/python bench/copynumber.py binning --cohort $(DEMO) --threads $(CORES)
	$(BIN)/python bench/copynumber.py scale

clean-demo:
	rm -rf $(DEMO) results logs benchmarks .snakemake

clean: clean-demo
	rm -rf $(VENV)
