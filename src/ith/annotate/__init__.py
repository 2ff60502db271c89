"""Gene annotation of the somatic mutations: transcript models from a GTF (gtf.py), the
consequence, HGVS and MAF Variant_Classification of each allele on its gene's chosen transcript
(consequence.py), VEP CSQ / snpEff ANN fields read from a VCF (vcffields.py), and the driver
gene list (drivers.py)."""
