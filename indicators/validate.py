"""Checks that an indicator library, or a project's target table, is fit to score with.

Every check reports *all* problems at once as :class:`~indicators.errors.ValidationIssue` values
with a stable ``code`` (what tests and front doors match on), a Chinese and an English message
that name the indicator, and a location whose ``field`` is ``"<indicator code>.<field>"``.

The same checks run on raw records (rows read from a spreadsheet or YAML, before any
:class:`~indicators.model.Indicator` exists) through :func:`validate_records`, so a bad value in a
file is reported against its row, and on a built :class:`~indicators.model.LibraryVersion`
through :func:`validate_library`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import ErrorLocation, InputError, ValidationError, ValidationIssue
from indicators.model import Category, Direction, FrameworkKind, LibraryVersion, ValueBasis
from indicators.rule_params import check_rule_params, is_blank
from indicators.target_checks import check_target_table, validate_target_table

__all__ = [
    "MAX_LEVEL",
    "WEIGHT_TOLERANCE",
    "check_library",
    "check_target_table",
    "validate_library",
    "validate_records",
    "validate_target_table",
]

WEIGHT_TOLERANCE = 1e-6
"""Largest absolute gap tolerated between a parent's weight and the sum of its children."""

MAX_LEVEL = 3
"""Indicator trees have three levels (一级/二级/三级)."""

_FIELDS = ("code", "name", "level", "parent", "direction", "category", "value_basis", "unit",
           "rule", "rule_params", "weight", "valid_from", "valid_to")
_QUANTITATIVE = {Direction.HIGHER, Direction.LOWER, Direction.EQUAL}


class _Reporter:
    """Builds issues that name the indicator and, when known, its file, sheet, row and column."""

    def __init__(self, frame: pd.DataFrame, rows: Sequence[int] | None, file: str | None,
                 sheet: str | None, columns: Mapping[str, str] | None) -> None:
        self.frame = frame
        self.rows = list(rows) if rows is not None else None
        self.file, self.sheet, self.columns = file, sheet, dict(columns or {})
        self.found: list[tuple[int, ValidationIssue]] = []

    def who(self, i: int) -> tuple[str, str, str]:
        code, name = self.frame.at[i, "code"], self.frame.at[i, "name"]
        if code is None:
            return f"indicators[{i + 1}]", f"第 {i + 1} 条指标", f"indicator #{i + 1}"
        if name is None:
            return code, f"指标 {code}", f"indicator {code}"
        return code, f"指标 {code}（{name}）", f"indicator {code} ({name})"

    def add(self, i: int, field: str, code: str, zh: str, en: str) -> None:
        label, who_zh, who_en = self.who(i)
        location = ErrorLocation(
            file=self.file, sheet=self.sheet,
            row=self.rows[i] if self.rows is not None else None,
            column=self.columns.get(field), field=f"{label}.{field}")
        self.found.append((i, ValidationIssue(code, f"{who_zh}：{zh}", f"{who_en}: {en}", location)))

    def add_tree(self, code: str, zh: str, en: str) -> None:
        location = ErrorLocation(file=self.file, sheet=self.sheet, field="weight")
        self.found.append((len(self.frame), ValidationIssue(code, zh, en, location)))

    def issues(self) -> list[ValidationIssue]:
        # Stable sort: issues come row by row, in rule order within a row, tree-wide ones last.
        return [issue for _, issue in sorted(self.found, key=lambda pair: pair[0])]


def _text(value: Any) -> str | None:
    if is_blank(value):
        return None
    # A numeric code read from a spreadsheet column with blanks arrives as 1.0; it means "1".
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _text_column(raw: pd.Series) -> pd.Series:
    """Strings stripped of blanks; blank cells (None, NaN, whitespace) become ``None``."""
    return pd.Series([_text(v) for v in raw.to_numpy(dtype=object)], index=raw.index,
                     dtype=object)


