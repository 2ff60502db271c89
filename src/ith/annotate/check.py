"""Pre-flight checks of the annotation section: files that exist and read, before any job runs."""

from __future__ import annotations

import os

from ith.annotate.drivers import read_driver_genes
from ith.errors import InputError


def check_annotation_config(section: dict, source: str) -> None:
    gtf, drivers = section["gtf"], section["drivers"]
    if gtf and not os.path.exists(gtf):
        raise InputError(f"{source}: annotation.gtf '{gtf}' not found; correct the path or set it to null.")
    if drivers:
        try:
            read_driver_genes(drivers)
        except InputError as e:
            raise InputError(f"{source}: {e}") from None
