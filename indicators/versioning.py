"""The life of a library version: draft, edit, publish, retire — each step a new frozen value.

A published version is what scores are recorded against, so it never changes: every edit below
refuses a non-draft version with :class:`~indicators.errors.ImmutableVersionError`. To change a
published library, start a draft from it, edit the draft, and publish the draft under a new
version number (:func:`indicators.changes.diff` suggests which).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from indicators.changes import LibraryDiff, bump_version, diff
from indicators.errors import ConflictError, ImmutableVersionError, InputError, NotFoundError
from indicators.model import ChangelogEntry, Indicator, LibraryVersion, Status, parse_version
from indicators.rule_params import is_blank
from indicators.validate import MAX_LEVEL, check_library

__all__ = [
    "LibraryDiff",
    "add_indicator",
    "bump_version",
    "diff",
    "edit_indicator",
    "move_indicator",
    "publish",
    "remove_indicator",
    "retire",
    "reweight",
    "start_draft",
]

_STATUS_ZH = {Status.DRAFT: "草稿", Status.PUBLISHED: "已发布", Status.RETIRED: "已停用"}
_EDITABLE = frozenset(f.name for f in fields(Indicator)) - {"parent", "level"}


def _require_draft(version: LibraryVersion, action_zh: str, action_en: str) -> None:
    """Refuse any write on a published or retired version, naming the version and its status."""
    if version.status is Status.DRAFT:
        return
    raise ImmutableVersionError(
        f"指标库版本 {version.ref} 状态为{_STATUS_ZH[version.status]}，不能{action_zh}；"
        "请先基于它新建草稿（start_draft）",
        f"library version {version.ref} is {version.status.value} and cannot be changed "
        f"({action_en}); start a draft from it first (start_draft)",
        field="status")


def _find(version: LibraryVersion, code: str, field: str = "code") -> Indicator:
    found = version.by_code.get(code)
    if found is None:
        raise NotFoundError(f"指标库版本 {version.ref} 中没有指标 {code}",
                            f"library version {version.ref} has no indicator {code}",
                            field=field)
    return found


def _subtree(version: LibraryVersion, code: str) -> list[str]:
    """``code`` and every descendant, parents before children."""
    found, frontier = [code], [code]
    while frontier:
        frontier = [child.code for parent in frontier for child in version.children(parent)]
        found += frontier
    return found


def _insert_after_subtree(items: list[Indicator], parent: str | None,
                          new: list[Indicator]) -> tuple[Indicator, ...]:
    """Place ``new`` after ``parent``'s last descendant so the library reads in tree order."""
    if parent is None:
        return (*items, *new)
    lineage = {parent}
    position = 0
    for index, ind in enumerate(items):
        if ind.code in lineage or ind.parent in lineage:
            lineage.add(ind.code)
            position = index + 1
    return (*items[:position], *new, *items[position:])


def _now(at: datetime | None) -> datetime:
    return at if at is not None else datetime.now(UTC)


def start_draft(published: LibraryVersion, *, new_version: str | None = None, author: str = "",
                at: datetime | None = None) -> LibraryVersion:
    """Open a draft of the next version of a published (or retired) library.

    Parameters
    ----------
    published
        The version to start from; it must be published or retired.
    new_version
        The draft's version; by default the next minor version. It must be later than
        ``published.version``.
    author
        Who started the draft; recorded in the changelog.
    at
        When (default: now, UTC).

    Returns
    -------
    LibraryVersion
        A draft with ``based_on`` set to ``published.ref`` and no publication stamp.

    Notes
    -----
    Drafting from a draft is refused (:class:`~indicators.errors.ConflictError`): a draft is
    edited in place, and a chain of unpublished drafts would hide what the base really was.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> v1 = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                     (Indicator("A", "满意度", 1, direction="定性"),), status="published")
    >>> draft = start_draft(v1, author="王")
    >>> draft.version, draft.status.value, draft.based_on
    ('1.1.0', 'draft', 'demo@1.0.0')
    """
    if published.status is Status.DRAFT:
        raise ConflictError(f"{published.ref} 本身是草稿，直接编辑它即可，不能基于草稿新建草稿",
                            f"{published.ref} is itself a draft: edit it directly; a draft "
                            "cannot be started from a draft", field="status")
    version = new_version if new_version is not None else bump_version(published.version, "minor")
    if parse_version(version) <= parse_version(published.version):
        raise InputError(f"新版本号 {version} 必须大于 {published.version}",
                         f"new version {version} must be later than {published.version}",
                         field="version")
    entry = ChangelogEntry(version=version, text=f"基于 {published.ref} 起草 / drafted from "
                           f"{published.ref}", author=author, date=_now(at).date().isoformat())
    return replace(published, version=version, status=Status.DRAFT, based_on=published.ref,
                   published_by=None, published_at=None,
                   changelog=(*published.changelog, entry))


