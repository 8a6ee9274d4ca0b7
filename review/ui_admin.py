"""Administration: accounts (create, disable, reset, invite) and the audit log, for admins only.

An invite link is shown once, right after it is made: only the token's hash is stored, so it
cannot be shown again; a lost link is replaced by a new one. The audit log is read-only here as
everywhere: the store has no function that changes a line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext, Role
from review import store
from review.audit_feed import FEED_KINDS, FeedEntry, audit_feed, rubric_names
from review.auth import create_invite
from review.model import AuditEntry, UserPublic
from review.ui_shell import MISSING, format_time, reading, show_error, writing
from review.views import audit_changes, earlier_values

__all__ = ["invite_link", "pick_label", "render_accounts", "render_audit"]

_INVITE_KEY = "review.admin.invite_shown"
_FLASH_KEY = "review.admin.flash"


def invite_link(page_url: str, token: str, *, base_path: str = "") -> str:
    """The link a person opens to set their password: the app's root with ``?invite=``.

    Parameters
    ----------
    page_url
        The address of the page the admin is on, as their browser sees it.
    token
        The raw invite token.
    base_path
        Streamlit's ``server.baseUrlPath`` when the app is served under a sub-path (behind a
        reverse proxy), else empty.

    Returns
    -------
    str

    Notes
    -----
    The front door reads ``invite`` from the query string on any page, so the app's root is
    enough; the page's own path and query are dropped.

    Examples
    --------
    >>> invite_link("http://10.0.0.5:8501/review-accounts?x=1", "abc")
    'http://10.0.0.5:8501/?invite=abc'
    >>> invite_link("https://czj.example.gov.cn/jixiao/review-accounts", "abc", base_path="jixiao")
    'https://czj.example.gov.cn/jixiao/?invite=abc'
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(page_url or "")
    root = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
    return urlunsplit((parts.scheme, parts.netloc, root, f"invite={token}", ""))


def _users(ctx: PageContext) -> list[UserPublic]:
    with reading(ctx) as session:
        return store.list_users(session, by=ctx.viewer)


def _create_form(ctx: PageContext) -> None:
    with st.form("review.admin.create", clear_on_submit=True):
        username = st.text_input(ctx.t("review.admin.username"), key="review.admin.username")
        name = st.text_input(ctx.t("review.admin.display_name"), key="review.admin.display_name")
        role = st.selectbox(ctx.t("review.admin.role"), list(Role), key="review.admin.role",
                            index=list(Role).index(Role.EXPERT),
                            format_func=lambda r: r.label(ctx.lang))
        department = st.text_input(ctx.t("review.admin.department"),
                                   key="review.admin.department",
                                   help=ctx.t("review.admin.department_help"))
        password = st.text_input(ctx.t("review.admin.password"), type="password",
                                 key="review.admin.password",
                                 help=ctx.t("review.admin.password_help"))
        submitted = st.form_submit_button(ctx.t("review.admin.create"), type="primary",
                                          key="review.admin.create_submit")
    if not submitted:
        return
    try:
        with writing(ctx) as session:
            user = store.create_user(session, username=username, display_name=name, role=role,
                                     department=department, password=password or None,
                                     by=ctx.viewer)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    # Run again so the list and the account picker include the new account.
    st.session_state[_FLASH_KEY] = ctx.t("review.admin.created", name=user.display_name,
                                         username=user.username)
    st.rerun()


