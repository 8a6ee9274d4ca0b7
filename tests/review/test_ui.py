"""The review pages through Streamlit's AppTest: task list, score sheet, blindness, the board.

Each test runs the whole app (``app_streamlit.py``) on its own copy of a demo database seeded
once for the module: 15 reports, 5 experts and 3 deputies, 4 raters per report, about half the
sheets submitted. Store calls set up and check what the pages cannot show.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import app_streamlit
from indicators.database import clear_engine_cache, get_engine
from indicators.frontdoor import Role, Viewer
from indicators.i18n import LANGUAGES, catalogue, t
from review import store
from review.auth import PasswordAuthenticator
from review.demo import DEMO_ACCOUNTS, DEMO_ROUND_TITLE
from review.model import PanelChoice, PanelMethod, RoundStatus, SheetPublic, SheetStatus
from review.ui import RATER_PAGE_ROLES, pages
from review.ui_draft import state_key
from review.ui_sheet import score_key

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app_streamlit.py")
PASSWORDS = {a.username: a.password for a in DEMO_ACCOUNTS}
MARKER = "zz-secret-417"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "demo.sqlite3"
    app_streamlit.prepare_database(get_engine(f"sqlite:///{path}"), demo=True)
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


def viewer(db: str, username: str) -> Viewer:
    with Session(get_engine(db)) as session:
        found = PasswordAuthenticator().authenticate(session, username=username,
                                                     password=PASSWORDS[username])
        session.commit()
    return found


def round_id(db: str) -> int:
    """The demo's open round (the demo also holds a closed first batch)."""
    with Session(get_engine(db)) as session:
        rounds = store.list_rounds(session, by=viewer(db, "admin"))
    return next(r.round_id for r in rounds if r.title == DEMO_ROUND_TITLE)


def sheets(db: str) -> list[SheetPublic]:
    admin = viewer(db, "admin")
    with Session(get_engine(db)) as session:
        return store.list_sheets(session, round_id=round_id(db), viewer=admin)


def sign_in(username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="app.login.username").input(username)
    at.text_input(key="app.login.password").input(PASSWORDS[username])
    at.button(key="app.login.submit").click().run()
    assert not at.exception
    return at


def open_sheet(at: AppTest, assignment_id: int) -> AppTest:
    """Open a sheet from the task list, as the rater would."""
    at.button(key=f"review.open.{assignment_id}").click().run()
    assert not at.exception
    return at


def request_page(at: AppTest, url_path: str, **query: str) -> AppTest:
    """What a browser does on opening /<url_path>?<query>."""
    for name, value in query.items():
        at.query_params[name] = value
    at._page_hash = calc_hash(url_path)
    return at.run()


def page_text(at: AppTest) -> str:
    """Every element's content on the last run, widgets' current values included."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        value = getattr(node, "value", None)
        if isinstance(value, str | float | int):
            parts.append(str(value))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def shows(text: str, needle: str) -> bool:
    """Whether ``needle`` is in ``text`` as written or as protobuf's octal-escaped UTF-8."""
    escaped = "".join(chr(b) if b < 128 else f"\\{b:03o}" for b in needle.encode("utf-8"))
    return needle in text or escaped in text


def rater_id(db: str, username: str) -> int:
    return viewer(db, username).user_id


def untouched_sheet(db: str, *, waiting: int = 1) -> tuple[str, SheetPublic]:
    """A rater with at least ``waiting`` unsubmitted sheets, and one of theirs nobody touched."""
    all_sheets = sheets(db)
    for account in DEMO_ACCOUNTS:
        if account.role not in RATER_PAGE_ROLES:
            continue
        uid = rater_id(db, account.username)
        mine = [s for s in all_sheets if s.rater_id == uid]
        fresh = [s for s in mine if s.status is SheetStatus.ASSIGNED]
        if fresh and sum(s.status is not SheetStatus.SUBMITTED for s in mine) >= waiting:
            return account.username, fresh[0]
    raise LookupError("the demo round has no such rater")