def _parse_enum(raw: pd.Series, parse) -> tuple[pd.Series, np.ndarray]:
    """Parse the distinct values of a column once; returns parsed values and a bad-value mask."""
    present = raw.notna().to_numpy()
    lookup: dict[Any, Any] = {}
    for value in pd.unique(raw[present]):
        try:
            lookup[value] = parse(value)
        except (ValueError, TypeError):
            lookup[value] = None
    parsed = pd.Series([None if v is None else lookup[v] for v in raw], index=raw.index,
                       dtype=object)
    return parsed, present & parsed.isna().to_numpy()


def _integer_column(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numbers that must be whole (levels, years); returns values and a bad-value mask."""
    present = ~raw.map(is_blank).to_numpy(dtype=bool)
    number = pd.to_numeric(raw.where(present), errors="coerce").astype(float)
    bad = present & ~(number.notna().to_numpy() & (np.mod(number.fillna(0), 1) == 0).to_numpy())
    return number.where(~bad), bad


def _cycle_members(parent_pos: np.ndarray) -> np.ndarray:
    """Mask of nodes lying on a cycle of the parent pointers (``-1`` marks no parent).

    Pointer doubling: after at least ``n`` steps every walk sits on a cycle or at the root
    sentinel, and the landing points are exactly the cycle nodes.
    """
    n = len(parent_pos)
    jumps = np.append(np.where(parent_pos < 0, n, parent_pos), n)
    steps = 1
    while steps <= n:
        jumps = jumps[jumps]
        steps *= 2
    members = np.zeros(n + 1, dtype=bool)
    members[jumps[:n]] = True
    return members[:n]


def validate_records(
    records: Sequence[Mapping[str, Any]],
    kind: FrameworkKind | str,
    *,
    rows: Sequence[int] | None = None,
    file: str | None = None,
    sheet: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> list[ValidationIssue]:
    """Check raw indicator records (one mapping per indicator) before building a library.

    Parameters
    ----------
    records
        One mapping per indicator with the fields of :class:`~indicators.model.Indicator`
        (missing keys count as blank; blank cells may be ``None``, ``""`` or NaN).
    kind
        The framework kind; in ``catalogue`` libraries weights are optional and never summed.
    rows, file, sheet
        Where the records came from: ``rows[i]`` is the spreadsheet row of ``records[i]``.
    columns
        Column header of each field in the source file (e.g. ``{"direction": "方向"}``).

    Returns
    -------
    list of ValidationIssue
        Every problem, row by row, tree-wide ones last; empty when the records are fit.

    Notes
    -----
    Issue codes: ``missing_code``, ``missing_name``, ``duplicate_code``, ``unknown_parent``,
    ``cycle``, ``invalid_level``, ``level_out_of_range``, ``level_mismatch``,
    ``unknown_direction``, ``unknown_category``, ``unknown_value_basis``,
    ``leaf_without_direction``, ``missing_unit``, ``unknown_rule``, ``invalid_rule_params``,
    ``invalid_weight``, ``missing_weight``, ``weight_negative``, ``weights_not_sum_to_parent``,
    ``tree_not_100``, ``validity_years``. The tree rules (three levels, children summing to their
    parent, the tree to 100, quantitative indicators with units) follow 财政部《项目支出绩效评价
    管理办法》(财预〔2020〕10号, 2020) and《中央部门项目支出核心绩效目标和指标设置及取值指引
    （试行）》(财预〔2021〕101号, 2021). Weights are compared with an absolute tolerance of
    ``WEIGHT_TOLERANCE``.

    Examples
    --------
    >>> rows = [{"code": "A", "name": "产出指标", "level": 1, "weight": 60},
    ...         {"code": "A1", "name": "数量指标", "level": 2, "parent": "A", "weight": 50,
    ...          "direction": "≥", "unit": "个"}]
    >>> sorted({issue.code for issue in validate_records(rows, "target")})
    ['tree_not_100', 'weights_not_sum_to_parent']
    """
    try:
        kind = FrameworkKind(kind)
    except ValueError as exc:
        raise InputError(f"未知的框架类型 '{kind}'", f"unknown framework kind '{kind}'",
                         field="kind") from exc
    # Object columns keep each cell as given: no int-to-float upcast where a column has blanks.
    raw = pd.DataFrame({name: pd.Series([r.get(name) for r in records], dtype=object)
                        for name in _FIELDS}, index=pd.RangeIndex(len(records)))
    frame = pd.DataFrame({name: _text_column(raw[name])
                          for name in ("code", "name", "parent", "unit", "rule")})
    out = _Reporter(frame, rows, file, sheet, columns)
    if raw.empty:
        return []

    code, parent = frame["code"], frame["parent"]
    has_parent = parent.notna().to_numpy()
    for i in np.flatnonzero(code.isna().to_numpy()):
        out.add(i, "code", "missing_code", "缺少指标编码", "the code is missing")
    for i in np.flatnonzero(frame["name"].isna().to_numpy()):
        out.add(i, "name", "missing_name", "缺少指标名称", "the name is missing")

    duplicated = (code.notna() & code.duplicated(keep="first")).to_numpy()
    first_at = {c: i for i, c in reversed(list(enumerate(code))) if c is not None}
    for i in np.flatnonzero(duplicated):
        j = first_at[code.iat[i]]
        out.add(i, "code", "duplicate_code", f"编码与第 {j + 1} 条指标重复",
                f"the code repeats that of indicator #{j + 1}")

    known = set(first_at)
    unknown_parent = has_parent & ~parent.isin(known).to_numpy()
    for i in np.flatnonzero(unknown_parent):
        out.add(i, "parent", "unknown_parent", f"上级指标 '{parent.iat[i]}' 不存在",
                f"parent '{parent.iat[i]}' does not exist")

    # Parent pointers as positions of the parents' first occurrences, for cycles and levels.
    parent_pos = parent.map(lambda p: first_at.get(p, -1) if p is not None else -1)
    parent_pos = parent_pos.to_numpy(dtype=int)
    on_cycle = _cycle_members(np.where(duplicated, -1, parent_pos))
    reported: set[int] = set()
    for i in np.flatnonzero(on_cycle):
        if i in reported:
            continue
        orbit = [i]
        while parent_pos[orbit[-1]] != i:
            orbit.append(parent_pos[orbit[-1]])
        reported.update(orbit)
        chain = " → ".join(code.iat[k] for k in [*orbit, i])
        out.add(i, "parent", "cycle", f"上下级关系成环：{chain}", f"parents form a cycle: {chain}")

    level, bad_level = _integer_column(raw["level"])
    for i in np.flatnonzero(raw["level"].map(is_blank).to_numpy(dtype=bool)):
        out.add(i, "level", "invalid_level", "缺少层级", "the level is missing")
    for i in np.flatnonzero(bad_level):
        out.add(i, "level", "invalid_level", f"层级 '{raw['level'].iat[i]}' 不是整数",
                f"level '{raw['level'].iat[i]}' is not a whole number")
    level_values = level.to_numpy()
    out_of_range = level.notna().to_numpy() & ((level_values < 1) | (level_values > MAX_LEVEL))
    for i in np.flatnonzero(out_of_range):
        out.add(i, "level", "level_out_of_range", f"层级 {int(level_values[i])} 不在 1–{MAX_LEVEL} 之间",
                f"level {int(level_values[i])} is outside 1–{MAX_LEVEL}")
    root_not_first = ~has_parent & level.notna().to_numpy() & (level_values != 1)
    for i in np.flatnonzero(root_not_first & ~out_of_range):
        out.add(i, "level", "level_mismatch",
                f"没有上级指标，层级应为 1，实为 {int(level_values[i])}",
                f"has no parent, so its level must be 1, not {int(level_values[i])}")
    parent_level = np.where(parent_pos >= 0, level_values[np.maximum(parent_pos, 0)], np.nan)
    wrong_depth = (parent_pos >= 0) & ~np.isnan(parent_level) & (level_values != parent_level + 1)
    for i in np.flatnonzero(wrong_depth & level.notna().to_numpy()):
        expected, got = int(parent_level[i]) + 1, int(level_values[i])
        out.add(i, "level", "level_mismatch",
                f"层级应为上级 {parent.iat[i]} 的层级加一（{expected}），实为 {got}",
                f"level must be parent {parent.iat[i]}'s level plus one ({expected}), not {got}")

    direction, bad_direction = _parse_enum(_text_column(raw["direction"]), Direction.parse)
    for i in np.flatnonzero(bad_direction):
        out.add(i, "direction", "unknown_direction",
                f"未知的指标方向 '{raw['direction'].iat[i]}'，应为 ≥、≤、=、定性 之一",
                f"unknown direction '{raw['direction'].iat[i]}', expected ≥, ≤, = or 定性")
    for name, enum, zh_name in (("category", Category, "指标类别"),
                                ("value_basis", ValueBasis, "取值依据")):
        _, bad = _parse_enum(_text_column(raw[name]), enum)
        allowed = "、".join(member.value for member in enum)
        for i in np.flatnonzero(bad):
            value = raw[name].iat[i]
            out.add(i, name, f"unknown_{name}", f"未知的{zh_name} '{value}'，应为 {allowed} 之一",
                    f"unknown {name.replace('_', ' ')} '{value}', expected one of {allowed}")

    leaf = code.notna().to_numpy() & ~code.isin(set(parent.dropna())).to_numpy()
    no_direction = direction.isna().to_numpy() & ~bad_direction
    for i in np.flatnonzero(leaf & no_direction):
        out.add(i, "direction", "leaf_without_direction", "末级指标缺少指标方向（≥、≤、=、定性）",
                "a leaf indicator needs a direction (≥, ≤, = or 定性)")
    quantitative = direction.isin(_QUANTITATIVE).to_numpy()
    for i in np.flatnonzero(leaf & quantitative & frame["unit"].isna().to_numpy()):
        out.add(i, "unit", "missing_unit", f"定量指标（{direction.iat[i].value}）缺少计量单位",
                f"a quantitative indicator ({direction.iat[i].value}) needs a unit")

    no_params = raw["rule_params"].map(is_blank).to_numpy(dtype=bool)
    for i in np.flatnonzero(frame["rule"].notna().to_numpy() | ~no_params):
        params = None if no_params[i] else raw["rule_params"].iat[i]
        for issue_code, zh, en in check_rule_params(frame["rule"].iat[i], params):
            field = "rule_params" if issue_code == "invalid_rule_params" else "rule"
            out.add(i, field, issue_code, zh, en)

    _check_weights(raw["weight"], code, parent, duplicated, kind, out)

    valid_from, bad_from = _integer_column(raw["valid_from"])
    valid_to, bad_to = _integer_column(raw["valid_to"])
    for i in np.flatnonzero(bad_from | bad_to):
        field = "valid_from" if bad_from[i] else "valid_to"
        out.add(i, field, "validity_years", f"有效年份 '{raw[field].iat[i]}' 不是整数年份",
                f"validity year '{raw[field].iat[i]}' is not a whole year")
    for i in np.flatnonzero((valid_from > valid_to).to_numpy()):
        out.add(i, "valid_from", "validity_years",
                f"起始年份 {int(valid_from.iat[i])} 晚于终止年份 {int(valid_to.iat[i])}",
                f"valid from {int(valid_from.iat[i])}, after valid to {int(valid_to.iat[i])}")
    return out.issues()


def _check_weights(raw_weight: pd.Series, code: pd.Series, parent: pd.Series,
                   duplicated: np.ndarray, kind: FrameworkKind, out: _Reporter) -> None:
    """Weights are numbers ≥ 0; outside catalogues, present, summing to parents and to 100."""
    blank = raw_weight.map(is_blank).to_numpy(dtype=bool)
    weight = pd.to_numeric(raw_weight.where(~blank), errors="coerce").astype(float)
    invalid = ~blank & (weight.isna().to_numpy() | ~np.isfinite(weight.fillna(0).to_numpy()))
    weight = weight.where(~invalid)
    for i in np.flatnonzero(invalid):
        out.add(i, "weight", "invalid_weight", f"权重 '{raw_weight.iat[i]}' 不是数字",
                f"weight '{raw_weight.iat[i]}' is not a number")
    for i in np.flatnonzero((weight < 0).to_numpy()):
        out.add(i, "weight", "weight_negative", f"权重 {weight.iat[i]:g} 为负数",
                f"weight {weight.iat[i]:g} is negative")
    if kind is FrameworkKind.CATALOGUE:
        return
    for i in np.flatnonzero(blank):
        out.add(i, "weight", "missing_weight", "缺少权重", "the weight is missing")

    table = pd.DataFrame({"code": code, "parent": parent, "weight": weight})[~duplicated]
    children = table[table["parent"].isin(set(table["code"].dropna()))]
    groups = children.groupby("parent", sort=False)["weight"]
    sums = groups.sum(min_count=1)
    complete = groups.count() == groups.size()
    own = table.dropna(subset=["code"]).set_index("code")["weight"]
    parent_weight = own.reindex(sums.index)
    gap = (sums - parent_weight).abs()
    for parent_code in sums.index[complete & parent_weight.notna() & (gap > WEIGHT_TOLERANCE)]:
        i = int(np.flatnonzero((code == parent_code).to_numpy())[0])
        total, target = sums[parent_code], parent_weight[parent_code]
        out.add(i, "weight", "weights_not_sum_to_parent",
                f"下级指标权重合计 {total:g}，不等于本指标权重 {target:g}",
                f"its children's weights sum to {total:g}, not to its own weight {target:g}")

    roots = table[table["parent"].isna() & table["code"].notna()]
    if len(roots) and roots["weight"].notna().all():
        total = float(roots["weight"].sum())
        if abs(total - 100.0) > WEIGHT_TOLERANCE:
            listed = "、".join(roots["code"])
            out.add_tree("tree_not_100",
                         f"一级指标（{listed}）权重合计 {total:g}，应为 100",
                         f"first-level indicators ({', '.join(roots['code'])}) weigh {total:g} "
                         "in total, not 100")


def validate_library(version: LibraryVersion) -> list[ValidationIssue]:
    """Check a library version: every rule of :func:`validate_records`, and that it is not empty.

    Parameters
    ----------
    version
        The library version (a draft before publishing, or any loaded version).

    Returns
    -------
    list of ValidationIssue
        Every problem found; empty when the version can be published.

    Notes
    -----
    The indicators are checked as plain records (:meth:`~indicators.model.Indicator.as_dict`), so
    a library and the file it came from are judged by one set of rules; see
    :func:`validate_records` for the codes and the references. An empty version is reported as
    ``empty_library``.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                      (Indicator("A", "产出指标", 1, direction="≥"),))
    >>> [issue.code for issue in validate_library(lib)]
    ['missing_unit']
    """
    issues = validate_records([ind.as_dict() for ind in version.indicators], version.kind)
    if not version.indicators:
        issues.append(ValidationIssue(
            "empty_library", f"指标库 {version.ref} 没有任何指标",
            f"library {version.ref} has no indicators", ErrorLocation(field="indicators")))
    return issues


def check_library(version: LibraryVersion) -> None:
    """Raise :class:`~indicators.errors.ValidationError` carrying every issue, if there is any.

    Parameters
    ----------
    version
        The library version to check.

    Returns
    -------
    None
        Returns quietly when :func:`validate_library` finds nothing.

    Notes
    -----
    Used by :func:`indicators.versioning.publish`: a version is published only when it passes.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                      (Indicator("A", "满意度", 1, direction="定性"),))
    >>> check_library(lib)
    """
    issues = validate_library(version)
    if issues:
        raise ValidationError(issues)
