"""Evaluation reports under review and their documents (PDF, Word, Markdown) with a SHA-256.

Staff add reports to a draft or open round; the document is stored in the database with its
checksum, which is verified on every read. A rater reads only the reports assigned to them.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from sqlmodel import Session, select

from indicators.errors import ConflictError, InputError, PermissionDeniedError
from indicators.frontdoor import Role, Viewer
from review.access import (
    active_user,
    audit,
    editable_round,
    report_row,
    require_staff,
    round_row,
)
from review.model import ReportPublic, RoundStatus
from review.tables import AssignmentRow, ReportRow
from review.views import report_public

__all__ = ["MAX_DOCUMENT_BYTES", "add_report", "list_reports", "report_content"]


MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""Largest report document accepted (50 MiB)."""

# Suffix → (MIME type, leading bytes the file must start with, or None for text).
_DOCUMENT_TYPES: dict[str, tuple[str, bytes | None]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              b"PK\x03\x04"),
    ".doc": ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    ".md": ("text/markdown", None),
    ".markdown": ("text/markdown", None),
}


def add_report(
    session: Session,
    *,
    round_id: int,
    title: str,
    filename: str,
    content: bytes,
    project_code: str = "",
    department: str = "",
    by: Viewer,
) -> ReportPublic:
    """Add an evaluation report and its document (PDF, Word or Markdown) to a round.

    Parameters
    ----------
    session
        An open session; the caller commits.
    round_id
        A round in draft or open.
    title
        The report's title.
    filename
        The document's file name; its suffix decides the type (``.pdf``, ``.docx``, ``.doc``,
        ``.md``, ``.markdown``).
    content
        The document's bytes.
    project_code, department
        The evaluated project and its department (the department drives conflict of
        interest).
    by
        Admin or finance staff.

    Returns
    -------
    ReportPublic
        With the SHA-256 of ``content``.

    Raises
    ------
    PermissionDeniedError
        ``by`` is not staff.
    ConflictError
        The round is closed.
    InputError
        Empty title or document, unsupported type, content not matching its suffix
        (a PDF must start with ``%PDF-``, Markdown must be UTF-8), or over 50 MiB.

    Notes
    -----
    SHA-256 (FIPS 180-4) lets anyone check that the document read is the one stored.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s, s.begin():
    ...     report = add_report(s, round_id=tiny.round_id, title="补充报告", filename="extra.md",
    ...                         content="# 补充".encode(), by=tiny.admin)
    >>> report.mime, report.sha256[:12]
    ('text/markdown', '7e12f39e8e80')
    >>> clear_engine_cache()
    """
    actor = require_staff(session, by)
    rnd = editable_round(session, round_id, allowed=(RoundStatus.DRAFT, RoundStatus.OPEN))
    title = str(title or "").strip()
    name = PurePath(str(filename or "")).name
    if not title:
        raise InputError("报告标题不能为空", "a report needs a title", field="title")
    content = bytes(content or b"")
    if not content:
        raise InputError("报告文件为空", "the document is empty", field="content")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InputError("报告文件超过 50 MiB", "the document is larger than 50 MiB",
                         field="content")
    suffix = PurePath(name).suffix.lower()
    if suffix not in _DOCUMENT_TYPES:
        raise InputError(f"不支持的文件类型 '{suffix or name}'，请上传 PDF、Word 或 Markdown",
                         f"unsupported document type '{suffix or name}': use PDF, Word or "
                         "Markdown", field="filename")
    mime, magic = _DOCUMENT_TYPES[suffix]
    if magic is not None and not content.startswith(magic):
        raise InputError(f"文件内容与扩展名 '{suffix}' 不符", f"the content is not a {suffix} file",
                         field="content")
    if magic is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError("Markdown 文件必须是 UTF-8 编码", "a Markdown file must be UTF-8",
                             field="content") from exc
    digest = hashlib.sha256(content).hexdigest()
    row = ReportRow(round_id=int(rnd.id), title=title, project_code=str(project_code or ""),
                    department=str(department or "").strip(), filename=name, mime=mime,
                    sha256=digest, size=len(content), content=content)
    session.add(row)
    session.flush()
    audit(session, actor=actor, entity="report", entity_id=int(row.id), action="create",
          new={"round_id": int(rnd.id), "title": title, "filename": name, "sha256": digest,
               "size": len(content), "project_code": row.project_code,
               "department": row.department})
    session.flush()
    return report_public(row)


def list_reports(session: Session, *, round_id: int, by: Viewer) -> list[ReportPublic]:
    """A round's reports: all of them for staff, the assigned ones for a rater.

    Parameters
    ----------
    session
        An open session.
    round_id
        The round.
    by
        The signed-in person.

    Returns
    -------
    list of ReportPublic
        In the order they were added, without their content.

    Raises
    ------
    NotFoundError
        No such round.

    Notes
    -----
    A rater learns nothing about reports they do not score.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     [r.title for r in list_reports(s, round_id=tiny.round_id, by=tiny.raters[0])]
    ['报告1', '报告2']
    >>> clear_engine_cache()
    """
    round_row(session, round_id)
    user = active_user(session, by)
    statement = select(ReportRow).where(ReportRow.round_id == round_id).order_by(ReportRow.id)
    if Role(user.role) not in (Role.ADMIN, Role.FINANCE):
        statement = statement.where(ReportRow.id.in_(
            select(AssignmentRow.report_id).where(AssignmentRow.rater_id == user.id)))
    return [report_public(r) for r in session.exec(statement).all()]


def report_content(session: Session, *, report_id: int, by: Viewer) -> bytes:
    """The document of a report, for staff and the raters assigned to it.

    Parameters
    ----------
    session
        An open session.
    report_id
        The report.
    by
        The signed-in person.

    Returns
    -------
    bytes

    Raises
    ------
    NotFoundError
        No such report.
    PermissionDeniedError
        A rater not assigned this report.
    ConflictError
        The stored bytes no longer match their SHA-256 (the database was altered).

    Notes
    -----
    The checksum is verified on every read.

    Examples
    --------
    >>> from sqlmodel import Session
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> from review.demo import seed_tiny_round
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine)
    >>> with Session(engine) as s, s.begin():
    ...     tiny = seed_tiny_round(s)
    >>> with Session(engine) as s:
    ...     report = list_reports(s, round_id=tiny.round_id, by=tiny.admin)[0]
    ...     report_content(s, report_id=report.report_id, by=tiny.raters[0]).decode()
    '# 报告1'
    >>> clear_engine_cache()
    """
    user = active_user(session, by)
    row = report_row(session, report_id)
    if Role(user.role) not in (Role.ADMIN, Role.FINANCE):
        assigned = session.exec(select(AssignmentRow.id).where(
            AssignmentRow.report_id == row.id, AssignmentRow.rater_id == user.id)).first()
        if assigned is None:
            raise PermissionDeniedError("您没有被分配评审这份报告",
                                        "you are not assigned this report", field="report_id")
    content = bytes(row.content)
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise ConflictError("报告文件与登记的校验值不符，可能已被篡改",
                            "the document does not match its stored SHA-256", field="report_id")
    return content
