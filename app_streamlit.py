"""The Streamlit front door: sign in, pick a language, and see only the pages your role may use.

``streamlit run app_streamlit.py`` opens the app. The engine comes from ``JIXIAO_DATABASE_URL``
(a SQLite file in the working folder when unset); the schema is brought up to date on the first
start. In demo mode (``JIXIAO_DEMO=1``, or no database URL at all, as on a fresh machine) the
demo county, its libraries, a closed and a half-scored review round are seeded once, and the
login page lists the demo accounts. Staff's pages get the key-evaluation results of closed
review rounds through :func:`key_results_feed`. A real database without an administrator
offers, on the login page, a one-time form to create the first one; once an active
administrator exists it is never shown.

Each package's ``ui`` module offers ``pages()``; this module keeps the pages whose roles include
the signed-in person's, groups them by section and hands them to ``st.navigation``. A page that
is not registered cannot be reached by its URL: Streamlit falls back to the default page.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from indicators.database import DATABASE_URL_ENV, database_url, ensure_schema, get_engine
from indicators.errors import JixiaoError
from indicators.frontdoor import STAFF_ROLES, PageContext, PageSpec, Role, Viewer, YearFeed
from indicators.i18n import LANGUAGES, t

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEMO_ENV",
    "PAGE_MODULES",
    "demo_mode",
    "key_results_feed",
    "main",
    "navigation_sections",
    "page_specs",
    "prepare_database",
]

DEMO_ENV = "JIXIAO_DEMO"
# Modules whose pages() make up the app; one not written yet is skipped. (A comment, not a
# docstring: Streamlit would print a bare string in the main script on the page.)
PAGE_MODULES: tuple[str, ...] = (
    "review.ui", "scoring.ui_dashboard", "indicators.ui", "scoring.ui", "scoring.ui_lifecycle",
    "scoring.ui_calibrate", "review.ui_delphi", "review.ui_ahp_survey",
)

# Reviewers' work first, the staff's tools next, accounts and the audit log last.
_FIRST_SECTIONS = ("review.section.mine", "review.section.manage")
_LAST_SECTIONS = ("review.section.system",)

_VIEWER_KEY = "app.viewer"
_LANG_KEY = "app.lang"
_LANG_NAMES = {"zh": "中文", "en": "English"}


def demo_mode(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the app seeds demo data and shows the demo accounts.

    Parameters
    ----------
    environ
        The environment to read; ``os.environ`` by default.

    Returns
    -------
    bool
        True when ``JIXIAO_DEMO`` is ``1``/``true``/``yes``, or when ``JIXIAO_DATABASE_URL`` is
        unset or empty (the fresh-machine Quick start); False when ``JIXIAO_DEMO`` is ``0`` or
        a database URL is configured without it.

    Notes
    -----
    A configured database is a real deployment unless someone asks for the demo on purpose, so
    real accounts never sit beside published demo passwords.

    Examples
    --------
    >>> demo_mode({})
    True
    >>> demo_mode({"JIXIAO_DATABASE_URL": "sqlite:///county.sqlite3"})
    False
    >>> demo_mode({"JIXIAO_DATABASE_URL": "sqlite:///demo.sqlite3", "JIXIAO_DEMO": "1"})
    True
    """
    env = os.environ if environ is None else environ
    flag = env.get(DEMO_ENV, "").strip().lower()
    if flag in ("1", "true", "yes", "on"):
        return True
    if flag in ("0", "false", "no", "off"):
        return False
    return not env.get(DATABASE_URL_ENV, "").strip()


def prepare_database(engine: Engine, *, demo: bool) -> None:
    """Bring the schema up to date and, in demo mode, seed what is not there yet.

    Parameters
    ----------
    engine
        The database.
    demo
        Seed the demo (:func:`review.demo_all.seed_demo`): shipped libraries, accounts and
        the half-scored review round, the Delphi study and AHP survey, the county's projects.

    Returns
    -------
    None

    Notes
    -----
    Every step is idempotent, so a restart, or a second process starting at the same moment,
    finds the work done and adds nothing.

    Examples
    --------
    >>> from indicators.database import clear_engine_cache
    >>> prepare_database(get_engine("sqlite://"), demo=False)
    >>> clear_engine_cache()
    """
    ensure_schema(engine)
    if not demo:
        return
    # Imported here: the demo generator and its data are only needed on a demo start. The same
    # function serves `jixiao demo`, so both front doors seed the same county.
    from review.demo_all import seed_demo

    seed_demo(engine)


