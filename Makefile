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

.PHONY: setup demo test bench clean-demo clean

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
	@echo "Demo done: results/ (QC summary: results/qc/summary.tsv)"

test: setup
	$(BIN)/python -m pytest -q

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
