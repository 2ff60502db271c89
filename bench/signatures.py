"""Recovery of simulated mutational processes (a clock-like SBS1/SBS5 trunk and an APOBEC-like
SBS2/SBS13 branch) at the matrix level: the dominant signature and the largest exposure error
of trunk and branch over simulated patients with >= 100 SNVs in each, per engine and candidate
set, and the time of the fits (docs/benchmarks.md)."""
import argparse
import time

from ith.signatures.evaluate import recovery, simulated_counts
from ith.signatures.fit import SignatureParams

LUNG_LIKE = ("SBS1", "SBS2", "SBS3", "SBS4", "SBS5", "SBS13", "SBS17b", "SBS18", "SBS40a")

ap = argparse.ArgumentParser()
ap.add_argument("--patients", type=int, default=20)
ap.add_argument("--seed", type=int, default=11)
ap.add_argument("--bootstrap", type=int, default=200)
args = ap.parse_args()
mats = simulated_counts(args.seed, args.patients, snvs=(800, 1000))
for engine in ("sigprofilerassignment", "nnls"):
    for name, cands in (("all (no artefacts)", ()), ("lung-like 9", LUNG_LIKE)):
        t = time.time()
        r = recovery(mats, SignatureParams(engine=engine, candidates=cands, bootstrap=args.bootstrap))
        dt = time.time() - t
        ok = r.assign(dom=r["true_dominant"] == r["fitted_dominant"], close=r["max_error"] <= 0.1)
        per = ok.groupby("patient")[["dom", "close"]].all()
        both = (per["dom"] & per["close"]).mean()
        print(f"{engine:22s} {name:20s} patients {len(per):2d}  dominant right {per['dom'].mean():.2f}  "
              f"within 0.1 {per['close'].mean():.2f}  both {both:.2f}  median max error "
              f"{r['max_error'].median():.3f}  worst {r['max_error'].max():.3f}  "
              f"{dt / len(per):.1f} s per patient (2 groups, {args.bootstrap} resamples)")
