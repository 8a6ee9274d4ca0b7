"""Random consistency indices for AHP, from named and sourced published tables.

The tables are data (``data/ahp/random_index.yaml``), so a deployment can see exactly which
values were used and where they come from; every AHP result records the table by name.
"""

from __future__ import annotations

from typing import Any

from indicators.errors import InputError
from indicators.resources import shipped_yaml

__all__ = ["RandomIndex", "random_index", "random_index_tables"]


def _tables() -> dict[str, Any]:
    return shipped_yaml("ahp", "random_index.yaml")


def random_index_tables() -> dict[str, str]:
    """The shipped random-index tables, by name, with their sources.

    Returns
    -------
    dict
        ``{name: source}`` for every table in ``data/ahp/random_index.yaml``.

    Notes
    -----
    The sources are those cited in :func:`random_index`; a result records the table's name,
    and this is where the name leads to its publication.

    Examples
    --------
    >>> sorted(random_index_tables())
    ['alonso_lamata', 'donegan_dodd', 'saaty1980', 'saaty2005']
    """
    return {name: " ".join(t["source"].split()) for name, t in _tables()["tables"].items()}


class RandomIndex(float):
    """A random index value that remembers its table, its source and how it was obtained."""

    table: str
    source: str
    note: str | None

    def __new__(cls, value: float, table: str, source: str, note: str | None) -> RandomIndex:
        obj = super().__new__(cls, value)
        obj.table, obj.source, obj.note = table, source, note
        return obj


def random_index(n: int, table: str = "saaty1980") -> RandomIndex:
    """Random consistency index RI(n) from a named, sourced table.

    Parameters
    ----------
    n : int
        Order of the pairwise comparison matrix (number of criteria), ``n >= 1``.
    table : {"saaty1980", "saaty2005", "alonso_lamata", "donegan_dodd"}
        Which published table to use. The values and their sources live in
        ``data/ahp/random_index.yaml``:

        - ``saaty1980``: Saaty, T.L. (1980), *The Analytic Hierarchy Process*, McGraw-Hill:
          0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49 for n = 3-10, extended with 1.51,
          1.48, 1.56, 1.57, 1.59 for n = 11-15.
        - ``saaty2005``: Saaty, T.L. (2005), *Theory and Applications of the Analytic Network
          Process*, RWS Publications, p. 31: 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49,
          1.52, 1.54, 1.56, 1.58, 1.59 for n = 3-15.
        - ``alonso_lamata``: Alonso, J.A. & Lamata, M.T. (2006), Int. J. Uncertainty, Fuzziness
          and Knowledge-Based Systems 14(4), 445-459: 0.5245, 0.8815, 1.1086, ... 1.5838 for
          n = 3-15 (100,000 random matrices per order).
        - ``donegan_dodd``: Donegan, H.A. & Dodd, F.J. (1991), Mathematical and Computer
          Modelling 15(10), 135-137: n = 3-20 and 25, 30, 40, ..., 100 (linear interpolation
          between tabulated orders).

    Returns
    -------
    RandomIndex
        A float carrying ``table``, ``source`` and ``note``; the note is set when the value
        was interpolated or came from the Alonso-Lamata formula.

    Notes
    -----
    RI(1) = RI(2) = 0 because every reciprocal matrix of order 1 or 2 is consistent. Beyond a
    table's largest order the Alonso & Lamata (2006) linear fit of the mean principal
    eigenvalue of random matrices is used, :math:`\\bar\\lambda_{max}(n) = 2.7699 n - 4.3513`,
    so that :math:`RI(n) = (1.7699 n - 4.3513)/(n - 1)`.

    Examples
    --------
    >>> float(random_index(9))
    1.45
    >>> r = random_index(20)
    >>> round(float(r), 4), r.note is not None
    (1.634, True)
    """
    data = _tables()
    if table not in data["tables"]:
        raise InputError(
            f"未知的随机一致性指标表 '{table}'，可选：{', '.join(sorted(data['tables']))}",
            f"unknown random-index table '{table}'; choose one of {', '.join(sorted(data['tables']))}",
            field="ri",
        )
    if int(n) != n or n < 1:
        raise InputError(
            "矩阵阶数必须是正整数", "matrix order must be a positive integer", field="n"
        )
    n = int(n)
    spec = data["tables"][table]
    source = " ".join(spec["source"].split())
    if n <= 2:
        return RandomIndex(0.0, table, source, None)
    values = {int(k): float(v) for k, v in spec["values"].items()}
    if n in values:
        return RandomIndex(values[n], table, source, None)
    orders = sorted(values)
    if n < orders[-1]:
        lo = max(k for k in orders if k < n)
        hi = min(k for k in orders if k > n)
        value = values[lo] + (values[hi] - values[lo]) * (n - lo) / (hi - lo)
        note = f"RI interpolated linearly between n={lo} and n={hi} of table {table}"
        return RandomIndex(value, table, source, note)
    fit = data["beyond_range"]
    value = (fit["slope"] * n + fit["intercept"]) / (n - 1)
    note = (
        f"n={n} is beyond table {table} (largest n={orders[-1]}); RI from the Alonso-Lamata "
        f"(2006) formula (1.7699 n - 4.3513)/(n - 1)"
    )
    return RandomIndex(value, table, source, note)
