"""Where the calibration and sensitivity pages get their data: achievement shares and weights.

Both pages start from a projects × headings table of achievement shares and the weights the
headings carry now: a stored score run's 一级 subtotals and budget execution, the demo county
scored on the spot (demo mode), or an uploaded table (``scoring.calibrate_io`` layout) with its
weights file. :func:`choose_data` draws the choice and returns the table.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.errors import InputError
from indicators.frontdoor import PageContext
from scoring.calibrate_io import read_points, read_weights
from scoring.level_shares import level_shares
from scoring.store import get_score_run, list_score_runs

__all__ = ["ShareData", "choose_data", "current_weights", "demo_county_shares", "uploaded"]


@dataclass(frozen=True)
class ShareData:
    """Achievement shares and the weights they are scored with now.

    Attributes
    ----------
    points
        Projects × headings shares 0–1, complete rows only.
    weights
        Current weight per heading, summing to 100.
    source
        Where the table came from, in words.
    dropped
        Projects left out for lacking a heading.
    """

    points: pd.DataFrame
    weights: pd.Series
    source: str
    dropped: int = 0


@st.cache_data(show_spinner=False)
def demo_county_shares() -> tuple[pd.DataFrame, pd.Series]:
    """The demo county scored now: its achievement shares and its current first-level weights.

    Returns
    -------
    tuple
        Projects × headings shares (:func:`scoring.level_shares.level_shares`, budget
        execution, 一级 and 二级 headings) and the current weight of budget execution and of
        each 一级 heading (its most common full points), summing to 100.

    Notes
    -----
    The demo targets name the library version they were set from; its rules score them.
    Cached for the server's life: the demo data do not change.

    Examples
    --------
    >>> shares, weights = demo_county_shares()
    >>> shares.shape[0], weights.to_dict()
    (289, {'预算执行率': 10.0, '产出指标': 50.0, '效益指标': 30.0, '满意度指标': 10.0})
    """
    from indicators.demo import demo_target_tables, load_demo_county
    from indicators.frameworks import builtin_frameworks, load_builtin
    from scoring.report import level_subtotals
    from scoring.targets import score_target_tables

    county = load_demo_county()
    tables = demo_target_tables(county)
    wanted = tables[0].targets[0].library_ref
    library = next(v for v in map(load_builtin, builtin_frameworks()) if v.ref == wanted)
    actuals = county.actuals.rename(columns={"项目编码": "project", "指标编码": "indicator",
                                             "实际值": "actual", "定性结论": "level"})
    last = county.spending[county.spending["截至月份"] == county.spending["截至月份"].max()]
    spending = last.rename(columns={"项目编码": "project", "累计支出(元)": "spent"})
    result = score_target_tables(tables, library, actuals=actuals,
                                 spending=spending[["project", "spent"]])
    budget = float(result.rule_params["budget_weight"])
    subtotals = level_subtotals(result)
    shares = level_shares(subtotals, result.totals.set_index("project")["budget_points"],
                          budget_weight=budget, levels=(1, 2))
    first = [c for c in shares.columns if c in set(subtotals.loc[subtotals["level"] == 1,
                                                                 "code"])]
    return shares, current_weights(subtotals, [shares.columns[0], *first], budget)


def uploaded(upload: Any, reader: Any) -> Any:
    """Read an uploaded file with one of the file readers, which take a path.

    Parameters
    ----------
    upload
        A Streamlit upload (``name`` and ``getvalue()``).
    reader
        :func:`scoring.calibrate_io.read_points`, ``read_panel`` or ``read_weights``.

    Returns
    -------
    Any
        What the reader returns.

    Notes
    -----
    The file keeps its name, so errors name it as the user knows it.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from scoring.calibrate_io import read_panel
    >>> f = SimpleNamespace(name="panel.csv", getvalue=lambda: "项目,总分\\nP1,91\\n".encode())
    >>> uploaded(f, read_panel).tolist()
    [91.0]
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        return reader(path)