def add_indicator(draft: LibraryVersion, indicator: Indicator) -> LibraryVersion:
    """Add an indicator under its parent (or at the top level).

    Parameters
    ----------
    draft
        A draft version.
    indicator
        The new indicator; its code must be new, its parent must exist, and its level must be
        the parent's plus one (1 without a parent).

    Returns
    -------
    LibraryVersion
        The draft with the indicator placed after its parent's last descendant.

    Notes
    -----
    Weights are not rebalanced: the draft may be out of balance while it is edited, and
    :func:`publish` checks the sums.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> draft = LibraryVersion("demo", "1.1.0", "示例", "catalogue",
    ...                        (Indicator("A", "产出指标", 1),))
    >>> draft = add_indicator(draft, Indicator("A1", "数量指标", 2, parent="A"))
    >>> [ind.code for ind in draft.indicators]
    ['A', 'A1']
    """
    _require_draft(draft, f"新增指标 {indicator.code}", f"add indicator {indicator.code}")
    if is_blank(indicator.code) or is_blank(indicator.name):
        # Name whichever half was given, so a reader finds the row that lacks the other.
        given = indicator.name if is_blank(indicator.code) else indicator.code
        zh, en = (("指标", "an indicator") if is_blank(given)
                  else (f"指标 {given} 的", f"indicator {given}"))
        raise InputError(f"{zh}编码和名称不能为空", f"{en} needs a code and a name",
                         field=f"{indicator.code}.code")
    if indicator.code in draft.by_code:
        raise InputError(f"指标编码 {indicator.code} 已存在", f"code {indicator.code} already exists",
                         field=f"{indicator.code}.code")
    expected = 1 if indicator.parent is None \
        else _find(draft, indicator.parent, f"{indicator.code}.parent").level + 1
    if indicator.level != expected:
        raise InputError(f"指标 {indicator.code} 的层级应为 {expected}，实为 {indicator.level}",
                         f"indicator {indicator.code} must be at level {expected}, "
                         f"not {indicator.level}", field=f"{indicator.code}.level")
    if expected > MAX_LEVEL:
        raise InputError(f"指标 {indicator.code} 将位于第 {expected} 级，指标最多 {MAX_LEVEL} 级",
                         f"indicator {indicator.code} would be at level {expected}; indicators "
                         f"have at most {MAX_LEVEL} levels", field=f"{indicator.code}.level")
    placed = _insert_after_subtree(list(draft.indicators), indicator.parent, [indicator])
    return replace(draft, indicators=placed)


def remove_indicator(draft: LibraryVersion, code: str, *, cascade: bool = False) -> LibraryVersion:
    """Remove an indicator; with ``cascade`` its whole subtree goes too.

    Parameters
    ----------
    draft
        A draft version.
    code
        The indicator to remove.
    cascade
        Also remove its descendants. Without it, an indicator with children is refused
        (:class:`~indicators.errors.ConflictError`), so nothing is orphaned by accident.

    Returns
    -------
    LibraryVersion
        The draft without the indicator (and its subtree).

    Notes
    -----
    Removing an indicator is a breaking change: :func:`diff` suggests a major version.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> draft = LibraryVersion("demo", "1.1.0", "示例", "catalogue",
    ...     (Indicator("A", "产出指标", 1), Indicator("A1", "数量指标", 2, parent="A")))
    >>> [ind.code for ind in remove_indicator(draft, "A", cascade=True).indicators]
    []
    """
    _require_draft(draft, f"删除指标 {code}", f"remove indicator {code}")
    _find(draft, code)
    children = draft.children(code)
    if children and not cascade:
        listed = ", ".join(child.code for child in children)
        raise ConflictError(f"指标 {code} 有下级指标（{listed}），请先删除它们或使用级联删除",
                            f"indicator {code} has children ({listed}); remove them first or "
                            "use cascade=True", field=f"{code}.code")
    gone = set(_subtree(draft, code))
    return replace(draft, indicators=tuple(i for i in draft.indicators if i.code not in gone))


