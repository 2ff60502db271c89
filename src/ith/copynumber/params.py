"""Copy-number parameters from the validated `copynumber` config section."""

from __future__ import annotations

from ith.germline import HetParams
from ith.copynumber.call import CnParams
from ith.copynumber.fit import FitParams


def cn_params(cfg: dict) -> CnParams:
    return CnParams(min_mappable=cfg["min_mappable"], normal_depth_range=tuple(cfg["normal_depth_range"]),
                    min_bin_reads=cfg["min_bin_reads"], normal_window=cfg["normal_window"], penalty=cfg["segment"]["penalty"],
                    min_bins=cfg["segment"]["min_bins"], hets=HetParams(**cfg["hets"]), fit=FitParams(**cfg["fit"]))
