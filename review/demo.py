"""Demo review rounds on the demo county, so every review page has something real to show.

:func:`seed_demo_review` creates the demo accounts (an admin, a finance officer, five experts and
three NPC deputies) and two rounds over the county's 15 key projects' evaluation reports
(Markdown generated from the demo county's targets and actuals), scored on the shipped rubric
``report-review-rubric@1.0.0`` by four raters per report assigned automatically:

* "2021 年度财政重点评价报告评审（第一批）", the first :data:`FIRST_BATCH` projects, closed: every
  sheet submitted and the severity-adjusted panel score chosen with its reason, so the budget
  year has key-evaluation results (:mod:`review.key_results`) to grade and disclose;
* "2021 年度财政重点评价报告评审", the other projects, open: about half of the sheets submitted
  with plausible scores, one expert noticeably severe, one deputy lenient, so the severity
  table has something to find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from indicators.demo import load_demo_county
from indicators.errors import NotFoundError
from indicators.frontdoor import Role, Viewer
from indicators.store import get_library, seed_builtin_libraries
from review.store import (
    add_report,
    assign,
    auto_assign,
    close_round,
    create_round,
    create_user,
    list_sheets,
    open_round,
    record_panel_choice,
    rubric_items,
    save_draft,
    set_panel,
    submit_sheet,
)
from review.store_tasks import bureau_today
from review.tables import RoundRow, UserRow
from review.views import viewer_of

__all__ = ["DEMO_ACCOUNTS", "DEMO_CLOSED_ROUND_TITLE", "DEMO_ROUND_TITLE", "DEMO_RUBRIC",
           "FIRST_BATCH", "DemoAccount", "DemoReview", "TinyRound", "demo_report_markdown",
           "seed_demo_review", "seed_tiny_round"]

DEMO_ROUND_TITLE = "2021 年度财政重点评价报告评审"
DEMO_CLOSED_ROUND_TITLE = "2021 年度财政重点评价报告评审（第一批）"
DEMO_RUBRIC = "report-review-rubric@1.0.0"
FIRST_BATCH = 6
"""How many key projects (the first by project code) the closed demo round reviewed."""
# Recorded as the finance officer's reason for using severity-adjusted panel scores.
# What a report cell says when the county gave nothing (a qualitative target has no value).
_MISSING_CELL = "—"
_CHOICE_REASON = "评审人宽严差异明显（人大代表周强评分偏宽），采用宽严调整后得分"


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in, shown on the login page in demo mode only."""

    username: str
    password: str
    display_name: str
    role: Role
    department: str = ""
    bias: float = 0.0  # share of each item's maximum this rater adds (negative is severe)


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "demo-admin-2021", "系统管理员", Role.ADMIN),
    DemoAccount("finance", "demo-finance-2021", "绩效股 李娟", Role.FINANCE, "县财政局"),
    DemoAccount("expert1", "demo-expert1-2021", "专家 王建国（高校）", Role.EXPERT, "", -0.12),
    DemoAccount("expert2", "demo-expert2-2021", "专家 陈敏（会计师事务所）", Role.EXPERT, ""),
    DemoAccount("expert3", "demo-expert3-2021", "专家 刘洋（教育）", Role.EXPERT, "县教育局"),
    DemoAccount("expert4", "demo-expert4-2021", "专家 赵磊（水利）", Role.EXPERT, "县水务局", -0.03),
    DemoAccount("expert5", "demo-expert5-2021", "专家 孙丽（卫生）", Role.EXPERT, "县卫生健康局"),
    DemoAccount("deputy1", "demo-deputy1-2021", "人大代表 周强", Role.DEPUTY, "", 0.08),
    DemoAccount("deputy2", "demo-deputy2-2021", "人大代表 吴芳", Role.DEPUTY, ""),
    DemoAccount("deputy3", "demo-deputy3-2021", "人大代表 郑海", Role.DEPUTY, "", 0.02),
)


@dataclass(frozen=True)
class DemoReview:
    """What :func:`seed_demo_review` found or made.

    ``round_id`` is the open round; ``closed_round_id`` the closed first batch (None on a
    database seeded before the demo had one).
    """

    round_id: int
    created: bool
    accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS
    closed_round_id: int | None = None


def _blank(value: object) -> bool:
    # pandas reads an empty cell as NaN (or None in an object column): nothing was given.
    return value is None or value == "" or (isinstance(value, float) and np.isnan(value))