def _account_actions(ctx: PageContext, users: list[UserPublic]) -> None:
    by_id = {u.user_id: u for u in users}
    chosen = st.selectbox(ctx.t("review.admin.pick"), list(by_id), key="review.admin.pick",
                          format_func=lambda uid: f"{by_id[uid].display_name}（"
                                                  f"{by_id[uid].username}）")
    user = by_id[chosen]
    toggle, reset, invite = st.columns(3)
    with toggle:
        label = "review.admin.enable" if user.disabled else "review.admin.disable"
        if st.button(ctx.t(label), key="review.admin.toggle", width="stretch"):
            try:
                with writing(ctx) as session:
                    store.set_user_disabled(session, user_id=user.user_id,
                                            disabled=not user.disabled, by=ctx.viewer)
            except JixiaoError as err:
                show_error(ctx, err)
            else:
                st.rerun()
    with reset:
        with st.form("review.admin.reset", clear_on_submit=True):
            new = st.text_input(ctx.t("review.admin.new_password"), type="password",
                                key="review.admin.new_password")
            if st.form_submit_button(ctx.t("review.admin.reset"),
                                     key="review.admin.reset_submit"):
                try:
                    with writing(ctx) as session:
                        store.reset_password(session, user_id=user.user_id, new_password=new,
                                             by=ctx.viewer)
                except JixiaoError as err:
                    show_error(ctx, err)
                else:
                    st.success(ctx.t("review.admin.reset_done", name=user.display_name))
    with invite:
        hours = st.number_input(ctx.t("review.admin.invite_hours"), min_value=1, max_value=720,
                                value=72, step=1, key="review.admin.invite_hours")
        if st.button(ctx.t("review.admin.invite"), key="review.admin.invite", width="stretch"):
            try:
                with writing(ctx) as session:
                    token = create_invite(session, user_id=user.user_id, by=ctx.viewer,
                                          ttl_hours=int(hours))
            except JixiaoError as err:
                show_error(ctx, err)
            else:
                link = invite_link(st.context.url or "", token,
                                   base_path=st.get_option("server.baseUrlPath") or "")
                st.session_state[_INVITE_KEY] = (user.display_name, link)
    shown = st.session_state.pop(_INVITE_KEY, None)
    if shown is not None:
        # Popped: the link appears on this run only, as the token is stored hashed.
        st.warning(ctx.t("review.admin.invite_once", name=shown[0]))
        st.code(shown[1], language=None, wrap_lines=True)


def render_accounts(ctx: PageContext) -> None:
    """Render the accounts page: the list, a form for a new account, and per-account actions.

    Parameters
    ----------
    ctx
        The signed-in admin and the engine.

    Returns
    -------
    None

    Notes
    -----
    The store checks the admin role on every call, so this page is not the only guard.

    Examples
    --------
    >>> render_accounts.__name__
    'render_accounts'
    """
    st.title(ctx.t("review.page.accounts"))
    flash = st.session_state.pop(_FLASH_KEY, None)
    if flash:
        st.success(flash)
    try:
        users = _users(ctx)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    st.dataframe(pd.DataFrame([{
        ctx.t("review.admin.username"): u.username,
        ctx.t("review.admin.display_name"): u.display_name,
        ctx.t("review.admin.role"): u.role.label(ctx.lang),
        ctx.t("review.admin.department"): u.department,
        ctx.t("review.admin.state"): ctx.t("review.admin.disabled" if u.disabled
                                           else "review.admin.active"),
        ctx.t("review.admin.locked_until"): format_time(u.locked_until)} for u in users]),
        hide_index=True, width="stretch", placeholder=MISSING)
    with st.expander(ctx.t("review.admin.new"), icon=":material/person_add:"):
        _create_form(ctx)
    st.markdown(f"#### {ctx.t('review.admin.actions')}")
    _account_actions(ctx, users)


