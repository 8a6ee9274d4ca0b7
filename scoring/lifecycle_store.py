"""Storage of the budget lifecycle's imports and of the decisions people take on each stage.

Two records a bureau must be able to show afterwards:

* **Imports** — next year's budget requests, spending to date, target progress, year-end
  actuals and ex-ante assessment sheets, each kept as it was read (every row with its
  spreadsheet row number) under the budget year it belongs to. A file is read and checked whole
  by :func:`scoring.lifecycle_io.read_table` before anything is written, so a bad row is named
  and nothing is stored. A newer import of a table supersedes the older one; the older stays.
* **Decisions** — per stage and project, what the software recommended, what the person
  decided (the recommendation or a change), the amount, the reason (required for a change), who
  and when. Decisions are append-only: a new one points at the one it supersedes.

The tables are the ``sco_life_`` tables of ``scoring/migrations`` (revision ``sco_0002``). Year
runs live in :mod:`scoring.lifecycle_run_store`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, insert
from sqlmodel import Field, Session, SQLModel, select

from indicators.errors import ErrorLocation, InputError, ValidationError, ValidationIssue
from indicators.tables import utc_now, write_transaction
from scoring.lifecycle_io import SPECS, read_table

__all__ = [
    "IMPORT_KINDS",
    "STAGES",
    "LifeImportRow",
    "LifeImportLineRow",
    "LifeDecisionRow",
    "ImportSummary",
    "import_table",
    "save_table",
    "list_imports",
    "current_table",
    "check_decisions",
    "record_decisions",
    "current_decisions",
    "decision_history",
]

IMPORT_KINDS: tuple[str, ...] = ("requests", "spending", "progress", "actuals", "exante_sheets")
"""The lifecycle tables a bureau imports per budget year (projects and targets live in the library)."""

STAGES: tuple[str, ...] = ("exante", "target_review", "target_finding", "monitoring",
                           "application")
"""Stages a decision is taken at; ``target_finding`` is a reviewer's verdict on one finding."""

# What a newer import replaces: the whole table, each month's spending, or each project's sheet.
_SCOPE: dict[str, str | None] = {"requests": None, "progress": None, "actuals": None,
                                 "spending": "month", "exante_sheets": "project"}
_LEVELS = ("达成", "部分达成", "未达成")
# Half a fen: an amount typed back as it was shown is the same amount.
_MONEY_TOLERANCE = 0.005


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


class LifeDecisionRow(SQLModel, table=True):
    """One decision on one project at one stage; a later row supersedes it, nothing overwrites it."""

    __tablename__ = "sco_life_decision"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    stage: str
    project: str
    item: str = ""
    recommendation: str
    recommended_amount: float | None = None
    outcome: str
    amount: float | None = None
    changed: bool = False
    reason: str = ""
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    config: str = ""
    supersedes: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("sco_life_decision.id", name="fk_sco_life_decision_supersedes"),
        nullable=True))
    created_by: str
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


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


