"""The 编辑草稿 page: start a draft from a published version, edit it in a grid, save, publish.

Every edit goes through :mod:`indicators.versioning` (via :func:`indicators.ui_frames.apply_grid`)
and every write through :mod:`indicators.store`, so the page cannot change a published version:
one is shown read-only, with the way to a new draft beside it. Validation runs on every change,
so the weight sums and the problems left are in view before anyone presses 发布.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from sqlmodel import Session

from indicators.changes import bump_version, diff
from indicators.errors import JixiaoError, NotFoundError, ValidationError, ValidationIssue
from indicators.frontdoor import PageContext
from indicators.model import Category, Direction, LibraryVersion, Status, ValueBasis
from indicators.store import (
    delete_draft,
    get_library,
    list_libraries,
    publish_library,
    retire_library,
    save_library,
    update_draft,
)
from indicators.ui_frames import ORIGINAL, apply_grid, grid_frame, weight_sums
from indicators.ui_widgets import (
    flash,
    issues_frame,
    pick_version,
    require_staff,
    select_next,
    show_error,
    show_flash,
    show_header,
)
from indicators.validate import validate_library
from indicators.versioning import start_draft

__all__ = ["VERSION_KEY", "grid_key", "render"]

VERSION_KEY = "indicators.edit.version"
"""Widget key of this page's version picker (other pages select a new draft through it)."""

_ENUM_OPTIONS = {"category": [c.value for c in Category], "direction": [d.value for d in Direction],
                 "value_basis": [v.value for v in ValueBasis]}


def grid_key(ref: str, revision: int) -> str:
    """The edit grid's widget key for a draft at a save revision.

    Parameters
    ----------
    ref
        ``framework_id@version`` of the draft.
    revision
        How many times the draft has been saved from this session.

    Returns
    -------
    str
        The key.

    Notes
    -----
    The editor keeps its edits as a delta over the table it was given; after a save the stored
    table already holds them, so a new key starts a clean delta instead of applying them twice.

    Examples
    --------
    >>> grid_key("demo@1.1.0", 0)
    'indicators.edit.grid.demo@1.1.0.0'
    """
    return f"indicators.edit.grid.{ref}.{revision}"


def _revision_key(ref: str) -> str:
    return f"indicators.edit.revision.{ref}"


def _column_config(ctx: PageContext) -> dict[str, object]:
    label = {name: ctx.t(f"indicators.field.{name}") for name in
             ("code", "name", "level", "parent", "unit", "weight", "reference_value",
              "explanation", "checkpoints", "data_source", "rule", "sector",
              *_ENUM_OPTIONS)}
    config: dict[str, object] = {
        name: st.column_config.SelectboxColumn(label[name], options=options)
        for name, options in _ENUM_OPTIONS.items()}
    config.update({
        "code": st.column_config.TextColumn(label["code"], required=True),
        "name": st.column_config.TextColumn(label["name"], required=True),
        "level": st.column_config.NumberColumn(label["level"], disabled=True, format="%d"),
        "weight": st.column_config.NumberColumn(label["weight"], min_value=0.0, format="%g"),
        ORIGINAL: None,
    })
    config.update({name: st.column_config.TextColumn(label[name]) for name in
                   ("parent", "unit", "reference_value", "explanation", "checkpoints",
                    "data_source", "rule", "sector")})
    return config


