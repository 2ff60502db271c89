"""Figures written like tables: laid out, without a timestamp in the file, under a temporary
name until complete."""

from __future__ import annotations

from ith.io.atomic import atomic_path


def save_figure(fig, path: str, dpi: int = 110) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    try:
        with atomic_path(path, ".png") as tmp:
            fig.savefig(tmp, dpi=dpi, metadata={"Software": None})
    finally:
        plt.close(fig)


def clone_colour(clone) -> tuple:
    """One colour per clone id in every figure of every stage (tab20, by id)."""
    import matplotlib

    if str(clone) in ("normal", "unassigned"):
        return matplotlib.colors.to_rgba("#bdbdbd" if str(clone) == "normal" else "#737373")
    return matplotlib.colormaps["tab20"](int(clone) % 20)
