#!/usr/bin/env bash
# Run by Snakemake (--sdm conda) once, inside the new environment of envs/ith.yaml: installs this
# workflow's own package `ith` (editable, so the environment follows the checkout it was made from).
# The Snakefile sets ITH_SOURCE to the workflow's directory before any environment is created.
set -euo pipefail
: "${ITH_SOURCE:?ITH_SOURCE is not set: run this workflow through its Snakefile}"
python -m pip install --no-deps --no-build-isolation -e "$ITH_SOURCE"
