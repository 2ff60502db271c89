"""ith: intratumour heterogeneity from multi-region tumour, normal and plasma sequencing."""

__version__ = "0.1.0"
