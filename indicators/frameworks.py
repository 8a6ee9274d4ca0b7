"""The built-in indicator frameworks shipped as YAML, and the loader for framework files.

Each file in ``data/frameworks`` holds one library version in the layout of
:meth:`indicators.model.LibraryVersion.to_dict`, named ``<framework_id>.yaml``. The folder is
found through :mod:`indicators.resources`, so an installed wheel finds the same files as a
source checkout.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from indicators.errors import InputError, NotFoundError
from indicators.model import LibraryVersion
from indicators.resources import data_path

__all__ = ["builtin_frameworks", "load_builtin", "load_framework_file"]

_SUFFIX = ".yaml"
# A framework id is also a file name: keep it to safe characters so no id can leave the folder.
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _frameworks_dir() -> Path:
    return data_path("frameworks")


def builtin_frameworks() -> list[str]:
    """The ids of the frameworks shipped with jixiao, sorted.

    Returns
    -------
    list of str
        One id per ``<id>.yaml`` file in the shipped ``frameworks`` folder.

    Notes
    -----
    The shipped set covers the national texts a county bureau works from: the target and
    self-evaluation framework (财预〔2020〕10号, 财预〔2021〕101号), the project evaluation
    framework (财预〔2020〕10号 附件1), the department framework (财预〔2013〕53号), ex-ante
    assessment (中发〔2018〕34号), a report-review rubric and a sector catalogue.

    Examples
    --------
    >>> "national-target" in builtin_frameworks()
    True
    """
    folder = _frameworks_dir()
    if not folder.is_dir():
        return []
    return sorted(path.name.removesuffix(_SUFFIX) for path in folder.glob(f"*{_SUFFIX}")
                  if path.is_file())


def load_builtin(framework_id: str) -> LibraryVersion:
    """Load one shipped framework by id.

    Parameters
    ----------
    framework_id
        An id from :func:`builtin_frameworks`, e.g. ``"national-target"``.

    Returns
    -------
    LibraryVersion
        The published library version the file holds.

    Raises
    ------
    NotFoundError
        If no shipped framework has this id.
    InputError
        If the file is malformed or its ``framework_id`` differs from its file name.

    Notes
    -----
    Parsed files are cached by path, modification time and size (see
    :func:`load_framework_file`), so repeated loads cost nothing and an edited file is re-read.

    Examples
    --------
    >>> lib = load_builtin("national-target")
    >>> lib.ref, lib.kind.value
    ('national-target@1.0.0', 'target')
    >>> [(ind.name, ind.weight) for ind in lib.children(None)]
    [('预算执行率', 10.0), ('产出指标', 50.0), ('效益指标', 30.0), ('满意度指标', 10.0)]
    """
    known = builtin_frameworks()
    if not isinstance(framework_id, str) or not _ID.match(framework_id) or framework_id not in known:
        raise NotFoundError(
            f"没有内置指标框架 '{framework_id}'，可用的有：{'、'.join(known)}",
            f"no built-in framework '{framework_id}'; available: {', '.join(known)}",
            field="framework_id",
        )
    path = _frameworks_dir() / f"{framework_id}{_SUFFIX}"
    library = load_framework_file(path)
    if library.framework_id != framework_id:
        raise InputError(
            f"文件中的 framework_id '{library.framework_id}' 与文件名 '{framework_id}' 不一致",
            f"framework_id '{library.framework_id}' does not match the file name '{framework_id}'",
            file=path.name, field="framework_id",
        )
    return library


def load_framework_file(path: str | Path) -> LibraryVersion:
    """Read one framework YAML file into a library version.

    Parameters
    ----------
    path
        A ``.yaml`` file in the layout of :meth:`LibraryVersion.to_dict`.

    Returns
    -------
    LibraryVersion
        The version the file describes. Equal files give the same (cached) frozen value.

    Raises
    ------
    NotFoundError
        If the file does not exist.
    InputError
        If the file is not UTF-8, is not valid YAML (the error names the file and line), or
        does not describe a library (the error names the file and the field).

    Notes
    -----
    YAML is read with ``yaml.safe_load``, so a file can never construct Python objects.
    Dates written without quotes in the changelog are turned back into ISO text, as
    :class:`~indicators.model.ChangelogEntry` keeps dates as text.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> file = folder / "mini.yaml"
    >>> _ = file.write_text(
    ...     "framework_id: mini\\nversion: 1.0.0\\ntitle: 示例\\nkind: catalogue\\n"
    ...     "indicators:\\n- {code: A, name: 产出指标, level: 1}\\n", encoding="utf-8")
    >>> load_framework_file(file).ref
    'mini@1.0.0'
    """
    file = Path(path)
    try:
        stat = file.stat()
    except FileNotFoundError as exc:
        raise NotFoundError(f"找不到指标框架文件 '{file.name}'",
                            f"framework file '{file.name}' not found", file=file.name) from exc
    if not file.is_file():
        raise InputError(f"'{file.name}' 不是文件", f"'{file.name}' is not a file", file=file.name)
    return _load_cached(str(file.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_cached(resolved: str, mtime_ns: int, size: int) -> LibraryVersion:
    # mtime and size are part of the key only so that an edited file misses the cache.
    file = Path(resolved)
    name = file.name
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("文件不是 UTF-8 编码", f"file is not UTF-8 encoded: {exc.reason}",
                         file=name) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"YAML 格式错误：{problem}", f"invalid YAML: {problem}",
                         file=name, row=line) from exc
    return LibraryVersion.from_dict(_dates_as_text(data), file=name)


def _dates_as_text(data: Any) -> Any:
    if not isinstance(data, Mapping):
        return data
    changelog = data.get("changelog")
    if not isinstance(changelog, list):
        return data
    fixed = [
        {key: value.isoformat() if isinstance(value, dt.date) else value
         for key, value in entry.items()} if isinstance(entry, Mapping) else entry
        for entry in changelog
    ]
    return {**data, "changelog": fixed}
