"""The domain of the indicator library: indicators, library versions, projects and their targets.

Everything here is a frozen value. Changing a library means making a new value through
:mod:`indicators.versioning`; storing it is :mod:`indicators.store`'s job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import Any

from indicators.errors import InputError

__all__ = [
    "BudgetType",
    "Category",
    "ChangelogEntry",
    "Direction",
    "FrameworkKind",
    "Indicator",
    "LibraryVersion",
    "Project",
    "Status",
    "Target",
    "TargetTable",
    "ValueBasis",
    "parse_version",
]


class Direction(StrEnum):
    """Which way an indicator is good. ASCII aliases are accepted by :meth:`parse`."""

    HIGHER = "≥"
    LOWER = "≤"
    EQUAL = "="
    QUALITATIVE = "定性"

    @classmethod
    def parse(cls, value: Any, *, field_name: str = "direction") -> Direction:
        """Read a direction from its symbol, an ASCII alias or a Chinese word.

        Parameters
        ----------
        value
            A :class:`Direction`, or text such as ``"≥"``, ``">="``, ``"higher"``, ``"定性"``.
        field_name
            The field named in the error.

        Returns
        -------
        Direction
            The direction.

        Raises
        ------
        InputError
            The text names no direction.

        Notes
        -----
        财预〔2020〕10号 writes directions as ≥, ≤, = and 定性; bureaus' sheets also use ASCII
        signs and words, which all map here.

        Examples
        --------
        >>> Direction.parse(">="), Direction.parse("定性").value
        (<Direction.HIGHER: '≥'>, '定性')
        """
        if isinstance(value, Direction):
            return value
        # NFKC folds the full-width signs a Chinese input method types (＞＝) to ASCII.
        key = unicodedata.normalize("NFKC", str(value)).strip().lower()
        found = _DIRECTION_ALIASES.get(key)
        if found is None:
            raise InputError(
                f"未知的指标方向 '{value}'，应为 ≥、≤、=、定性 之一",
                f"unknown direction '{value}', expected one of ≥, ≤, =, 定性 "
                "(or higher, lower, equal, qualitative)",
                field=field_name,
            )
        return found


_DIRECTION_ALIASES: dict[str, Direction] = {
    "≥": Direction.HIGHER, ">=": Direction.HIGHER, "higher": Direction.HIGHER,
    "正向": Direction.HIGHER, "越高越好": Direction.HIGHER, ">": Direction.HIGHER,
    "≤": Direction.LOWER, "<=": Direction.LOWER, "lower": Direction.LOWER,
    "反向": Direction.LOWER, "越低越好": Direction.LOWER, "<": Direction.LOWER,
    "=": Direction.EQUAL, "equal": Direction.EQUAL, "等于": Direction.EQUAL,
    "定性": Direction.QUALITATIVE, "qualitative": Direction.QUALITATIVE,
}


class Category(StrEnum):
    """First-level family an indicator belongs to (DOMAIN.md §2)."""

    DECISION = "决策"
    PROCESS = "过程"
    INPUT = "投入"
    OUTPUT = "产出"
    COST = "成本"
    BENEFIT = "效益"
    SATISFACTION = "满意度"
    EFFECT = "效果"
    BUDGET_EXECUTION = "预算执行"
    MANAGEMENT = "管理"
    PERFORMANCE = "绩效"
    REPORT = "报告"


class ValueBasis(StrEnum):
    """Where a target value comes from (取值依据)."""

    PLAN = "计划标准"
    INDUSTRY = "行业标准"
    HISTORY = "历史标准"
    OTHER = "其他标准"


class Status(StrEnum):
    """Life of a library version: a draft is editable; published and retired are frozen."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class FrameworkKind(StrEnum):
    """What a library version is for; decides which validation rules apply."""

    TARGET = "target"            # 绩效目标 / 自评 (产出-成本-效益-满意度)
    EVALUATION = "evaluation"    # 项目评价 (决策-过程-产出-效益)
    DEPARTMENT = "department"    # 部门整体支出
    EX_ANTE = "ex_ante"          # 事前绩效评估
    RUBRIC = "rubric"            # 评价报告评审 rubric
    CATALOGUE = "catalogue"      # 分行业指标库: a pick list, weights optional


