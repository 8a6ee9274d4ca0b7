"""Where the shipped data (frameworks, band tables, demo county, messages) lives.

In a source checkout it is the repository's ``data/`` folder; in an installed wheel the same
folder is shipped as the ``jixiao_data`` package (see ``pyproject.toml``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["data_dir", "data_path"]


@cache
def data_dir() -> Path:
    """The folder holding jixiao's shipped data."""
    checkout = Path(__file__).resolve().parent.parent / "data"
    if checkout.is_dir() and (checkout / "frameworks").is_dir():
        return checkout
    return Path(str(resources.files("jixiao_data")))


def data_path(*parts: str) -> Path:
    """A path below the data folder, e.g. ``data_path("bands", "national.yaml")``."""
    return data_dir().joinpath(*parts)
