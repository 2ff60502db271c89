"""Copy-number phylogeny: minimum-event distances between regions' allele-specific profiles, a
region tree from them, and its agreement with the SNV region tree (docs/methods/cntree.md)."""