def _cell(value: object) -> str:
    """A report table cell: a dash where nothing was given, numbers without trailing zeros."""
    if _blank(value):
        return _MISSING_CELL
    return f"{value:g}" if isinstance(value, float) else str(value)


def demo_report_markdown(project: pd.Series, targets: pd.DataFrame, actuals: pd.DataFrame) -> str:
    """The evaluation report of one demo project, as Markdown.

    Parameters
    ----------
    project
        One row of the demo county's projects.
    targets, actuals
        The project's rows of the demo targets and actuals.

    Returns
    -------
    str
        A short report following the outline of 财预〔2020〕10号 annex 2 (basic facts, the
        evaluation, targets against actuals, problems, suggestions). A value the county did
        not give (a qualitative target's value and unit) reads as "—".

    Notes
    -----
    Written from the data only, so the same county always gives the same reports.

    Examples
    --------
    >>> row = pd.Series({"项目编码": "P1", "项目名称": "示例项目", "主管部门": "县教育局",
    ...                  "预算类型": "一般公共预算", "项目金额(元)": 1_000_000, "延续年数": 2})
    >>> demo_report_markdown(row, pd.DataFrame(), pd.DataFrame()).splitlines()[0]
    '# 示例项目绩效评价报告'
    >>> t = pd.DataFrame({"项目编码": ["P1"], "指标编码": ["Q"], "三级指标": ["机制健全性"],
    ...                   "指标方向": ["定性"], "指标值": [float("nan")], "计量单位": [None]})
    >>> a = pd.DataFrame({"项目编码": ["P1"], "指标编码": ["Q"], "实际值": [float("nan")],
    ...                   "定性结论": ["部分达成"]})
    >>> [line for line in demo_report_markdown(row, t, a).splitlines() if "定性" in line]
    ['| 机制健全性 | 定性 | — | 部分达成 | — |']
    """
    amount = float(project.get("项目金额(元)", 0.0)) / 10_000
    lines = [
        f"# {project['项目名称']}绩效评价报告", "",
        "## 一、基本情况", "",
        f"- 项目编码：{project['项目编码']}",
        f"- 主管部门：{_cell(project.get('主管部门'))}",
        f"- 预算类型：{_cell(project.get('预算类型'))}",
        f"- 预算金额：{amount:,.2f} 万元",
        f"- 已延续年数：{int(project.get('延续年数', 0) or 0)} 年", "",
        "## 二、评价工作开展情况", "",
        "按照《项目支出绩效评价管理办法》（财预〔2020〕10号），采用比较法和公众评判法，"
        "通过资料核查、现场勘查和满意度问卷开展评价。", "",
        "## 三、绩效目标完成情况", "",
        "| 指标 | 方向 | 目标值 | 实际值 | 单位 |", "| --- | --- | --- | --- | --- |",
    ]
    if not targets.empty:
        merged = targets.merge(actuals, on=["项目编码", "指标编码"], how="left")
        for _, t in merged.iterrows():
            actual = t.get("实际值")
            shown = t.get("定性结论") if _blank(actual) else actual
            lines.append(" | ".join(("", *(_cell(v) for v in (
                t.get("三级指标"), t.get("指标方向"), t.get("指标值"), shown,
                t.get("计量单位"))), "")).strip())
    lines += ["", "## 四、存在的问题", "",
              "部分产出指标未达到年初目标，资金支付进度偏慢，满意度调查样本量偏小。", "",
              "## 五、意见建议", "",
              "建议加快资金支付进度，细化量化绩效目标，评价结果与下年度预算安排挂钩。", ""]
    return "\n".join(lines)


def _accounts(session: Session) -> dict[str, UserRow]:
    rows: dict[str, UserRow] = {}
    admin_viewer: Viewer | None = None
    for account in DEMO_ACCOUNTS:
        row = session.exec(select(UserRow).where(UserRow.username == account.username)).first()
        if row is None:
            create_user(session, username=account.username, display_name=account.display_name,
                        role=account.role, department=account.department,
                        password=account.password, by=admin_viewer)
            row = session.exec(select(UserRow).where(UserRow.username == account.username)).one()
        if account.role is Role.ADMIN and admin_viewer is None:
            admin_viewer = viewer_of(row)
        rows[account.username] = row
    return rows