def _page_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only the page module itself may be missing; a broken import inside it must surface.
        if exc.name == name:
            return None
        raise


def page_specs(modules: Sequence[str] = PAGE_MODULES) -> list[PageSpec]:
    """Every page the installed packages offer, in module order.

    Parameters
    ----------
    modules
        Module names with a ``pages() -> list[PageSpec]`` function.

    Returns
    -------
    list of PageSpec

    Notes
    -----
    A module that does not exist is skipped, so the app runs while a package's pages are still
    being written; any other import error is raised.

    Examples
    --------
    >>> page_specs(("no_such_package_ui",))
    []
    """
    specs: list[PageSpec] = []
    for name in modules:
        module = _page_module(name)
        if module is not None:
            specs.extend(module.pages())
    return specs


def navigation_sections(specs: Iterable[PageSpec], role: Role) -> dict[str, list[PageSpec]]:
    """The pages a role may use, grouped by section key in the order the sidebar shows them.

    Parameters
    ----------
    specs
        Pages from :func:`page_specs`.
    role
        The signed-in person's role.

    Returns
    -------
    dict
        Section key → pages, only pages whose ``roles`` include ``role``; the reviewer's
        section first, review management next, other packages' sections in the order they
        come, the system section last. Empty sections are left out.

    Notes
    -----
    This is the whole of access control in the navigation: a page left out here is never
    registered. The stores check every call again, so a page is not the only guard.

    Examples
    --------
    >>> spec = PageSpec(key="p", section="s", title="t", render=print,
    ...                 roles=frozenset({Role.ADMIN}))
    >>> navigation_sections([spec], Role.EXPERT)
    {}
    >>> list(navigation_sections([spec], Role.ADMIN))
    ['s']
    """
    visible = [spec for spec in specs if role in spec.roles]
    order = {key: i for i, key in enumerate(_FIRST_SECTIONS)}
    for spec in visible:
        if spec.section not in _LAST_SECTIONS:
            order.setdefault(spec.section, len(order))
    for key in _LAST_SECTIONS:
        order.setdefault(key, len(order))
    grouped: dict[str, list[PageSpec]] = {}
    for spec in sorted(visible, key=lambda s: order[s.section]):
        grouped.setdefault(spec.section, []).append(spec)
    return grouped


# The first start builds the schema and seeds the demo for several seconds: say so, in both
# languages since the reader's choice is not known yet.
@st.cache_resource(show_spinner="正在准备数据库… / Preparing the database…")
def _ready_engine(url: str, demo: bool) -> Engine:
    # One engine and one preparation per database URL for the whole server process.
    engine = get_engine(url)
    prepare_database(engine, demo=demo)
    return engine


def _lang() -> str:
    lang = st.session_state.get(_LANG_KEY, "zh")
    return lang if lang in LANGUAGES else "zh"


def _keep_choices_across_languages() -> None:
    # Streamlit remembers a select box's or radio's choice as the text it showed; after a
    # language switch that text matches no option, so the box shows the old word or nothing.
    # Handing each kept value back makes the next run show it in the new language. Booleans
    # (buttons, check boxes) and containers (uploads, table edits) are left alone: a button's
    # or an editor's value may not be set this way, and their display has no translated text.
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        if key != _LANG_KEY and isinstance(value, str | int | float) \
                and not isinstance(value, bool):
            st.session_state[key] = value


def _sidebar(lang: str, viewer: Viewer | None) -> None:
    with st.sidebar:
        st.markdown(f"**{t('app.title', lang)}**")
        st.radio(t("app.language", lang), LANGUAGES, key=_LANG_KEY, horizontal=True,
                 format_func=_LANG_NAMES.__getitem__, on_change=_keep_choices_across_languages)
        if viewer is not None:
            st.caption(t("app.signed_in_as", lang, name=viewer.display_name,
                         role=viewer.role.label(lang)))
            if st.button(t("app.logout", lang), key="app.logout"):
                st.session_state.pop(_VIEWER_KEY, None)
                st.rerun()


