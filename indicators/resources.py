"""Where the shipped data (frameworks, band tables, demo county, messages) lives, and its reading.

In a source checkout it is the repository's ``data/`` folder; in an installed wheel the same
folder is shipped as the ``jixiao_data`` package (see ``pyproject.toml``). The shipped YAML
tables (grade bands, random indices, interpretation bands, messages) are read here, once per
process, so that the kernels that look them up by name never open a file themselves.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["data_dir", "data_path", "shipped_names", "shipped_yaml"]


@cache
def data_dir() -> Path:
    """The folder holding jixiao's shipped data.

    Returns
    -------
    pathlib.Path
        The checkout's ``data/`` folder when it is there, else the installed ``jixiao_data``
        package.

    Notes
    -----
    The checkout is preferred so that an editable install reads the files being edited.

    Examples
    --------
    >>> (data_dir() / "bands").is_dir()
    True
    """
    checkout = Path(__file__).resolve().parent.parent / "data"
    if checkout.is_dir() and (checkout / "frameworks").is_dir():
        return checkout
    return Path(str(resources.files("jixiao_data")))


def data_path(*parts: str) -> Path:
    """A path below the data folder, e.g. ``data_path("bands", "national.yaml")``.

    Parameters
    ----------
    *parts
        Folder and file names below the data folder.

    Returns
    -------
    pathlib.Path
        The path (which need not exist).

    Notes
    -----
    Code that reads shipped tables uses :func:`shipped_yaml`; this is for files read whole by
    other means (demo workbooks, frameworks).

    Examples
    --------
    >>> data_path("bands", "national.yaml").name
    'national.yaml'
    """
    return data_dir().joinpath(*parts)


@cache
def shipped_names(folder: str) -> tuple[str, ...]:
    """The names (file stems) of the YAML files shipped in one data folder, sorted.

    Parameters
    ----------
    folder
        A folder below the data folder, e.g. ``"bands"``.

    Returns
    -------
    tuple of str
        Stems of its ``*.yaml`` files; empty if the folder does not exist.

    Notes
    -----
    Cached: the shipped data does not change while jixiao runs.

    Examples
    --------
    >>> "national" in shipped_names("bands")
    True
    """
    return tuple(sorted(p.stem for p in data_path(folder).glob("*.yaml") if p.is_file()))


@cache
def shipped_yaml(*parts: str) -> Any:
    """The parsed content of one shipped YAML file, read once per process.

    Parameters
    ----------
    *parts
        Its path below the data folder, e.g. ``("ahp", "random_index.yaml")``.

    Returns
    -------
    Any
        What the file holds (usually a dict). Shared between callers: read it, never change it.

    Raises
    ------
    FileNotFoundError
        No such file is shipped (callers look the name up in :func:`shipped_names` first and
        raise their own error naming what is missing).

    Notes
    -----
    Read with ``yaml.safe_load``, so a file can never construct Python objects.

    Examples
    --------
    >>> shipped_yaml("bands", "national.yaml")["name"]
    'national'
    """
    with data_path(*parts).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)
