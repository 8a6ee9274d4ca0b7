"""PEFA-style aggregation of dimension scores (A/B/C/D) into one indicator score.

PEFA 2016 scores each dimension of an indicator on A, B, C, D (D* for D through lack of
information; NA not applicable; NR not rated) and combines the dimensions of one indicator by
one of two methods, named per indicator by the framework:

* M1, weakest link (WL): the lowest dimension score, with "+" where any other dimension scores
  higher — for indicators where a weak dimension undermines the strong ones;
* M2, averaging (AV): an approximate average read off an official conversion table, shipped as
  ``data/bands/pefa2016_m2.yaml`` with its source.

Neither is ever used across indicators. jixiao uses these for dimension-based department
appraisals that follow the PEFA logic (DOMAIN.md §6).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from indicators.errors import InputError, NotFoundError
from indicators.resources import shipped_names, shipped_yaml

__all__ = ["PefaConversionTable", "PefaScores", "load_pefa_m2", "pefa_scores"]

_LETTERS = ("D", "C", "B", "A")  # value 1..4
_MAX_DIMENSIONS = 4
# Dimension label → value: 1..4 scores, 0 absent or not applicable, -1 not rated.
_DIMENSION_VALUES: dict[str, int] = {"A": 4, "B": 3, "C": 2, "D": 1, "D*": 1, "NA": 0, "NR": -1}
_METHODS: dict[str, str] = {"M1": "M1", "WL": "M1", "M2": "M2", "AV": "M2"}
# Half grades in value order: D, D+, C, C+, B, B+, A (index = 2 × value − 2 + plus).
_HALF_GRADES = ("D", "D+", "C", "C+", "B", "B+", "A", "A")


@dataclass(frozen=True)
class PefaConversionTable:
    """The M2 conversion table: sorted dimension values → indicator score.

    Attributes
    ----------
    name, version, source, verification
        What the table is, where it comes from and how far its rows were checked.
    rows
        ``(values, score)`` where ``values`` is the ascending tuple of dimension values
        (D=1 … A=4) of one indicator, for two to four dimensions.
    """

    name: str
    version: str
    source: str
    verification: str
    rows: Mapping[tuple[int, ...], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", MappingProxyType(dict(self.rows)))

    def lookup_array(self) -> np.ndarray:
        """Scores indexed by the base-5 key of the ascending, zero-padded values.

        Returns
        -------
        numpy.ndarray
            Object array of 5⁴ scores (``None`` for combinations the table does not define).

        Notes
        -----
        Sorting an indicator's dimension values and reading them as a base-5 number gives
        each multiset of scores one index, so a whole stack of indicators is converted by one
        fancy-indexing step. One dimension converts to its own score (PEFA 2016, section 2.2).

        Examples
        --------
        >>> table = load_pefa_m2()
        >>> table.lookup_array()[2 * 5 + 3]  # values (2, 3), i.e. C and B
        'C+'
        """
        out = np.full(5 ** _MAX_DIMENSIONS, None, dtype=object)
        for values, score in self.rows.items():
            out[_key(np.asarray([(0,) * (_MAX_DIMENSIONS - len(values)) + values]))[0]] = score
        for v in range(1, 5):  # one dimension: the indicator takes its score
            out[_key(np.asarray([(0, 0, 0, v)]))[0]] = _LETTERS[v - 1]
        return out


@dataclass(frozen=True)
class PefaScores:
    """Indicator scores aggregated from their dimensions.

    Attributes
    ----------
    scores
        One row per indicator: ``indicator``, ``method`` (M1/M2), ``n_dimensions`` (scored ones),
        ``score`` (A … D, with "+", or NA / NR).
    table_name, table_version
        The M2 conversion table used.
    method
        The rules in words.
    """

    scores: pd.DataFrame
    table_name: str
    table_version: str
    method: str


def _key(values: np.ndarray) -> np.ndarray:
    return (values * (5 ** np.arange(values.shape[1]))[::-1]).sum(axis=1)


@cache
def load_pefa_m2(name: str = "pefa2016_m2") -> PefaConversionTable:
    """Load the shipped M2 conversion table.

    Parameters
    ----------
    name
        File stem in ``data/bands`` (default ``"pefa2016_m2"``).

    Returns
    -------
    PefaConversionTable
        Checked to hold every combination of two, three and four dimension scores.

    Raises
    ------
    NotFoundError
        No such file.
    InputError
        A row with an unknown score or a combination missing (naming the file).

    Notes
    -----
    PEFA Secretariat (2016), *Framework for assessing public financial management*, section 2.2;
    see the ``verification`` field for how far the rows were checked.

    Examples
    --------
    >>> load_pefa_m2().rows[(2, 3)]
    'C+'
    """
    if name not in shipped_names("bands"):
        raise NotFoundError(f"找不到 PEFA 换算表：{name}", f"no PEFA conversion table {name!r}",
                            field="table")
    file = f"{name}.yaml"
    doc = shipped_yaml("bands", file)
    scale = {str(k): int(v) for k, v in doc.get("scale", {}).items()}
    rows: dict[tuple[int, ...], str] = {}
    for n, entries in doc.get("conversion", {}).items():
        for combo, score in entries.items():
            letters = str(combo).split()
            if len(letters) != int(n) or any(x not in scale for x in letters) \
                    or str(score) not in _HALF_GRADES:
                raise InputError(f"换算表行无效：{combo} → {score}",
                                 f"invalid conversion row {combo!r} → {score!r}",
                                 file=file, field="conversion")
            rows[tuple(sorted(scale[x] for x in letters))] = str(score)
    expected = {c for n in (2, 3, 4)
                for c in itertools.combinations_with_replacement(range(1, 5), n)}
    if set(rows) != expected:
        lacking = sorted(expected - set(rows))[:3]
        raise InputError(f"换算表不完整，缺少如 {lacking}", f"conversion table lacks rows such as "
                         f"{lacking}", file=file, field="conversion")
    return PefaConversionTable(
        name=str(doc["name"]), version=str(doc["version"]),
        source=" ".join(str(doc["source"]).split()),
        verification=" ".join(str(doc.get("verification", "")).split()), rows=rows,
    )


def _dimension_values(dimensions: ArrayLike) -> np.ndarray:
    if isinstance(dimensions, pd.DataFrame):
        raw = dimensions.to_numpy(dtype=object)
    elif isinstance(dimensions, list | tuple) and any(isinstance(r, list | tuple) for r in dimensions):
        # Ragged rows (indicators with fewer dimensions) are padded with None.
        width = max(len(r) if isinstance(r, list | tuple) else 1 for r in dimensions)
        padded = [list(r) if isinstance(r, list | tuple) else [r] for r in dimensions]
        raw = np.asarray([r + [None] * (width - len(r)) for r in padded], dtype=object)
    else:
        raw = np.asarray(dimensions, dtype=object)
    if raw.ndim == 1:
        raw = raw[:, None]
    if raw.ndim != 2 or raw.shape[1] > _MAX_DIMENSIONS:
        raise InputError("维度评分应为 指标 × 维度（最多 4 个）的二维表",
                         "dimension scores must be an indicators × dimensions table, at most 4 "
                         "dimensions", field="dimensions")
    codes, uniques = pd.factorize(raw.ravel(), use_na_sentinel=True)
    values = []
    for k, u in enumerate(uniques):
        label = str(u).strip().upper()
        if label == "":
            values.append(0)
        elif label in _DIMENSION_VALUES:
            values.append(_DIMENSION_VALUES[label])
        else:
            i = int(np.flatnonzero(codes == k)[0])
            row, col = divmod(i, raw.shape[1])
            raise InputError(f"第 {row + 1} 个指标第 {col + 1} 个维度的评分无法识别：{u!r}",
                             f"unknown dimension score {u!r} (indicator {row + 1}, dimension "
                             f"{col + 1}); use A, B, C, D, D*, NA or NR", row=row + 1,
                             column=str(col + 1))
    mapped = np.append(np.asarray(values, dtype=np.int64), 0)[codes].reshape(raw.shape)
    pad = _MAX_DIMENSIONS - mapped.shape[1]
    return np.pad(mapped, ((0, 0), (0, pad))) if pad else mapped


def pefa_scores(dimensions: ArrayLike, method: ArrayLike, *, indicators: ArrayLike | None = None,
                table: str | PefaConversionTable = "pefa2016_m2") -> PefaScores:
    """Aggregate the dimension scores of many indicators by M1 or M2.

    Parameters
    ----------
    dimensions
        Indicators × dimensions table of ``"A"``, ``"B"``, ``"C"``, ``"D"``, ``"D*"``, ``"NA"``,
        ``"NR"``; ``None`` or ``""`` where an indicator has fewer dimensions. At most four columns.
    method
        ``"M1"`` (or ``"WL"``) or ``"M2"`` (or ``"AV"``), one for all or one per indicator.
    indicators
        Names of the indicators (default ``PI-1``, ``PI-2``, …).
    table
        The M2 conversion table, by name or loaded.

    Returns
    -------
    PefaScores
        The indicator scores and the table used.

    Raises
    ------
    InputError
        An unknown score or method, or more than four dimensions.

    Notes
    -----
    D* aggregates as D, and the aggregate carries no asterisk. NA dimensions are left out and the
    indicator is scored on the others (all NA → NA). A not-rated (NR) dimension makes the
    indicator NR: jixiao does not guess what the missing dimension would have scored. One scored
    dimension gives its own score under both methods.

    M1: lowest score, "+" if any other dimension is higher. M2: the row of the conversion table
    for the multiset of scores. PEFA Secretariat (2016), *Framework for assessing public financial
    management*, section 2.2.

    Examples
    --------
    >>> r = pefa_scores([["B", "A", "C"], ["B", "A", "C"], ["D", "D", None]], ["M1", "M2", "M1"])
    >>> r.scores["score"].tolist()
    ['C+', 'B', 'D']
    """
    conversion = load_pefa_m2(table) if isinstance(table, str) else table
    values = _dimension_values(dimensions)
    n = values.shape[0]
    methods = np.broadcast_to(np.asarray(method, dtype=object), (n,))
    m_codes, m_uniques = pd.factorize(methods, use_na_sentinel=True)
    resolved = []
    for k, u in enumerate(m_uniques):
        hit = _METHODS.get(str(u).strip().upper())
        if hit is None:
            i = int(np.flatnonzero(m_codes == k)[0])
            raise InputError(f"第 {i + 1} 个指标的汇总方法无法识别：{u!r}",
                             f"unknown aggregation method {u!r} for indicator {i + 1} (M1 or M2)",
                             row=i + 1, field="method")
        resolved.append(hit)
    if (m_codes < 0).any():
        i = int(np.flatnonzero(m_codes < 0)[0])
        raise InputError(f"第 {i + 1} 个指标缺少汇总方法", f"indicator {i + 1} has no method",
                         row=i + 1, field="method")
    is_m1 = np.asarray([r == "M1" for r in resolved])[m_codes]

    scored = values > 0
    n_scored = scored.sum(axis=1)
    not_rated = (values < 0).any(axis=1)
    lowest = np.where(scored, values, 9).min(axis=1)
    plus = (scored & (values > lowest[:, None])).any(axis=1)
    m1 = np.asarray(_HALF_GRADES, dtype=object)[np.clip(2 * lowest - 2 + plus, 0, 7)]
    ascending = np.sort(np.where(scored, values, 0), axis=1)
    m2 = conversion.lookup_array()[_key(ascending)]
    score = np.where(is_m1, m1, m2)
    score = np.where(n_scored == 0, "NA", score)
    score = np.where(not_rated, "NR", score).astype(object)

    names = (np.asarray(indicators, dtype=object) if indicators is not None
             else np.asarray([f"PI-{i + 1}" for i in range(n)], dtype=object))
    frame = pd.DataFrame({
        "indicator": names,
        "method": np.where(is_m1, "M1", "M2"),
        "n_dimensions": n_scored,
        "score": score,
    })
    return PefaScores(
        scores=frame, table_name=conversion.name, table_version=conversion.version,
        method="PEFA 2016 §2.2: M1 weakest link with '+', M2 conversion table; D* as D, NA left "
               "out, NR propagates",
    )