def _sign_in(viewer: Viewer) -> None:
    st.session_state[_VIEWER_KEY] = viewer
    st.rerun()


def _no_admin_yet(engine: Engine) -> bool:
    from review.store import admin_exists

    with Session(engine) as session:
        return not admin_exists(session)


def _first_admin_form(engine: Engine, lang: str) -> None:
    """The one-time form of a new database: no one could sign in to create accounts otherwise."""
    from review.auth import MIN_PASSWORD_LENGTH, PasswordAuthenticator
    from review.store import create_user

    st.subheader(t("review.first_admin.title", lang))
    st.info(t("review.first_admin.note", lang))
    with st.form("app.first_admin"):
        username = st.text_input(t("review.admin.username", lang), key="app.first_admin.username")
        name = st.text_input(t("review.admin.display_name", lang),
                             key="app.first_admin.display_name")
        first = st.text_input(t("app.invite.password", lang), type="password",
                              key="app.first_admin.password",
                              help=t("review.first_admin.password_help", lang,
                                     n=MIN_PASSWORD_LENGTH))
        again = st.text_input(t("app.invite.repeat", lang), type="password",
                              key="app.first_admin.repeat")
        submitted = st.form_submit_button(t("review.first_admin.submit", lang), type="primary",
                                          key="app.first_admin.submit")
    if not submitted:
        return
    if first != again:
        st.error(t("app.invite.mismatch", lang))
        return
    try:
        # by=None is the store's bootstrap: it refuses once any active admin exists, so two
        # people filling this form at once still make only one first admin.
        with Session(engine) as session:
            create_user(session, username=username, display_name=name, role=Role.ADMIN,
                        password=first, by=None)
            session.commit()
        with Session(engine) as session:
            viewer = PasswordAuthenticator().authenticate(session, username=username.strip(),
                                                          password=first)
            session.commit()
    except JixiaoError as err:
        st.error(err.message(lang))
        return
    _sign_in(viewer)


def _login_page(engine: Engine, lang: str, demo: bool) -> None:
    from review.auth import PasswordAuthenticator

    st.title(t("app.login.title", lang))
    if not demo and _no_admin_yet(engine):
        _first_admin_form(engine, lang)
        st.divider()
    with st.form("app.login"):
        username = st.text_input(t("app.login.username", lang), key="app.login.username")
        password = st.text_input(t("app.login.password", lang), type="password",
                                 key="app.login.password")
        submitted = st.form_submit_button(t("app.login.submit", lang), type="primary",
                                          key="app.login.submit")
    if submitted:
        try:
            with Session(engine) as session:
                viewer = PasswordAuthenticator().authenticate(
                    session, username=username.strip(), password=password)
                session.commit()
        except JixiaoError as err:
            st.error(err.message(lang))
        else:
            _sign_in(viewer)
    if demo:
        _demo_accounts(lang)


def _demo_accounts(lang: str) -> None:
    from review.demo import DEMO_ACCOUNTS

    st.divider()
    st.subheader(t("app.demo.title", lang))
    st.caption(t("app.demo.note", lang))
    st.table([{t("app.demo.username", lang): a.username,
               t("app.demo.password", lang): a.password,
               t("app.demo.name", lang): a.display_name,
               t("app.demo.role", lang): Role(a.role).label(lang)} for a in DEMO_ACCOUNTS])


def _invite_page(engine: Engine, lang: str, token: str) -> None:
    from review.auth import redeem_invite, viewer_from_invite

    st.title(t("app.invite.title", lang))
    try:
        with Session(engine) as session:
            invited = viewer_from_invite(session, token=token)
    except JixiaoError as err:
        st.error(err.message(lang))
        if st.button(t("app.invite.to_login", lang), key="app.invite.to_login"):
            del st.query_params["invite"]
            st.rerun()
        return
    st.write(t("app.invite.welcome", lang, name=invited.display_name,
               role=invited.role.label(lang)))
    with st.form("app.invite"):
        first = st.text_input(t("app.invite.password", lang), type="password",
                              key="app.invite.password")
        again = st.text_input(t("app.invite.repeat", lang), type="password",
                              key="app.invite.repeat")
        submitted = st.form_submit_button(t("app.invite.submit", lang), type="primary",
                                          key="app.invite.submit")
    if not submitted:
        return
    if first != again:
        st.error(t("app.invite.mismatch", lang))
        return
    try:
        with Session(engine) as session:
            viewer = redeem_invite(session, token=token, new_password=first)
            session.commit()
    except JixiaoError as err:
        st.error(err.message(lang))
        return
    del st.query_params["invite"]
    _sign_in(viewer)