def render_audit(ctx: PageContext) -> None:
    """Render the audit log, newest first, filtered by the kind of thing changed.

    Parameters
    ----------
    ctx
        The signed-in admin and the engine.

    Returns
    -------
    None

    Notes
    -----
    Beside the review log's own lines come the other floors' append-only records: lifecycle
    decisions, year runs and library publications (:func:`review.audit_feed.audit_feed`).
    Actors read as "姓名（用户名）", entities and actions as words of the page's language,
    sheet items by their rubric names, and each line's change as "字段：原值 → 新值"
    (:func:`review.views.audit_changes`); one chosen line, the newest by default, is spelt
    out below the table, and the old and new values exactly as logged (JSON) stay one click
    away for auditors.

    Examples
    --------
    >>> render_audit.__name__
    'render_audit'
    """
    st.title(ctx.t("review.page.audit"))
    st.caption(ctx.t("review.audit.note"))
    entity = st.selectbox(ctx.t("review.audit.entity"), _KINDS, key="review.audit.entity",
                          format_func=lambda k: ctx.t(f"review.audit.kind_{k or 'all'}"))
    try:
        with reading(ctx) as session:
            entries = audit_feed(session, by=ctx.viewer, entity=entity or None)
            names = {u.username: u.display_name
                     for u in store.list_users(session, by=ctx.viewer)}
            items = rubric_names(session, by=ctx.viewer)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    st.caption(ctx.t("review.audit.count", n=len(entries)))
    seen = _Context(names=names, items=items,
                    earlier=earlier_values(entries, _LOGGED_AS_COUNTS))
    newest = list(reversed(entries))
    st.dataframe(pd.DataFrame([{
        ctx.t("review.audit.at"): format_time(e.at),
        ctx.t("review.audit.actor"): seen.actor(e.actor),
        ctx.t("review.audit.entity"): _label(ctx, "review.audit.entity_", e.entity),
        ctx.t("review.audit.entity_id"): e.entity_id,
        ctx.t("review.audit.action"): _action(ctx, e.action),
        ctx.t("review.audit.changes"): "；".join(_change_lines(ctx, e, seen)) or None}
        for e in newest]), hide_index=True, width="stretch", placeholder=MISSING)
    if not newest:
        return
    by_key = {_key(e): e for e in newest}
    # Keys, not rows, are the options: the pick stays on its line when newer lines arrive,
    # and index 0 makes the newest line the first pick in every language.
    chosen = by_key[st.selectbox(
        ctx.t("review.audit.pick"), list(by_key), index=0, key="review.audit.pick",
        format_func=lambda k: pick_label(ctx, by_key[k], seen.actor(by_key[k].actor)))]
    lines = _change_lines(ctx, chosen, seen)
    st.markdown("\n".join(f"- {_escape(line)}" for line in lines) if lines
                else ctx.t("review.audit.no_changes"))
    with st.expander(ctx.t("review.audit.raw"), icon=":material/data_object:"):
        raw = {"old": chosen.old, "new": chosen.new}
        if isinstance(chosen, FeedEntry):
            raw["about"] = dict(chosen.about)
        st.json(raw, expanded=True)
        # Headers in the page's language; the cells exactly as logged.
        st.dataframe(pd.DataFrame([{
            ctx.t("review.audit.at"): format_time(e.at), ctx.t("review.audit.actor"): e.actor,
            ctx.t("review.audit.entity"): e.entity, ctx.t("review.audit.entity_id"): e.entity_id,
            ctx.t("review.audit.action"): e.action, ctx.t("review.audit.old"): _dump(e.old),
            ctx.t("review.audit.new"): _dump(e.new)} for e in newest]), hide_index=True,
            width="stretch", placeholder=MISSING)


def pick_label(ctx: PageContext, entry: AuditEntry, actor: str) -> str:
    """The line's label in the picker: time, actor, entity and id, action, record number.

    Parameters
    ----------
    ctx
        The page's language.
    entry
        An audit line.
    actor
        How the actor reads (e.g. "李教授（expert1）").

    Returns
    -------
    str

    Notes
    -----
    Unique: the record number is unique within its kind, and the kind is in the label, so
    two saves in the same minute by the same person never read alike.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from indicators.frontdoor import PageContext
    >>> ctx = PageContext(engine=None, viewer=None, lang="en")
    >>> e = AuditEntry(12, datetime(2021, 5, 1, 2, 0, tzinfo=UTC), "e1", "sheet", 3, "submit")
    >>> pick_label(ctx, e, "Li (e1)")
    '2021-05-01 10:00 · Li (e1) · sheet 3 · submit · No. 12'
    """
    return " · ".join((
        format_time(entry.at), actor or MISSING,
        f"{_label(ctx, 'review.audit.entity_', entry.entity)} {entry.entity_id or ''}".strip(),
        _action(ctx, entry.action), ctx.t("review.audit.record", n=entry.entry_id)))


_KINDS = ["", "user", "round", "report", "panel", "assignment", "sheet", "delphi_study",
          "delphi_round", "delphi_response", "delphi_proposal", "ahp_survey", "ahp_member",
          *FEED_KINDS]
# Kinds whose lines log what is there now, not what was before; read against the person's
# previous line of the same thing.
_LOGGED_AS_COUNTS = ("delphi_response",)
# Fields holding yuan, shown with thousands separators.
_MONEY = {"amount", "recommended_amount"}

# Values longer than this are cut in the readable lines; the raw JSON keeps them whole.
_LONGEST = 60
# Lists longer than this read as a count ("60 项") rather than every element.
_LISTED = 10
_MARKDOWN = set("\\`*_{}[]()#+-.!|<>~$")


def _label(ctx: PageContext, prefix: str, code: str) -> str:
    # A kind or action logged by a module newer than the catalogue shows as logged.
    key = f"{prefix}{code}"
    label = ctx.t(key)
    return code if label == key else label


