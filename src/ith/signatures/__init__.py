"""Mutational signatures: SBS96 profiles of the trunk, clones, branches and regions, and COSMIC
reference-signature fits with bootstrap intervals (docs/methods/signatures.md)."""
