"""AHP judgments on an indicator tree, and the weights they give saved into a library draft.

The AHP page asks for one judgment per pair of sibling indicators on Saaty's scale; this module
turns those judgments into a reciprocal matrix, names each scale value the way the page shows it,
and writes the resulting priorities into a draft library version as weights: the siblings share
their parent's weight by priority, and each sibling's own subtree is rescaled with it, so every
parent still equals the sum of its children. No streamlit here; :mod:`scoring.ui_ahp` draws it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction

import numpy as np

from indicators.errors import InputError
from indicators.model import ChangelogEntry, LibraryVersion
from indicators.versioning import reweight
from scoring.ahp import AHPResult

__all__ = [
    "SCALE_VALUES",
    "apply_priorities",
    "judgment_matrix",
    "scale_key",
    "scale_text",
    "split_weight",
]

SCALE_VALUES: tuple[float, ...] = tuple(float(k) for k in range(9, 0, -1)) + tuple(
    1.0 / k for k in range(2, 10))
"""Saaty's scale as the page offers it: 9, 8, …, 1, then 1/2, …, 1/9 (Saaty 1980, Table 1.1)."""


def scale_key(value: float) -> tuple[str, bool]:
    """The message key of a scale value's words, and whether it is the reverse judgment.

    Parameters
    ----------
    value
        A value of :data:`SCALE_VALUES`.

    Returns
    -------
    tuple
        ``("scoring.saaty.<k>", reverse)`` with ``k`` in 1…9; ``reverse`` is True for 1/k, which
        the page shows as "…（反向）": the second indicator is the more important one.

    Raises
    ------
    InputError
        A value off the scale.

    Notes
    -----
    Saaty (1980, *The Analytic Hierarchy Process*, Table 1.1): 1 equal, 3 moderate, 5 strong,
    7 very strong, 9 extreme importance, with 2, 4, 6, 8 between them.

    Examples
    --------
    >>> scale_key(3.0), scale_key(1 / 5)
    (('scoring.saaty.3', False), ('scoring.saaty.5', True))
    """
    reverse = value < 1.0
    k = round(1.0 / value) if reverse else round(value)
    if not 1 <= k <= 9 or abs((1.0 / k if reverse else float(k)) - value) > 1e-9:
        raise InputError(f"{value:g} 不在 1–9 标度上", f"{value:g} is not on the 1-9 scale",
                         field="judgment")
    return f"scoring.saaty.{k}", reverse and k != 1


def scale_text(value: float) -> str:
    """A scale value as a fraction a person reads: ``3`` or ``1/3``.

    Parameters
    ----------
    value
        A positive judgment.

    Returns
    -------
    str
        The nearest fraction with a denominator up to 9.

    Notes
    -----
    Judgments are typed as whole numbers or their reciprocals; a suggested value between scale
    points is shown to the nearest such fraction.

    Examples
    --------
    >>> scale_text(3.0), scale_text(1 / 7), scale_text(2.5)
    ('3', '1/7', '5/2')
    """
    return str(Fraction(value).limit_denominator(9))


def judgment_matrix(n: int, judgments: Mapping[tuple[int, int], float]) -> np.ndarray:
    """The reciprocal comparison matrix of ``n`` criteria from judgments above the diagonal.

    Parameters
    ----------
    n
        Number of criteria.
    judgments
        ``{(i, j): a_ij}`` for ``i < j`` (0-based); a pair left out is a missing judgment (NaN).

    Returns
    -------
    numpy.ndarray, shape (n, n)
        Ones on the diagonal, :math:`a_{ji} = 1/a_{ij}`, NaN where no judgment was given.

    Raises
    ------
    InputError
        A pair outside the upper triangle, or a judgment that is not positive.

    Notes
    -----
    Saaty's matrices are reciprocal by construction (Saaty 1980, ch. 1); the page asks each
    pair once.

    Examples
    --------
    >>> judgment_matrix(3, {(0, 1): 3.0, (1, 2): 0.5}).round(3).tolist()
    [[1.0, 3.0, nan], [0.333, 1.0, 0.5], [nan, 2.0, 1.0]]
    """
    a = np.full((n, n), np.nan)
    np.fill_diagonal(a, 1.0)
    if judgments:
        pairs = np.array(list(judgments), dtype=int)
        values = np.array(list(judgments.values()), dtype=float)
        i, j = pairs[:, 0], pairs[:, 1]
        if ((i < 0) | (j >= n) | (i >= j)).any():
            raise InputError("判断须在矩阵上三角内", "judgments must lie above the diagonal",
                             field="judgments")
        if not (values > 0).all():
            raise InputError("判断值须为正数", "judgments must be positive", field="judgments")
        a[i, j] = values
        a[j, i] = 1.0 / values
    return a