def move_indicator(draft: LibraryVersion, code: str, new_parent: str | None) -> LibraryVersion:
    """Give an indicator a new parent (``None``: make it first-level), with its subtree.

    Parameters
    ----------
    draft
        A draft version.
    code
        The indicator to move.
    new_parent
        Its new parent's code, or ``None``.

    Returns
    -------
    LibraryVersion
        The draft with the subtree re-levelled and placed after the new parent's descendants.

    Notes
    -----
    Moving under its own descendant, or deeper than three levels, is refused. Weights are kept;
    reweight the old and new siblings before publishing.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> draft = LibraryVersion("demo", "1.1.0", "示例", "catalogue",
    ...     (Indicator("A", "产出", 1), Indicator("B", "效益", 1),
    ...      Indicator("A1", "数量", 2, parent="A")))
    >>> moved = move_indicator(draft, "B", "A")
    >>> [(i.code, i.parent, i.level) for i in moved.indicators]
    [('A', None, 1), ('A1', 'A', 2), ('B', 'A', 2)]
    """
    _require_draft(draft, f"移动指标 {code}", f"move indicator {code}")
    node = _find(draft, code)
    subtree = _subtree(draft, code)
    new_level = 1
    if new_parent is not None:
        if new_parent in subtree:
            raise InputError(f"不能把指标 {code} 移到它自己或其下级 {new_parent} 之下",
                             f"cannot move {code} under itself or its descendant {new_parent}",
                             field=f"{code}.parent")
        new_level = _find(draft, new_parent, f"{code}.parent").level + 1
    shift = new_level - node.level
    members = set(subtree)
    moving = [ind for ind in draft.indicators if ind.code in members]
    deepest = max(ind.level for ind in moving) + shift
    if deepest > MAX_LEVEL:
        raise InputError(f"移动后指标 {code} 的下级将达到第 {deepest} 级，超过 {MAX_LEVEL} 级",
                         f"after the move {code}'s subtree would reach level {deepest}, "
                         f"beyond {MAX_LEVEL}", field=f"{code}.parent")
    moved = [replace(ind, level=ind.level + shift,
                     parent=new_parent if ind.code == code else ind.parent) for ind in moving]
    rest = [ind for ind in draft.indicators if ind.code not in members]
    return replace(draft, indicators=_insert_after_subtree(rest, new_parent, moved))


def _checked_weight(code: str, weight: Any) -> float | None:
    if weight is None:
        return None
    try:
        number = float(weight)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(weight, bool) or not number >= 0 or number == float("inf"):
        raise InputError(f"指标 {code} 的权重 {weight!r} 应为非负数",
                         f"weight {weight!r} of indicator {code} must be a non-negative number",
                         field=f"{code}.weight")
    return number


def reweight(draft: LibraryVersion, weights: Mapping[str, float | None]) -> LibraryVersion:
    """Set the weights of some indicators at once.

    Parameters
    ----------
    draft
        A draft version.
    weights
        New weight by indicator code; ``None`` clears a weight (catalogues only need none).

    Returns
    -------
    LibraryVersion
        The draft with the new weights; the others untouched.

    Notes
    -----
    Sums are not checked here, so a user can move weight between siblings in several steps;
    :func:`publish` refuses a tree whose children do not sum to their parent or whose top
    level does not sum to 100.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> draft = LibraryVersion("demo", "1.1.0", "示例", "target",
    ...     (Indicator("A", "产出", 1, weight=60), Indicator("B", "效益", 1, weight=40)))
    >>> [i.weight for i in reweight(draft, {"A": 50, "B": 50}).indicators]
    [50.0, 50.0]
    """
    _require_draft(draft, "调整权重", "reweight")
    checked = {code: _checked_weight(code, weight) for code, weight in weights.items()}
    for code in checked:
        _find(draft, code)
    return replace(draft, indicators=tuple(
        replace(ind, weight=checked[ind.code]) if ind.code in checked else ind
        for ind in draft.indicators))


def edit_indicator(draft: LibraryVersion, code: str, /, **changes: Any) -> LibraryVersion:
    """Change fields of one indicator; renaming its code re-points its children.

    Parameters
    ----------
    draft
        A draft version.
    code
        The indicator to edit.
    **changes
        New values of :class:`~indicators.model.Indicator` fields, ``code=`` included (``draft``
        and ``code`` are positional-only for that reason). ``parent`` and ``level`` are changed
        with :func:`move_indicator` instead.

    Returns
    -------
    LibraryVersion
        The draft with the edited indicator in the same place.

    Notes
    -----
    Values go through the :class:`~indicators.model.Indicator` constructor, so directions given
    as aliases (``">="``, ``"正向"``) are read as they are everywhere else.

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> draft = LibraryVersion("demo", "1.1.0", "示例", "catalogue",
    ...     (Indicator("A", "产出", 1), Indicator("A1", "数量", 2, parent="A", direction="≥")))
    >>> edited = edit_indicator(draft, "A", code="OUT", name="产出指标")
    >>> [(i.code, i.parent) for i in edited.indicators]
    [('OUT', None), ('A1', 'OUT')]
    """
    _require_draft(draft, f"修改指标 {code}", f"edit indicator {code}")
    node = _find(draft, code)
    for name in sorted(changes):
        if name in ("parent", "level"):
            raise InputError(f"请用 move_indicator 修改指标 {code} 的上级和层级",
                             f"change the parent or level of {code} with move_indicator",
                             field=f"{code}.{name}")
        if name not in _EDITABLE:
            raise InputError(f"指标 {code} 没有字段 '{name}'", f"indicator {code} has no field '{name}'",
                             field=f"{code}.{name}")
    new_code = changes.get("code", code)
    if any(is_blank(changes[key]) for key in ("code", "name") if key in changes):
        raise InputError(f"指标 {code} 的编码和名称不能为空",
                         f"indicator {code} needs a code and a name", field=f"{code}.code")
    if new_code != code and new_code in draft.by_code:
        raise InputError(f"指标 {code} 不能改为编码 {new_code}：该编码已存在",
                         f"indicator {code} cannot take the code {new_code}: it already exists",
                         field=f"{code}.code")
    if "weight" in changes:
        changes["weight"] = _checked_weight(code, changes["weight"])
    try:
        edited = replace(node, **changes)
    except InputError as exc:
        # The model's message does not say which indicator, and people are not shown ``field``.
        raise InputError(f"指标 {code}：{exc.zh}", f"indicator {code}: {exc.en}",
                         field=f"{code}.{exc.location.field}") from exc
    except (ValueError, TypeError) as exc:
        raise InputError(f"指标 {code} 的新取值无效：{exc}",
                         f"invalid new value for indicator {code}: {exc}",
                         field=f"{code}.{sorted(changes)[0]}") from exc
    return replace(draft, indicators=tuple(
        edited if ind.code == code
        else replace(ind, parent=new_code) if ind.parent == code and new_code != code
        else ind
        for ind in draft.indicators))


