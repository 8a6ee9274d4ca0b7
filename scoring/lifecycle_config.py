"""Settings of the budget lifecycle (全过程预算绩效管理), read from versioned YAML in one place.

Every threshold of the lifecycle stages (ex-ante triggers, target-review deductions, monitoring
lights, self-evaluation scope, department evaluation, result-application table, summary
wording) is data keyed by region
and year, shipped in ``data/lifecycle/<name>.yaml`` with the source of each value (DOMAIN.md:
"versioned configuration … never a constant in code"). :func:`load_lifecycle_config` reads and
checks one file into a frozen :class:`LifecycleConfig`; the stage kernels take that object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from indicators.errors import InputError, NotFoundError
from indicators.frameworks import load_builtin
from indicators.resources import shipped_names, shipped_yaml
from scoring.grades import BandTable
from scoring.settings_reader import SettingsReader, collect_sources, labels_match

__all__ = [
    "ExanteConfig",
    "FindingRule",
    "TargetReviewConfig",
    "LightsConfig",
    "SichuanConfig",
    "MonitoringConfig",
    "SampleConfig",
    "EvaluationConfig",
    "DepartmentEvaluationConfig",
    "GradeAction",
    "ApplicationConfig",
    "LifecycleConfig",
    "available_lifecycle_configs",
    "load_lifecycle_config",
    "lifecycle_config_from_dict",
]

_FOLDER = "lifecycle"
_RULE_SETS = ("lights", "sichuan")
_SEVERITIES = ("error", "warning")


def _frozen(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ExanteConfig:
    """Ex-ante assessment (事前绩效评估): triggers, framework, outcome bands, budget change."""

    new_min_amount: float
    growth_share: float
    growth_amount: float
    key_years_over: int
    framework: str
    outcome_bands: BandTable
    dimension_floor_share: float
    adjust_share: float


@dataclass(frozen=True)
class FindingRule:
    """How a target-review finding counts: ``error`` (blocks the table) or ``warning``, and points."""

    severity: str
    deduction: float


@dataclass(frozen=True)
class TargetReviewConfig:
    """Target review (绩效目标审核): what is checked, what each finding costs, grades, adjustments."""

    expected_total: float
    cost_required_min_amount: float
    percent_units: tuple[str, ...]
    percent_max: float
    vague_words: tuple[str, ...]
    lower_words: tuple[str, ...]
    higher_words: tuple[str, ...]
    findings: Mapping[str, FindingRule]
    grade_bands: BandTable
    error_grade: str
    adjustment_share: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", _frozen(self.findings))
        object.__setattr__(self, "adjustment_share", _frozen(self.adjustment_share))


@dataclass(frozen=True)
class LightsConfig:
    """Traffic lights of 双监控: red below ``red_below``, green from ``green_from``."""

    red_below: float
    green_from: float
    over_achievement: float
    attainment_cap: float
    rate_units: tuple[str, ...]


@dataclass(frozen=True)
class SichuanConfig:
    """Sichuan-style warnings: execution floors at month ends, and the attainment gap."""

    checkpoints: Mapping[int, float]
    gap_points: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "checkpoints", _frozen(dict(sorted(self.checkpoints.items()))))


@dataclass(frozen=True)
class MonitoringConfig:
    """Mid-year monitoring: cut-off month, rule set in use, classification thresholds."""

    cutoff_month: int
    rule_set: str
    lights: LightsConfig
    sichuan: SichuanConfig
    severe_execution_ratio: float
    cut_share: float


@dataclass(frozen=True)
class SampleConfig:
    """The seeded, stratified sample of self-evaluated projects for department evaluation."""

    share: float
    min_per_stratum: int
    stratum: str
    seed: int


@dataclass(frozen=True)
class EvaluationConfig:
    """Post-evaluation (三评价): self-evaluation scope, framework and bands, samples, key list."""

    self_evaluation_min_amount: float
    framework: str
    bands: str
    sample: SampleConfig
    key_count: int
    key_min_amount: float


@dataclass(frozen=True)
class DepartmentEvaluationConfig:
    """Department overall evaluation (部门整体评价): framework, project share, bands, veto."""

    framework: str
    project_share: float
    bands: str
    veto_on_missing: bool
    veto_cap: str


@dataclass(frozen=True)
class GradeAction:
    """What result application recommends for one grade: words and the share of change."""

    action: str
    share: float


@dataclass(frozen=True)
class ApplicationConfig:
    """Result application (三个一批): the grade table and which grades enter which batch."""

    table: Mapping[str, GradeAction]
    recover_grades: tuple[str, ...]
    rework_grades: tuple[str, ...]
    rework_on_over_achievement: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", _frozen(self.table))


@dataclass(frozen=True)
class LifecycleConfig:
    """One versioned set of lifecycle settings, with the source of every value.

    Attributes
    ----------
    name, version, title, region, effective_year, source
        What the settings are and where they come from.
    title_en
        The title in English (the Chinese title when the file gives none).
    round_to
        Suggested amounts are rounded half up to a multiple of this many yuan.
    exante, target_review, monitoring, evaluation, departments, application
        The settings of each stage (``departments``: 部门整体评价).
    summary_zh, summary_en
        Sentence templates of the year summary (``str.format`` fields).
    sources
        Dotted key (e.g. ``"exante.outcome_source"``) → the document or practice it follows.
    """

    name: str
    version: str
    title: str
    region: str
    effective_year: int
    source: str
    round_to: float
    exante: ExanteConfig
    target_review: TargetReviewConfig
    monitoring: MonitoringConfig
    evaluation: EvaluationConfig
    departments: DepartmentEvaluationConfig
    application: ApplicationConfig
    summary_zh: tuple[str, ...]
    summary_en: tuple[str, ...]
    sources: Mapping[str, str] = field(default_factory=dict)
    title_en: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", _frozen(self.sources))

    @property
    def ref(self) -> str:
        """``name@version``, recorded with every lifecycle result."""
        return f"{self.name}@{self.version}"

    def with_monitoring(self, *, cutoff_month: int | None = None,
                        rule_set: str | None = None) -> LifecycleConfig:
        """A copy with another cut-off month or monitoring rule set, checked like the file.

        Parameters
        ----------
        cutoff_month
            Month 1–12 at which spending and progress are read.
        rule_set
            ``"lights"`` or ``"sichuan"``.

        Returns
        -------
        LifecycleConfig
            The same settings otherwise.

        Examples
        --------
        >>> load_lifecycle_config("national-2021").with_monitoring(cutoff_month=6).monitoring.cutoff_month
        6
        """
        monitoring = self.monitoring
        if cutoff_month is not None:
            if isinstance(cutoff_month, bool) or cutoff_month not in range(1, 13):
                raise InputError("监控月份应为 1–12 的整数", "the cut-off month must be 1–12",
                                 field="monitoring.cutoff_month")
            monitoring = dataclasses.replace(monitoring, cutoff_month=int(cutoff_month))
        if rule_set is not None:
            if rule_set not in _RULE_SETS:
                raise InputError(f"监控规则应为 {'、'.join(_RULE_SETS)} 之一",
                                 f"the rule set must be one of {', '.join(_RULE_SETS)}",
                                 field="monitoring.rule_set")
            monitoring = dataclasses.replace(monitoring, rule_set=rule_set)
        return dataclasses.replace(self, monitoring=monitoring)


def available_lifecycle_configs() -> list[str]:
    """Names of the lifecycle settings shipped in ``data/lifecycle``.

    Returns
    -------
    list of str
        Sorted names usable with :func:`load_lifecycle_config`.

    Notes
    -----
    ``kaijiang-2021`` follows the reference county's 2021 practice; ``national-2021`` holds the
    defaults jixiao ships (national texts, local practice where they set no number).

    Examples
    --------
    >>> available_lifecycle_configs()
    ['kaijiang-2021', 'national-2021']
    """
    return list(shipped_names(_FOLDER))


def load_lifecycle_config(name: str | Path = "national-2021") -> LifecycleConfig:
    """Read and check one lifecycle settings file.

    Parameters
    ----------
    name
        A shipped name (see :func:`available_lifecycle_configs`) or the path of a YAML file.

    Returns
    -------
    LifecycleConfig
        The checked, frozen settings.

    Raises
    ------
    NotFoundError
        No shipped settings of that name and no such file.
    InputError
        A missing or invalid value, naming the file and the dotted field.

    Notes
    -----
    The layout is that of ``data/lifecycle/national-2021.yaml``; keys named ``source`` or ending
    in ``_source`` are collected into :attr:`LifecycleConfig.sources`.

    Examples
    --------
    >>> config = load_lifecycle_config("kaijiang-2021")
    >>> config.exante.new_min_amount, config.monitoring.cutoff_month
    (1000000.0, 9)
    """
    path = Path(name)
    if path.suffix.lower() not in (".yaml", ".yml"):
        # A shipped name: read through the one cached reader of shipped tables.
        if str(name) not in shipped_names(_FOLDER):
            raise NotFoundError(
                f"找不到全过程参数：{name}（可用：{'、'.join(available_lifecycle_configs())}）",
                f"no lifecycle settings named {str(name)!r}", field="config")
        return lifecycle_config_from_dict(shipped_yaml(_FOLDER, f"{name}.yaml"),
                                          file=f"{name}.yaml")
    if not path.is_file():
        raise NotFoundError(f"找不到全过程参数文件：{path.name}",
                            f"no lifecycle settings file {path.name!r}", file=path.name)
    try:
        with path.open(encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except yaml.YAMLError as err:
        raise InputError(f"YAML 格式错误：{err}", f"malformed YAML: {err}", file=path.name) from err
    return lifecycle_config_from_dict(doc, file=path.name)


def _exante(r: SettingsReader) -> ExanteConfig:
    bands = r.bands("exante.outcome_bands")
    return ExanteConfig(
        new_min_amount=r.number("exante.new_min_amount", low=0),
        growth_share=r.number("exante.growth_share", low=0),
        growth_amount=r.number("exante.growth_amount", low=0),
        key_years_over=r.integer("exante.key_years_over", low=0),
        framework=r.text("exante.framework"),
        outcome_bands=bands,
        dimension_floor_share=r.number("exante.dimension_floor_share", low=0, high=1),
        adjust_share=r.number("exante.adjust_share", low=0, high=1),
    )


def _target_review(r: SettingsReader) -> TargetReviewConfig:
    findings = {}
    for code in r.mapping("target_review.findings"):
        key = f"target_review.findings.{code}"
        severity = r.text(f"{key}.severity")
        if severity not in _SEVERITIES:
            raise r.fail(f"{key}.severity", "应为 error 或 warning", "must be error or warning")
        findings[str(code)] = FindingRule(severity, r.number(f"{key}.deduction", low=0))
    bands = r.bands("target_review.grade_bands")
    shares = r.mapping("target_review.adjustment_share")
    labels_match(r, "target_review.adjustment_share", shares, bands.labels)
    error_grade = r.text("target_review.error_grade")
    if error_grade not in bands.labels:
        raise r.fail("target_review.error_grade", "不是审核等级之一", "is not one of the review grades")
    return TargetReviewConfig(
        expected_total=r.number("target_review.expected_total", low=0),
        cost_required_min_amount=r.number("target_review.cost_required_min_amount", low=0),
        percent_units=r.words("target_review.percent_units"),
        percent_max=r.number("target_review.percent_max", low=0),
        vague_words=r.words("target_review.vague_words"),
        lower_words=r.words("target_review.lower_words"),
        higher_words=r.words("target_review.higher_words"),
        findings=findings, grade_bands=bands, error_grade=error_grade,
        adjustment_share={str(k): r.number(f"target_review.adjustment_share.{k}", low=0, high=1)
                          for k in shares},
    )


def _monitoring(r: SettingsReader) -> MonitoringConfig:
    rule_set = r.text("monitoring.rule_set")
    if rule_set not in _RULE_SETS:
        raise r.fail("monitoring.rule_set", f"应为 {'、'.join(_RULE_SETS)} 之一",
                     f"must be one of {', '.join(_RULE_SETS)}")
    red = r.number("monitoring.lights.red_below", low=0)
    green = r.number("monitoring.lights.green_from", low=0)
    if not red < green:
        raise r.fail("monitoring.lights.green_from", "绿灯下限应高于红灯上限",
                     "green_from must be above red_below")
    points = r.mapping("monitoring.sichuan.checkpoints")
    checkpoints = {}
    for month in points:
        if isinstance(month, bool) or not isinstance(month, int) or month not in range(1, 13):
            raise r.fail("monitoring.sichuan.checkpoints", f"月份 {month!r} 应为 1–12 的整数",
                         f"month {month!r} must be a whole number 1–12")
        checkpoints[month] = r.number(f"monitoring.sichuan.checkpoints.{month}", low=0, high=100,
                                      value=points[month])
    return MonitoringConfig(
        cutoff_month=r.integer("monitoring.cutoff_month", low=1, high=12),
        rule_set=rule_set,
        lights=LightsConfig(
            red_below=red, green_from=green,
            over_achievement=r.number("monitoring.lights.over_achievement", low=1),
            attainment_cap=r.number("monitoring.lights.attainment_cap", low=0),
            rate_units=r.words("monitoring.lights.rate_units")),
        sichuan=SichuanConfig(checkpoints, r.number("monitoring.sichuan.gap_points", low=0)),
        severe_execution_ratio=r.number("monitoring.classification.severe_execution_ratio", low=0),
        cut_share=r.number("monitoring.classification.cut_share", low=0, high=1),
    )


def _evaluation(r: SettingsReader) -> EvaluationConfig:
    return EvaluationConfig(
        self_evaluation_min_amount=r.number("evaluation.self_evaluation_min_amount", low=0),
        framework=r.text("evaluation.framework"),
        bands=r.text("evaluation.bands"),
        sample=SampleConfig(
            share=r.number("evaluation.department_sample.share", low=0, high=1),
            min_per_stratum=r.integer("evaluation.department_sample.min_per_stratum", low=0),
            stratum=r.text("evaluation.department_sample.stratum"),
            seed=r.integer("evaluation.department_sample.seed", low=0)),
        key_count=r.integer("evaluation.key_evaluation.count", low=0),
        key_min_amount=r.number("evaluation.key_evaluation.min_amount", low=0),
    )


def _departments(r: SettingsReader) -> DepartmentEvaluationConfig:
    from scoring.grades import load_bands

    key = "department_evaluation"
    framework = r.text(f"{key}.framework")
    try:
        found = load_builtin(framework)
    except (InputError, NotFoundError) as err:
        raise r.fail(f"{key}.framework", err.zh, err.en) from err
    if found.kind != "department":
        raise r.fail(f"{key}.framework", f"{framework} 不是部门整体评价框架",
                     f"{framework} is not a department framework")
    bands = r.text(f"{key}.bands")
    try:
        labels = load_bands(bands).labels
    except (InputError, NotFoundError) as err:
        raise r.fail(f"{key}.bands", err.zh, err.en) from err
    cap = r.text(f"{key}.veto_cap")
    if cap not in labels:
        raise r.fail(f"{key}.veto_cap", f"{cap} 不是 {bands} 的等级", f"{cap!r} is not a grade of {bands}")
    flag = r.get(f"{key}.veto_on_missing")
    if not isinstance(flag, bool):
        raise r.fail(f"{key}.veto_on_missing", "应为 true 或 false", "expected true or false")
    return DepartmentEvaluationConfig(
        framework=framework, project_share=r.number(f"{key}.project_share", low=0, high=1),
        bands=bands, veto_on_missing=flag, veto_cap=cap)


def _application(r: SettingsReader, grade_labels: tuple[str, ...]) -> ApplicationConfig:
    table = r.mapping("application.table")
    labels_match(r, "application.table", table, grade_labels)
    actions = {str(g): GradeAction(r.text(f"application.table.{g}.action"),
                                   r.number(f"application.table.{g}.share", low=-1))
               for g in table}
    for key in ("application.recover_grades", "application.rework_grades"):
        unknown = set(r.words(key)) - set(grade_labels)
        if unknown:
            raise r.fail(key, f"未知等级：{'、'.join(sorted(unknown))}",
                         f"unknown grades: {', '.join(sorted(unknown))}")
    flag = r.get("application.rework_on_over_achievement")
    if not isinstance(flag, bool):
        raise r.fail("application.rework_on_over_achievement", "应为 true 或 false",
                     "expected true or false")
    return ApplicationConfig(actions, r.words("application.recover_grades"),
                             r.words("application.rework_grades"), flag)


def lifecycle_config_from_dict(doc: Any, *, file: str = "<dict>") -> LifecycleConfig:
    """Check a parsed settings document and build the frozen :class:`LifecycleConfig`.

    Parameters
    ----------
    doc
        The YAML document as Python data.
    file
        Its name, for errors.

    Returns
    -------
    LifecycleConfig
        The settings.

    Raises
    ------
    InputError
        A missing or invalid value, naming the dotted field.

    Notes
    -----
    The grades of the application table must be those of the evaluation band table
    (:func:`scoring.grades.load_bands`), so no grade goes without a recommendation.

    Examples
    --------
    >>> import copy
    >>> doc = copy.deepcopy(shipped_yaml("lifecycle", "national-2021.yaml"))
    >>> doc["monitoring"]["cutoff_month"] = 13
    >>> try:
    ...     lifecycle_config_from_dict(doc)
    ... except InputError as err:
    ...     print(err.location.field)
    monitoring.cutoff_month
    """
    from scoring.grades import load_bands

    r = SettingsReader(doc, file)
    evaluation = _evaluation(r)
    try:
        grade_labels = load_bands(evaluation.bands).labels
    except (InputError, NotFoundError) as err:
        raise r.fail("evaluation.bands", err.zh, err.en) from err
    summary = {lang: r.words(f"summary.{lang}") for lang in ("zh", "en")}
    return LifecycleConfig(
        name=r.text("name"), version=r.text("version"), title=r.text("title"),
        region=r.text("region"), effective_year=r.integer("effective_year", low=1900),
        source=r.text("source"), round_to=r.number("currency_rounding.round_to", low=0.01),
        exante=_exante(r), target_review=_target_review(r), monitoring=_monitoring(r),
        evaluation=evaluation, departments=_departments(r),
        application=_application(r, grade_labels),
        summary_zh=summary["zh"], summary_en=summary["en"], sources=collect_sources(doc),
        title_en=r.text("title_en") if "title_en" in doc else r.text("title"),
    )