def _as_utc(value: datetime) -> datetime:
    # SQLite hands times back without their offset; every writer here stores UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _plain(value: Any) -> Any:
    """A value JSON and the database driver accept: Python scalars, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


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
    records = [{k: _plain(v) for k, v in r.items()} for r in kept.to_dict("records")]
    with write_transaction(session):
        head = LifeImportRow(year=int(year), kind=kind, file_name=str(file_name),
                             n_rows=len(frame), months=months, note=note, created_by=who)
        session.add(head)
        session.flush()
        month_of = (pd.to_numeric(frame["month"]).to_numpy(dtype=float) if "month" in frame
                    else np.full(len(frame), np.nan))
        session.exec(insert(LifeImportLineRow), params=[
            {"import_id": head.id, "position": i, "project": str(record["project"]),
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
                         created_by=row.created_by, created_at=_as_utc(row.created_at))


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


def check_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """Check decisions before they are stored, and say which change the recommendation.

    Parameters
    ----------
    decisions
        One row per decision: ``project``, ``recommendation``, ``outcome``; optionally
        ``item`` (what within the project, e.g. a finding), ``recommended_amount`` and
        ``amount`` (yuan the budget changes by, ≥ 0), ``reason``, ``changed`` (a change the
        caller found in values outside these columns) and ``detail`` (a dict per row).

    Returns
    -------
    pandas.DataFrame
        The decisions with every column present, ``reason`` stripped and ``changed`` set.

    Raises
    ------
    InputError
        A missing column, a blank project, a decision given twice, a negative amount, or a
        change without a reason — naming the row (1-based).

    Notes
    -----
    A decision changes the recommendation when its outcome differs, when its amount differs by
    more than half a fen, or when the caller says so; a change needs a reason. The software
    recommends, a person decides, and the system records why (OECD, *Budgeting and Public
    Expenditures in OECD Countries*, 2019; DOMAIN.md §1, 三个一批).

    Examples
    --------
    >>> d = pd.DataFrame({"project": ["A", "B"], "recommendation": ["支持", "支持"],
    ...                   "outcome": ["支持", "不予支持"], "reason": ["", "重复立项"]})
    >>> check_decisions(d)["changed"].tolist()
    [False, True]
    """
    lacking = [k for k in ("project", "recommendation", "outcome") if k not in decisions]
    if lacking:
        raise InputError(f"决定表缺少列：{'、'.join(lacking)}",
                         f"the decisions lack columns: {', '.join(lacking)}", column=lacking[0])
    out = decisions.reset_index(drop=True).copy()
    for name, empty in (("item", ""), ("reason", ""), ("changed", False)):
        if name not in out:
            out[name] = empty
    for name in ("recommended_amount", "amount"):
        out[name] = (pd.to_numeric(out[name], errors="coerce").astype(float) if name in out
                     else np.nan)
    if "detail" not in out:
        out["detail"] = [{} for _ in range(len(out))]
    out["detail"] = out["detail"].map(lambda d: d if isinstance(d, dict) else {})
    for name in ("project", "item", "recommendation", "outcome", "reason"):
        out[name] = out[name].where(out[name].notna(), "").astype(str).str.strip()

    def fail(mask: np.ndarray, zh: str, en: str, column: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise InputError(f"第 {i + 1} 行{zh}", f"row {i + 1} {en}", row=i + 1, column=column)

    fail((out["project"] == "").to_numpy(), "没有项目编码", "has no project code", "project")
    fail(out.duplicated(["project", "item"]).to_numpy(), "重复决定同一项目",
         "decides the same project a second time", "project")
    fail((out["outcome"] == "").to_numpy(), "没有填写决定", "has no decision", "outcome")
    fail((out["amount"] < 0).to_numpy(), "的金额为负数", "has a negative amount", "amount")
    rec, amount = out["recommended_amount"].to_numpy(), out["amount"].to_numpy()
    amount_differs = (np.isnan(rec) != np.isnan(amount)) | (
        np.abs(np.nan_to_num(rec) - np.nan_to_num(amount)) > _MONEY_TOLERANCE)
    out["changed"] = (out["changed"].fillna(False).astype(bool).to_numpy()
                      | (out["outcome"] != out["recommendation"]).to_numpy() | amount_differs)
    fail((out["changed"] & (out["reason"] == "")).to_numpy(), "改变了建议，但没有填写理由",
         "changes the recommendation without a reason", "reason")
    return out


def _detail_text(detail: Any) -> str:
    return json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)


def _decision_frame(rows: list[LifeDecisionRow]) -> pd.DataFrame:
    columns = [*LifeDecisionRow.model_fields]
    frame = pd.DataFrame([r.model_dump() for r in rows], columns=columns)
    if len(frame):
        frame["created_at"] = [_as_utc(t) for t in frame["created_at"]]
    return frame


def current_decisions(session: Session, *, year: int, stage: str | None = None) -> pd.DataFrame:
    """The decision in force for each project (and item) of a year: the newest of each.

    Parameters
    ----------
    session
        An open session.
    year
        The budget year.
    stage
        Keep one stage (one of :data:`STAGES`).

    Returns
    -------
    pandas.DataFrame
        One row per (stage, project, item): the columns of :class:`LifeDecisionRow` plus
        ``n_versions`` (how many decisions the chain holds).

    Notes
    -----
    The newest decision wins even if two people superseded the same one at the same moment;
    both stay in the history.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> d = pd.DataFrame({"project": ["A"], "recommendation": ["支持"], "outcome": ["支持"]})
    >>> with Session(engine) as session:
    ...     _ = record_decisions(session, year=2021, stage="exante", decisions=d, created_by="王")
    ...     d2 = d.assign(outcome="不予支持", reason="重复立项")
    ...     _ = record_decisions(session, year=2021, stage="exante", decisions=d2, created_by="王")
    ...     now = current_decisions(session, year=2021, stage="exante")
    >>> now[["outcome", "changed", "n_versions"]].values.tolist()
    [['不予支持', True, 2]]
    >>> clear_engine_cache()
    """
    query = select(LifeDecisionRow).where(LifeDecisionRow.year == year)
    if stage is not None:
        query = query.where(LifeDecisionRow.stage == stage)
    frame = _decision_frame(session.exec(query.order_by(LifeDecisionRow.id)).all())
    keys = ["stage", "project", "item"]
    if frame.empty:
        return frame.assign(n_versions=pd.Series(dtype=int))
    counts = frame.groupby(keys)["id"].transform("size")
    frame = frame.assign(n_versions=counts.to_numpy())
    return frame.drop_duplicates(keys, keep="last").reset_index(drop=True)


def record_decisions(session: Session, *, year: int, stage: str, decisions: pd.DataFrame,
                     created_by: str, config: str = "") -> int:
    """Record decisions of one stage, each superseding the one in force; all or nothing.

    Parameters
    ----------
    session
        An open session; the write commits it.
    year
        The budget year.
    stage
        One of :data:`STAGES`.
    decisions
        As :func:`check_decisions` takes them.
    created_by
        Who decided.
    config
        The lifecycle settings' ``name@version`` the recommendation came from.

    Returns
    -------
    int
        How many decisions were stored; one equal to the decision in force (same outcome,
        amount, reason and detail) is not stored again.

    Raises
    ------
    InputError
        An unknown stage, a blank ``created_by``, or any refusal of :func:`check_decisions`.

    Notes
    -----
    Append-only: a new decision stores the id of the one it supersedes, so the whole chain of
    what was decided, by whom and why can be read back (:func:`decision_history`).

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> d = pd.DataFrame({"project": ["A"], "recommendation": ["追减"], "outcome": ["追减"],
    ...                   "recommended_amount": [1e5], "amount": [0.0], "reason": [""]})
    >>> with Session(engine) as session:
    ...     try:
    ...         record_decisions(session, year=2021, stage="application", decisions=d,
    ...                          created_by="王科长")
    ...     except InputError as err:
    ...         print(err.en)
    row 1 changes the recommendation without a reason
    >>> clear_engine_cache()
    """
    if stage not in STAGES:
        raise InputError(f"未知的环节：{stage}", f"unknown stage {stage!r}", field="stage")
    who = _who(created_by)
    checked = check_decisions(decisions)
    if checked.empty:
        return 0
    now = current_decisions(session, year=year, stage=stage)
    probe = checked[["project", "item"]].merge(
        now[["project", "item", "id", "outcome", "amount", "reason", "detail"]],
        on=["project", "item"], how="left")
    before_amount = probe["amount"].to_numpy(dtype=float)
    after_amount = checked["amount"].to_numpy(dtype=float)
    same_amount = (np.isnan(before_amount) & np.isnan(after_amount)) | (
        np.abs(before_amount - after_amount) <= _MONEY_TOLERANCE)
    same = (probe["id"].notna().to_numpy() & same_amount
            & (probe["outcome"].to_numpy() == checked["outcome"].to_numpy())
            & (probe["reason"].to_numpy() == checked["reason"].to_numpy())
            & (probe["detail"].map(_detail_text).to_numpy()
               == checked["detail"].map(_detail_text).to_numpy()))
    fresh = checked.loc[~same]
    if fresh.empty:
        return 0
    supersedes = probe.loc[~same, "id"]
    stamp = utc_now()
    params = [{
        "year": int(year), "stage": stage, "project": r["project"], "item": r["item"],
        "recommendation": r["recommendation"], "recommended_amount": _plain(r["recommended_amount"]),
        "outcome": r["outcome"], "amount": _plain(r["amount"]), "changed": bool(r["changed"]),
        "reason": r["reason"], "detail": {k: _plain(v) for k, v in r["detail"].items()},
        "config": config, "supersedes": None if pd.isna(s) else int(s), "created_by": who,
        "created_at": stamp}
        for r, s in zip(fresh.to_dict("records"), supersedes, strict=True)]
    with write_transaction(session):
        session.exec(insert(LifeDecisionRow), params=params)
    return len(params)


def decision_history(session: Session, *, year: int, stage: str, project: str,
                     item: str | None = None) -> pd.DataFrame:
    """Every decision ever taken on one project at one stage, newest first.

    Parameters
    ----------
    session
        An open session.
    year, stage, project
        Which chain.
    item
        Keep one item (e.g. one finding); all items by default.

    Returns
    -------
    pandas.DataFrame
        The columns of :class:`LifeDecisionRow`.

    Notes
    -----
    Nothing is ever deleted or overwritten, so this is the full record of who decided what,
    when and why.

    Examples
    --------
    >>> from indicators.database import get_engine, upgrade, clear_engine_cache
    >>> engine = get_engine("sqlite://"); _ = upgrade(engine, packages=("indicators", "scoring"))
    >>> with Session(engine) as session:
    ...     len(decision_history(session, year=2021, stage="exante", project="A"))
    0
    >>> clear_engine_cache()
    """
    query = select(LifeDecisionRow).where(LifeDecisionRow.year == year,
                                          LifeDecisionRow.stage == stage,
                                          LifeDecisionRow.project == project)
    if item is not None:
        query = query.where(LifeDecisionRow.item == item)
    return _decision_frame(session.exec(query.order_by(LifeDecisionRow.id.desc())).all())
