"""A truth-bearing simulator of multi-region tumour, normal and plasma sequencing."""
