"""Grades (优/良/中/差) from total scores, by named and versioned band tables.

Band tables are data, not constants (DOMAIN.md §3): each lives in ``data/bands/<name>.yaml`` with
its name, version, region, effective year and source document, and a list of bands from best to
worst, each with a lower bound and whether the bound itself belongs to the band. The national
table is the MoF unified standard (优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差); local variants ship beside
it, and a caller may build its own :class:`BandTable`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from indicators.errors import InputError, NotFoundError
from indicators.resources import shipped_names, shipped_yaml

__all__ = ["Band", "BandTable", "available_band_tables", "load_bands", "grade", "cap_grades"]


@dataclass(frozen=True)
class Band:
    """One grade and where it starts.

    Attributes
    ----------
    label
        The grade, e.g. ``"优"``.
    lower
        Lower bound of the band; ``-inf`` for the bottom band.
    inclusive
        Whether a total equal to ``lower`` gets this grade (``≥``) or the next one down (``>``).
    label_en
        The grade's name in English (e.g. ``"excellent"``), for English reports; empty when
        the table gives none.
    """

    label: str
    lower: float
    inclusive: bool = True
    label_en: str = ""


@dataclass(frozen=True)
class BandTable:
    """A named, versioned grade table: bands from best to worst.

    Attributes
    ----------
    name, version
        What a result records to say which table graded it.
    bands
        Best first; lower bounds strictly decreasing; the last band is the floor.
    region, effective_year, source
        Where and from when it applies, and the document it comes from.
    """

    name: str
    version: str
    bands: tuple[Band, ...]
    region: str = ""
    effective_year: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "bands", tuple(self.bands))
        if not self.bands:
            raise InputError(f"等级表 {self.name} 没有任何等级", f"band table {self.name!r} is empty",
                             field="bands")
        labels = [b.label for b in self.bands]
        if len(set(labels)) != len(labels):
            raise InputError(f"等级表 {self.name} 有重复的等级名称",
                             f"band table {self.name!r} repeats a label", field="bands")
        lowers = [b.lower for b in self.bands]
        if any(math.isnan(x) for x in lowers) or any(nxt >= cur for cur, nxt in zip(lowers, lowers[1:], strict=False)):
            raise InputError(f"等级表 {self.name} 的下限必须从高到低严格递减",
                             f"band table {self.name!r}: lower bounds must strictly decrease",
                             field="bands")

    @property
    def labels(self) -> tuple[str, ...]:
        """Grade labels, best first."""
        return tuple(b.label for b in self.bands)

    def describe(self) -> str:
        """The bands in words, e.g. ``"优 ≥ 90; 良 ≥ 80; 中 ≥ 60; 差 < 60"``.

        Returns
        -------
        str
            One ``label ≥ lower`` (or ``>``) per band, the floor as ``label < next bound``.

        Notes
        -----
        Printed beside every graded result, so a reader sees which cut-offs were applied.

        Examples
        --------
        >>> load_bands("local_strict90").describe()
        '优 > 90; 良 ≥ 80; 中 ≥ 60; 差 < 60'
        """
        parts = []
        for band, above in zip(self.bands, (None, *self.bands[:-1]), strict=True):
            if math.isinf(band.lower):
                parts.append(f"{band.label} < {above.lower:g}" if above else band.label)
            else:
                parts.append(f"{band.label} {'≥' if band.inclusive else '>'} {band.lower:g}")
        return "; ".join(parts)


def available_band_tables() -> list[str]:
    """Names of the band tables shipped in ``data/bands``.

    Returns
    -------
    list of str
        Sorted names usable with :func:`load_bands` and :func:`grade`.

    Notes
    -----
    Tables other than grade bands (such as the PEFA M2 conversion table) live in the same folder
    and are listed only if they hold a ``bands`` list.

    Examples
    --------
    >>> "national" in available_band_tables()
    True
    """
    return [name for name in shipped_names("bands")
            if isinstance(doc := shipped_yaml("bands", f"{name}.yaml"), dict) and "bands" in doc]


@cache
def load_bands(name: str) -> BandTable:
    """Load a shipped band table by name (``data/bands/<name>.yaml``).

    Parameters
    ----------
    name
        ``"national"`` (MoF unified standard), ``"local_strict90"``, ``"local_80_70_60"`` or any
        other table shipped in ``data/bands``.

    Returns
    -------
    BandTable
        The frozen table, cached after the first load.

    Raises
    ------
    NotFoundError
        No table of that name is shipped.
    InputError
        The file lacks a field or has an invalid band (naming the file and field).

    Notes
    -----
    The national table is 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号): 90（含）–100 优,
    80（含）–90 良, 60（含）–80 中, below 60 差.

    Examples
    --------
    >>> load_bands("national").describe()
    '优 ≥ 90; 良 ≥ 80; 中 ≥ 60; 差 < 60'
    """
    if name not in available_band_tables():
        raise NotFoundError(f"找不到等级表：{name}（可用：{'、'.join(available_band_tables())}）",
                            f"no band table named {name!r}", field="bands")
    return _table_from_doc(shipped_yaml("bands", f"{name}.yaml"), file=f"{name}.yaml")


def _table_from_doc(doc: Any, *, file: str) -> BandTable:
    if not isinstance(doc, dict):
        raise InputError("等级表文件不是一个映射", "band table file is not a mapping", file=file)
    for key in ("name", "version", "source", "bands"):
        if key not in doc:
            raise InputError(f"等级表缺少字段 {key}", f"band table lacks field {key!r}",
                             file=file, field=key)
    bands = []
    for i, entry in enumerate(doc["bands"]):
        if not isinstance(entry, dict) or "label" not in entry:
            raise InputError(f"第 {i + 1} 个等级缺少 label", f"band {i + 1} lacks a label",
                             file=file, field="bands")
        lower = entry.get("lower")
        bands.append(Band(
            label=str(entry["label"]),
            lower=-math.inf if lower is None else float(lower),
            inclusive=bool(entry.get("inclusive", True)),
            label_en=str(entry.get("en", "") or ""),
        ))
    year = doc.get("effective_year")
    return BandTable(
        name=str(doc["name"]), version=str(doc["version"]), bands=tuple(bands),
        region=str(doc.get("region", "")), effective_year=None if year is None else int(year),
        source=" ".join(str(doc["source"]).split()),
    )


def _resolve(bands: str | BandTable) -> BandTable:
    if isinstance(bands, BandTable):
        return bands
    if isinstance(bands, str):
        return load_bands(bands)
    raise InputError("bands 必须是等级表名称或 BandTable",
                     "bands must be a band table name or a BandTable", field="bands")


def grade(total: ArrayLike, bands: str | BandTable = "national") -> Any:
    """The grade of one total or of many.

    Parameters
    ----------
    total
        A number, an array, or a pandas Series of totals. NaN or None has no grade.
    bands
        A shipped table's name (default ``"national"``) or a :class:`BandTable`.

    Returns
    -------
    str or None, numpy.ndarray or pandas.Series
        The label for a scalar (``None`` for NaN); an object array of labels (``None`` for NaN)
        for an array; a Series with the same index for a Series.

    Notes
    -----
    A total gets the first band, best first, whose bound it clears: ``total ≥ lower`` for an
    inclusive band, ``total > lower`` otherwise. Grade the published total, already rounded to two
    decimals (DOMAIN.md §3), so that a total shown as 90.00 is graded as 90.

    Examples
    --------
    >>> grade(90)
    '优'
    >>> grade([89.99, 80, 59.99, float("nan")]).tolist()
    ['良', '良', '差', None]
    >>> grade(90, "local_strict90")
    '良'
    """
    table = _resolve(bands)
    index = total.index if isinstance(total, pd.Series) else None
    try:
        x = np.asarray(total, dtype=float)
    except (TypeError, ValueError):
        raise InputError("总分必须是数字", "totals must be numbers", field="total") from None
    conditions = [x >= b.lower if b.inclusive else x > b.lower for b in table.bands]
    position = np.select(conditions, np.arange(len(table.bands)), default=len(table.bands))
    if position.ndim == 0:
        return (*table.labels, None)[int(position)]
    labels = np.asarray([*table.labels, None], dtype=object)[position]
    if index is not None:
        return pd.Series(labels, index=index, name="grade", dtype=object)
    return labels


def cap_grades(grades: ArrayLike, cap: str, bands: str | BandTable = "national",
               where: ArrayLike | None = None) -> np.ndarray:
    """Lower grades that are better than ``cap`` down to ``cap`` (a veto gate).

    Parameters
    ----------
    grades
        Labels of the table (``None`` stays ``None``).
    cap
        The best grade allowed, e.g. ``"中"``.
    bands
        The table that orders the labels.
    where
        Boolean mask of the entries to cap; all entries if omitted.

    Returns
    -------
    numpy.ndarray
        Object array of labels.

    Notes
    -----
    The US PART rated programmes without evidence "Results Not Demonstrated" whatever their
    section scores (OMB, 2004, *Performance and Management Assessments*, FY2005 Budget); DOMAIN.md
    §6 takes this as a gate that caps the grade where evidence is missing.

    Examples
    --------
    >>> cap_grades(["优", "良", "差"], "中").tolist()
    ['中', '中', '差']
    """
    table = _resolve(bands)
    if cap not in table.labels:
        raise InputError(f"封顶等级“{cap}”不在等级表 {table.name} 中",
                         f"cap {cap!r} is not a grade of band table {table.name!r}", field="cap")
    rank = {label: i for i, label in enumerate(table.labels)}
    labels = np.asarray(grades, dtype=object)
    codes, uniques = pd.factorize(labels.ravel(), use_na_sentinel=True)
    unknown = [u for u in uniques if u not in rank]
    if unknown:
        raise InputError(f"未知等级：{unknown[0]!r}", f"unknown grade {unknown[0]!r}", field="grades")
    ranks = np.append([rank[u] for u in uniques], -1)[codes].reshape(labels.shape)
    mask = np.ones(labels.shape, dtype=bool) if where is None else np.asarray(where, dtype=bool)
    better = mask & (ranks >= 0) & (ranks < rank[cap])
    return np.where(better, cap, labels).astype(object)
