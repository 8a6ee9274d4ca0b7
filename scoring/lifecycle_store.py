"""Storage of the budget lifecycle's imports: the tables a bureau brings in, kept as read.

Next year's budget requests, spending to date, target progress, year-end actuals and ex-ante
assessment sheets are each kept as they were read — every row with its spreadsheet row number —
under the budget year they belong to. A file is read and checked whole by
:func:`scoring.lifecycle_io.read_table` before anything is written, so a bad row is named and
nothing is stored. A newer import supersedes the older one (the whole table, a month of
spending, or a project's sheet); the older stays in the history.

The tables are the ``sco_life_`` tables of ``scoring/migrations`` (revision ``sco_0002``).
Decisions live in :mod:`scoring.lifecycle_decision_store`, year runs in
:mod:`scoring.lifecycle_run_store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, insert
from sqlmodel import Field, Session, SQLModel, select

from indicators.errors import ErrorLocation, InputError, ValidationError, ValidationIssue
from indicators.tables import utc_now, write_transaction
from scoring.lifecycle_io import SPECS, read_table
from scoring.store import as_utc, plain_value

__all__ = [
    "IMPORT_KINDS",
    "LifeImportRow",
    "LifeImportLineRow",
    "ImportSummary",
    "import_table",
    "save_table",
    "list_imports",
    "current_table",
]

IMPORT_KINDS: tuple[str, ...] = ("requests", "spending", "progress", "actuals", "exante_sheets",
                                 "department_facts")
"""The lifecycle tables a bureau imports per budget year (projects and targets live in the library)."""

# What a newer import replaces: the whole table, each month's spending, or each project's sheet.
_SCOPE: dict[str, str | None] = {"requests": None, "progress": None, "actuals": None,
                                 "spending": "month", "exante_sheets": "project",
                                 "department_facts": None}
_LEVELS = ("达成", "部分达成", "未达成")


class LifeImportRow(SQLModel, table=True):
    """One imported table: which kind, for which budget year, from which file, by whom."""

    __tablename__ = "sco_life_import"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    kind: str
    file_name: str
    n_rows: int
    months: list[int] = Field(default_factory=list, sa_type=JSON)
    note: str = ""
    created_by: str
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class LifeImportLineRow(SQLModel, table=True):
    """One row of an imported table, as read, with its spreadsheet row number."""

    __tablename__ = "sco_life_import_line"

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(sa_column=Column(
        Integer, ForeignKey("sco_life_import.id", name="fk_sco_life_import_line_import",
                            ondelete="CASCADE"), nullable=False, index=True))
    position: int
    sheet_row: int | None = None
    project: str
    month: int | None = None
    record: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


@dataclass(frozen=True)
class ImportSummary:
    """One stored import, without its rows.

    Attributes
    ----------
    id, year, kind, file_name, n_rows, note, created_by, created_at
        The record (``created_at`` in UTC).
    months
        The months a spending import holds (empty for other kinds).
    """

    id: int
    year: int
    kind: str
    file_name: str
    n_rows: int
    months: tuple[int, ...]
    note: str
    created_by: str
    created_at: datetime


def _who(created_by: str) -> str:
    who = str(created_by or "").strip()
    if not who:
        raise InputError("请填写操作人", "a record needs who made it", field="created_by")
    return who


def _kind(kind: str) -> None:
    if kind not in IMPORT_KINDS:
        raise InputError(f"不能导入的表类型：{kind}（可导入：{'、'.join(IMPORT_KINDS)}）",
                         f"cannot import a table of kind {kind!r}", field="kind")


def _row_checks(frame: pd.DataFrame, kind: str, file_name: str) -> None:
    """Checks read_table cannot make alone: months of the year, assessment levels."""
    issues = []
    rows = frame.index.to_numpy()
    if kind == "spending":
        month = pd.to_numeric(frame["month"], errors="coerce").to_numpy(dtype=float)
        for row in rows[~((month >= 1) & (month <= 12))]:
            issues.append(ValidationIssue("bad_month", "截至月份应为 1–12", "the month must be 1–12",
                                          ErrorLocation(file=file_name, row=int(row),
                                                        column="截至月份")))
    if kind == "exante_sheets":
        for row in rows[~frame["level"].isin(_LEVELS).to_numpy()]:
            issues.append(ValidationIssue(
                "bad_level", f"评估等级应为 {'、'.join(_LEVELS)} 之一",
                f"the level must be one of {', '.join(_LEVELS)}",
                ErrorLocation(file=file_name, row=int(row), column="评估等级")))
    if issues:
        raise ValidationError(issues, file=file_name)


def save_table(session: Session, *, year: int, kind: str, frame: pd.DataFrame, file_name: str,
               created_by: str, note: str = "") -> ImportSummary:
    """Store a table already read (English columns) as a new import of ``year``, all or nothing.

    Parameters
    ----------
    session
        An open session; the write commits it.
    year
        The budget year the table belongs to (requests are next year's requests of this year).
    kind
        One of :data:`IMPORT_KINDS`.
    frame
        The table as :func:`scoring.lifecycle_io.read_table` returns it: the columns of
        ``SPECS[kind]``, indexed by spreadsheet row (an index named ``row``; a table entered on
        a page has no rows to name).
    file_name
        Where the table came from (a file name, or a page that entered it).
    created_by
        Who imported it.
    note
        Free text.

    Returns
    -------
    ImportSummary
        The stored import with its id.

    Raises
    ------
    InputError
        An unknown kind, a blank ``created_by``, an empty table or a missing column.
    ValidationError
        A month outside 1–12 or an assessment level not in 达成 / 部分达成 / 未达成, each with
        its row.

    Notes
    -----
    One transaction: the import and all its rows (one bulk insert), or nothing.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> spent = pd.DataFrame({"project": ["A", "B"], "month": [9, 9], "spent": [5.0, 6.0]},
    ...                      index=pd.Index([2, 3], name="row"))
    >>> with Session(engine) as session:
    ...     done = save_table(session, year=2021, kind="spending", frame=spent,
    ...                       file_name="支出.csv", created_by="王科长")
    >>> done.n_rows, done.months
    (2, (9,))
    >>> clear_engine_cache()
    """
    _kind(kind)
    who = _who(created_by)
    if frame.empty:
        raise InputError("表格没有数据行，未导入", "the table has no rows; nothing imported",
                         file=file_name)
    names = [f.name for f in SPECS[kind].fields]
    lacking = [f.name for f in SPECS[kind].fields if f.required and f.name not in frame]
    if lacking:
        raise InputError(f"{SPECS[kind].zh}缺少列：{'、'.join(lacking)}",
                         f"the {SPECS[kind].en} table lacks columns: {', '.join(lacking)}",
                         file=file_name, column=lacking[0])
    _row_checks(frame, kind, file_name)
    kept = frame[[n for n in names if n in frame]]
    # Only a table read from a file knows its spreadsheet rows (read_table names the index).
    rows = (pd.to_numeric(pd.Series(frame.index), errors="coerce").to_numpy(dtype=float)
            if frame.index.name == "row" else np.full(len(frame), np.nan))
    months = (sorted({int(m) for m in pd.to_numeric(frame["month"]).dropna()})
              if kind == "spending" else [])
    records = [{k: plain_value(v) for k, v in r.items()} for r in kept.to_dict("records")]
    # A line is filed under what its table is about: a project, or a department's facts.
    owner = SPECS[kind].key[0] if SPECS[kind].key else "project"
    with write_transaction(session):
        head = LifeImportRow(year=int(year), kind=kind, file_name=str(file_name),
                             n_rows=len(frame), months=months, note=note, created_by=who)
        session.add(head)
        session.flush()
        month_of = (pd.to_numeric(frame["month"]).to_numpy(dtype=float) if "month" in frame
                    else np.full(len(frame), np.nan))
        session.exec(insert(LifeImportLineRow), params=[
            {"import_id": head.id, "position": i, "project": str(record[owner]),
             "sheet_row": None if np.isnan(rows[i]) else int(rows[i]),
             "month": None if np.isnan(month_of[i]) else int(month_of[i]), "record": record}
            for i, record in enumerate(records)])
        summary = _summary(head)
    return summary


def import_table(session: Session, *, year: int, kind: str, path: str | Path, created_by: str,
                 note: str = "") -> ImportSummary:
    """Read a CSV (UTF-8 or GBK) or .xlsx file with Chinese headers and store it, all or nothing.

    Parameters
    ----------
    session
        An open session; the write commits it.
    year
        The budget year.
    kind
        One of :data:`IMPORT_KINDS`.
    path
        The file; its name is recorded.
    created_by
        Who imported it.
    note
        Free text.

    Returns
    -------
    ImportSummary
        The stored import.

    Raises
    ------
    ValidationError
        Every bad cell, missing column and repeated code with its row and column (from
        :func:`scoring.lifecycle_io.read_table`), or a row :func:`save_table` refuses.
    InputError
        A file that cannot be read, or the refusals of :func:`save_table`.

    Notes
    -----
    The file is read and checked whole before the database is touched, so "第 37 行 '申请金额'
    不是数字" leaves nothing half-imported (JOURNEYS.md, 王科长).

    Examples
    --------
    >>> import tempfile
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> text = "项目编码,申请金额(元),上年金额(元),是否新增,延续年数\\nA,1200000,1000000,否,2\\n"
    >>> with tempfile.TemporaryDirectory() as tmp, Session(engine) as session:
    ...     _ = (Path(tmp) / "申请.csv").write_text(text, encoding="gbk")
    ...     done = import_table(session, year=2021, kind="requests", path=Path(tmp) / "申请.csv",
    ...                         created_by="王科长")
    >>> done.kind, done.file_name, done.n_rows
    ('requests', '申请.csv', 1)
    >>> clear_engine_cache()
    """
    _kind(kind)
    frame = read_table(path, kind)
    return save_table(session, year=year, kind=kind, frame=frame, file_name=Path(path).name,
                      created_by=created_by, note=note)


def _summary(row: LifeImportRow) -> ImportSummary:
    return ImportSummary(id=int(row.id), year=row.year, kind=row.kind, file_name=row.file_name,
                         n_rows=row.n_rows, months=tuple(row.months or ()), note=row.note,
                         created_by=row.created_by, created_at=as_utc(row.created_at))


def list_imports(session: Session, *, year: int | None = None, kind: str | None = None
                 ) -> list[ImportSummary]:
    """Stored imports, newest first, optionally of one year and kind.

    Parameters
    ----------
    session
        An open session.
    year, kind
        Filters.

    Returns
    -------
    list of ImportSummary

    Notes
    -----
    Superseded imports are listed too: the history of what was imported is kept.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> with Session(engine) as session:
    ...     list_imports(session, year=2021)
    []
    >>> clear_engine_cache()
    """
    query = select(LifeImportRow).order_by(LifeImportRow.id.desc())
    if year is not None:
        query = query.where(LifeImportRow.year == year)
    if kind is not None:
        query = query.where(LifeImportRow.kind == kind)
    return [_summary(row) for row in session.exec(query).all()]


def _typed(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Stored JSON records back to the column types read_table gives."""
    out = frame.copy()
    for f in SPECS[kind].fields:
        if f.name not in out:
            out[f.name] = np.nan if f.kind in ("number", "integer") else (
                False if f.kind == "bool" else "")
        if f.kind in ("number", "integer"):
            values = pd.to_numeric(out[f.name], errors="coerce").astype(float)
            if f.default is not None:
                values = values.fillna(f.default)
            whole = f.kind == "integer" and not values.isna().any()
            out[f.name] = values.astype(int) if whole else values
        elif f.kind == "bool":
            out[f.name] = out[f.name].fillna(False).astype(bool)
        else:
            out[f.name] = out[f.name].where(out[f.name].notna(), "").astype(str)
    return out


def current_table(session: Session, *, year: int, kind: str) -> pd.DataFrame | None:
    """The table of ``kind`` in force for ``year``: each part from the newest import holding it.

    Parameters
    ----------
    session
        An open session.
    year
        The budget year.
    kind
        One of :data:`IMPORT_KINDS`.

    Returns
    -------
    pandas.DataFrame or None
        The columns of ``SPECS[kind]`` typed as :func:`scoring.lifecycle_io.read_table` types
        them, plus ``import_id`` and ``row`` (spreadsheet row); None when nothing was imported.

    Notes
    -----
    A newer import replaces: the whole table for requests, progress and actuals; the months it
    holds for spending (September's spending re-imported leaves December's); the projects it
    holds for assessment sheets (one project's sheet re-scored leaves the others').

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> def spent(month, value):
    ...     return pd.DataFrame({"project": ["A"], "month": [month], "spent": [value]})
    >>> with Session(engine) as session:
    ...     for month, value in ((9, 5.0), (12, 9.0), (9, 6.0)):
    ...         _ = save_table(session, year=2021, kind="spending", frame=spent(month, value),
    ...                        file_name="支出.csv", created_by="王科长")
    ...     current_table(session, year=2021, kind="spending")[["month", "spent"]].to_dict("list")
    {'month': [12, 9], 'spent': [9.0, 6.0]}
    >>> clear_engine_cache()
    """
    _kind(kind)
    lines = session.exec(
        select(LifeImportLineRow.import_id, LifeImportLineRow.sheet_row, LifeImportLineRow.record)
        .join(LifeImportRow, LifeImportRow.id == LifeImportLineRow.import_id)
        .where(LifeImportRow.year == year, LifeImportRow.kind == kind)
        .order_by(LifeImportLineRow.import_id, LifeImportLineRow.position)).all()
    if not lines:
        return None
    frame = pd.DataFrame([record for _, _, record in lines])
    frame["import_id"] = [import_id for import_id, _, _ in lines]
    frame["row"] = pd.array([row for _, row, _ in lines], dtype="Int64")
    scope = _SCOPE[kind]
    newest = (frame.groupby(scope)["import_id"].transform("max") if scope
              else frame["import_id"].max())
    frame = frame.loc[frame["import_id"] == newest].reset_index(drop=True)
    names = [f.name for f in SPECS[kind].fields]
    return _typed(frame, kind)[[*names, "import_id", "row"]]