def fill_all(at: AppTest, aid: int, value: float) -> AppTest:
    for box in at.number_input:
        if box.key.startswith(f"review.score.{aid}."):
            box.set_value(value)
    return at.run()


# ------------------------------------------------------------------ the catalogue and pages

def _used_keys() -> set[str]:
    sources = [ROOT / "app_streamlit.py", *sorted((ROOT / "review").glob("ui*.py"))]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    keys = set(re.findall(r"\bt\(\s*\"((?:app|review|role)\.[a-z0-9_.]+)\"", text))
    keys |= set(re.findall(r"\"(review\.(?:status|tasks)\.[a-z_]+)\"", text))
    families = {"review.method.{}": [m.value for m in PanelMethod],
                "review.round_status.{}": [s.value for s in RoundStatus],
                "review.results.choice_{}": [c.value for c in PanelChoice],
                "review.board.tab_{}": ["progress", "results", "export"],
                "review.sheet.layout_{}": ["side", "tabs"],
                "review.rounds.{}_mode": ["auto", "manual"],
                "review.audit.kind_{}": ["all", "user", "round", "report", "panel",
                                         "assignment", "sheet"],
                "review.audit.entity_{}": ["user", "round", "report", "panel", "assignment",
                                           "sheet"],
                "review.results.w_{}": ["incomplete", "drop_items", "drop_raters", "complete"],
                "review.results.about_{}": ["icc21", "icc2k", "w"],
                "review.coef.{}": ["kendall_w", "alpha", "fleiss", "ac1", "ac2", "percent"],
                "review.coef.form_{}": ["nominal", "ordinal", "interval", "ratio", "quadratic",
                                        "linear", "radical"]}
    for pattern, values in families.items():
        keys |= {pattern.format(v) for v in values}
    for spec in pages():
        keys |= {spec.title, spec.section}
    return keys


def test_every_label_the_pages_use_is_in_the_catalogue_in_both_languages() -> None:
    messages = catalogue()
    used = _used_keys()
    assert len(used) > 150
    missing = sorted(k for k in used if k not in messages)
    assert missing == []
    assert all(messages[k][lang] for k in used for lang in LANGUAGES)


def test_pages_give_raters_their_tasks_and_staff_the_board() -> None:
    specs = {spec.key: spec for spec in pages()}
    assert len(specs) == len(pages())
    assert specs["review-tasks"].roles == RATER_PAGE_ROLES and specs["review-tasks"].default
    assert specs["review-sheet"].roles == RATER_PAGE_ROLES
    # Staff land on the county overview (scoring's dashboard), not on the review board.
    assert not specs["review-dashboard"].default
    assert Role.EXPERT not in specs["review-dashboard"].roles
    assert specs["review-accounts"].roles == specs["review-audit"].roles == {Role.ADMIN}


# ------------------------------------------------------------------ the rater's screens

def test_task_list_counts_reports_and_marks_their_state(db: str) -> None:
    uid = rater_id(db, "expert2")
    mine = [s for s in sheets(db) if s.rater_id == uid]
    done = sum(s.status is SheetStatus.SUBMITTED for s in mine)
    at = sign_in("expert2")
    assert at.subheader[0].value == f"{len(mine)} 份报告，已完成 {done} 份"
    # The open round comes first; the demo's closed first batch is listed after it.
    labels = [b.label for b in at.button
              if b.key in {f"review.open.{s.assignment_id}" for s in mine}]
    assert len(labels) == len(mine)
    assert labels.count("查看评分") == done


