"""BAM quality control: per-sample metrics and the patient's sample-identity check."""