def _read_only(ctx: PageContext, version: LibraryVersion) -> None:
    """A frozen version: the note, its table, and the ways forward (new draft, retire)."""
    st.info(ctx.t("indicators.edit.frozen", ref=version.ref,
                  status=ctx.t(f"indicators.status.{version.status.value}")))
    grid = grid_frame(version).drop(columns=[ORIGINAL])
    st.dataframe(grid.rename(columns={c: ctx.t(f"indicators.field.{c}") for c in grid.columns}),
                 hide_index=True)
    st.subheader(ctx.t("indicators.edit.start"))
    new_version = st.text_input(ctx.t("indicators.edit.new_version"),
                                value=bump_version(version.version, "minor"),
                                key=f"indicators.edit.new_version.{version.ref}",
                                help=ctx.t("indicators.edit.new_version_help"))
    if st.button(ctx.t("indicators.edit.start_button"), type="primary",
                 key="indicators.edit.start_button"):
        try:
            draft = start_draft(version, new_version=new_version.strip(),
                                author=ctx.viewer.display_name)
            with Session(ctx.engine) as session:
                save_library(session, version=draft)
        except JixiaoError as err:
            show_error(ctx, err)
        else:
            flash(ctx.t("indicators.edit.started", ref=draft.ref))
            select_next(VERSION_KEY, draft.ref)
            st.rerun()
    if version.status is Status.PUBLISHED:
        with st.expander(ctx.t("indicators.edit.retire")):
            reason = st.text_input(ctx.t("indicators.edit.retire_reason"),
                                   key="indicators.edit.retire_reason")
            if st.button(ctx.t("indicators.edit.retire_button"), key="indicators.edit.retire_button"):
                try:
                    with Session(ctx.engine) as session:
                        retire_library(session, ref=version.ref, by=ctx.viewer.display_name,
                                       reason=reason)
                except JixiaoError as err:
                    show_error(ctx, err)
                else:
                    flash(ctx.t("indicators.edit.retired", ref=version.ref))
                    st.rerun()


def _weights(ctx: PageContext, candidate: LibraryVersion) -> None:
    sums = weight_sums(candidate)
    if sums.empty:
        return
    sums["parent"] = sums["parent"].fillna(ctx.t("indicators.edit.top_level"))
    sums["name"] = sums["name"].fillna("")
    balanced = bool(sums["ok"].all())
    # Words in the cells and a Material icon on the expander: a table cell shows text as it
    # is, and emoji draw as empty boxes in a browser without an emoji font.
    sums["ok"] = sums["ok"].map({True: ctx.t("indicators.sums.balanced"),
                                 False: ctx.t("indicators.sums.unbalanced")})
    with st.expander(ctx.t("indicators.edit.weight_sums"), expanded=not balanced,
                     icon=":material/check_circle:" if balanced else ":material/warning:"):
        st.dataframe(sums.rename(columns={c: ctx.t(f"indicators.sums.{c}") for c in sums.columns}),
                     hide_index=True)


def _base_note(ctx: PageContext, candidate: LibraryVersion) -> None:
    """What the changes so far amount to against the version the draft started from."""
    if not candidate.based_on:
        return
    try:
        with Session(ctx.engine) as session:
            base = get_library(session, ref=candidate.based_on)
    except NotFoundError:
        return
    changes = diff(base, candidate)
    if changes.is_empty:
        st.caption(ctx.t("indicators.edit.no_changes", ref=base.ref))
    else:
        st.caption(ctx.t("indicators.edit.suggested", ref=base.ref,
                         bump=ctx.t(f"indicators.bump.{changes.suggested_bump}"),
                         version=changes.suggested_version))
        if changes.suggested_version != candidate.version:
            # A stored draft keeps its number; a different one means a new draft.
            st.caption(ctx.t("indicators.edit.version_mismatch", version=candidate.version,
                             suggested=changes.suggested_version))


def _publish(ctx: PageContext, stored: LibraryVersion, candidate: LibraryVersion,
             issues: list[ValidationIssue]) -> None:
    st.subheader(ctx.t("indicators.edit.publish"))
    line = st.text_input(ctx.t("indicators.edit.changelog"), key=f"indicators.edit.changelog.{stored.ref}",
                         placeholder=ctx.t("indicators.edit.changelog_hint"))
    if not st.button(ctx.t("indicators.edit.publish_button"), type="primary",
                     key="indicators.edit.publish_button"):
        return
    if issues:
        st.error(ctx.t("indicators.edit.publish_refused", n=len(issues)))
        return
    if not line.strip():
        st.error(ctx.t("indicators.edit.changelog_missing"))
        return
    try:
        with Session(ctx.engine) as session:
            if candidate != stored:
                update_draft(session, version=candidate)
            publish_library(session, ref=stored.ref, by=ctx.viewer.display_name,
                            changelog=line.strip())
    except ValidationError as err:
        st.error(ctx.t("indicators.edit.publish_refused", n=len(err.issues)))
        show_error(ctx, err)
    except JixiaoError as err:
        show_error(ctx, err)
    else:
        flash(ctx.t("indicators.edit.published", ref=stored.ref))
        st.rerun()