def test_sheet_shows_items_with_their_range_and_a_draft_survives_a_new_session(db: str) -> None:
    username, sheet = untouched_sheet(db)
    at = open_sheet(sign_in(username), sheet.assignment_id)
    boxes = [b for b in at.number_input if b.key.startswith(f"review.score.{sheet.assignment_id}.")]
    assert len(boxes) == 23 and all(b.value is None for b in boxes)
    first = boxes[0]
    # The range is in the label; the page, not the browser, checks it (test_ui_sheet.py).
    assert first.label == "得分（0–4 分）"
    first.set_value(3.5).run()
    assert any(c.value.startswith("草稿已自动保存") for c in at.caption)
    code = first.key.rsplit(".", 1)[1]
    at.text_area(key=f"review.comment.{sheet.assignment_id}.{code}").input("依据列得很全").run()
    # A new browser session (the tab was closed) finds the draft in the database.
    again = open_sheet(sign_in(username), sheet.assignment_id)
    assert again.number_input(key=score_key(sheet.assignment_id, code)).value == 3.5
    assert again.text_area(key=f"review.comment.{sheet.assignment_id}.{code}").value == \
        "依据列得很全"
    stored = next(s for s in sheets(db) if s.assignment_id == sheet.assignment_id)
    assert stored.status is SheetStatus.DRAFT and stored.scores[code] == 3.5


def test_submit_needs_every_item_then_a_confirmation_and_locks_the_sheet(db: str) -> None:
    username, sheet = untouched_sheet(db, waiting=2)
    aid = sheet.assignment_id
    at = open_sheet(sign_in(username), aid)
    at.button(key="review.sheet.submit").click().run()
    assert "项没有评分" in at.error[0].value
    fill_all(at, aid, 2.0)
    at.button(key="review.sheet.submit").click().run()
    assert "确认提交吗" in at.warning[0].value
    at.button(key="review.sheet.confirm_yes").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("评分已提交，谢谢您")
    assert not [b for b in at.number_input if b.key.startswith(f"review.score.{aid}.")]
    assert at.button(key="review.sheet.next").label.startswith("下一份报告")
    # The locked sheet's empty comments read "—", not "None".
    assert "—" in shown_cells(at) and "None" not in shown_cells(at)
    stored = next(s for s in sheets(db) if s.assignment_id == aid)
    assert stored.status is SheetStatus.SUBMITTED and stored.total == 46.0


def stored_sheet(db: str, aid: int) -> SheetPublic:
    return next(s for s in sheets(db) if s.assignment_id == aid)


def test_typing_faster_than_the_saves_come_back_loses_nothing(db: str) -> None:
    # In the browser a new run starts while the last one is still saving, so a run can save
    # with a version another of the rater's own saves already moved on: simulated here by a
    # stale version in the session and by a save that landed behind the page's back.
    username, sheet = untouched_sheet(db)
    aid = sheet.assignment_id
    at = open_sheet(sign_in(username), aid)
    codes = [b.key.rsplit(".", 1)[1] for b in at.number_input
             if b.key.startswith(f"review.score.{aid}.")]
    at.number_input(key=score_key(aid, codes[0])).set_value(3.0).run()
    at.session_state[state_key(aid, "version")] = 1
    at.number_input(key=score_key(aid, codes[1])).set_value(2.5).run()
    with Session(get_engine(db)) as session:
        store.save_draft(session, assignment_id=aid, viewer=viewer(db, username),
                         scores={codes[0]: 3.0, codes[2]: 1.5},
                         expected_version=stored_sheet(db, aid).version)
        session.commit()
    at.number_input(key=score_key(aid, codes[3])).set_value(2.0).run()
    assert not at.exception and not at.error
    stored = stored_sheet(db, aid).scores
    assert [stored[c] for c in codes[:4]] == [3.0, 2.5, 1.5, 2.0]
    assert [at.number_input(key=score_key(aid, c)).value for c in codes[:4]] == \
        [3.0, 2.5, 1.5, 2.0]


