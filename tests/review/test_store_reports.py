"""Reports: documents stored with their SHA-256 and type, read only by staff and assigned raters."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from indicators.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from review import store
from tests.review.databases import BACKENDS, build_world, review_database


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    with review_database(request.param, tmp_path) as engine:
        yield engine


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
