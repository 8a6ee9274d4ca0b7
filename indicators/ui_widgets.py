"""Streamlit pieces every library page uses: the version picker, status badges, error panels.

A version is picked by its ``framework_id@version`` so the choice survives reruns; a page that
creates a version (a new draft, an import) asks the picker to select it on the next run, since a
widget's value cannot be changed once it is drawn. Errors are shown in the page's language with
their place in the input, and a :class:`~indicators.errors.ValidationError` lists every issue as
a table a bureau can work through row by row.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from indicators.clock import format_time
from indicators.errors import JixiaoError, ValidationError, ValidationIssue
from indicators.frontdoor import PageContext
from indicators.model import LibraryVersion, Status, parse_version
from indicators.store import LibrarySummary

__all__ = [
    "flash",
    "issues_frame",
    "latest_published",
    "pick_version",
    "require_staff",
    "select_next",
    "show_error",
    "show_flash",
    "show_header",
    "status_badge",
]

# Material icons, not emoji: Streamlit ships the icon font, while a browser without an emoji
# font (the CI Chromium has only Noto CJK) draws emoji as empty boxes.
_BADGE = {Status.DRAFT: ("orange", ":material/edit_note:"),
          Status.PUBLISHED: ("green", ":material/verified:"),
          Status.RETIRED: ("gray", ":material/archive:")}
_FLASH = "indicators.flash"


def status_badge(ctx: PageContext, status: Status) -> str:
    """The status as a coloured Markdown badge with an icon and a word, in the page's language.

    Parameters
    ----------
    ctx
        The page context (for the language).
    status
        The version's status.

    Returns
    -------
    str
        Markdown for :func:`streamlit.markdown` or a label, e.g.
        ``:green-badge[:material/verified: 已发布]``.

    Notes
    -----
    A colour and an icon as well as a word, so the status reads at a glance. Option text of a
    select box is shown as plain text, so :func:`pick_version` writes the word alone there.

    Examples
    --------
    >>> from indicators.frontdoor import PageContext, Role, Viewer
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.ADMIN))
    >>> status_badge(ctx, Status.PUBLISHED)
    ':green-badge[:material/verified: 已发布]'
    """
    colour, icon = _BADGE[status]
    return f":{colour}-badge[{icon} {ctx.t(f'indicators.status.{status.value}')}]"


def select_next(key: str, ref: str) -> None:
    """Ask the picker with ``key`` to show ``ref`` on the next run.

    Parameters
    ----------
    key
        The picker's widget key.
    ref
        ``framework_id@version`` to select.

    Returns
    -------
    None

    Notes
    -----
    Streamlit refuses a change to a widget's value after the widget is drawn in the same run,
    so the wish is parked under its own key and applied before the picker is drawn again.

    Examples
    --------
    >>> select_next("indicators.edit.version", "demo@1.1.0")
    """
    st.session_state[f"{key}.next"] = ref


def latest_published(summaries: Sequence[LibrarySummary], framework: str) -> str | None:
    """The ref of the newest published version of one framework, if any is stored.

    Parameters
    ----------
    summaries
        Stored versions, as :func:`indicators.store.list_libraries` gives them.
    framework
        The framework id, e.g. ``national-target``.

    Returns
    -------
    str or None
        ``framework@version`` of the highest published version, or None.

    Notes
    -----
    Versions compare as (major, minor, patch) numbers, so 1.10.0 is newer than 1.9.0.

    Examples
    --------
    >>> a = LibrarySummary("national-target", "1.0.0", Status.PUBLISHED, "国家", "target", 3)
    >>> b = LibrarySummary("national-target", "1.1.0", Status.DRAFT, "国家", "target", 3)
    >>> latest_published([a, b], "national-target")
    'national-target@1.0.0'
    """
    found = [s for s in summaries if s.id == framework and s.status is Status.PUBLISHED]
    return max(found, key=lambda s: parse_version(s.version)).ref if found else None


def pick_version(ctx: PageContext, summaries: Sequence[LibrarySummary], *, key: str,
                 label: str, prefer: Status | None = None,
                 framework: str | None = None) -> LibrarySummary:
    """A select box of library versions labelled with title, ref and status.

    Parameters
    ----------
    ctx
        The page context.
    summaries
        The versions to offer (not empty), as :func:`indicators.store.list_libraries` gives them.
    key
        The widget key (also used by :func:`select_next`).
    label
        Message key of the box's label.
    prefer
        Select the first version of this status when nothing is selected yet.
    framework
        Select this framework's newest published version first when nothing is selected yet
        (before ``prefer``).

    Returns
    -------
    LibrarySummary
        The chosen version.

    Notes
    -----
    Options are refs, so a selection stays put when versions are added between reruns. The
    status is a plain word there: a select box shows option text as it is, without Markdown.

    Examples
    --------
    >>> from indicators.frontdoor import PageContext, Role, Viewer
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.ADMIN))
    >>> one = LibrarySummary("demo", "1.0.0", Status.PUBLISHED, "示例", "target", 3)
    >>> pick_version(ctx, [one], key="demo.pick", label="indicators.pick.version").ref
    'demo@1.0.0'
    """
    by_ref = {s.ref: s for s in summaries}
    wanted = st.session_state.pop(f"{key}.next", None)
    if wanted in by_ref:
        st.session_state[key] = wanted
    elif st.session_state.get(key) not in by_ref:
        preferred = [s.ref for s in summaries if prefer is not None and s.status is prefer]
        home = latest_published(summaries, framework) if framework is not None else None
        preferred = [home] if home is not None else preferred
        st.session_state[key] = preferred[0] if preferred else summaries[0].ref
    chosen = st.selectbox(
        ctx.t(label), list(by_ref), key=key,
        format_func=lambda ref: f"{by_ref[ref].title} · {ref} · "
                                f"{ctx.t(f'indicators.status.{by_ref[ref].status.value}')}")
    return by_ref[chosen]


def show_header(ctx: PageContext, version: LibraryVersion) -> None:
    """The version's title, ref, status, publication stamp, base, sources and description.

    Parameters
    ----------
    ctx
        The page context.
    version
        The version shown.

    Returns
    -------
    None

    Notes
    -----
    Who published a version and when is what a score's audit trail points back to, so it is
    shown wherever a version is.

    Examples
    --------
    >>> from indicators.frontdoor import PageContext, Role, Viewer
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.ADMIN))
    >>> show_header(ctx, LibraryVersion("demo", "1.0.0", "示例", "target"))
    """
    st.subheader(version.title)
    parts = [f"`{version.ref}`", status_badge(ctx, version.status),
             ctx.t("indicators.header.count", n=len(version.indicators))]
    if version.published_at is not None:
        parts.append(ctx.t("indicators.header.published", by=version.published_by or "—",
                           at=format_time(version.published_at)))
    if version.based_on:
        parts.append(ctx.t("indicators.header.based_on", ref=version.based_on))
    st.markdown(" · ".join(parts))
    if version.source_documents:
        st.caption(ctx.t("indicators.header.sources") + "；".join(version.source_documents))
    if version.description:
        with st.expander(ctx.t("indicators.header.description")):
            st.write(version.description)


def issues_frame(ctx: PageContext, issues: Sequence[ValidationIssue]) -> pd.DataFrame:
    """Issues as a table: file, sheet, row, column and message, in the page's language.

    Parameters
    ----------
    ctx
        The page context.
    issues
        The issues to list.

    Returns
    -------
    pandas.DataFrame
        One row per issue; location columns that are empty for every issue are left out, and the
        row number is an integer column.

    Notes
    -----
    Rows are numbered as the spreadsheet shows them, so "第 37 行" is found where it is said.
    The internal ``field`` of an issue is for programs and is not a column here: each message
    already names the indicator or project it is about.

    Examples
    --------
    >>> from indicators.errors import ErrorLocation
    >>> from indicators.frontdoor import PageContext, Role, Viewer
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.ADMIN), lang="en")
    >>> issue = ValidationIssue("x", "权重不是数字", "weight is not a number",
    ...                         ErrorLocation(file="a.xlsx", row=37, column="权重"))
    >>> issues_frame(ctx, [issue]).columns.tolist()
    ['File', 'Row', 'Column', 'Problem']
    """
    places = ("file", "sheet", "row", "column")
    data = {name: [getattr(issue.location, name) for issue in issues] for name in places}
    data["message"] = [issue.en if ctx.lang == "en" else issue.zh for issue in issues]
    frame = pd.DataFrame(data, dtype=object)
    frame["row"] = pd.array(frame["row"].tolist(), dtype="Int64")
    empty = [name for name in places if frame[name].isna().all()]
    frame = frame.drop(columns=empty)
    return frame.rename(columns={name: ctx.t(f"indicators.issue.{name}")
                                 for name in frame.columns})


def show_error(ctx: PageContext, err: JixiaoError) -> None:
    """Show an error in the page's language; a validation error with its table of issues.

    Parameters
    ----------
    ctx
        The page context.
    err
        The error caught from the library code.

    Returns
    -------
    None

    Notes
    -----
    A :class:`~indicators.errors.ValidationError`'s own message strings its issues together; a
    table of them is easier to work through, so the headline gives only the count.

    Examples
    --------
    >>> from indicators.errors import InputError
    >>> from indicators.frontdoor import PageContext, Role, Viewer
    >>> ctx = PageContext(None, Viewer(1, "w", "王", Role.ADMIN))
    >>> show_error(ctx, InputError("不是数字", "not a number", row=3))
    """
    if isinstance(err, ValidationError):
        where = err.location.file
        headline = ctx.t("indicators.error.issues", n=len(err.issues))
        st.error(f"{where}: {headline}" if where else headline)
        st.dataframe(issues_frame(ctx, err.issues), hide_index=True)
    else:
        st.error(err.message(ctx.lang))


def require_staff(ctx: PageContext) -> bool:
    """Refuse, with a message, a page reached by someone who is not finance staff.

    Parameters
    ----------
    ctx
        The page context.

    Returns
    -------
    bool
        True when the viewer is staff (admin or finance).

    Notes
    -----
    The front door does not register staff pages for other roles; this second check keeps a
    page safe if it is ever called another way.

    Examples
    --------
    >>> from indicators.frontdoor import PageContext, Role, Viewer
    >>> require_staff(PageContext(None, Viewer(1, "w", "王", Role.FINANCE)))
    True
    """
    if ctx.viewer.is_staff:
        return True
    st.error(ctx.t("indicators.error.staff_only"))
    return False


def flash(message: str) -> None:
    """Keep a success message to show after the rerun a write triggers.

    Parameters
    ----------
    message
        The text, already in the page's language.

    Returns
    -------
    None

    Notes
    -----
    A write is followed by ``st.rerun()`` so every widget shows the stored state; a message
    drawn before the rerun would vanish with it.

    Examples
    --------
    >>> flash("已保存")
    """
    st.session_state[_FLASH] = message


def show_flash() -> None:
    """Show, once, the message :func:`flash` kept.

    Returns
    -------
    None

    Notes
    -----
    Called at the top of every library page.

    Examples
    --------
    >>> show_flash()
    """
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message)
