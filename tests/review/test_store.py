"""Accounts, rounds, reports, panels and assignments in the review store, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel

from indicators.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from indicators.frontdoor import Role
from indicators.resources import data_path
from review import store
from review.model import RoundStatus
from review.tables import AuditRow
from tests.review.databases import BACKENDS, RUBRIC, build_world, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


def test_migration_creates_exactly_the_tables_the_models_describe(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    review_diff = [d for d in diff if "rev_" in repr(d)]
    assert review_diff == []


# ------------------------------------------------------------------ accounts

def test_first_admin_bootstraps_then_only_admins_create_accounts(engine: sa.Engine) -> None:
    with Session(engine) as s, s.begin():
        admin = store.create_user(s, username=" admin ", display_name="管理员", role="admin",
                                  password="a-long-password", by=None)
        assert admin.username == "admin" and admin.role is Role.ADMIN
        with pytest.raises(PermissionDeniedError):
            store.create_user(s, username="x", display_name="X", role="expert", by=None)
        viewer = store.get_viewer(s, user_id=admin.user_id)
        expert = store.create_user(s, username="e1", display_name="专家", role=Role.EXPERT,
                                   department="县教育局", by=viewer)
        expert_v = store.get_viewer(s, user_id=expert.user_id)
        with pytest.raises(PermissionDeniedError):
            store.create_user(s, username="e2", display_name="专家2", role="expert", by=expert_v)
        with pytest.raises(ConflictError):
            store.create_user(s, username="e1", display_name="又一个", role="expert", by=viewer)
        with pytest.raises(InputError) as short:
            store.create_user(s, username="e3", display_name="E3", role="expert",
                              password="short", by=viewer)
        assert short.value.location.field == "password"
        with pytest.raises(InputError):
            store.create_user(s, username="e4", display_name="E4", role="boss", by=viewer)
        with pytest.raises(InputError):
            store.create_user(s, username="", display_name="E5", role="expert", by=viewer)


def test_list_users_is_for_staff_and_never_shows_hashes(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s:
        users = store.list_users(s, by=world.finance)
        assert [u.username for u in users] == sorted(u.username for u in users)
        assert not any(hasattr(u, "password_hash") for u in users)
        with pytest.raises(PermissionDeniedError):
            store.list_users(s, by=world.raters[0])


def test_disabled_account_is_refused_everywhere_and_can_be_enabled(engine: sa.Engine) -> None:
    world = build_world(engine)
    rater = world.raters[0]
    with Session(engine) as s, s.begin():
        with pytest.raises(PermissionDeniedError):
            store.set_user_disabled(s, user_id=rater.user_id, disabled=True, by=world.finance)
        with pytest.raises(InputError):
            store.set_user_disabled(s, user_id=world.admin.user_id, disabled=True, by=world.admin)
        assert store.set_user_disabled(s, user_id=rater.user_id, disabled=True,
                                       by=world.admin).disabled
    with Session(engine) as s:
        with pytest.raises(PermissionDeniedError):
            store.get_viewer(s, user_id=rater.user_id)
        with pytest.raises(PermissionDeniedError):
            store.my_tasks(s, viewer=rater)
        with pytest.raises(NotFoundError):
            store.get_viewer(s, user_id=10_000)
    with Session(engine) as s, s.begin():
        store.set_user_disabled(s, user_id=rater.user_id, disabled=False, by=world.admin)
        assert store.get_viewer(s, user_id=rater.user_id) == rater


def test_a_changed_role_invalidates_the_old_viewer(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s, s.begin():
        s.execute(sa.text("UPDATE rev_user SET role = 'expert' WHERE id = :id"),
                  {"id": world.finance.user_id})
    with Session(engine) as s:
        with pytest.raises(PermissionDeniedError):
            store.list_rounds(s, by=world.finance)


def test_reset_password_is_admin_only_and_logged_without_the_password(engine: sa.Engine) -> None:
    world = build_world(engine)
    rater = world.raters[0]
    with Session(engine) as s, s.begin():
        with pytest.raises(PermissionDeniedError):
            store.reset_password(s, user_id=rater.user_id, new_password="new-password-1",
                                 by=world.finance)
        store.reset_password(s, user_id=rater.user_id, new_password="new-password-1",
                             by=world.admin)
        entry = [e for e in store.audit_log(s, by=world.admin, entity="user")
                 if e.action == "reset_password"][-1]
        assert entry.entity_id == rater.user_id and entry.old is None and entry.new is None


# ------------------------------------------------------------------ rounds and reports

def test_round_snapshots_the_published_rubric(engine: sa.Engine) -> None:
    world = build_world(engine, open_it=False)
    with Session(engine) as s:
        rnd = store.get_round(s, round_id=world.round_id, by=world.admin)
        assert rnd.rubric_ref == RUBRIC and rnd.status is RoundStatus.DRAFT
        assert rnd.created_by == "finance" and rnd.raters_per_report == 2
        items = store.rubric_items(s, round_id=world.round_id)
    # The shipped YAML, read directly: its third-level items, whose weights add up to 100.
    shipped = yaml.safe_load((data_path("frameworks") / "report-review-rubric.yaml").read_text(
        encoding="utf-8"))["indicators"]
    leaves = [i for i in shipped if i["level"] == 3]
    assert [(i.code, i.max_score) for i in items] == [(i["code"], i["weight"]) for i in leaves]
    assert len(items) == 23 and sum(i.max_score for i in items) == pytest.approx(100.0)
    assert all(i.min_score == 0 for i in items)
    assert items[0].code == "YJ0101" and items[0].max_score == 4 and items[0].level1 == "评价依据与方法"


def test_round_creation_checks_its_inputs(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s:
        make = dict(title="轮次", year=2021, deadline="2021-06-30")
        with pytest.raises(PermissionDeniedError):
            store.create_round(s, rubric_ref=RUBRIC, by=world.raters[0], **make)
        with pytest.raises(NotFoundError):
            store.create_round(s, rubric_ref="no-such-rubric@1.0.0", by=world.admin, **make)
        with pytest.raises(InputError):
            store.create_round(s, rubric_ref=RUBRIC, by=world.admin, panel_method="mode", **make)
        with pytest.raises(InputError):
            store.create_round(s, rubric_ref=RUBRIC, by=world.admin, title="t", year=2021,
                               deadline="30/06/2021")
        latest = store.create_round(s, rubric_ref="report-review-rubric", by=world.admin, **make)
        assert latest.rubric_ref == RUBRIC


def test_rounds_are_visible_to_staff_and_to_their_panel_only(engine: sa.Engine) -> None:
    world = build_world(engine, n_raters=3)
    with Session(engine) as s, s.begin():
        outsider = store.create_user(s, username="outsider", display_name="局外人",
                                     role="deputy", by=world.admin)
        outsider_v = store.get_viewer(s, user_id=outsider.user_id)
        assert [r.round_id for r in store.list_rounds(s, by=world.finance)] == [world.round_id]
        assert [r.round_id for r in store.list_rounds(s, by=world.raters[0])] == [world.round_id]
        assert store.list_rounds(s, by=outsider_v) == []
        with pytest.raises(PermissionDeniedError):
            store.get_round(s, round_id=world.round_id, by=outsider_v)
        with pytest.raises(NotFoundError):
            store.get_round(s, round_id=999, by=world.admin)


def test_report_documents_keep_their_checksum_and_type(engine: sa.Engine) -> None:
    world = build_world(engine, open_it=False)
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
    with Session(engine) as s, s.begin():
        report = store.add_report(s, round_id=world.round_id, title="PDF 报告", filename="a/b.PDF",
                                  content=pdf, project_code="P1", department="县水务局",
                                  by=world.admin)
        assert report.sha256 == hashlib.sha256(pdf).hexdigest()
        assert (report.mime, report.filename, report.size) == ("application/pdf", "b.PDF", len(pdf))
        docx = store.add_report(s, round_id=world.round_id, title="Word", filename="r.docx",
                                content=b"PK\x03\x04rest", by=world.admin)
        assert docx.mime.endswith("wordprocessingml.document")
        assert store.report_content(s, report_id=report.report_id, by=world.finance) == pdf
        bad = [("x.txt", b"text"), ("x.pdf", b"not a pdf"), ("x.md", "中文".encode("gbk")),
               ("x.md", b"")]
        for filename, content in bad:
            with pytest.raises(InputError):
                store.add_report(s, round_id=world.round_id, title="坏", filename=filename,
                                 content=content, by=world.admin)
        with pytest.raises(InputError):
            store.add_report(s, round_id=world.round_id, title=" ", filename="a.md",
                             content=b"# a", by=world.admin)
        with pytest.raises(PermissionDeniedError):
            store.add_report(s, round_id=world.round_id, title="r", filename="a.md",
                             content=b"# a", by=world.raters[0])


def test_report_content_only_for_staff_and_assigned_raters(engine: sa.Engine) -> None:
    world = build_world(engine, n_reports=3, n_raters=3, k=1)
    with Session(engine) as s:
        for (report_id, rater_id) in world.sheets:
            rater = next(r for r in world.raters if r.user_id == rater_id)
            assert store.report_content(s, report_id=report_id, by=rater).startswith(b"# ")
            other = next(r for r in world.raters
                         if (report_id, r.user_id) not in world.sheets)
            with pytest.raises(PermissionDeniedError):
                store.report_content(s, report_id=report_id, by=other)
        listed = store.list_reports(s, round_id=world.round_id, by=world.raters[0])
        assert len(listed) == 1
        assert len(store.list_reports(s, round_id=world.round_id, by=world.admin)) == 3
        with pytest.raises(NotFoundError):
            store.report_content(s, report_id=999, by=world.admin)


def test_tampered_document_is_detected(engine: sa.Engine) -> None:
    world = build_world(engine)
    report_id = world.report_ids[0]
    with Session(engine) as s, s.begin():
        s.execute(sa.text("UPDATE rev_report SET content = :c WHERE id = :id"),
                  {"c": b"# altered", "id": report_id})
    with Session(engine) as s:
        with pytest.raises(ConflictError):
            store.report_content(s, report_id=report_id, by=world.admin)


# ------------------------------------------------------------------ panel and assignments

def test_panel_accepts_only_active_raters_and_keeps_busy_members(engine: sa.Engine) -> None:
    world = build_world(engine, open_it=False)
    with Session(engine) as s, s.begin():
        with pytest.raises(InputError):
            store.set_panel(s, round_id=world.round_id, user_ids=[world.finance.user_id],
                            by=world.admin)
        with pytest.raises(ConflictError):
            store.set_panel(s, round_id=world.round_id, user_ids=[world.raters[0].user_id],
                            by=world.admin)
        with pytest.raises(NotFoundError):
            store.set_panel(s, round_id=world.round_id, user_ids=[12345], by=world.admin)
        with pytest.raises(PermissionDeniedError):
            store.set_panel(s, round_id=world.round_id, user_ids=[], by=world.raters[0])


def test_manual_assignment_refuses_conflicts_duplicates_and_outsiders(engine: sa.Engine) -> None:
    world = build_world(engine, n_reports=2, n_raters=3, k=1,
                        departments=["县教育局", "", ""], report_departments=["县教育局", "县水务局"],
                        open_it=False)
    report_edu, report_water = world.report_ids
    edu_rater = world.raters[0]
    with Session(engine) as s, s.begin():
        with pytest.raises(InputError) as conflict:
            store.assign(s, round_id=world.round_id, pairs=[(report_edu, edu_rater.user_id)],
                         by=world.admin)
        assert "conflict of interest" in conflict.value.en
        taken = next(iter(world.sheets))
        with pytest.raises(ConflictError):
            store.assign(s, round_id=world.round_id, pairs=[taken], by=world.admin)
        with pytest.raises(InputError):
            store.assign(s, round_id=world.round_id, pairs=[(999, edu_rater.user_id)],
                         by=world.admin)
        free = [(r, u.user_id) for r in world.report_ids for u in world.raters
                if (r, u.user_id) not in world.sheets and not (r == report_edu and u == edu_rater)]
        assert store.assign(s, round_id=world.round_id, pairs=free[:1], by=world.admin) == 1


def test_auto_assign_gives_k_raters_balanced_and_without_conflicts(engine: sa.Engine) -> None:
    departments = ["县教育局", "县水务局", "", "", "县教育局", ""]
    report_departments = ["县教育局", "县水务局", "县林业局", "县教育局", "县民政局"] * 2
    world = build_world(engine, n_reports=10, n_raters=6, k=3, departments=departments,
                        report_departments=report_departments)
    pairs = np.array(list(world.sheets))
    per_report = np.unique(pairs[:, 0], return_counts=True)[1]
    per_rater = np.unique(pairs[:, 1], return_counts=True)[1]
    assert (per_report == 3).all() and per_rater.max() - per_rater.min() <= 1
    rater_dept = {r.user_id: d for r, d in zip(world.raters, departments, strict=True)}
    report_dept = dict(zip(world.report_ids, report_departments, strict=True))
    assert not any(rater_dept[u] and rater_dept[u] == report_dept[r] for r, u in world.sheets)
    with Session(engine) as s, s.begin():
        with pytest.raises(ConflictError):  # the round is open now
            store.auto_assign(s, round_id=world.round_id, by=world.admin)


def test_auto_assign_replaces_a_draft_plan_and_reports_infeasibility(engine: sa.Engine) -> None:
    world = build_world(engine, n_reports=4, n_raters=4, k=1, open_it=False,
                        departments=["甲", "甲", "甲", ""], report_departments=["甲"] * 4)
    with Session(engine) as s, s.begin():
        with pytest.raises(InputError) as infeasible:
            store.auto_assign(s, round_id=world.round_id, k=2, by=world.admin)
        assert "'报告0'" in infeasible.value.en and "fewer than k = 2" in infeasible.value.en
    with Session(engine) as s, s.begin():
        loads = store.auto_assign(s, round_id=world.round_id, k=1, seed=3, by=world.admin)
        assert loads["load"].tolist() == [0, 0, 0, 4]
        assert len(store.progress(s, round_id=world.round_id, by=world.admin)) == 4
        actions = [e.action for e in store.audit_log(s, by=world.admin, entity="assignment")]
        assert actions[-2:] == ["clear", "auto_assign(k=1, seed=3)"]


def test_round_moves_draft_open_closed_once_each(engine: sa.Engine) -> None:
    world = build_world(engine, open_it=False)
    with Session(engine) as s, s.begin():
        empty = store.create_round(s, title="空", year=2021, rubric_ref=RUBRIC, deadline=None,
                                   by=world.admin)
        with pytest.raises(InputError):
            store.open_round(s, round_id=empty.round_id, by=world.admin)
        with pytest.raises(ConflictError):
            store.close_round(s, round_id=world.round_id, by=world.admin)
        with pytest.raises(PermissionDeniedError):
            store.open_round(s, round_id=world.round_id, by=world.raters[0])
        assert store.open_round(s, round_id=world.round_id, by=world.finance).status == "open"
        with pytest.raises(ConflictError):
            store.open_round(s, round_id=world.round_id, by=world.finance)
        closed = store.close_round(s, round_id=world.round_id, by=world.finance)
        assert closed.status is RoundStatus.CLOSED and closed.closed_at is not None
        with pytest.raises(ConflictError):
            store.add_report(s, round_id=world.round_id, title="迟到", filename="a.md",
                             content=b"# a", by=world.admin)
        steps = [(e.action, e.old, e.new) for e in store.audit_log(s, by=world.admin, entity="round")
                 if e.entity_id == world.round_id]
        assert steps[-2:] == [("open", {"status": "draft"}, {"status": "open"}),
                              ("closed", {"status": "open"}, {"status": "closed"})]


# ------------------------------------------------------------------ the audit log

def test_audit_log_is_admin_only_and_append_only(engine: sa.Engine) -> None:
    world = build_world(engine)
    with Session(engine) as s:
        entries = store.audit_log(s, by=world.admin)
        assert entries and [e.entry_id for e in entries] == sorted(e.entry_id for e in entries)
        assert {e.entity for e in entries} >= {"user", "round", "report", "panel", "assignment"}
        with pytest.raises(PermissionDeniedError):
            store.audit_log(s, by=world.finance)
    assert not any(name.startswith(("update", "delete")) for name in store.__all__)
    first = entries[0].entry_id
    for statement in (f"UPDATE rev_audit SET actor = 'someone' WHERE id = {first}",
                      f"DELETE FROM rev_audit WHERE id = {first}", "DELETE FROM rev_audit"):
        with pytest.raises(sa.exc.DBAPIError) as refused:
            with engine.begin() as connection:
                connection.exec_driver_sql(statement)
        assert "rev_audit_append_only" in str(refused.value)
    with Session(engine) as s:
        assert len(store.audit_log(s, by=world.admin)) == len(entries)
        assert s.get(AuditRow, first).actor == entries[0].actor
