"""Timing of copy-number gains and whole-genome doubling from clonal mutations' multiplicities."""