def current_weights(subtotals: pd.DataFrame, headings: list[str], budget: float) -> pd.Series:
    """The weights a scored year used: each 一级 heading's most common full points.

    Parameters
    ----------
    subtotals
        ``level``, ``code``, ``max_points`` per project and heading.
    headings
        Budget execution first, then the 一级 headings.
    budget
        Budget execution's full points.

    Returns
    -------
    pandas.Series
        By heading, rescaled to sum to 100 (target tables may differ between projects).

    Notes
    -----
    A heading's full points are its weight in the project's target table (DOMAIN.md §2).

    Examples
    --------
    >>> sub = pd.DataFrame({"level": [1, 1, 1, 1], "code": ["产出指标", "效益指标"] * 2,
    ...                     "max_points": [60.0, 30.0, 60.0, 30.0]})
    >>> current_weights(sub, ["预算执行率", "产出指标", "效益指标"], 10.0).tolist()
    [10.0, 60.0, 30.0]
    """
    first = subtotals[subtotals["level"] == 1]
    modes = first.groupby("code")["max_points"].agg(lambda s: s.mode().iloc[0])
    weights = pd.Series([budget, *(float(modes[c]) for c in headings[1:])], index=headings,
                        dtype=float)
    return weights * 100.0 / weights.sum()


def _complete(points: pd.DataFrame, weights: pd.Series, source: str) -> ShareData:
    kept = points.dropna()
    return ShareData(points=kept, weights=weights, source=source,
                     dropped=len(points) - len(kept))


def choose_data(ctx: PageContext, prefix: str) -> ShareData | None:
    """The data source widgets and the share table they give (None while incomplete).

    Parameters
    ----------
    ctx
        The page context.
    prefix
        Widget-key prefix of the page (``calibrate`` or ``sensitivity``).

    Returns
    -------
    ShareData or None

    Notes
    -----
    A stored run gives 一级 headings and budget execution with its current full points as
    weights (rescaled to 100 if the projects' tables differ); an uploaded table comes with its
    weights file, or equal weights.

    Examples
    --------
    >>> callable(choose_data)
    True
    """
    # In demo mode the demo county comes first: a fresh demo has no stored run yet.
    sources = ["demo", "stored", "upload"] if ctx.demo_mode else ["stored", "upload"]
    source = st.radio(ctx.t("calibrate.source"), sources, horizontal=True,
                      key=f"{prefix}.source", format_func=lambda s: ctx.t(f"calibrate.source.{s}"))
    if source == "demo":
        shares, weights = demo_county_shares()
        return _complete(shares[list(weights.index)], weights, ctx.t("calibrate.source.demo"))
    if source == "stored":
        with Session(ctx.engine) as session:
            runs = list_score_runs(session)
        if not runs:
            st.info(ctx.t("calibrate.no_runs"))
            return None
        by_id = {r.id: r for r in runs}
        run_id = st.selectbox(ctx.t("calibrate.run"), list(by_id), key=f"{prefix}.run",
                              format_func=lambda i: by_id[i].label())
        with Session(ctx.engine) as session:
            run = get_score_run(session, run_id=run_id)
        budget = float(run.summary.rule_params.get("budget_weight", 10.0))
        points = level_shares(run.subtotals, run.projects.set_index("project")["budget_points"],
                              budget_weight=budget, levels=(1,))
        weights = current_weights(run.subtotals, list(points.columns), budget)
        return _complete(points, weights, by_id[run_id].label())
    files = st.file_uploader(ctx.t("calibrate.points_file"), type=["xlsx", "csv"],
                             key=f"{prefix}.points_file")
    st.caption(ctx.t("calibrate.points_help"))
    weights_file = st.file_uploader(ctx.t("calibrate.weights_file"), type=["xlsx", "csv"],
                                    key=f"{prefix}.weights_file")
    if files is None:
        return None
    points = uploaded(files, read_points)
    if weights_file is not None:
        weights = uploaded(weights_file, read_weights)[0].reindex(points.columns)
        if weights.isna().any():
            raise InputError(f"权重文件缺少指标 {weights.index[weights.isna()][0]}",
                             f"the weights file lacks indicator "
                             f"{weights.index[weights.isna()][0]}", file=weights_file.name)
    else:
        weights = pd.Series(100.0 / points.shape[1], index=points.columns)
    return _complete(points, weights, files.name)
