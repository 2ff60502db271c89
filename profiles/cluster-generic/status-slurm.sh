#!/usr/bin/env bash
# Job state for snakemake-executor-plugin-cluster-generic: prints running, success or failed.
# Uses sacct when the cluster keeps accounting, else scontrol/squeue (recent jobs only).
set -u
id="$1"
state=""
if command -v sacct >/dev/null 2>&1; then
  state=$(sacct -j "$id" --format=State --noheader --parsable2 2>/dev/null | head -n1 | cut -d' ' -f1)
fi
if [ -z "$state" ]; then
  state=$(scontrol show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n1)
fi
if [ -z "$state" ]; then
  state=$(squeue -h -j "$id" -o %T 2>/dev/null | head -n1)
fi
case "$state" in
  COMPLETED) echo success ;;
  PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|STAGE_OUT|"") echo running ;;
  *) echo failed ;;
esac