def _action(ctx: PageContext, action: str) -> str:
    # Some actions carry their arguments, e.g. "auto_assign(k=4, seed=2021)".
    name, bracket, rest = action.partition("(")
    label = _label(ctx, "review.audit.action_", name.strip())
    return f"{label}（{rest.rstrip(')')}）" if bracket else label


def _dump(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c in _MARKDOWN else c for c in text)


@dataclass(frozen=True)
class _Context:
    """What reading the log's codes as words needs, read once per run."""

    names: Mapping[str, str]
    items: Mapping[int, Mapping[str, str]]
    earlier: Mapping[int, Mapping[str, Any]]

    def actor(self, username: str) -> str:
        # Records of other floors may already hold a name rather than a username.
        name = self.names.get(username)
        return f"{name}（{username}）" if name and name != username else username


def _key(entry: AuditEntry) -> str:
    # Entry ids are unique within a kind only: the feed's records number from their own tables.
    return f"{entry.entity}:{entry.entry_id}:{entry.action}"


def _shown(ctx: PageContext, entity: str, field: str, value: object) -> str:
    """One logged value as words: statuses, roles, methods and stages through the catalogue."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return ctx.t("review.audit.yes" if value else "review.audit.no")
    base = field.split(".", 1)[0]
    if base in _MONEY and isinstance(value, int | float):
        return ctx.t("review.audit.yuan", amount=f"{value:,.2f}")
    if base == "stage":
        return _label(ctx, "review.audit.stage_", str(value))
    if base == "source" and entity == "year_run":
        return _label(ctx, "review.audit.source_", str(value))
    if base == "status":
        prefix = "review.status." if entity == "sheet" else "review.round_status."
        return _label(ctx, prefix, str(value))
    if base == "role" and str(value) in {r.value for r in Role}:
        return Role(str(value)).label(ctx.lang)
    if base == "panel_method":
        return _label(ctx, "review.method.", str(value))
    if base == "panel_choice":
        return _label(ctx, "review.results.choice_", str(value))
    if isinstance(value, list | tuple):
        if len(value) > _LISTED or any(isinstance(v, list | tuple | dict) for v in value):
            return ctx.t("review.audit.n_items", n=len(value))
        return "、".join(str(v) for v in value) or MISSING
    text = _dump(value) if isinstance(value, dict) else f"{value:g}" \
        if isinstance(value, float) else str(value)
    return text if len(text) <= _LONGEST else text[:_LONGEST - 1] + "…"


def _field_name(ctx: PageContext, entry: AuditEntry, field: str, seen: _Context) -> str:
    base, _, code = field.partition(".")
    name = _label(ctx, "review.audit.field_", base)
    if not code:
        return name
    # A sheet's items by the names its round was scored against, the code kept for search.
    item = seen.items.get(entry.entity_id or 0, {}).get(code) if entry.entity == "sheet" \
        else None
    return ctx.t("review.audit.item_named", field=name, item=item, code=code) if item \
        else f"{name} {code}"


def _change_lines(ctx: PageContext, entry: AuditEntry, seen: _Context) -> list[str]:
    """The line's changes as "字段：原值 → 新值", one per changed field, after what it is about."""
    lines = [ctx.t("review.audit.line_new", field=_field_name(ctx, entry, field, seen),
                   new=_shown(ctx, entry.entity, field, value))
             for field, value in (entry.about.items() if isinstance(entry, FeedEntry) else ())]
    before = entry.old if entry.old is not None else seen.earlier.get(entry.entry_id)
    changes = audit_changes(before, entry.new)
    if before is not None and entry.old is None and not changes:
        # The line logs only what is there now, and it is what the person's previous line
        # logged: say so, rather than nothing or a bare count that reads as a change.
        return lines + [ctx.t("review.audit.line_same", field=_field_name(ctx, entry, f, seen),
                              value=_shown(ctx, entry.entity, f, v))
                        for f, _, v in audit_changes(None, entry.new)]
    for field, old, new in changes:
        name = _field_name(ctx, entry, field, seen)
        after = _shown(ctx, entry.entity, field, new)
        if before is None:
            lines.append(ctx.t("review.audit.line_new", field=name, new=after))
        else:
            lines.append(ctx.t("review.audit.line", field=name,
                               old=_shown(ctx, entry.entity, field, old), new=after))
    return lines
