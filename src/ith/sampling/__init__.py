"""Sampling adequacy of a multi-region study (docs/methods/sampling.md): curves from subsampling a
patient's regions, an incidence-based richness estimate of the clones no region has shown yet,
and a one-line verdict."""