def test_two_tabs_of_one_rater_merge_and_only_one_submit_wins(db: str) -> None:
    username, sheet = untouched_sheet(db)
    aid = sheet.assignment_id
    first = open_sheet(sign_in(username), aid)
    second = open_sheet(sign_in(username), aid)
    codes = [b.key.rsplit(".", 1)[1] for b in first.number_input
             if b.key.startswith(f"review.score.{aid}.")]
    first.number_input(key=score_key(aid, codes[0])).set_value(1.0).run()
    second.number_input(key=score_key(aid, codes[1])).set_value(2.0).run()
    # The stale tab kept its own typing and took in the other tab's box, overwriting nothing.
    assert not second.error
    assert any("另一个窗口" in c.value for c in second.caption)
    assert second.number_input(key=score_key(aid, codes[0])).value == 1.0
    assert first.run().number_input(key=score_key(aid, codes[1])).value == 2.0
    assert [stored_sheet(db, aid).scores[c] for c in codes[:2]] == [1.0, 2.0]
    fill_all(first, aid, 1.0)
    fill_all(second, aid, 1.0)
    for tab in (first, second):
        tab.button(key="review.sheet.submit").click().run()
    first.button(key="review.sheet.confirm_yes").click().run()
    second.button(key="review.sheet.confirm_yes").click().run()
    assert first.success and not first.exception
    assert "已在别处提交或修改" in second.error[0].value
    assert stored_sheet(db, aid).status is SheetStatus.SUBMITTED


def test_a_rater_never_sees_another_raters_scores_before_the_close(db: str) -> None:
    a, b = rater_id(db, "expert1"), rater_id(db, "expert2")
    all_sheets = sheets(db)
    reports_of = {s.report_id for s in all_sheets if s.rater_id == a}
    theirs = next(s for s in all_sheets if s.rater_id == b and s.report_id in reports_of
                  and s.status is not SheetStatus.SUBMITTED)
    with Session(get_engine(db)) as session:
        code = store.rubric_items(session, round_id=theirs.round_id)[0].code
        store.save_draft(session, assignment_id=theirs.assignment_id,
                         viewer=viewer(db, "expert2"), scores={code: 0.5},
                         comments={code: MARKER}, overall_comment=MARKER,
                         expected_version=theirs.version)
        session.commit()
    own = next(s for s in all_sheets if s.rater_id == a and s.report_id == theirs.report_id)
    at = sign_in("expert1")
    seen = [page_text(at)]
    seen.append(page_text(open_sheet(at, own.assignment_id)))
    # Typing the other rater's sheet into the address bar is refused by the store.
    request_page(at, "review-sheet", sheet=str(theirs.assignment_id))
    assert "评审结束前不能查看其他评审人的评分" in at.error[0].value
    seen.append(page_text(at))
    request_page(at, "review-dashboard")
    seen.append(page_text(at))
    assert all(MARKER not in text for text in seen)


def test_after_the_close_a_rater_sees_the_panel_result_and_their_place(db: str) -> None:
    uid = rater_id(db, "expert1")
    done = next(s for s in sheets(db) if s.rater_id == uid and s.status is SheetStatus.SUBMITTED)
    with Session(get_engine(db)) as session:
        store.close_round(session, round_id=done.round_id, by=viewer(db, "admin"))
        session.commit()
    at = sign_in("expert1")
    assert at.button(key=f"review.open.{done.assignment_id}").label == "查看结果"
    open_sheet(at, done.assignment_id)
    labels = [m.label for m in at.metric]
    assert "合议得分（去掉最高分和最低分后平均）" in labels
    assert "您的总分（与合议得分之差）" in labels
    assert any("您的总分排第" in m.value for m in at.markdown)
    text = page_text(at)
    assert shows(text, "评审人 A")
    others = [a.display_name for a in DEMO_ACCOUNTS if a.username != "expert1"]
    assert not any(shows(text, name) for name in others)


# ------------------------------------------------------------------ the staff's screens

def test_admin_reopens_a_submitted_sheet_with_a_reason(db: str) -> None:
    uid = rater_id(db, "expert3")
    done = next(s for s in sheets(db) if s.rater_id == uid and s.status is SheetStatus.SUBMITTED)
    at = request_page(sign_in("admin"), "review-dashboard")
    assert at.title[0].value == "评审看板"
    at.selectbox(key="review.board.reopen_pick").set_value(done.assignment_id)
    at.text_input(key="review.board.reopen_reason").input("评分项 YJ0101 录入有误")
    at.button(key="review.board.reopen_submit").click().run()
    assert at.success[0].value.startswith("已退回")
    rater = open_sheet(sign_in("expert3"), done.assignment_id)
    assert rater.button(key="review.sheet.submit")
    assert rater.number_input(key=score_key(done.assignment_id, "YJ0101")).value is not None
    audit = request_page(sign_in("admin"), "review-audit")
    assert shows(page_text(audit), "评分项 YJ0101 录入有误")