def key_results_feed(engine: Engine, viewer: Viewer) -> YearFeed | None:
    """The key-evaluation results of closed review rounds, handed down to the lifecycle pages.

    Parameters
    ----------
    engine
        The database.
    viewer
        The signed-in person.

    Returns
    -------
    YearFeed or None
        For staff, a feed whose ``version`` is :func:`review.key_results.key_results_version`
        and whose ``load`` is :func:`review.key_results.key_evaluation_results` read as the
        viewer, each on a session of its own; None for anyone else (the results are staff's).

    Notes
    -----
    ``scoring`` may not import ``review``, so the front door passes the results down.

    Examples
    --------
    >>> rater = Viewer(user_id=2, username="e", display_name="专家", role=Role.EXPERT)
    >>> key_results_feed(None, rater) is None
    True
    """
    if Role(viewer.role) not in STAFF_ROLES:
        return None
    from review.key_results import key_evaluation_results, key_results_version

    def version(year: int) -> tuple[tuple[int, int], ...]:
        with Session(engine) as session:
            return key_results_version(session, year=year)

    def load(year: int) -> pd.DataFrame:
        with Session(engine) as session:
            return key_evaluation_results(session, year=year, by=viewer)

    return YearFeed(version=version, load=load)


def _page_runner(spec: PageSpec, ctx: PageContext) -> Callable[[], None]:
    def run() -> None:
        spec.render(ctx)

    return run


def _signed_in(engine: Engine, viewer: Viewer, lang: str, demo: bool) -> None:
    ctx = PageContext(engine=engine, viewer=viewer, lang=lang, demo_mode=demo,
                      key_results=key_results_feed(engine, viewer))
    sections = navigation_sections(page_specs(), viewer.role)
    chosen_default = False
    navigation: dict[str, list[st.Page]] = {}
    for section, specs in sections.items():
        for spec in specs:
            default = spec.default and not chosen_default
            chosen_default = chosen_default or default
            navigation.setdefault(t(section, lang), []).append(st.Page(
                _page_runner(spec, ctx), title=t(spec.title, lang), url_path=spec.key,
                icon=spec.icon, default=default))
    if not navigation:
        st.warning(t("app.no_pages", lang))
        return
    # Expanded: a collapsed sidebar hid half of the staff's pages behind an English "View more".
    st.navigation(navigation, expanded=True).run()


def main() -> None:
    """Run one pass of the app for the browser session that triggered it.

    Returns
    -------
    None

    Notes
    -----
    Streamlit reruns this script on every interaction; the engine and the one-time database
    preparation are cached per URL, the signed-in person and the language live in
    ``st.session_state``.

    Examples
    --------
    >>> callable(main)
    True
    """
    st.set_page_config(page_title=t("app.title", _lang()), layout="wide")
    demo = demo_mode()
    lang = _lang()
    try:
        engine = _ready_engine(database_url(), demo)
    except JixiaoError as err:
        st.error(err.message(lang))
        return
    viewer: Viewer | None = st.session_state.get(_VIEWER_KEY)
    token = st.query_params.get("invite")
    if viewer is not None and token:
        del st.query_params["invite"]
    _sidebar(lang, viewer)
    if viewer is not None:
        _signed_in(engine, viewer, lang, demo)
        return
    if token:
        page = st.Page(lambda: _invite_page(engine, lang, token), title=t("app.invite.title", lang),
                       url_path="invite", default=True)
    else:
        page = st.Page(lambda: _login_page(engine, lang, demo), title=t("app.login.title", lang),
                       url_path="login", default=True)
    st.navigation([page], position="hidden").run()


if __name__ == "__main__":
    main()
