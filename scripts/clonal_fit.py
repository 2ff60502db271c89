"""Rule clonal_fit: fit the PyClone-VI model with our engine or a pyclone-vi executable."""
import logging
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from ith.clonal.data import read_input
from ith.clonal.engine import run
from ith.clonal.params import ClonalFitParams
from ith.clonal.patient import RESULT_COLUMNS
from ith.clonal.results import pyclone_table
from ith.io.tables import write_tsv
from ith.rulescript import start

start(snakemake)

inp, out, c = snakemake.input, snakemake.output, snakemake.params.clonal
params = ClonalFitParams.from_config(c)
logging.info("patient %s; parameters %s; threads %d", snakemake.wildcards.patient, c, snakemake.threads)
rows = pd.read_csv(inp.pyclone, sep="\t", nrows=1)
if rows.empty:
    logging.info("no mutation to cluster: empty results")
    write_tsv(pd.DataFrame(columns=RESULT_COLUMNS), out.results)
elif params.engine == "pyclone-vi":
    exe = shutil.which("pyclone-vi")
    if exe is None:
        raise SystemExit("clonal.engine is pyclone-vi but no pyclone-vi executable is on PATH: install it "
                         "(conda env create -f envs/pyclone-vi.yaml, or run with --sdm conda) or set engine: ith")
    with tempfile.TemporaryDirectory(dir=str(Path(out.results).parent)) as tmp:
        h5 = str(Path(tmp) / "fit.h5")
        tsv = str(Path(tmp) / "results.tsv")
        cmd = [exe, "fit", "-i", inp.pyclone, "-o", h5, "-c", str(params.num_clusters), "-d", params.density,
               "-g", str(params.grid_size), "-r", str(params.num_restarts), "--precision", str(params.precision),
               "--max-iters", str(params.max_iters), "--convergence-threshold", str(params.convergence_threshold),
               "--mix-weight-prior", str(params.mix_weight_prior), "--seed", str(params.seed)]
        logging.info("running %s", " ".join(cmd))
        subprocess.run(cmd, check=True, stdout=sys.stderr, stderr=sys.stderr)
        subprocess.run([exe, "write-results-file", "-i", h5, "-o", tsv], check=True, stdout=sys.stderr,
                       stderr=sys.stderr)
        write_tsv(pd.read_csv(tsv, sep="\t")[RESULT_COLUMNS], out.results)
else:
    data = read_input(inp.pyclone)
    res = run(data, params.engine_options(threads=snakemake.threads))
    write_tsv(pyclone_table(data, res.best, res.grid), out.results)