class BudgetType(StrEnum):
    """The four budgets (四本预算)."""

    GENERAL = "一般公共预算"
    FUND = "政府性基金预算"
    STATE_CAPITAL = "国有资本经营预算"
    SOCIAL_INSURANCE = "社会保险基金预算"


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def parse_version(text: str) -> tuple[int, int, int]:
    """Parse ``"1.2.0"`` (a leading ``v`` is allowed) into ``(1, 2, 0)``.

    Parameters
    ----------
    text
        A version as ``MAJOR.MINOR.PATCH``.

    Returns
    -------
    tuple of int
        ``(major, minor, patch)``.

    Raises
    ------
    InputError
        The text is not three dot-separated whole numbers.

    Notes
    -----
    Semantic Versioning 2.0.0 (Preston-Werner, 2013, semver.org), §2; pre-release and build
    suffixes are not accepted, since a library version is either a draft or published.

    Examples
    --------
    >>> parse_version("v1.2.0")
    (1, 2, 0)
    """
    match = _SEMVER.match(str(text).strip().removeprefix("v"))
    if match is None:
        raise InputError(f"版本号 '{text}' 不是 主.次.修订 格式（如 1.2.0）",
                         f"version '{text}' is not MAJOR.MINOR.PATCH (e.g. 1.2.0)",
                         field="version")
    return int(match[1]), int(match[2]), int(match[3])


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _enum(cls: type[StrEnum], value: Any, field_name: str) -> Any:
    """Coerce text to an enum member, with a bilingual error listing the allowed values."""
    if isinstance(value, cls):
        return value
    try:
        return cls(str(value).strip())
    except ValueError:
        allowed = "、".join(member.value for member in cls)
        raise InputError(f"'{value}' 不是有效的取值，应为 {allowed} 之一",
                         f"'{value}' is not a valid value; expected one of {allowed}",
                         field=field_name) from None


@dataclass(frozen=True)
class Indicator:
    """One node of an indicator tree (一级, 二级 or 三级 indicator).

    ``weight`` is the node's share of the tree total (children sum to their parent, the tree to
    100). ``rule`` names a scoring rule of :mod:`scoring.rules` and ``rule_params`` its
    parameters, so scoring is configured by the library, not by code. ``reference_value`` is the
    指标值 as a bureau writes it (e.g. ``"≥95"``), kept as text.
    """

    code: str
    name: str
    level: int
    parent: str | None = None
    category: Category | None = None
    direction: Direction | None = None
    unit: str = ""
    value_basis: ValueBasis | None = None
    reference_value: str = ""
    explanation: str = ""
    checkpoints: str = ""
    data_source: str = ""
    rule: str = ""
    # Left out of the hash (a mapping cannot be hashed); equality still compares it.
    rule_params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    weight: float | None = None
    source_document: str = ""
    valid_from: int | None = None
    valid_to: int | None = None
    sector: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_params", _frozen_mapping(self.rule_params))
        if self.direction is not None and not isinstance(self.direction, Direction):
            object.__setattr__(self, "direction", Direction.parse(self.direction))
        if self.category is not None:
            object.__setattr__(self, "category", _enum(Category, self.category, "category"))
        if self.value_basis is not None:
            object.__setattr__(self, "value_basis",
                               _enum(ValueBasis, self.value_basis, "value_basis"))

    @property
    def is_quantitative(self) -> bool:
        return self.direction in (Direction.HIGHER, Direction.LOWER, Direction.EQUAL)

    def as_dict(self) -> dict[str, Any]:
        """Plain values (enums as their text) for YAML, JSON and tables.

        Returns
        -------
        dict
            Every field by name; enums as their text, ``rule_params`` as a plain dict.

        Notes
        -----
        :meth:`LibraryVersion.to_dict` drops the empty values of this dict when it writes a
        framework file.

        Examples
        --------
        >>> Indicator("A", "满意度", 1, direction="定性").as_dict()["direction"]
        '定性'
        """
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, Mapping):
                value = dict(value)
            out[name] = value
        return out


@dataclass(frozen=True)
class ChangelogEntry:
    """One line of a version's changelog."""

    version: str
    text: str
    author: str = ""
    date: str = ""


