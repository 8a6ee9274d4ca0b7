"""The Streamlit front door: demo mode, sign-in, lockout, invites, language and per-role pages.

The app runs headless through Streamlit's AppTest on a copy of a demo database seeded once for
the module, so each test starts from the same half-scored demo round.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import app_streamlit
from indicators.database import clear_engine_cache, get_engine
from indicators.frontdoor import STAFF_ROLES, PageSpec, Role
from review import store
from review.auth import create_invite
from review.demo import DEMO_ACCOUNTS, FIRST_BATCH
from review.tables import UserRow

APP = str(Path(__file__).resolve().parent.parent / "app_streamlit.py")
PASSWORDS = {a.username: a.password for a in DEMO_ACCOUNTS}
STAFF_PAGES = {"review-dashboard", "review-rounds", "review-accounts", "review-audit"}
RATER_PAGES = {"review-tasks", "review-sheet"}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "demo.sqlite3"
    app_streamlit.prepare_database(get_engine(f"sqlite:///{path}"), demo=True)
    # Disposing the engine checkpoints the WAL into the file, so a plain copy is complete.
    clear_engine_cache()
    return path


@pytest.fixture
def db(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "app.sqlite3"
    shutil.copy(seeded, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", url)
    monkeypatch.setenv("JIXIAO_DEMO", "1")
    yield url
    clear_engine_cache()


def start() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def sign_in(at: AppTest, username: str, password: str | None = None) -> AppTest:
    at.text_input(key="app.login.username").input(username)
    at.text_input(key="app.login.password").input(PASSWORDS.get(username, "") if password is None
                                                  else password)
    return at.button(key="app.login.submit").click().run()


def registered(at: AppTest) -> set[str]:
    """URL paths of the review pages st.navigation registered on the last run.

    Streamlit names a page by the hash of its URL path (the default page included, though its
    address is the bare root), so the hashes tell which of our pages are there.
    """
    hashes = set(at._registered_pages)
    return {key for key in STAFF_PAGES | RATER_PAGES if calc_hash(key) in hashes}


def request_page(at: AppTest, url_path: str) -> AppTest:
    """What a browser does on opening /<url_path>: ask for the page with that path's hash."""
    at._page_hash = calc_hash(url_path)
    return at.run()


# ------------------------------------------------------------------ pure parts

def test_demo_mode_follows_the_environment() -> None:
    assert app_streamlit.demo_mode({}) is True
    assert app_streamlit.demo_mode({"JIXIAO_DATABASE_URL": " "}) is True
    assert app_streamlit.demo_mode({"JIXIAO_DATABASE_URL": "sqlite:///x.sqlite3"}) is False
    assert app_streamlit.demo_mode({"JIXIAO_DATABASE_URL": "sqlite:///x", "JIXIAO_DEMO": "1"})
    assert not app_streamlit.demo_mode({"JIXIAO_DEMO": "0"})


def test_navigation_keeps_only_the_roles_pages_in_section_order() -> None:
    def spec(key: str, section: str, roles: frozenset[Role]) -> PageSpec:
        return PageSpec(key=key, section=section, title=key, render=print, roles=roles)

    specs = [spec("accounts", "review.section.system", frozenset({Role.ADMIN})),
             spec("library", "indicators.section.library", STAFF_ROLES),
             spec("board", "review.section.manage", STAFF_ROLES),
             spec("tasks", "review.section.mine", frozenset({Role.EXPERT}))]
    admin = app_streamlit.navigation_sections(specs, Role.ADMIN)
    assert list(admin) == ["review.section.manage", "indicators.section.library",
                           "review.section.system"]
    finance = app_streamlit.navigation_sections(specs, Role.FINANCE)
    assert "review.section.system" not in finance
    expert = app_streamlit.navigation_sections(specs, Role.EXPERT)
    assert [s.key for pages in expert.values() for s in pages] == ["tasks"]


