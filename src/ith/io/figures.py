"""Figures written like tables: laid out, without a timestamp in the file, under a temporary
name until complete."""

from __future__ import annotations

import os


def save_figure(fig, path: str, dpi: int = 110) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}.png"
    fig.savefig(tmp, dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    os.replace(tmp, path)