@dataclass(frozen=True)
class LibraryVersion:
    """A versioned indicator library: one framework at one semantic version.

    Identified by ``framework_id@version`` (e.g. ``national-target@1.0.0``). A draft can be
    edited through :mod:`indicators.versioning`; published and retired versions never change.
    """

    framework_id: str
    version: str
    title: str
    kind: FrameworkKind
    indicators: tuple[Indicator, ...] = ()
    status: Status = Status.DRAFT
    region: str = "national"
    effective_year: int | None = None
    source_documents: tuple[str, ...] = ()
    changelog: tuple[ChangelogEntry, ...] = ()
    based_on: str | None = None
    published_by: str | None = None
    published_at: datetime | None = None
    description: str = ""

    def __post_init__(self) -> None:
        parse_version(self.version)
        object.__setattr__(self, "indicators", tuple(self.indicators))
        object.__setattr__(self, "source_documents", tuple(self.source_documents))
        object.__setattr__(self, "changelog", tuple(self.changelog))
        object.__setattr__(self, "kind", _enum(FrameworkKind, self.kind, "kind"))
        object.__setattr__(self, "status", _enum(Status, self.status, "status"))

    @property
    def ref(self) -> str:
        """``framework_id@version``, the name every score records."""
        return f"{self.framework_id}@{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status is not Status.DRAFT

    @cached_property
    def by_code(self) -> Mapping[str, Indicator]:
        """Indicators by code, read-only (built on first use; a version never changes)."""
        return MappingProxyType({ind.code: ind for ind in self.indicators})

    def children(self, code: str | None) -> tuple[Indicator, ...]:
        """Direct children of ``code`` (``None`` gives the first-level indicators).

        Parameters
        ----------
        code
            A parent's code, or ``None`` for the top of the tree.

        Returns
        -------
        tuple of Indicator
            Its children in library order.

        Notes
        -----
        A scan of the indicators: a library holds a few hundred, so no index is kept.

        Examples
        --------
        >>> lib = LibraryVersion("x", "1.0.0", "示例", "catalogue",
        ...                      (Indicator("A", "产出", 1), Indicator("A1", "数量", 2, "A")))
        >>> [ind.code for ind in lib.children("A")]
        ['A1']
        """
        return tuple(ind for ind in self.indicators if ind.parent == code)

    def leaves(self) -> tuple[Indicator, ...]:
        """Indicators with no children, in library order.

        Returns
        -------
        tuple of Indicator
            The leaves: the indicators that carry targets and are scored.

        Notes
        -----
        Points are scored at the leaves and summed up the tree (DOMAIN.md §3).

        Examples
        --------
        >>> lib = LibraryVersion("x", "1.0.0", "示例", "catalogue",
        ...                      (Indicator("A", "产出", 1), Indicator("A1", "数量", 2, "A")))
        >>> [ind.code for ind in lib.leaves()]
        ['A1']
        """
        parents = {ind.parent for ind in self.indicators}
        return tuple(ind for ind in self.indicators if ind.code not in parents)

    def to_dict(self) -> dict[str, Any]:
        """Plain values, in the layout of the shipped YAML frameworks (see ``data/frameworks``).

        Returns
        -------
        dict
            The version's fields, and its indicators without their empty fields.

        Notes
        -----
        :meth:`from_dict` reads this layout back to an equal version.

        Examples
        --------
        >>> lib = LibraryVersion("x", "1.0.0", "示例", "catalogue", (Indicator("A", "产出", 1),))
        >>> LibraryVersion.from_dict(lib.to_dict()) == lib
        True
        """
        return {
            "framework_id": self.framework_id,
            "version": self.version,
            "title": self.title,
            "kind": self.kind.value,
            "status": self.status.value,
            "region": self.region,
            "effective_year": self.effective_year,
            "source_documents": list(self.source_documents),
            "based_on": self.based_on,
            "published_by": self.published_by,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "description": self.description,
            "changelog": [vars(entry).copy() for entry in self.changelog],
            "indicators": [
                {k: v for k, v in ind.as_dict().items() if v not in (None, "", {})}
                for ind in self.indicators
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> LibraryVersion:
        """Build a version from :meth:`to_dict`'s layout, naming any field that is wrong.

        Parameters
        ----------
        data
            A mapping in the layout of :meth:`to_dict` (as read from a YAML framework).
        file
            The file it came from, named in errors.

        Returns
        -------
        LibraryVersion
            The version (not yet checked as a tree; see :mod:`indicators.validate`).

        Raises
        ------
        InputError
            Not a mapping, an unknown or missing field, or a value a field cannot take.

        Notes
        -----
        Unknown fields are refused rather than ignored, so a misspelt key in a framework file
        is found when it is read, not when a score comes out wrong.

        Examples
        --------
        >>> LibraryVersion.from_dict({"framework_id": "x", "version": "1.0.0",
        ...                           "title": "示例", "kind": "catalogue"}).ref
        'x@1.0.0'
        """
        if not isinstance(data, Mapping):
            raise InputError("内容不是一个指标库（应为键值映射）",
                             "content is not a library (expected a mapping)", file=file)
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            name = sorted(unknown)[0]
            raise InputError(f"未知字段 '{name}'", f"unknown field '{name}'",
                             file=file, field=name)
        for required in ("framework_id", "version", "title", "kind"):
            if not data.get(required):
                raise InputError(f"缺少必填字段 '{required}'", f"missing required field '{required}'",
                                 file=file, field=required)
        ind_fields = set(Indicator.__dataclass_fields__)
        indicators = []
        for number, raw in enumerate(data.get("indicators") or (), start=1):
            if not isinstance(raw, Mapping):
                raise InputError(f"第 {number} 个指标不是键值映射", f"indicator {number} is not a mapping",
                                 file=file, field=f"indicators[{number}]")
            extra = set(raw) - ind_fields
            if extra:
                name = sorted(extra)[0]
                raise InputError(f"第 {number} 个指标有未知字段 '{name}'",
                                 f"indicator {number} has unknown field '{name}'",
                                 file=file, field=f"indicators[{number}].{name}")
            for required in ("code", "name", "level"):
                if raw.get(required) in (None, ""):
                    raise InputError(f"第 {number} 个指标缺少 '{required}'",
                                     f"indicator {number} is missing '{required}'",
                                     file=file, field=f"indicators[{number}].{required}")
            values = {**raw, "code": str(raw["code"]), "level": int(raw["level"])}
            # Spreadsheets and YAML give numbers where text is meant, and text where numbers are.
            if raw.get("parent") is not None:
                values["parent"] = str(raw["parent"])
            try:
                if raw.get("weight") is not None:
                    values["weight"] = float(raw["weight"])
                indicators.append(Indicator(**values))
            except (ValueError, TypeError) as exc:
                raise InputError(f"第 {number} 个指标（{raw.get('code')}）取值无效：{exc}",
                                 f"indicator {number} ({raw.get('code')}) has an invalid value: {exc}",
                                 file=file, field=f"indicators[{number}]") from exc
        try:
            published_at = data.get("published_at")
            if isinstance(published_at, str):
                published_at = datetime.fromisoformat(published_at)
            year = data.get("effective_year")
            return cls(
                framework_id=str(data["framework_id"]),
                version=str(data["version"]),
                title=str(data["title"]),
                kind=FrameworkKind(data["kind"]),
                indicators=tuple(indicators),
                status=Status(data.get("status") or "draft"),
                region=str(data.get("region") or "national"),
                effective_year=None if year in (None, "") else int(year),
                source_documents=tuple(data.get("source_documents") or ()),
                changelog=tuple(ChangelogEntry(**entry) for entry in data.get("changelog") or ()),
                based_on=data.get("based_on"),
                published_by=data.get("published_by"),
                published_at=published_at,
                description=str(data.get("description") or ""),
            )
        except (ValueError, TypeError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"指标库字段取值无效：{exc}", f"invalid library field value: {exc}",
                             file=file) from exc

    def path(self, code: str) -> tuple[Indicator, ...]:
        """The chain from the first-level ancestor down to ``code``.

        Parameters
        ----------
        code
            An indicator's code.

        Returns
        -------
        tuple of Indicator
            Ancestors first, ``code`` last; empty for an unknown code.

        Notes
        -----
        A chain stops at a missing parent or at a code met twice, so a draft with a broken
        tree still shows what it has.

        Examples
        --------
        >>> lib = LibraryVersion("x", "1.0.0", "示例", "catalogue",
        ...                      (Indicator("A", "产出", 1), Indicator("A1", "数量", 2, "A")))
        >>> [ind.code for ind in lib.path("A1")]
        ['A', 'A1']
        """
        chain: list[Indicator] = []
        seen: set[str] = set()
        current: str | None = code
        while current is not None and current not in seen:
            seen.add(current)
            ind = self.by_code.get(current)
            if ind is None:
                break
            chain.append(ind)
            current = ind.parent
        return tuple(reversed(chain))


@dataclass(frozen=True)
class Project:
    """A budget project (or a policy) as the budget system knows it. Amounts are in yuan."""

    code: str
    name: str
    department: str
    budget_type: BudgetType
    amount: float
    year: int
    is_new: bool = False
    previous_amount: float | None = None
    years_running: int = 0
    is_key: bool = False
    township: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "budget_type", _enum(BudgetType, self.budget_type, "budget_type"))


@dataclass(frozen=True)
class Target:
    """One line of a project's target table (绩效目标表).

    ``indicator_code`` points into the library version ``library_ref`` when the target was
    picked from the library; a bureau may also write its own indicator, then the code is the
    project's own. ``target_value`` is numeric for quantitative directions; ``target_text`` holds
    the qualitative statement.
    """

    project_code: str
    indicator_code: str
    name: str
    level1: str
    level2: str
    direction: Direction
    weight: float
    target_value: float | None = None
    target_text: str = ""
    unit: str = ""
    library_ref: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.direction, Direction):
            object.__setattr__(self, "direction", Direction.parse(self.direction))


@dataclass(frozen=True)
class TargetTable:
    """A project with its targets."""

    project: Project
    targets: tuple[Target, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))
