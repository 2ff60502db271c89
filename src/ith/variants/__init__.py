"""Somatic variants: joint discovery over a patient's tissue, a pooled somatic model, and
force-genotyping of every passing site in every sample (plasma and normal included)."""
