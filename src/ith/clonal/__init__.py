"""Clonal deconvolution: the PyClone-VI model, fitted by our own variational inference."""
