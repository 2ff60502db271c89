"""Exports: the clonal, tree and copy-number stages' results written in the input formats of other
tools (GDC MAF, Pairtree, CONIPHER, MEDICC2), from the stages' output files (docs/outputs.md#export)."""