def shown_cells(at: AppTest) -> list[str]:
    """Every cell of every table on the last run as the browser's grid draws it.

    The grid draws a missing value as the table's placeholder ("None" when none is set),
    whatever a Styler says; any other cell shows the Styler's text when there is one.
    """
    cells: list[str] = []
    for frame in at.dataframe:
        raw = frame.value
        styled = frame.proto.arrow_data.styler.display_values
        text = pa.ipc.open_stream(styled).read_all().to_pandas() if styled else raw
        missing = frame.proto.placeholder or "None"
        cells += [missing if pd.isna(value) else str(shown) for value, shown in
                  zip(raw.to_numpy().ravel(), text.to_numpy().ravel(), strict=True)]
    return cells


class Spy:
    """Records the keyword arguments of every ``store.panel_results`` call, then makes it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, change=None) -> None:
        self.calls: list[dict] = []
        self.real = store.panel_results
        self.change = change
        monkeypatch.setattr(store, "panel_results", self)

    def __call__(self, session: Session, **kwargs: object):
        self.calls.append(kwargs)
        result = self.real(session, **kwargs)
        return result if self.change is None else self.change(result)


def test_the_board_closes_the_round_and_shows_agreement_and_the_choice(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rid = round_id(db)
    spy = Spy(monkeypatch)
    at = request_page(sign_in("admin"), "review-dashboard")
    assert [m.label for m in at.metric][:4] == ["状态", "截止日期", "报告数", "已提交评分表"]
    at.button(key="review.board.close").click().run()
    assert "确认结束本轮评审吗" in at.warning[0].value
    at.button(key="review.board.close_yes").click().run()
    assert at.metric[0].value == "已结束"
    at.segmented_control(key=f"review.board.view.{rid}").set_value("results").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert 0.0 < float(metrics["ICC(2,1)"]) < 1.0
    w_label = t("review.coef.kendall_w", "zh")
    assert w_label in metrics
    assert "ICC(2,k)" in page_text(at) and "Krippendorff" in page_text(at)
    # Kendall's W of the incomplete panel (4 of 8 raters per report) says how it was computed,
    # or, where it cannot be computed, why, in the page's language.
    with Session(get_engine(db)) as session:
        table = store.panel_results(session, round_id=rid, by=viewer(db, "admin"), bootstrap=0,
                                    item_agreement=False).agreement.set_index("coefficient")
    expected = (t("review.results.w_incomplete", "zh") if pd.notna(table.loc["Kendall's W",
                                                                              "value"])
                else table.loc["Kendall's W", "note_zh"])
    assert any(expected in c.value for c in at.caption)
    # Missing values read "—", never "None" or "nan"; the severity model is described in Chinese.
    cells = shown_cells(at)
    assert "—" in cells and not {"None", "nan", "NaN", "<NA>"} & set(cells)
    assert any(c.value.startswith("宽严效应按加法模型估计") for c in at.caption)
    assert not any("Additive model" in c.value for c in at.caption)
    # The first view leaves out the agreement per rubric item; opening it computes it once.
    assert spy.calls and not any(call.get("item_agreement") for call in spy.calls)
    at.toggle(key=f"review.results.per_item.{rid}").set_value(True).run()
    assert not at.exception
    assert any(call.get("item_agreement") for call in spy.calls)
    with Session(get_engine(db)) as session:
        first_item = store.rubric_items(session, round_id=rid)[0].name
    assert first_item in shown_cells(at)
    at.radio(key="review.results.choice_pick").set_value(PanelChoice.ADJUSTED)
    at.text_input(key="review.results.reason").input("专家一明显偏严，采用调整后得分")
    at.button(key="review.results.record").click().run()
    assert "专家一明显偏严" in at.success[0].value
    with Session(get_engine(db)) as session:
        rnd = store.get_round(session, round_id=rid, by=viewer(db, "admin"))
    assert rnd.panel_choice is PanelChoice.ADJUSTED
    at.segmented_control(key=f"review.board.view.{rid}").set_value("export").run()
    at.button(key="review.export.build").click().run()
    assert not at.exception and not at.error
    assert at.session_state[f"review.export.{rid}"][:2] == b"PK"


def test_a_coefficient_that_cannot_be_computed_says_why_in_the_readers_language(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    why = {"note_zh": "每份报告只有部分评审人评分，无法计算", "note_en": "incomplete panel"}

    def without_w(result):
        table = result.agreement.copy()
        row = table["coefficient"] == "Kendall's W"
        table.loc[row, ["value", "ci_low", "ci_high", "p_value"]] = float("nan")
        # A notes column that is empty throughout is float; text needs it as object.
        table[list(why)] = table[list(why)].astype(object)
        table.loc[row, list(why)] = list(why.values())
        return dataclasses.replace(result, agreement=table)

    Spy(monkeypatch, without_w)
    rid = round_id(db)
    with Session(get_engine(db)) as session:
        store.close_round(session, round_id=rid, by=viewer(db, "admin"))
        session.commit()
    at = sign_in("admin")
    at.radio(key="app.lang").set_value("en").run()
    request_page(at, "review-dashboard")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Kendall's W"] == "—"
    assert any(c.value == "incomplete panel" for c in at.caption)
    assert any(c.value.startswith("Severity from the additive model") for c in at.caption)
    assert not {"None", "nan"} & set(shown_cells(at))


def test_staff_prepare_a_round_that_raters_then_see(db: str) -> None:
    at = request_page(sign_in("finance"), "review-rounds")
    at.text_input(key="review.new.title").input("2022 年度重点评价报告评审")
    at.button(key="review.rounds.create").click().run()
    assert not at.exception and not at.error
    rid = at.session_state["review.round"]
    at.file_uploader(key="review.upload.0").set_value([
        ("甲项目绩效评价报告.md", "# 甲项目\n\n资金 100 万元。".encode(), "text/markdown"),
        ("乙项目绩效评价报告.md", "# 乙项目\n\n资金 50 万元。".encode(), "text/markdown")]).run()
    at.button(key="review.upload.add").click().run()
    assert not at.error
    panel = [rater_id(db, name) for name in ("expert1", "expert2", "deputy1")]
    at.multiselect(key=f"review.panel_pick.{rid}").set_value(panel).run()
    at.button(key="review.panel_save").click().run()
    assert at.success[0].value == "评审组已保存（3 人）。"
    # Another visit (a new session, before any assignment) starts from the stored panel.
    again = request_page(sign_in("finance"), "review-rounds")
    again.selectbox(key="review.round_picker").set_value(rid).run()
    assert sorted(again.multiselect(key=f"review.panel_pick.{rid}").value) == sorted(panel)
    at.number_input(key="review.assign.k").set_value(2).run()
    at.button(key="review.assign.auto").click().run()
    assert not at.error
    at.button(key="review.round.open").click().run()
    assert not at.exception and not at.error
    rater = sign_in("deputy1")
    assert any(h.value == "2022 年度重点评价报告评审" for h in rater.header)


def test_admin_creates_an_account_and_an_invite_link_shown_once(db: str) -> None:
    at = request_page(sign_in("admin"), "review-accounts")
    at.text_input(key="review.admin.username").input("expert6")
    at.text_input(key="review.admin.display_name").input("专家 冯涛")
    at.text_input(key="review.admin.department").input("县交通运输局")
    at.button(key="review.admin.create_submit").click().run()
    assert at.success[0].value == "已创建账户：专家 冯涛（expert6）"
    with Session(get_engine(db)) as session:
        users = store.list_users(session, by=viewer(db, "admin"))
    new = next(u for u in users if u.username == "expert6")
    assert new.role is Role.EXPERT and new.department == "县交通运输局"
    at.selectbox(key="review.admin.pick").set_value(new.user_id).run()
    at.button(key="review.admin.invite").click().run()
    assert "?invite=" in at.code[0].value
    at.run()
    assert not [c for c in at.code if "?invite=" in c.value]
