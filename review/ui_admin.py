"""Administration: accounts (create, disable, reset, invite) and the audit log, for admins only.

An invite link is shown once, right after it is made: only the token's hash is stored, so it
cannot be shown again; a lost link is replaced by a new one. The audit log is read-only here as
everywhere: the store has no function that changes a line.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext, Role
from review import store
from review.auth import create_invite
from review.model import UserPublic
from review.ui_shell import MISSING, format_time, reading, show_error, writing

__all__ = ["invite_link", "render_accounts", "render_audit"]

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
    Old and new values are shown as JSON, exactly as logged.

    Examples
    --------
    >>> render_audit.__name__
    'render_audit'
    """
    st.title(ctx.t("review.page.audit"))
    st.caption(ctx.t("review.audit.note"))
    kinds = ["", "user", "round", "report", "panel", "assignment", "sheet"]
    entity = st.selectbox(ctx.t("review.audit.entity"), kinds, key="review.audit.entity",
                          format_func=lambda k: ctx.t(f"review.audit.kind_{k or 'all'}"))
    try:
        with reading(ctx) as session:
            entries = store.audit_log(session, by=ctx.viewer, entity=entity or None)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    st.caption(ctx.t("review.audit.count", n=len(entries)))

    def dump(value: object) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    st.dataframe(pd.DataFrame([{
        ctx.t("review.audit.at"): format_time(e.at), ctx.t("review.audit.actor"): e.actor,
        ctx.t("review.audit.entity"): _label(ctx, "review.audit.entity_", e.entity),
        ctx.t("review.audit.entity_id"): e.entity_id,
        ctx.t("review.audit.action"): _label(ctx, "review.audit.action_", e.action),
        ctx.t("review.audit.old"): dump(e.old), ctx.t("review.audit.new"): dump(e.new)}
        for e in reversed(entries)]), hide_index=True, width="stretch",
        placeholder=MISSING)


def _label(ctx: PageContext, prefix: str, code: str) -> str:
    # A kind or action logged by a module newer than the catalogue shows as logged.
    key = f"{prefix}{code}"
    label = ctx.t(key)
    return code if label == key else label