def _score_sheets(session: Session, round_id: int, accounts: dict[str, UserRow], seed: int,
                  *, submit_all: bool = False) -> None:
    rng = np.random.default_rng(seed)
    items = rubric_items(session, round_id=round_id)
    maxima = np.array([i.max_score for i in items])
    bias = {a.username: a.bias for a in DEMO_ACCOUNTS}
    by_id = {int(row.id): name for name, row in accounts.items()}
    admin = viewer_of(accounts["admin"])
    sheets = list_sheets(session, round_id=round_id, viewer=admin)
    quality = dict(zip(sorted({s.report_id for s in sheets}),
                       rng.uniform(0.62, 0.93, len({s.report_id for s in sheets})), strict=True))
    stage = np.zeros(len(sheets)) if submit_all else rng.random(len(sheets))
    for sheet, draw in zip(sheets, stage, strict=True):
        if draw >= 0.75:
            continue  # not started
        share = quality[sheet.report_id] + bias[by_id[sheet.rater_id]] + rng.normal(0, 0.05,
                                                                                    maxima.size)
        # Half points, as a panel scores on paper.
        points = np.clip(np.round(np.clip(share, 0.0, 1.0) * maxima * 2) / 2, 0.0, maxima)
        scores = dict(zip((i.code for i in items), points.tolist(), strict=True))
        rater = viewer_of(accounts[by_id[sheet.rater_id]])
        if draw < 0.5:
            submit_sheet(session, assignment_id=sheet.assignment_id, viewer=rater,
                         expected_version=sheet.version, scores=scores,
                         comments={items[0].code: "评价依据列举较全。"})
        else:
            partial = dict(list(scores.items())[: maxima.size // 2])
            save_draft(session, assignment_id=sheet.assignment_id, viewer=rater, scores=partial,
                       expected_version=sheet.version, overall_comment="初步意见，待补充。")


def _demo_round(session: Session, *, title: str, projects: pd.DataFrame, raters: list[int],
                deadline: date, admin: Viewer, seed: int) -> int:
    county = load_demo_county()
    rnd = create_round(session, title=title, year=2021, rubric_ref=DEMO_RUBRIC,
                       deadline=deadline, raters_per_report=4, panel_method="trimmed_mean",
                       by=admin)
    for _, project in projects.iterrows():
        code = project["项目编码"]
        text = demo_report_markdown(project, county.targets[county.targets["项目编码"] == code],
                                    county.actuals[county.actuals["项目编码"] == code])
        add_report(session, round_id=rnd.round_id, title=f"{project['项目名称']}绩效评价报告",
                   filename=f"{code}.md", content=text.encode("utf-8"), project_code=code,
                   department=project["主管部门"], by=admin)
    set_panel(session, round_id=rnd.round_id, user_ids=raters, by=admin)
    auto_assign(session, round_id=rnd.round_id, k=4, seed=seed, by=admin)
    open_round(session, round_id=rnd.round_id, by=admin)
    return rnd.round_id


def seed_demo_review(session: Session, *, seed: int = 2021) -> DemoReview:
    """Create the demo accounts and the two demo rounds, once; later calls change nothing.

    Parameters
    ----------
    session
        An open session; the caller commits. If the rubric library is not stored yet, the
        shipped frameworks are stored first, in a transaction of their own.
    seed
        Seed of the assignments and of the demo scores.

    Returns
    -------
    DemoReview
        The open round's id, the closed round's id, and whether this call created them.

    Raises
    ------
    PermissionDeniedError
        Another admin account already exists and the demo admin does not (the demo never
        bootstraps over a real deployment's accounts).

    Notes
    -----
    Idempotent: accounts are looked up by username and the open round by its title, and
    anything already there is left as it is (a database seeded before the closed round
    existed keeps its one round). Each key project is in one round only. In the closed round
    every sheet is submitted and the finance officer has chosen the severity-adjusted panel
    score; 王建国, the severe expert, was not on its panel, so his task list holds the open
    round alone. The closed round is created first, so the open one is the newest and the
    round pickers open on it. In the open round about half of the sheets (each with
    probability 1/2) are submitted, a quarter saved as half-finished drafts and a quarter
    left untouched.

    Examples
    --------
    >>> DEMO_ACCOUNTS[0].username, len(DEMO_ACCOUNTS), FIRST_BATCH
    ('admin', 10, 6)
    """
    _ensure_rubric(session)
    accounts = _accounts(session)
    existing = session.exec(select(RoundRow.id).where(RoundRow.title == DEMO_ROUND_TITLE)).first()
    if existing is not None:
        closed = session.exec(select(RoundRow.id).where(
            RoundRow.title == DEMO_CLOSED_ROUND_TITLE)).first()
        return DemoReview(round_id=int(existing), created=False,
                          closed_round_id=None if closed is None else int(closed))
    admin = viewer_of(accounts["admin"])
    county = load_demo_county()
    projects = county.projects[county.projects["是否重点项目"].astype(bool)].sort_values("项目编码")
    raters = [a.username for a in DEMO_ACCOUNTS if a.role in (Role.EXPERT, Role.DEPUTY)]
    first_panel = [int(accounts[name].id) for name in raters if name != "expert1"]
    closed_id = _demo_round(session, title=DEMO_CLOSED_ROUND_TITLE,
                            projects=projects.iloc[:FIRST_BATCH], raters=first_panel,
                            deadline=bureau_today(), admin=admin, seed=seed + 1)
    _score_sheets(session, closed_id, accounts, seed + 1, submit_all=True)
    close_round(session, round_id=closed_id, by=admin)
    record_panel_choice(session, round_id=closed_id, choice="adjusted", reason=_CHOICE_REASON,
                        by=viewer_of(accounts["finance"]))
    open_id = _demo_round(session, title=DEMO_ROUND_TITLE, projects=projects.iloc[FIRST_BATCH:],
                          raters=[int(accounts[name].id) for name in raters],
                          deadline=bureau_today() + timedelta(days=14), admin=admin, seed=seed)
    _score_sheets(session, open_id, accounts, seed)
    session.flush()
    return DemoReview(round_id=open_id, created=True, closed_round_id=closed_id)


@dataclass(frozen=True)
class TinyRound:
    """The smallest open round: an admin, two raters, two reports, every sheet assigned."""

    admin: Viewer
    raters: tuple[Viewer, ...]
    round_id: int
    sheets: tuple[int, ...]


def _ensure_rubric(session: Session) -> None:
    try:
        get_library(session, ref=DEMO_RUBRIC)
    except NotFoundError:
        # The library store commits its own writes, so it gets a session of its own.
        with Session(session.get_bind()) as library_session:
            seed_builtin_libraries(library_session)


def seed_tiny_round(session: Session) -> TinyRound:
    """An open two-report, two-rater round on a fresh database, for examples and quick checks.

    Parameters
    ----------
    session
        An open session on a database with no admin yet; the caller commits.

    Returns
    -------
    TinyRound
        ``sheets`` lists rater 1's two sheets, then rater 2's.

    Raises
    ------
    PermissionDeniedError
        The database already has an admin (the tiny round bootstraps its own).

    Notes
    -----
    Accounts get no password (invite-only), so no argon2 hash is computed and seeding is
    instant.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> len(tiny.sheets), tiny.raters[0].username
    (4, 'rater1')
    >>> clear_engine_cache()
    """
    _ensure_rubric(session)
    admin_row = create_user(session, username="admin", display_name="管理员", role=Role.ADMIN,
                            by=None)
    admin = Viewer(user_id=admin_row.user_id, username="admin", display_name="管理员",
                   role=Role.ADMIN)
    raters = tuple(
        Viewer(user_id=create_user(session, username=f"rater{n}", display_name=f"评审人{n}",
                                   role=Role.EXPERT, by=admin).user_id,
               username=f"rater{n}", display_name=f"评审人{n}", role=Role.EXPERT)
        for n in (1, 2))
    rnd = create_round(session, title="示例轮次", year=2021, rubric_ref=DEMO_RUBRIC,
                       deadline=None, raters_per_report=2, by=admin)
    reports = [add_report(session, round_id=rnd.round_id, title=f"报告{n}",
                          filename=f"report{n}.md", content=f"# 报告{n}".encode(), by=admin)
               for n in (1, 2)]
    set_panel(session, round_id=rnd.round_id, user_ids=[r.user_id for r in raters], by=admin)
    assign(session, round_id=rnd.round_id,
           pairs=[(p.report_id, r.user_id) for r in raters for p in reports], by=admin)
    open_round(session, round_id=rnd.round_id, by=admin)
    sheets = [x.assignment_id for r in raters
              for x in sorted(list_sheets(session, round_id=rnd.round_id, viewer=r),
                              key=lambda x: x.report_id)]
    return TinyRound(admin=admin, raters=raters, round_id=rnd.round_id, sheets=tuple(sheets))