def _delete(ctx: PageContext, draft: LibraryVersion) -> None:
    with st.expander(ctx.t("indicators.edit.delete")):
        sure = st.checkbox(ctx.t("indicators.edit.delete_confirm", ref=draft.ref),
                           key=f"indicators.edit.delete_confirm.{draft.ref}")
        if st.button(ctx.t("indicators.edit.delete_button"), disabled=not sure,
                     key="indicators.edit.delete_button"):
            try:
                with Session(ctx.engine) as session:
                    delete_draft(session, ref=draft.ref)
            except JixiaoError as err:
                show_error(ctx, err)
            else:
                flash(ctx.t("indicators.edit.deleted", ref=draft.ref))
                st.rerun()


def _editor(ctx: PageContext, draft: LibraryVersion) -> None:
    """The grid, live validation, save and publish for one draft."""
    revision = st.session_state.setdefault(_revision_key(draft.ref), 0)
    st.caption(ctx.t("indicators.edit.grid_help"))
    before = grid_frame(draft)
    after = st.data_editor(before, key=grid_key(draft.ref, revision), num_rows="dynamic",
                           hide_index=True, column_config=_column_config(ctx))
    with st.expander(ctx.t("indicators.edit.metadata")):
        title = st.text_input(ctx.t("indicators.edit.title_field"), value=draft.title,
                              key=f"indicators.edit.title.{draft.ref}")
        description = st.text_area(ctx.t("indicators.edit.description_field"),
                                   value=draft.description,
                                   key=f"indicators.edit.description.{draft.ref}")
    try:
        candidate = apply_grid(draft, before, after)
    except JixiaoError as err:
        st.error(ctx.t("indicators.edit.edit_refused"))
        show_error(ctx, err)
        return
    candidate = replace(candidate, title=title.strip() or draft.title,
                        description=description.strip())
    dirty = candidate != draft

    issues = validate_library(candidate)
    _weights(ctx, candidate)
    if issues:
        st.warning(ctx.t("indicators.edit.issues", n=len(issues)))
        st.dataframe(issues_frame(ctx, issues), hide_index=True)
    else:
        st.success(ctx.t("indicators.edit.valid"))
    _base_note(ctx, candidate)

    if dirty:
        st.caption(ctx.t("indicators.edit.unsaved"))
    if st.button(ctx.t("indicators.edit.save"), disabled=not dirty, key="indicators.edit.save"):
        try:
            with Session(ctx.engine) as session:
                update_draft(session, version=candidate)
        except JixiaoError as err:
            show_error(ctx, err)
        else:
            st.session_state[_revision_key(draft.ref)] = revision + 1
            flash(ctx.t("indicators.edit.saved", ref=draft.ref))
            st.rerun()
    _publish(ctx, draft, candidate, issues)
    _delete(ctx, draft)


def render(ctx: PageContext) -> None:
    """Draw the edit page: a draft in an editable grid, or a frozen version read-only.

    Parameters
    ----------
    ctx
        The page context from the front door; the viewer must be finance staff.

    Returns
    -------
    None

    Notes
    -----
    Drafts are offered first. Saving keeps a draft however unbalanced; publishing is refused
    while :func:`indicators.validate.validate_library` finds anything, and the store checks
    again in the publishing transaction.

    Examples
    --------
    >>> from indicators.ui import pages
    >>> any(page.render is render for page in pages())
    True
    """
    st.header(ctx.t("indicators.edit.title"))
    if not require_staff(ctx):
        return
    show_flash()
    with Session(ctx.engine) as session:
        summaries = list_libraries(session)
        if not summaries:
            st.info(ctx.t("indicators.empty"))
            return
        chosen = pick_version(ctx, summaries, key=VERSION_KEY, label="indicators.pick.version",
                              prefer=Status.DRAFT)
        version = get_library(session, ref=chosen.ref)
    show_header(ctx, version)
    if version.is_frozen:
        _read_only(ctx, version)
    else:
        _editor(ctx, version)
