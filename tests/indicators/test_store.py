"""Library storage: round trips, latest-published lookup, immutability and all-or-nothing writes."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from indicators import store
from indicators.database import clear_engine_cache, get_engine, upgrade
from indicators.errors import (
    ConflictError,
    ImmutableVersionError,
    NotFoundError,
    ValidationError,
)
from indicators.frameworks import builtin_frameworks, load_builtin
from indicators.model import ChangelogEntry, Indicator, LibraryVersion, Status
from indicators.versioning import edit_indicator, reweight

PG_URL = os.environ.get("JIXIAO_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> sa.Engine:
    clear_engine_cache()
    if request.param == "sqlite":
        engine = get_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    else:
        if not PG_URL:
            pytest.skip("JIXIAO_TEST_POSTGRES_URL is not set")
        engine = get_engine(PG_URL)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine, packages=("indicators",))
    yield engine
    clear_engine_cache()


@pytest.fixture
def session(engine: sa.Engine) -> Session:
    with Session(engine) as session:
        yield session


def small_library(version: str = "1.0.0", status: str = "draft", **changes) -> LibraryVersion:
    """A valid two-branch target tree that uses every indicator field."""
    indicators = (
        Indicator("CC", "产出指标", 1, category="产出", weight=60.0,
                  source_document="财预〔2020〕10号"),
        Indicator("CC01", "数量指标", 2, parent="CC", category="产出", weight=60.0),
        Indicator("CC0101", "改造户数", 3, parent="CC01", category="产出", direction="≥",
                  unit="户", value_basis="计划标准", reference_value="≥120",
                  explanation="当年完成改造的户数", checkpoints="验收单", data_source="台账",
                  rule="trim_over", rule_params={"threshold": 1.2}, weight=60.0,
                  valid_from=2021, valid_to=2025, sector="住房"),
        Indicator("MY", "满意度指标", 1, category="满意度", weight=40.0),
        Indicator("MY01", "服务对象满意度指标", 2, parent="MY", category="满意度", weight=40.0),
        Indicator("MY0101", "群众满意度", 3, parent="MY01", category="满意度", direction="≥",
                  unit="%", value_basis="历史标准", reference_value="90", rule="default",
                  weight=40.0),
    )
    published = status != "draft"
    base = LibraryVersion(
        framework_id="county-housing", version=version, title="农村危房改造目标", kind="target",
        indicators=indicators, status=status, region="示范县", effective_year=2022,
        source_documents=("财预〔2020〕10号",), description="测试用",
        changelog=(ChangelogEntry("1.0.0", "首版", "王科长", "2022-03-01"),),
        published_by="王科长" if published else None,
        published_at=datetime(2022, 3, 1, 8, 30, tzinfo=UTC) if published else None)
    return replace(base, **changes)


def stored_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("ind_library_version", "ind_indicator", "ind_changelog")}


# ------------------------------------------------------------------ round trips and lookup

def test_round_trip_keeps_every_field(session: Session) -> None:
    draft = small_library()
    assert store.save_library(session, version=draft) == draft
    assert store.get_library(session, ref=draft.ref) == draft
    published = small_library("1.1.0", "published")
    store.save_library(session, version=published)
    loaded = store.get_library(session, ref="county-housing@1.1.0")
    assert loaded == published
    assert loaded.published_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("framework_id", builtin_frameworks())
def test_builtin_frameworks_round_trip(session: Session, framework_id: str) -> None:
    shipped = load_builtin(framework_id)
    store.save_library(session, version=shipped)
    assert store.get_library(session, ref=shipped.ref) == shipped


def test_latest_published_by_framework_id(session: Session) -> None:
    for version, status in (("1.9.0", "published"), ("1.10.0", "published"),
                            ("1.11.0", "retired"), ("2.0.0", "draft")):
        store.save_library(session, version=small_library(version, status))
    # 1.10.0 comes after 1.9.0 numerically; retired and draft versions are not "latest".
    assert store.get_library(session, ref="county-housing").version == "1.10.0"
    assert store.get_library(session, ref="county-housing@v2.0.0").status is Status.DRAFT


def test_unknown_refs_are_not_found(session: Session) -> None:
    store.save_library(session, version=small_library())
    with pytest.raises(NotFoundError):
        store.get_library(session, ref="county-housing@9.9.9")
    with pytest.raises(NotFoundError, match="no published version"):
        store.get_library(session, ref="county-housing")
    with pytest.raises(NotFoundError):
        store.get_library(session, ref="nothing-here")


def test_list_libraries(session: Session) -> None:
    assert store.list_libraries(session) == []
    store.save_library(session, version=small_library("1.10.0", "published"))
    store.save_library(session, version=small_library("1.9.0", "published"))
    store.save_library(session, version=LibraryVersion("a-empty", "0.1.0", "空草稿", "catalogue"))
    rows = store.list_libraries(session)
    assert [(r.id, r.version) for r in rows] == [
        ("a-empty", "0.1.0"), ("county-housing", "1.9.0"), ("county-housing", "1.10.0")]
    assert [r.indicator_count for r in rows] == [0, 6, 6]
    first = rows[1].as_dict()
    assert first["ref"] == "county-housing@1.9.0"
    assert {k: first[k] for k in ("id", "version", "status", "title", "kind")} == {
        "id": "county-housing", "version": "1.9.0", "status": "published",
        "title": "农村危房改造目标", "kind": "target"}


# ------------------------------------------------------------------ all or nothing

def test_duplicate_ref_is_refused_and_nothing_changes(engine: sa.Engine, session: Session) -> None:
    original = small_library()
    store.save_library(session, version=original)
    before = stored_counts(engine)
    with pytest.raises(ConflictError, match="already exists"):
        store.save_library(session, version=small_library(title="另一个"))
    assert stored_counts(engine) == before
    assert store.get_library(session, ref=original.ref) == original


def test_failure_after_the_header_row_leaves_nothing(engine: sa.Engine, session: Session) -> None:
    # Two indicators with one code: the header row is written, then the unique index fails.
    twice = small_library(indicators=(Indicator("A", "一", 1), Indicator("A", "二", 1)))
    with pytest.raises(ConflictError):
        store.save_library(session, version=twice)
    assert stored_counts(engine) == {"ind_library_version": 0, "ind_indicator": 0,
                                     "ind_changelog": 0}


def test_error_raised_midway_leaves_nothing(engine: sa.Engine, session: Session,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = store.version_content

    def half_then_fail(version_id, version):
        rows = real(version_id, version)
        session.add_all(rows[:2])
        session.flush()
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "version_content", half_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        store.save_library(session, version=small_library())
    assert stored_counts(engine) == {"ind_library_version": 0, "ind_indicator": 0,
                                     "ind_changelog": 0}


def test_invalid_published_version_is_not_stored(engine: sa.Engine, session: Session) -> None:
    bad = small_library(status="published", indicators=small_library().indicators[:3])
    with pytest.raises(ValidationError):
        store.save_library(session, version=bad)
    assert stored_counts(engine)["ind_library_version"] == 0


# ------------------------------------------------------------------ drafts and immutability

def test_update_draft_replaces_content(session: Session) -> None:
    draft = small_library()
    store.save_library(session, version=draft)
    edited = reweight(edit_indicator(draft, "CC0101", name="改造完成户数"),
                      {"CC": 70, "CC01": 70, "CC0101": 70, "MY": 30, "MY01": 30, "MY0101": 30})
    edited = replace(edited, title="新标题", indicators=edited.indicators[:5])
    assert store.update_draft(session, version=edited) == edited
    assert store.get_library(session, ref=draft.ref) == edited


def test_update_draft_refusals(session: Session) -> None:
    with pytest.raises(NotFoundError):
        store.update_draft(session, version=small_library())
    published = small_library(status="published")
    store.save_library(session, version=published)
    with pytest.raises(ImmutableVersionError):
        store.update_draft(session, version=replace(published, status=Status.DRAFT,
                                                    title="偷改"))
    with pytest.raises(ImmutableVersionError):
        store.update_draft(session, version=published)
    assert store.get_library(session, ref=published.ref) == published


def test_publish_then_everything_is_refused(session: Session) -> None:
    draft = small_library()
    store.save_library(session, version=draft)
    published = store.publish_library(session, ref=draft.ref, by="王科长", changelog="首次发布")
    assert published.status is Status.PUBLISHED and published.published_by == "王科长"
    assert published.changelog[-1].text == "首次发布"
    assert store.get_library(session, ref=draft.ref) == published
    assert store.get_library(session, ref="county-housing") == published
    with pytest.raises(ImmutableVersionError):
        store.publish_library(session, ref=draft.ref, by="王科长", changelog="再发一次")
    with pytest.raises(ImmutableVersionError):
        store.update_draft(session, version=draft)
    with pytest.raises(ImmutableVersionError):
        store.delete_draft(session, ref=draft.ref)
    assert store.get_library(session, ref=draft.ref) == published


def test_publish_refuses_an_invalid_draft_and_keeps_it(session: Session) -> None:
    draft = small_library(indicators=small_library().indicators[:3])
    store.save_library(session, version=draft)
    with pytest.raises(ValidationError):
        store.publish_library(session, ref=draft.ref, by="王科长", changelog="试试")
    assert store.get_library(session, ref=draft.ref) == draft


def test_publish_loses_to_an_edit_made_after_it_read(engine: sa.Engine, session: Session,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    draft = small_library()
    store.save_library(session, version=draft)
    edited = replace(draft, title="同事刚改的标题")
    real_publish = store.publish

    def colleague_edits_meanwhile(value, **kwargs):
        with Session(engine) as other:
            store.update_draft(other, version=edited)
        return real_publish(value, **kwargs)

    monkeypatch.setattr(store, "publish", colleague_edits_meanwhile)
    with pytest.raises(ConflictError, match="reload"):
        store.publish_library(session, ref=draft.ref, by="王科长", changelog="发布")
    assert store.get_library(session, ref=draft.ref) == edited


def test_retire(session: Session) -> None:
    published = small_library(status="published")
    store.save_library(session, version=published)
    retired = store.retire_library(session, ref=published.ref, by="李", reason="由 2.0.0 取代")
    assert retired.status is Status.RETIRED
    assert retired.indicators == published.indicators
    assert retired.changelog[-1].text.endswith("由 2.0.0 取代")
    assert store.get_library(session, ref=published.ref) == retired
    with pytest.raises(ImmutableVersionError):
        store.retire_library(session, ref=published.ref, by="李", reason="再停一次")
    draft = small_library("2.0.0")
    store.save_library(session, version=draft)
    with pytest.raises(ConflictError):
        store.retire_library(session, ref=draft.ref, by="李", reason="草稿")


def test_delete_draft(engine: sa.Engine, session: Session) -> None:
    keep = small_library("1.0.0", "published")
    store.save_library(session, version=keep)
    store.save_library(session, version=small_library("1.1.0"))
    store.delete_draft(session, ref="county-housing@1.1.0")
    with pytest.raises(NotFoundError):
        store.get_library(session, ref="county-housing@1.1.0")
    assert stored_counts(engine)["ind_indicator"] == len(keep.indicators)
    assert store.get_library(session, ref=keep.ref) == keep


RAW_WRITES = (
    "UPDATE ind_indicator SET name = '偷改' WHERE library_version_id = :v",
    "DELETE FROM ind_indicator WHERE library_version_id = :v",
    "INSERT INTO ind_indicator (library_version_id, position, code, name, level, unit,"
    " reference_value, explanation, checkpoints, data_source, rule, rule_params, source_document,"
    " sector) VALUES (:v, 99, 'NEW', '新', 1, '', '', '', '', '', '', '{}', '', '')",
    "UPDATE ind_changelog SET text = '改写历史' WHERE library_version_id = :v",
    "DELETE FROM ind_changelog WHERE library_version_id = :v",
    "UPDATE ind_library_version SET title = '偷改' WHERE id = :v",
    "UPDATE ind_library_version SET status = 'draft' WHERE id = :v",
    "UPDATE ind_library_version SET status = 'retired', description = 'x' WHERE id = :v",
    "DELETE FROM ind_library_version WHERE id = :v",
)


@pytest.mark.parametrize("statement", RAW_WRITES)
def test_database_refuses_raw_writes_to_a_published_version(
        engine: sa.Engine, session: Session, statement: str) -> None:
    published = small_library(status="published")
    store.save_library(session, version=published)
    with engine.connect() as conn:
        version_id = conn.execute(sa.text("SELECT id FROM ind_library_version")).scalar_one()
    with pytest.raises(IntegrityError, match="ind_frozen_version"), engine.begin() as conn:
        conn.execute(sa.text(statement), {"v": version_id})
    assert store.get_library(session, ref=published.ref) == published


def test_store_refuses_even_without_the_triggers(engine: sa.Engine, session: Session) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the trigger-free path is exercised on SQLite")
    published = small_library(status="published")
    store.save_library(session, version=published)
    with engine.begin() as conn:
        triggers = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
        assert triggers
        for name in triggers:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
    with pytest.raises(ImmutableVersionError):
        store.update_draft(session, version=replace(published, status=Status.DRAFT, title="x"))
    with pytest.raises(ImmutableVersionError):
        store.delete_draft(session, ref=published.ref)
    with pytest.raises(ImmutableVersionError):
        store.publish_library(session, ref=published.ref, by="王", changelog="再发")
    assert store.get_library(session, ref=published.ref) == published


# ------------------------------------------------------------------ built-in frameworks

def test_seed_builtin_libraries_is_idempotent(engine: sa.Engine, session: Session) -> None:
    first = store.seed_builtin_libraries(session)
    assert sorted(first) == sorted(load_builtin(f).ref for f in builtin_frameworks())
    counts = stored_counts(engine)
    assert store.seed_builtin_libraries(session) == []
    assert stored_counts(engine) == counts
    summary = {row.ref: row.indicator_count for row in store.list_libraries(session)}
    assert summary == {load_builtin(f).ref: len(load_builtin(f).indicators)
                       for f in builtin_frameworks()}
