"""What a failed identity check does to its patient: clones built from another person's sample
are wrong in a way no later stage can see, so by default the patient stops before clonal
analysis (qc.on_identity_failure: stop), naming the samples; `warn` logs and goes on."""

from __future__ import annotations

import logging

import pandas as pd

from ith.errors import InputError

ACTIONS = ("stop", "warn")


def identity_failures(verdicts: pd.DataFrame, pairs: pd.DataFrame) -> list[str]:
    """One sentence per sample the identity check calls suspect (it looks like another person
    than most samples it was compared with), naming the samples it disagrees with and how much."""
    out = []
    for s in verdicts.loc[verdicts["status"] == "suspect", "sample"]:
        mine = pairs[((pairs["sample_a"] == s) | (pairs["sample_b"] == s)) & (pairs["verdict"] == "different_person")]
        others = [f"{b if a == s else a} (concordance {c:.2f}, opposite homozygotes {i:.1%} of {n} sites)"
                  for a, b, c, i, n in mine[["sample_a", "sample_b", "concordance", "ibs0", "n_sites"]]
                  .itertuples(index=False)]
        out.append(f"sample {s} looks like another person than {', '.join(others)}")
    return out


def apply_identity_policy(patient: str, verdicts: pd.DataFrame, pairs: pd.DataFrame, action: str,
                          sheet: str) -> list[str]:
    """Raise InputError when a sample failed identity and action is 'stop'; else log each failure
    as a warning. Returns the failures."""
    if action not in ACTIONS:
        raise InputError(f"config: qc.on_identity_failure is '{action}'; use one of {', '.join(ACTIONS)}.")
    failures = identity_failures(verdicts, pairs)
    if failures and action == "stop":
        raise InputError(
            f"patient {patient} stopped before clonal analysis: {'; '.join(failures)}. Its BAM is probably "
            f"another person's (a sample swap or a mislabelled file): check column 'bam' of {sheet} for these "
            f"samples. The other patients go on. To analyse the patient anyway, set qc.on_identity_failure: warn.")
    for f in failures:
        logging.warning("patient %s: %s; going on (qc.on_identity_failure: warn)", patient, f)
    return failures
