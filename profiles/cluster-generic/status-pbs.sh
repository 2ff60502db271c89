#!/usr/bin/env bash
# Job state for snakemake-executor-plugin-cluster-generic on PBS/Torque: running, success or failed.
set -u
id="$1"
out=$(qstat -f -x "$id" 2>/dev/null || qstat -f "$id" 2>/dev/null)
state=$(printf '%s\n' "$out" | sed -n 's/.*job_state = \([A-Z]\).*/\1/p' | head -n1)
code=$(printf '%s\n' "$out" | sed -n 's/.*[Ee]xit_status = \(-\{0,1\}[0-9]*\).*/\1/p' | head -n1)
case "$state" in
  F|C) if [ "${code:-1}" = 0 ]; then echo success; else echo failed; fi ;;
  "") echo failed ;;
  *) echo running ;;
esac
