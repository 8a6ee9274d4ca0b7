"""Storage of the decisions people take on each stage of the budget lifecycle.

Per stage and project (and, for a target-review finding, per finding): what the software
recommended, what the person decided — the recommendation or a change — the amount the budget
changes by, the reason (required for a change), the settings the recommendation came from, who
and when. Decisions are append-only: a new one stores the id of the one it supersedes, so
nothing is overwritten and the whole chain can be read back.

The table is ``sco_life_decision`` of ``scoring/migrations`` (revision ``sco_0002``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, insert
from sqlmodel import Field, Session, SQLModel, select

from indicators.errors import InputError
from indicators.tables import utc_now, write_transaction
from scoring.lifecycle_store import _who
from scoring.store import as_utc, plain_value

__all__ = [
    "STAGES",
    "LifeDecisionRow",
    "check_decisions",
    "record_decisions",
    "current_decisions",
    "decision_history",
]

STAGES: tuple[str, ...] = ("exante", "target_review", "target_finding", "monitoring",
                           "application")
"""Stages a decision is taken at; ``target_finding`` is a reviewer's verdict on one finding."""

# Half a fen: an amount typed back as it was shown is the same amount.
_MONEY_TOLERANCE = 0.005


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
        change without a reason — naming the project (and item) in the message, as a person
        knows it; ``location.field`` is ``decisions[<row>].<column>`` (rows 1-based) for
        programs. A blank project is named by its row.

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
                         f"the decisions lack columns: {', '.join(lacking)}", field=lacking[0])
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
        # A person knows the project, not the row of a table the page built for them; the
        # row and the column stay on ``field`` for programs.
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            zh_who, en_who = _who_is(out["project"].iat[i], out["item"].iat[i])
            raise InputError(f"{zh_who}：{zh}", f"{en_who}: {en}",
                             field=f"decisions[{i + 1}].{column}")

    blank = (out["project"] == "").to_numpy()
    if blank.any():
        # Without a project code the row is the only thing that points at the decision.
        i = int(np.flatnonzero(blank)[0])
        raise InputError("没有项目编码", "no project code", row=i + 1,
                         field=f"decisions[{i + 1}].project")
    fail(out.duplicated(["project", "item"]).to_numpy(), "决定了两次", "decided twice",
         "project")
    fail((out["outcome"] == "").to_numpy(), "没有填写决定", "no decision given", "outcome")
    fail((out["amount"] < 0).to_numpy(), "金额为负数", "the amount is negative", "amount")
    rec, amount = out["recommended_amount"].to_numpy(), out["amount"].to_numpy()
    amount_differs = (np.isnan(rec) != np.isnan(amount)) | (
        np.abs(np.nan_to_num(rec) - np.nan_to_num(amount)) > _MONEY_TOLERANCE)
    out["changed"] = (out["changed"].fillna(False).astype(bool).to_numpy()
                      | (out["outcome"] != out["recommendation"]).to_numpy() | amount_differs)
    fail((out["changed"] & (out["reason"] == "")).to_numpy(), "改变了建议，但没有填写理由",
         "changes the recommendation without a reason", "reason")
    return out


def _who_is(project: str, item: str) -> tuple[str, str]:
    """How a message names a decision: its project, and the item within it if any."""
    if item:
        return f"项目 {project}（{item}）", f"project {project} ({item})"
    return f"项目 {project}", f"project {project}"


def _detail_text(detail: Any) -> str:
    return json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)


def _decision_frame(rows: list[LifeDecisionRow]) -> pd.DataFrame:
    columns = [*LifeDecisionRow.model_fields]
    frame = pd.DataFrame([r.model_dump() for r in rows], columns=columns)
    if len(frame):
        frame["created_at"] = [as_utc(t) for t in frame["created_at"]]
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
    ...         print(err.message("en"))
    project A: changes the recommendation without a reason
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
        "recommendation": r["recommendation"], "recommended_amount": plain_value(r["recommended_amount"]),
        "outcome": r["outcome"], "amount": plain_value(r["amount"]), "changed": bool(r["changed"]),
        "reason": r["reason"], "detail": {k: plain_value(v) for k, v in r["detail"].items()},
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
