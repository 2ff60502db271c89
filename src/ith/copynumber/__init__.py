"""Allele-specific copy number, purity and ploidy: bins, depth, BAF, joint segmentation, fits."""