def split_weight(total: float, shares: Sequence[float], *, decimals: int = 2) -> list[float]:
    """Split ``total`` by ``shares`` into amounts with ``decimals`` decimals that add up exactly.

    Parameters
    ----------
    total
        What the parts must add up to.
    shares
        Non-negative proportions (not all zero).
    decimals
        Decimals kept in each part.

    Returns
    -------
    list of float
        The parts, in the order of ``shares``.

    Notes
    -----
    Largest-remainder rounding (Hamilton's method): every part is rounded down to the unit of
    the last decimal, then the units left over go to the parts with the largest remainders, so
    a parent's weight still equals the sum of its children after rounding.

    Examples
    --------
    >>> split_weight(50, [1, 1, 1])
    [16.67, 16.67, 16.66]
    """
    unit = 10.0 ** decimals
    s = np.asarray(shares, dtype=float)
    if not (s >= 0).all() or s.sum() <= 0:
        raise InputError("份额须非负且不全为 0", "shares must be non-negative and not all zero",
                         field="shares")
    units = int(round(total * unit))
    raw = s / s.sum() * units
    parts = np.floor(raw).astype(np.int64)
    left = units - int(parts.sum())
    # Stable order keeps ties in their given order, so the split is the same every time.
    parts[np.argsort(-(raw - parts), kind="stable")[:left]] += 1
    return [float(p) / unit for p in parts]


def _subtree_weights(version: LibraryVersion, code: str, new_weight: float,
                     out: dict[str, float | None]) -> None:
    """Rescale ``code``'s children, and theirs, so each still adds up to its new parent."""
    children = version.children(code)
    if not children:
        return
    old = [child.weight for child in children]
    if any(w is None for w in old) or sum(old) <= 0:
        return
    for child, weight in zip(children, split_weight(new_weight, old), strict=True):
        out[child.code] = weight
        _subtree_weights(version, child.code, weight, out)


def apply_priorities(draft: LibraryVersion, parent: str | None, priorities: Mapping[str, float],
                     *, result: AHPResult | None = None, author: str = "",
                     at: datetime | None = None) -> LibraryVersion:
    """Weights of ``parent``'s children from AHP priorities, written into a draft.

    Parameters
    ----------
    draft
        A draft library version.
    parent
        The indicator whose children were compared; ``None`` for the first level.
    priorities
        Child code → priority (any positive scale; normalised here). Every child of ``parent``
        must be given, and nothing else.
    result
        The AHP result, whose method, CR and random-index table are recorded in the changelog.
    author
        Who saved the weights.
    at
        When (default: now, UTC).

    Returns
    -------
    LibraryVersion
        The draft with the children's weights set by priority (two decimals, adding up to what
        they added up to before: the parent's weight, or 100 at the first level when unset),
        every subtree below them rescaled in proportion, and a changelog line.

    Raises
    ------
    InputError
        Priorities that name other indicators or leave a child out.
    ImmutableVersionError
        ``draft`` is published or retired.

    Notes
    -----
    Local priorities become global weights by multiplying down the tree (Saaty 1980,
    hierarchic composition): the children of a node of weight W get W × wᵢ. The weights are
    written through :func:`indicators.versioning.reweight`, which refuses a frozen version.

    Examples
    --------
    >>> from indicators.model import Indicator
    >>> lib = LibraryVersion("demo", "1.1.0", "示例", "target", (
    ...     Indicator("A", "产出", 1, weight=60), Indicator("B", "效益", 1, weight=40),
    ...     Indicator("A1", "数量", 2, parent="A", weight=30),
    ...     Indicator("A2", "质量", 2, parent="A", weight=30)))
    >>> new = apply_priorities(lib, None, {"A": 0.5, "B": 0.5})
    >>> [(i.code, i.weight) for i in new.indicators]
    [('A', 50.0), ('B', 50.0), ('A1', 25.0), ('A2', 25.0)]
    """
    children = draft.children(parent)
    codes = [child.code for child in children]
    if not children or set(priorities) != set(codes):
        wanted, given = "、".join(codes) or "—", "、".join(priorities) or "—"
        raise InputError(f"权重须恰好对应 {parent or '一级指标'} 的下级指标（{wanted}），实为 {given}",
                         f"priorities must name exactly the children of {parent or 'the top'} "
                         f"({', '.join(codes)}), not {', '.join(priorities)}",
                         field="priorities")
    old = [child.weight for child in children]
    known = [w for w in old if w is not None]
    total = sum(known) if known and sum(known) > 0 else None
    if total is None:
        parent_weight = draft.by_code[parent].weight if parent is not None else None
        total = parent_weight if parent_weight is not None else 100.0
    weights: dict[str, float | None] = {}
    for child, weight in zip(children, split_weight(total, [priorities[c] for c in codes]),
                             strict=True):
        weights[child.code] = weight
        _subtree_weights(draft, child.code, weight, weights)
    updated = reweight(draft, weights)
    text = f"AHP 权重：{parent or '一级指标'} 的下级 / AHP weights for the children of " \
           f"{parent or 'the first level'}"
    if result is not None:
        text += (f"（{result.method}, CR = {float(result.cr):.4f}, RI {result.ri_table}）")
    entry = ChangelogEntry(version=draft.version, text=text, author=author,
                           date=(at or datetime.now(UTC)).date().isoformat())
    return replace(updated, changelog=(*updated.changelog, entry))