def test_page_modules_may_be_missing_but_not_broken(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert app_streamlit.page_specs(("jixiao_no_such_ui",)) == []
    (tmp_path / "jixiao_broken_ui.py").write_text("import jixiao_missing_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as caught:
        app_streamlit.page_specs(("jixiao_broken_ui",))
    assert caught.value.name == "jixiao_missing_dependency"


# ------------------------------------------------------------------ signing in

def test_login_page_lists_demo_accounts_only_in_demo_mode(db: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    at = start()
    assert not at.exception
    assert at.title[0].value == "登录"
    shown = at.table[0].value
    assert "expert1" in shown.to_string() and "demo-expert1-2021" in shown.to_string()
    monkeypatch.setenv("JIXIAO_DEMO", "0")
    at = start()
    assert not at.exception and at.title[0].value == "登录"
    assert len(at.table) == 0
    assert "demo-expert1-2021" not in str(at._tree)


def test_good_password_signs_in_and_lands_on_the_task_list(db: str) -> None:
    at = sign_in(start(), "expert1")
    assert not at.exception
    assert at.title[0].value == "我的评审任务"
    assert "份报告，已完成" in at.subheader[0].value
    assert any("已登录" in c.value for c in at.sidebar.caption)


def test_wrong_password_and_unknown_user_get_the_same_message(db: str) -> None:
    wrong = sign_in(start(), "expert1", "not-the-password")
    unknown = sign_in(start(), "nobody-here", "not-the-password")
    assert wrong.title[0].value == unknown.title[0].value == "登录"
    assert wrong.error[0].value == unknown.error[0].value
    assert "nobody-here" not in unknown.error[0].value


def test_lockout_refuses_even_the_right_password_with_the_same_message(db: str) -> None:
    at = start()
    for _ in range(5):
        at = sign_in(at, "deputy2", "wrong-password")
    message = at.error[0].value
    at = sign_in(at, "deputy2")
    assert at.title[0].value == "登录"
    assert at.error[0].value == message
    with Session(get_engine(db)) as session:
        admin = store.get_viewer(session, user_id=1)
        users = {u.username: u for u in store.list_users(session, by=admin)}
    assert users["deputy2"].locked_until is not None


def test_logout_returns_to_the_login_page(db: str) -> None:
    at = sign_in(start(), "deputy1")
    at.button(key="app.logout").click().run()
    assert at.title[0].value == "登录"
    assert "app.viewer" not in at.session_state


def test_language_switch_turns_labels_english(db: str) -> None:
    at = start()
    at.radio(key="app.lang").set_value("en").run()
    assert at.title[0].value == "Sign in"
    at.text_input(key="app.login.username").input("expert2")
    at.text_input(key="app.login.password").input(PASSWORDS["expert2"])
    at.button(key="app.login.submit").click().run()
    assert at.title[0].value == "My review tasks"
    assert "reports," in at.subheader[0].value


def test_a_language_switch_keeps_every_choice_on_the_page(db: str) -> None:
    at = sign_in(start(), "finance")
    assert at.radio(key="dashboard.source").value == "demo"
    at.radio(key="dashboard.source").set_value("stored").run()
    at.radio(key="app.lang").set_value("en").run()
    assert not at.exception
    # Select boxes and radios keep their choice, shown with the English wording.
    assert at.radio(key="dashboard.source").value == "stored"
    assert at.selectbox(key="lifecycle.year").value == 2021
    assert at.selectbox(key="lifecycle.config").value == "kaijiang-2021"


def test_invite_link_sets_a_password_once_and_signs_in(db: str) -> None:
    with Session(get_engine(db)) as session:
        admin = store.get_viewer(session, user_id=1)
        user = store.create_user(session, username="deputy9", display_name="人大代表 钱新",
                                 role=Role.DEPUTY, by=admin)
        token = create_invite(session, user_id=user.user_id, by=admin)
        session.commit()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["invite"] = token
    at.run()
    assert at.title[0].value == "设置密码"
    assert any("钱新" in m.value for m in at.markdown)
    at.text_input(key="app.invite.password").input("新的密码-2021")
    at.text_input(key="app.invite.repeat").input("另一个密码-2021")
    at.button(key="app.invite.submit").click().run()
    assert at.error[0].value == "两次输入的密码不一致，请重新输入。"
    at.text_input(key="app.invite.repeat").input("新的密码-2021")
    at.button(key="app.invite.submit").click().run()
    assert not at.exception
    assert at.title[0].value == "我的评审任务"
    assert "invite" not in at.query_params
    # The link is spent; the password now works at the login page.
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params["invite"] = token
    again.run()
    assert "无效" in again.error[0].value
    assert sign_in(start(), "deputy9", "新的密码-2021").title[0].value == "我的评审任务"


# ------------------------------------------------------------------ pages per role

def test_an_expert_never_registers_staff_pages(db: str) -> None:
    at = sign_in(start(), "expert3")
    pages = registered(at)
    assert pages == RATER_PAGES
    # Asking for the board's URL falls back to the default page: the board is not there.
    request_page(at, "review-dashboard")
    assert not at.exception
    assert at.title[0].value == "我的评审任务"
    assert all(m.label != "已提交评分表" for m in at.metric)


def test_staff_see_management_pages_and_only_admins_the_system_pages(db: str) -> None:
    admin = registered(sign_in(start(), "admin"))
    assert admin == STAFF_PAGES
    finance_app = sign_in(start(), "finance")
    finance = registered(finance_app)
    assert {"review-dashboard", "review-rounds"} <= finance
    assert finance.isdisjoint({"review-accounts", "review-audit", "review-sheet"})
    request_page(finance_app, "review-accounts")
    # Refused, the request falls back to the staff's landing page, the county overview.
    assert finance_app.header[0].value == "县级总览"


# ------------------------------------------------------------------ key results handed down

def test_staff_get_a_key_results_feed_and_raters_none(db: str) -> None:
    engine = get_engine(db)
    with Session(engine) as session:
        rows = session.exec(select(UserRow)).all()
        viewers = {row.username: store.get_viewer(session, user_id=row.id) for row in rows}
    assert app_streamlit.key_results_feed(engine, viewers["expert2"]) is None
    assert app_streamlit.key_results_feed(engine, viewers["deputy1"]) is None
    feed = app_streamlit.key_results_feed(engine, viewers["finance"])
    # The demo's closed first batch: one closed round of 2021, none of 2022.
    assert len(feed.version(2021)) == 1 and feed.version(2022) == ()
    found = feed.load(2021)
    assert len(found) == FIRST_BATCH and set(found["basis"]) == {"adjusted"}
    assert feed.load(2022).empty


def test_the_demo_discloses_the_closed_rounds_key_results(db: str) -> None:
    at = request_page(sign_in(start(), "finance"), "lifecycle-disclosure")
    titles = [h.value for h in at.subheader]
    assert f"公开_重点评价结果（{FIRST_BATCH}）" in titles, titles


# ------------------------------------------------------------------ the first administrator

@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real (non-demo) database with no account at all, as on a bureau's first start."""
    url = f"sqlite:///{tmp_path / 'county.sqlite3'}"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", url)
    monkeypatch.setenv("JIXIAO_DEMO", "0")
    yield url
    clear_engine_cache()


def first_admin_shown(at: AppTest) -> bool:
    return any(h.value == "创建首个管理员账号" for h in at.subheader)


def test_a_new_database_offers_the_first_admin_form_once(empty_db: str) -> None:
    at = start()
    assert not at.exception and at.title[0].value == "登录"
    assert first_admin_shown(at)
    at.text_input(key="app.first_admin.username").input("czj-admin")
    at.text_input(key="app.first_admin.display_name").input("县财政局 管理员")
    at.text_input(key="app.first_admin.password").input("县财政局-2022-管理")
    at.text_input(key="app.first_admin.repeat").input("另一个密码-2022")
    at.button(key="app.first_admin.submit").click().run()
    assert at.error[0].value == "两次输入的密码不一致，请重新输入。"
    at.text_input(key="app.first_admin.repeat").input("县财政局-2022-管理")
    at.button(key="app.first_admin.submit").click().run()
    assert not at.exception
    assert any("县财政局 管理员" in c.value for c in at.sidebar.caption)
    with Session(get_engine(empty_db)) as session:
        assert store.admin_exists(session)
        admin = store.get_viewer(session, user_id=1)
    assert admin.role is Role.ADMIN and admin.username == "czj-admin"
    # Never again: the next visitor gets the sign-in form only, and the password works.
    again = start()
    assert not first_admin_shown(again)
    assert not [w for w in again.text_input if w.key.startswith("app.first_admin.")]
    signed = sign_in(again, "czj-admin", "县财政局-2022-管理")
    assert not signed.exception
    assert any("县财政局 管理员" in c.value for c in signed.sidebar.caption)


def test_the_first_admin_form_is_not_offered_beside_the_demo_accounts(db: str) -> None:
    assert not first_admin_shown(start())