def publish(draft: LibraryVersion, *, by: str, changelog: str,
            at: datetime | None = None) -> LibraryVersion:
    """Validate a draft and return it published, stamped and with its changelog line.

    Parameters
    ----------
    draft
        The draft to publish.
    by
        Who publishes (required).
    changelog
        What changed and why (required), e.g. from :meth:`LibraryDiff.summary_zh`.
    at
        When (default: now, UTC).

    Returns
    -------
    LibraryVersion
        The published version; from here on it cannot change.

    Notes
    -----
    Every rule of :func:`indicators.validate.validate_library` must pass; otherwise a
    :class:`~indicators.errors.ValidationError` lists all issues and nothing is published.

    Examples
    --------
    >>> from datetime import datetime
    >>> from indicators.model import Indicator, LibraryVersion
    >>> draft = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                        (Indicator("A", "满意度", 1, direction="定性"),))
    >>> done = publish(draft, by="李", changelog="首次发布", at=datetime(2024, 1, 2))
    >>> done.status.value, done.published_by, done.changelog[-1].text
    ('published', '李', '首次发布')
    """
    _require_draft(draft, "再次发布", "publish")
    for name, value in (("by", by), ("changelog", changelog)):
        if is_blank(value):
            raise InputError(f"发布时必须填写 {name}", f"publishing needs '{name}'", field=name)
    check_library(draft)
    when = _now(at)
    entry = ChangelogEntry(version=draft.version, text=changelog.strip(), author=by.strip(),
                           date=when.date().isoformat())
    return replace(draft, status=Status.PUBLISHED, published_by=by.strip(), published_at=when,
                   changelog=(*draft.changelog, entry))


def retire(version: LibraryVersion, *, by: str, reason: str,
           at: datetime | None = None) -> LibraryVersion:
    """Take a published version out of use; scores recorded against it keep their meaning.

    Parameters
    ----------
    version
        A published version.
    by
        Who retires it (required).
    reason
        Why (required); recorded in the changelog.
    at
        When (default: now, UTC).

    Returns
    -------
    LibraryVersion
        The same version with status ``retired``.

    Notes
    -----
    A retired version is as frozen as a published one (a second retirement is refused with
    :class:`~indicators.errors.ImmutableVersionError`). A draft is never in use, so it is
    discarded rather than retired (:class:`~indicators.errors.ConflictError`).

    Examples
    --------
    >>> from indicators.model import Indicator, LibraryVersion
    >>> v1 = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                     (Indicator("A", "满意度", 1, direction="定性"),), status="published")
    >>> retire(v1, by="李", reason="由 2.0.0 取代").status.value
    'retired'
    """
    if version.status is Status.DRAFT:
        raise ConflictError(f"{version.ref} 是草稿，尚未使用，直接丢弃即可，不能停用",
                            f"{version.ref} is a draft, never in use: discard it instead of "
                            "retiring it", field="status")
    if version.status is Status.RETIRED:
        _require_draft(version, "再次停用", "retire again")
    for name, value in (("by", by), ("reason", reason)):
        if is_blank(value):
            raise InputError(f"停用时必须填写 {name}", f"retiring needs '{name}'", field=name)
    entry = ChangelogEntry(version=version.version, text=f"停用 / retired: {reason.strip()}",
                           author=by.strip(), date=_now(at).date().isoformat())
    return replace(version, status=Status.RETIRED, changelog=(*version.changelog, entry))
