"""What changed between two library versions, and which version number the change deserves.

Indicators are matched by code: a renamed code shows as one indicator removed and one added,
which is what it means for the scores and targets that point at the old code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from indicators.errors import InputError
from indicators.model import Indicator, LibraryVersion, parse_version

__all__ = [
    "FieldChange",
    "LibraryDiff",
    "MAJOR_FIELDS",
    "MINOR_FIELDS",
    "Move",
    "PATCH_FIELDS",
    "WeightChange",
    "bump_version",
    "diff",
]

MAJOR_FIELDS: tuple[str, ...] = ("direction",)
"""Indicator fields whose change breaks existing targets and scores (a major bump)."""

MINOR_FIELDS: tuple[str, ...] = ("category", "unit", "value_basis", "reference_value", "rule",
                                 "rule_params", "valid_from", "valid_to")
"""Indicator fields whose change can alter scores but keeps targets readable (a minor bump)."""

PATCH_FIELDS: tuple[str, ...] = ("name", "explanation", "checkpoints", "data_source",
                                 "source_document", "sector")
"""Descriptive text only (a patch bump)."""

_METADATA_FIELDS = ("framework_id", "kind", "title", "region", "effective_year",
                    "source_documents", "description")
_WEIGHT_TOLERANCE = 1e-9
_PART_ZH = {"major": "主版本", "minor": "次版本", "patch": "修订版本"}
_FIELD_ZH = {
    "name": "名称", "category": "类别", "direction": "方向", "unit": "单位",
    "value_basis": "取值依据", "reference_value": "指标值", "explanation": "指标解释",
    "checkpoints": "评价要点", "data_source": "数据来源", "rule": "计分规则",
    "rule_params": "规则参数", "valid_from": "起始年份", "valid_to": "终止年份", "sector": "行业",
    "source_document": "依据文件", "framework_id": "框架编号", "kind": "框架类型",
    "title": "标题", "region": "地区", "effective_year": "生效年度",
    "source_documents": "依据文件", "description": "说明",
}


def bump_version(version: str, part: str) -> str:
    """The next semantic version after ``version`` when ``part`` changes.

    Parameters
    ----------
    version
        ``MAJOR.MINOR.PATCH`` (a leading ``v`` is accepted).
    part
        ``"major"``, ``"minor"`` or ``"patch"``.

    Returns
    -------
    str
        The bumped version; lower parts reset to zero.

    Notes
    -----
    Semantic Versioning 2.0.0 (Preston-Werner, 2013, semver.org), §6–§8: a patch for fixes that
    change nothing users rely on, a minor for compatible additions, a major for breaking changes.

    Examples
    --------
    >>> bump_version("1.2.3", "minor")
    '1.3.0'
    >>> bump_version("v1.2.3", "major")
    '2.0.0'
    """
    major, minor, patch = parse_version(version)
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise InputError(f"未知的版本升级类型 '{part}'，应为 major、minor、patch 之一",
                     f"unknown version part '{part}', expected major, minor or patch",
                     field="part")


@dataclass(frozen=True)
class FieldChange:
    """One field of one indicator (or of the version itself, with ``code`` ``None``)."""

    code: str | None
    name: str | None
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Move:
    """An indicator given a new parent; its level (and its subtree's) follows."""

    code: str
    name: str
    old_parent: str | None
    new_parent: str | None
    old_level: int
    new_level: int


@dataclass(frozen=True)
class WeightChange:
    """An indicator's weight before and after; ``delta`` is ``new - old`` when both exist."""

    code: str
    name: str
    old: float | None
    new: float | None
    delta: float | None


def _plain(value: Any) -> Any:
    """Values as they are written in files: enums as text, mappings as dicts, tuples as lists."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _weight_differs(old: float | None, new: float | None) -> bool:
    if old is None or new is None:
        return (old is None) != (new is None)
    return abs(new - old) > _WEIGHT_TOLERANCE


@dataclass(frozen=True)
class LibraryDiff:
    """The changes from one library version to another, and the version bump they call for.

    Bump policy (documented in :func:`diff`): ``"major"`` when an indicator was removed or moved,
    a direction changed or the framework kind changed; ``"minor"`` when an indicator was added, a
    weight changed or a scoring field (:data:`MINOR_FIELDS`) changed; ``"patch"`` when only
    descriptive text changed; ``None`` when nothing changed.
    """

    old_ref: str
    new_ref: str
    added: tuple[Indicator, ...] = ()
    removed: tuple[Indicator, ...] = ()
    moved: tuple[Move, ...] = ()
    changed: tuple[FieldChange, ...] = ()
    weights: tuple[WeightChange, ...] = ()
    metadata: tuple[FieldChange, ...] = ()
    suggested_bump: str | None = None
    suggested_version: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.changed or self.weights
                    or self.metadata)

    def changed_codes(self) -> frozenset[str]:
        """Codes of every indicator added, removed, moved, edited or reweighted.

        Returns
        -------
        frozenset of str
            The codes touched by any change; version-level changes touch none.

        Notes
        -----
        What a reviewer must look at before approving the new version.

        Examples
        --------
        >>> LibraryDiff("x@1.0.0", "x@1.1.0").changed_codes()
        frozenset()
        """
        codes = {ind.code for ind in (*self.added, *self.removed)}
        codes |= {item.code for item in (*self.moved, *self.changed, *self.weights)}
        return frozenset(codes)

    def to_frame(self) -> pd.DataFrame:
        """One row per change, for pages and the command line.

        Returns
        -------
        pandas.DataFrame
            Columns ``change, code, name, field, old, new``; ``change`` is one of ``added``,
            ``removed``, ``moved`` (field ``parent``), ``changed``, ``weight``, ``metadata``.

        Notes
        -----
        Enum values are shown as their text and mappings as dicts, as they are written in files.

        Examples
        --------
        >>> list(LibraryDiff("x@1.0.0", "x@1.1.0").to_frame().columns)
        ['change', 'code', 'name', 'field', 'old', 'new']
        """
        rows: list[tuple[Any, ...]] = []
        rows += [("added", ind.code, ind.name, None, None, None) for ind in self.added]
        rows += [("removed", ind.code, ind.name, None, None, None) for ind in self.removed]
        rows += [("moved", m.code, m.name, "parent", m.old_parent, m.new_parent)
                 for m in self.moved]
        rows += [("changed", c.code, c.name, c.field, _plain(c.old), _plain(c.new))
                 for c in self.changed]
        rows += [("weight", w.code, w.name, "weight", w.old, w.new) for w in self.weights]
        rows += [("metadata", None, None, c.field, _plain(c.old), _plain(c.new))
                 for c in self.metadata]
        return pd.DataFrame(rows, columns=["change", "code", "name", "field", "old", "new"],
                            dtype=object)

    def _headline(self, lang: str) -> str:
        counts = (len(self.added), len(self.removed), len(self.moved), len(self.changed),
                  len(self.weights), len(self.metadata))
        if lang == "zh":
            if self.is_empty:
                return f"{self.old_ref} → {self.new_ref}：无变化"
            return (f"{self.old_ref} → {self.new_ref}：新增 {counts[0]} 项，删除 {counts[1]} 项，"
                    f"移动 {counts[2]} 项，修改 {counts[3]} 处，权重调整 {counts[4]} 项，"
                    f"版本信息修改 {counts[5]} 处；建议升级{_PART_ZH[self.suggested_bump]}，"
                    f"即 {self.suggested_version}")
        if self.is_empty:
            return f"{self.old_ref} → {self.new_ref}: no changes"
        return (f"{self.old_ref} → {self.new_ref}: {counts[0]} added, {counts[1]} removed, "
                f"{counts[2]} moved, {counts[3]} field(s) changed, {counts[4]} weight(s) changed, "
                f"{counts[5]} version field(s) changed; suggested {self.suggested_bump} bump "
                f"to {self.suggested_version}")

    def summary_zh(self) -> str:
        """A headline and one line per change, in Chinese.

        Returns
        -------
        str
            The headline (counts and suggested version), then one line per change.

        Notes
        -----
        Fit for a changelog entry when the version is published.

        Examples
        --------
        >>> LibraryDiff("x@1.0.0", "x@1.1.0").summary_zh()
        'x@1.0.0 → x@1.1.0：无变化'
        """
        lines = [self._headline("zh")]
        lines += [f"  + 新增 {ind.code} {ind.name}" for ind in self.added]
        lines += [f"  - 删除 {ind.code} {ind.name}" for ind in self.removed]
        lines += [f"  ↷ 移动 {m.code} {m.name}：上级 {m.old_parent or '（无）'} → "
                  f"{m.new_parent or '（无）'}，层级 {m.old_level} → {m.new_level}"
                  for m in self.moved]
        lines += [f"  ~ 修改 {c.code} {c.name} 的{_FIELD_ZH.get(c.field, c.field)}："
                  f"{_plain(c.old)!r} → {_plain(c.new)!r}" for c in self.changed]
        lines += [f"  ⚖ 权重 {w.code} {w.name}：{w.old} → {w.new}"
                  + (f"（{w.delta:+g}）" if w.delta is not None else "") for w in self.weights]
        lines += [f"  ~ 版本{_FIELD_ZH.get(c.field, c.field)}：{_plain(c.old)!r} → "
                  f"{_plain(c.new)!r}" for c in self.metadata]
        return "\n".join(lines)

    def summary_en(self) -> str:
        """A headline and one line per change, in English.

        Returns
        -------
        str
            The headline (counts and suggested version), then one line per change.

        Notes
        -----
        The English twin of :meth:`summary_zh`, line for line.

        Examples
        --------
        >>> LibraryDiff("x@1.0.0", "x@1.1.0").summary_en()
        'x@1.0.0 → x@1.1.0: no changes'
        """
        lines = [self._headline("en")]
        lines += [f"  + added {ind.code} {ind.name}" for ind in self.added]
        lines += [f"  - removed {ind.code} {ind.name}" for ind in self.removed]
        lines += [f"  ↷ moved {m.code} {m.name}: parent {m.old_parent or '(none)'} → "
                  f"{m.new_parent or '(none)'}, level {m.old_level} → {m.new_level}"
                  for m in self.moved]
        lines += [f"  ~ changed {c.field} of {c.code} {c.name}: {_plain(c.old)!r} → "
                  f"{_plain(c.new)!r}" for c in self.changed]
        lines += [f"  ⚖ weight of {w.code} {w.name}: {w.old} → {w.new}"
                  + (f" ({w.delta:+g})" if w.delta is not None else "") for w in self.weights]
        lines += [f"  ~ version {c.field}: {_plain(c.old)!r} → {_plain(c.new)!r}"
                  for c in self.metadata]
        return "\n".join(lines)


def _suggest(added: bool, removed: bool, moved: bool, changed: tuple[FieldChange, ...],
             weights: bool, metadata: tuple[FieldChange, ...]) -> str | None:
    fields = {c.field for c in changed}
    if removed or moved or fields & set(MAJOR_FIELDS) or any(c.field == "kind" for c in metadata):
        return "major"
    if added or weights or fields & set(MINOR_FIELDS):
        return "minor"
    if changed or metadata:
        return "patch"
    return None


def diff(old: LibraryVersion, new: LibraryVersion) -> LibraryDiff:
    """Compare two library versions indicator by indicator.

    Parameters
    ----------
    old, new
        The versions to compare, usually a published version and a draft based on it.

    Returns
    -------
    LibraryDiff
        Added, removed and moved indicators, changed fields with old and new values, weight
        changes with their delta, version-level field changes, and the suggested bump and
        version.

    Notes
    -----
    Matching is by indicator code. Moves cover ``parent`` and ``level``; weights are compared
    with an absolute tolerance of 1e-9 so float noise is not a change. Bump policy, after
    Semantic Versioning 2.0.0 (Preston-Werner, 2013): *major* when what old scores and targets
    point at no longer means the same (an indicator removed or moved, a direction or the
    framework kind changed); *minor* when old targets still fit but scores may differ (an
    indicator added, a weight or a field of :data:`MINOR_FIELDS` changed); *patch* when only
    descriptive text changed (:data:`PATCH_FIELDS` and version fields other than ``kind``).
    The suggested version bumps ``old.version``.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from indicators.model import Indicator, LibraryVersion
    >>> a = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                    (Indicator("A", "满意度", 1, direction="定性", weight=10),))
    >>> b = replace(a, version="1.1.0", indicators=(replace(a.indicators[0], weight=12),))
    >>> d = diff(a, b)
    >>> [(w.code, w.old, w.new, w.delta) for w in d.weights], d.suggested_version
    ([('A', 10, 12, 2)], '1.1.0')
    """
    old_by, new_by = old.by_code, new.by_code
    added = tuple(ind for ind in new.indicators if ind.code not in old_by)
    removed = tuple(ind for ind in old.indicators if ind.code not in new_by)
    moved: list[Move] = []
    changed: list[FieldChange] = []
    weights: list[WeightChange] = []
    fields = (*MAJOR_FIELDS, *MINOR_FIELDS, *PATCH_FIELDS)
    for ind in new.indicators:
        before = old_by.get(ind.code)
        if before is None:
            continue
        if before.parent != ind.parent or before.level != ind.level:
            moved.append(Move(ind.code, ind.name, before.parent, ind.parent, before.level,
                              ind.level))
        for name in fields:
            was, now = getattr(before, name), getattr(ind, name)
            if _plain(was) != _plain(now):
                changed.append(FieldChange(ind.code, ind.name, name, was, now))
        if _weight_differs(before.weight, ind.weight):
            delta = None if before.weight is None or ind.weight is None \
                else ind.weight - before.weight
            weights.append(WeightChange(ind.code, ind.name, before.weight, ind.weight, delta))
    metadata = tuple(FieldChange(None, None, name, getattr(old, name), getattr(new, name))
                     for name in _METADATA_FIELDS
                     if _plain(getattr(old, name)) != _plain(getattr(new, name)))
    bump = _suggest(bool(added), bool(removed), bool(moved), tuple(changed), bool(weights),
                    metadata)
    return LibraryDiff(
        old_ref=old.ref, new_ref=new.ref, added=added, removed=removed, moved=tuple(moved),
        changed=tuple(changed), weights=tuple(weights), metadata=metadata,
        suggested_bump=bump,
        suggested_version=bump_version(old.version, bump) if bump else old.version,
    )
