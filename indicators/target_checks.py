"""What a project's target table (绩效目标表) must satisfy before it is reviewed or scored.

"谁申请资金，谁设置目标": a department writes targets for each project, and the finance bureau
reviews them. These checks are the mechanical part of that review; :mod:`indicators.validate`
re-exports them beside the library checks.
"""

from __future__ import annotations

import numpy as np

from indicators.errors import ErrorLocation, ValidationError, ValidationIssue
from indicators.model import Direction, LibraryVersion, TargetTable
from indicators.rule_params import is_blank

__all__ = ["check_target_table", "validate_target_table"]

_QUANTITATIVE = {Direction.HIGHER, Direction.LOWER, Direction.EQUAL}
_REQUIRED_FIRST_LEVELS = (("产出", "output"), ("效益", "benefit"), ("满意度", "satisfaction"))
_TARGET_FIRST_LEVELS = ("产出", "成本", "效益", "满意度")


def _weight(value: object) -> float:
    """A target's weight as a finite float, NaN when it is missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return float("nan")
    return float(value) if np.isfinite(value) else float("nan")


def validate_target_table(
    table: TargetTable,
    library: LibraryVersion | None = None,
    *,
    expected_total: float = 90.0,
    tolerance: float = 1e-6,
) -> list[ValidationIssue]:
    """Check a project's target table (绩效目标表) before it is reviewed or scored.

    Parameters
    ----------
    table
        The project and its targets.
    library
        The library version the targets were picked from. Targets whose ``library_ref`` is set
        must then name this version and an indicator code that exists in it, with the same
        direction; targets without ``library_ref`` are the project's own indicators.
    expected_total
        What the target weights must sum to: 100 less the weight kept for budget execution
        (预算执行率, 10 by default, so 90).
    tolerance
        Largest absolute gap tolerated between the weight total and ``expected_total``.

    Returns
    -------
    list of ValidationIssue
        Every problem found, in target order, table-wide ones first.

    Notes
    -----
    Codes: ``empty_target_table``, ``missing_first_level`` (产出, 效益 and 满意度 must each
    appear), ``unknown_first_level``, ``weights_not_expected_total``, ``invalid_weight``, ``weight_negative``,
    ``missing_target_value``, ``missing_unit``, ``missing_target_text``, ``duplicate_code``,
    ``duplicate_indicator_name``, ``project_mismatch``, ``library_mismatch``,
    ``unknown_indicator``, ``direction_mismatch``. Targets must be 指向明确、细化量化、合理可行、
    相互匹配 (财预〔2021〕101号, 2021); the 10-point budget-execution share is the common
    self-evaluation weighting (预算执行率 10, 产出 50, 效益 30, 满意度 10; 财预〔2020〕10号,
    2020, on 单位自评).

    Examples
    --------
    >>> from indicators.model import Project, Target, TargetTable
    >>> project = Project("P1", "道路维修", "交通局", "一般公共预算", 1_000_000, 2024)
    >>> targets = [Target("P1", "T1", "维修里程", "产出指标", "数量指标", "≥", 50, 12, unit="公里"),
    ...            Target("P1", "T2", "通行效率", "效益指标", "社会效益指标", "定性", 30,
    ...                   target_text="明显提高")]
    >>> [issue.code for issue in validate_target_table(TargetTable(project, targets))]
    ['missing_first_level', 'weights_not_expected_total']
    """
    project = table.project.code
    issues: list[ValidationIssue] = []

    def add(code: str, field: str, zh: str, en: str, target=None) -> None:
        if target is None:
            issues.append(ValidationIssue(code, f"项目 {project}：{zh}", f"project {project}: {en}",
                                          ErrorLocation(field=field)))
            return
        who = target.indicator_code
        issues.append(ValidationIssue(code, f"指标 {who}（{target.name}）：{zh}",
                                      f"indicator {who} ({target.name}): {en}",
                                      ErrorLocation(field=f"{who}.{field}")))

    targets = table.targets
    if not targets:
        add("empty_target_table", "targets", "绩效目标表没有任何指标", "the target table is empty")
        return issues
    level1 = [t.level1.strip() for t in targets]
    for zh_name, en_name in _REQUIRED_FIRST_LEVELS:
        if not any(text.startswith(zh_name) for text in level1):
            add("missing_first_level", "level1", f"缺少一级指标“{zh_name}指标”",
                f"no {en_name} ({zh_name}) first-level indicator")
    weights = np.array([_weight(t.weight) for t in targets], dtype=float)
    total = float(np.nansum(weights))
    if abs(total - expected_total) > tolerance:
        add("weights_not_expected_total", "weight",
            f"指标权重合计 {total:g}，应为 {expected_total:g}（100 减去预算执行率权重）",
            f"target weights sum to {total:g}, not {expected_total:g} "
            "(100 less the budget-execution weight)")

    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for number, target in enumerate(targets, start=1):
        if not any(target.level1.strip().startswith(name) for name in _TARGET_FIRST_LEVELS):
            add("unknown_first_level", "level1",
                f"一级指标“{target.level1}”不是 产出、成本、效益、满意度 之一",
                f"first level '{target.level1}' is not one of 产出, 成本, 效益, 满意度", target)
        if target.project_code != project:
            add("project_mismatch", "project_code", f"属于项目 {target.project_code}，不是本项目",
                f"belongs to project {target.project_code}, not this one", target)
        if np.isnan(_weight(target.weight)):
            add("invalid_weight", "weight", f"权重 {target.weight!r} 不是数字",
                f"weight {target.weight!r} is not a number", target)
        elif target.weight < 0:
            add("weight_negative", "weight", f"权重 {target.weight:g} 为负数",
                f"weight {target.weight:g} is negative", target)
        if target.direction in _QUANTITATIVE:
            if is_blank(target.target_value) or isinstance(target.target_value, bool) \
                    or not isinstance(target.target_value, int | float | np.number):
                add("missing_target_value", "target_value", "定量指标缺少数值型指标值",
                    "a quantitative target needs a numeric target value", target)
            if is_blank(target.unit):
                add("missing_unit", "unit", "定量指标缺少计量单位",
                    "a quantitative target needs a unit", target)
        elif is_blank(target.target_text):
            add("missing_target_text", "target_text", "定性指标缺少指标值描述",
                "a qualitative target needs a written target", target)
        if target.indicator_code in seen_codes:
            add("duplicate_code", "indicator_code",
                f"指标编码与第 {seen_codes[target.indicator_code]} 行重复",
                f"the indicator code repeats line {seen_codes[target.indicator_code]}", target)
        seen_codes.setdefault(target.indicator_code, number)
        name = target.name.strip()
        if name in seen_names:
            add("duplicate_indicator_name", "name", f"指标名称与第 {seen_names[name]} 行重复",
                f"the indicator name repeats line {seen_names[name]}", target)
        seen_names.setdefault(name, number)
        if library is None or target.library_ref is None:
            continue
        if target.library_ref != library.ref:
            add("library_mismatch", "library_ref",
                f"取自指标库 {target.library_ref}，不是 {library.ref}",
                f"was picked from {target.library_ref}, not {library.ref}", target)
            continue
        source = library.by_code.get(target.indicator_code)
        if source is None:
            add("unknown_indicator", "indicator_code", f"指标库 {library.ref} 中没有此编码",
                f"library {library.ref} has no such code", target)
        elif source.direction is not None and source.direction != target.direction:
            add("direction_mismatch", "direction",
                f"方向 {target.direction.value} 与指标库的 {source.direction.value} 不一致",
                f"direction {target.direction.value} differs from the library's "
                f"{source.direction.value}", target)
    return issues


def check_target_table(table: TargetTable, library: LibraryVersion | None = None, *,
                       expected_total: float = 90.0, tolerance: float = 1e-6) -> None:
    """Raise :class:`~indicators.errors.ValidationError` with every target-table issue, if any.

    Parameters
    ----------
    table, library, expected_total, tolerance
        As for :func:`validate_target_table`.

    Returns
    -------
    None
        Returns quietly when :func:`validate_target_table` finds nothing.

    Notes
    -----
    A thin raising wrapper, so a service can refuse a table in one call.

    Examples
    --------
    >>> from indicators.model import Project, TargetTable
    >>> empty = TargetTable(Project("P1", "道路维修", "交通局", "一般公共预算", 1e6, 2024))
    >>> try:
    ...     check_target_table(empty)
    ... except ValidationError as err:
    ...     print([issue.code for issue in err.issues])
    ['empty_target_table']
    """
    issues = validate_target_table(table, library, expected_total=expected_total,
                                   tolerance=tolerance)
    if issues:
        raise ValidationError(issues)
