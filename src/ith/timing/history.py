"""Copy-number histories of a segment and the multiplicities they leave on its clonal mutations
(docs/methods/timing.md, "Histories").

A history is the shortest sequence of single-copy steps from 1+1 to a segment's state: a gain or a
loss of one copy of one allele, a copy-neutral LOH of a balanced pair (one allele lost, the other
doubled), and, in a doubled region, exactly one whole-genome doubling. Each gain copies one of
the allele's copies (any of them, with equal chance), so a state with M copies of an allele is
reached in M - 1 successive gains; one event that makes several copies at once is the special case
in which the intervals between them are empty (the fit finds them near zero). A state reached by
two or more different shortest histories (3+1 after a doubling: the gain or the loss first; 4+0
after a doubling: the LOH before or after it) is ambiguous and not timed.

The time between the steps is the unknown. A mutation arising in interval j (after step j - 1,
before step j) on one copy of allele a ends with a multiplicity that the later steps decide (a
gain of its allele copies it with chance m / c, a loss removes it with chance m / c, a doubling
doubles it, an LOH of its allele removes it). With mutations accruing at a constant rate (per copy
of the DNA, `copies`, MutationTimeR's clock; or per site and allele present, `sites`), the
expected number of clonal mutations with multiplicity m is r * sum_j d_j W[j, m], where d_j is the
interval's length on the clock of the mutations (the d_j sum to 1) and W is the design matrix
below. The fit inverts it (`ith.timing.core`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

Step = tuple[str, int]  # ("gain" | "loss" | "cnloh" | "wgd", allele 0 (major) / 1 (minor) / -1 (both))
MAX_STEPS = 4  # steps other than the doubling a history may take
MAX_COPIES = 12


@dataclass(frozen=True)
class History:
    steps: tuple[Step, ...]
    states: tuple[tuple[int, int], ...]  # the state before step 0, after step 0, ... (len(steps) + 1)

    def label(self) -> str:
        return ">".join(f"{a}+{b}" for a, b in self.states)

    def step_names(self) -> list[str]:
        return [kind if kind == "wgd" else f"{kind} {'major' if a == 0 else 'minor'}" for kind, a in self.steps]


def _apply(state: tuple[int, int], step: Step) -> tuple[int, int] | None:
    kind, a = step
    c = list(state)
    if kind == "wgd":
        return (2 * c[0], 2 * c[1])
    if c[a] == 0:
        return None
    if kind == "gain":
        c[a] += 1
    elif kind == "loss":
        c[a] -= 1
    else:  # cnloh: allele a lost, the other doubled; only of a balanced pair
        if c[0] != c[1]:
            return None
        c[1 - a], c[a] = 2 * c[1 - a], 0
    if max(c) > MAX_COPIES:
        return None
    return (c[0], c[1])


def _mirror(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    return tuple((k, a if a < 0 else 1 - a) for k, a in steps)


@lru_cache(maxsize=None)
def histories(major: int, minor: int, wgd: bool) -> tuple[History, ...]:
    """The shortest histories from 1+1 to major+minor (allele 0 the major), one per pair of
    mirror images; with `wgd`, each holds exactly one doubling. Empty when none is within
    MAX_STEPS steps (or for 1+1 without a doubling)."""
    target = (major, minor)
    moves = [("gain", 0), ("gain", 1), ("loss", 0), ("loss", 1), ("cnloh", 0), ("cnloh", 1)]
    frontier: list[tuple[tuple[Step, ...], tuple[tuple[int, int], ...]]] = [((), ((1, 1),))]
    for _ in range(MAX_STEPS + int(wgd)):
        nxt = []
        for steps, states in frontier:
            options = moves + ([("wgd", -1)] if wgd and ("wgd", -1) not in steps else [])
            for step in options:
                s = _apply(states[-1], step)
                if s is not None:
                    nxt.append((steps + (step,), states + (s,)))
        done = [(st, ss) for st, ss in nxt if ss[-1] == target and (("wgd", -1) in st) == wgd]
        done += [(st, ss) for st, ss in nxt if major == minor and ss[-1] == target[::-1] and (("wgd", -1) in st) == wgd]
        if done:
            seen, out = set(), []
            for st, ss in done:
                if ss[-1] != target:  # the mirror image reaches major+minor with allele 0 the major
                    st = _mirror(st)
                    ss = tuple((b, a) for a, b in ss)
                key = min(st, _mirror(st))
                if key not in seen:
                    seen.add(key)
                    out.append(History(st, ss))
            return tuple(out)
        frontier = nxt
    return ()


def _propagate(m0: int, allele: int, h: History, after: int) -> np.ndarray:
    """Distribution of the final multiplicity (0..MAX_COPIES * 2) of a mutation on one copy
    (m0 = 1) of `allele` that arose in interval `after` (before step `after`)."""
    p = np.zeros(2 * MAX_COPIES + 1)
    p[m0] = 1.0
    for k in range(after, len(h.steps)):
        kind, a = h.steps[k]
        c = h.states[k]
        q = np.zeros_like(p)
        if kind == "wgd":
            for m in np.flatnonzero(p):
                q[2 * m] += p[m]
        elif a != allele:
            if kind == "cnloh":  # the other allele lost: this one doubled
                for m in np.flatnonzero(p):
                    q[2 * m] += p[m]
            else:
                q = p
        elif kind == "cnloh":
            q[0] = p.sum()
        else:
            n = c[allele]
            for m in np.flatnonzero(p):
                if m == 0:
                    q[0] += p[0]
                    continue
                move = m / n
                q[m + (1 if kind == "gain" else -1)] += p[m] * move
                q[m] += p[m] * (1 - move)
        p = q
    return p


@lru_cache(maxsize=None)
def design(h: History, clock: str) -> np.ndarray:
    """W (intervals x multiplicities 1..major): expected clonal mutations with multiplicity m per
    unit length of interval j and unit rate. copies: a copy of the DNA mutates at rate 1; sites:
    a site mutates at rate 1, on one of the alleles present with equal chance."""
    major = h.states[-1][0]
    w = np.zeros((len(h.states), major))
    for j, state in enumerate(h.states):
        present = [a for a in (0, 1) if state[a] > 0]
        for a in present:
            weight = float(state[a]) if clock == "copies" else 1.0 / len(present)
            w[j] += weight * _propagate(1, a, h, j)[1 : major + 1]
    return w


def resolved(h: History) -> np.ndarray:
    """Per step: False for the second and later gains of an allele gained three or more times
    (4+1, 5+2 ...): their multiplicities (2..M-1) mix mutations of every later interval and sit
    close together in VAF, so the fit cannot place them (tests/test_timing.py); the first gain,
    from the mutations on all M copies, stays."""
    out = np.ones(len(h.steps), dtype=bool)
    for allele in (0, 1):
        gains = [k for k, s in enumerate(h.steps) if s == ("gain", allele)]
        if len(gains) >= 3:
            out[gains[1:]] = False
    return out


def identifiable(w: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
    """Per step k: is its time, sum_{j<=k} d_j / sum_j d_j, determined by the expected counts
    W^T x (x = r d; plus the rows of `extra`, constraints on x)? True where the step's and the
    total's indicator vectors are orthogonal to the null space of the map."""
    a = w.T if extra is None else np.vstack([w.T, extra])
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9 * max(s.max(), 1e-300)).sum())
    null = vt[rank:]
    n = w.shape[0]
    ones = np.ones(n)
    total_ok = np.abs(null @ ones).max(initial=0.0) < 1e-9
    out = []
    for k in range(n - 1):
        c = (np.arange(n) <= k).astype(float)
        out.append(total_ok and np.abs(null @ c).max(initial=0.0) < 1e-9)
    return np.array(out, dtype=bool)
