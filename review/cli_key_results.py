"""The ``jixiao key-results`` command: a year's key-evaluation results, from the database to a file.

``register(group)`` adds ``key-results`` to the front door's click group. It writes the panel
scores of the year's closed review rounds (:func:`review.key_results.key_evaluation_results`)
as a table with the Chinese headers of the lifecycle's ``key_results`` table
(:data:`scoring.lifecycle_io.SPECS`), so the file goes straight into
``jixiao year run --key-results FILE``. Like the other local commands it runs on the machine
that holds the database; it reads as a staff account, the first active admin unless ``--as``
names another.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd
from sqlmodel import Session, select

from indicators.cli import CliState, JixiaoCliError, text_table
from indicators.errors import InputError, JixiaoError, NotFoundError
from indicators.frontdoor import Role, Viewer
from review.key_results import BASIS_LABELS, key_evaluation_results
from review.tables import UserRow
from review.views import viewer_of
from scoring.lifecycle_io import write_sheets

__all__ = ["KEY_RESULT_HEADERS", "key_results_sheet", "register"]

KEY_RESULT_HEADERS: dict[str, str] = {
    "project": "项目编码", "total": "评价得分", "basis": "得分依据", "n_ratings": "评分人次",
    "round_id": "评审轮次编号", "round_title": "评审轮次", "method": "汇总方法",
    "report_id": "报告编号",
}
"""Column → Chinese header of the written file; the first two are the ``key_results`` spec's."""

_METHODS = {"mean": "平均值 mean", "trimmed_mean": "去掉最高最低后平均 trimmed mean",
            "median": "中位数 median"}


def key_results_sheet(results: pd.DataFrame) -> pd.DataFrame:
    """The key-evaluation results as a bureau's table, with Chinese headers and labels.

    Parameters
    ----------
    results
        A frame of :func:`review.key_results.key_evaluation_results`.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`KEY_RESULT_HEADERS` under their Chinese headers; ``得分依据`` and
        ``汇总方法`` in words. No ``评价等级`` column: ``jixiao year run`` grades each score
        with the bands of the settings it runs with.

    Notes
    -----
    ``项目编码`` and ``评价得分`` are the headers :func:`scoring.lifecycle_io.read_table` reads
    for the ``key_results`` kind; the other columns say where each score came from and are
    ignored on reading.

    Examples
    --------
    >>> frame = pd.DataFrame({"project": ["P1"], "total": [86.5], "basis": ["adjusted"],
    ...                       "n_ratings": [4], "round_id": [3], "round_title": ["第一批"],
    ...                       "method": ["mean"], "report_id": [7]})
    >>> sheet = key_results_sheet(frame)
    >>> sheet.columns[:3].tolist(), sheet["得分依据"].tolist()
    (['项目编码', '评价得分', '得分依据'], ['宽严调整后得分（已确定）'])
    """
    table = results[list(KEY_RESULT_HEADERS)].copy()
    table["basis"] = table["basis"].map(lambda code: BASIS_LABELS[code][0])
    table["method"] = table["method"].map(lambda code: _METHODS.get(code, code))
    return table.rename(columns=KEY_RESULT_HEADERS)


def _reader(session: Session, username: str | None) -> Viewer:
    if username is None:
        row = session.exec(select(UserRow).where(
            UserRow.role == Role.ADMIN.value, UserRow.disabled == False)  # noqa: E712
            .order_by(UserRow.id)).first()
        if row is None:
            raise NotFoundError("数据库中没有可用的管理员账户；请用 --as 指定财政人员账户",
                                "the database has no active admin account; name a finance "
                                "account with --as", field="as")
        return viewer_of(row)
    row = session.exec(select(UserRow).where(UserRow.username == username.strip())).first()
    if row is None:
        raise NotFoundError(f"找不到账户 '{username}'", f"no account named '{username}'",
                            field="as")
    return viewer_of(row)


def _write(path: Path, sheet: pd.DataFrame, year: int) -> Path:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # UTF-8 with a byte-order mark, so Excel opens the Chinese headers as written.
        sheet.to_csv(path, index=False, encoding="utf-8-sig")
        return path
    if suffix != ".xlsx":
        raise InputError(f"不支持的文件类型 '{path.suffix}'，请用 .xlsx 或 .csv",
                         f"unsupported file type '{path.suffix}'; use .xlsx or .csv",
                         file=path.name)
    return write_sheets(path, [("重点评价结果", sheet)], title=f"{year} 年度重点评价结果")


def _register_key_results(group: click.Group) -> None:
    @group.command("key-results")
    @click.option("--year", "year", type=int, required=True, help="预算年度 / budget year")
    @click.option("--out", "out", type=click.Path(dir_okay=False), required=True,
                  help="写出的结果表 (.xlsx 或 .csv) / table to write (.xlsx or .csv)")
    @click.option("--as", "username", default=None, metavar="USERNAME",
                  help="以哪个管理员或财政人员账户读取（默认第一个管理员）/ staff account to read "
                       "as (default: the first active admin)")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
    @click.pass_context
    def key_results(ctx: click.Context, year: int, out: str, username: str | None,
                    as_json: bool) -> None:
        """Key-evaluation results of closed review rounds (重点评价结果), for year run.

        Writes each project's panel score from the year's closed review rounds, on 0–100,
        with the headers 项目编码 and 评价得分 that `jixiao year run --key-results FILE`
        reads. The most recently closed round wins for a project scored twice. Nothing is
        written when no closed round of the year has a scored report with a project code.
        """
        state = ctx.ensure_object(CliState)
        try:
            with Session(state.engine) as session:
                results = key_evaluation_results(session, year=year,
                                                 by=_reader(session, username))
            if results.empty:
                raise NotFoundError(
                    f"{year} 年没有已结束、且有带项目编码并已评分报告的评审轮次，未写出文件",
                    f"no closed review round of {year} has a scored report with a project "
                    "code; nothing written", field="year")
            path = _write(Path(out), key_results_sheet(results), year)
        except JixiaoError as err:
            raise JixiaoCliError(err) from err
        if as_json:
            click.echo(json.dumps({"year": year, "file": str(path), "projects": [
                {"project": r.project, "total": float(r.total), "basis": r.basis,
                 "n_ratings": int(r.n_ratings), "round_id": int(r.round_id),
                 "round_title": r.round_title} for r in results.itertuples()]},
                ensure_ascii=False, indent=2))
            return
        rows = [[r.project, f"{r.total:.2f}", BASIS_LABELS[r.basis][0], int(r.n_ratings),
                 r.round_title] for r in results.itertuples()]
        for line in text_table(["项目编码", "评价得分", "得分依据", "评分人次", "评审轮次"], rows,
                               rule=True):
            click.echo(line)
        click.echo(f"{len(results)} 个项目的重点评价结果已写出 / key-evaluation results of "
                   f"{len(results)} project(s) written: {path}")


def register(group: click.Group) -> None:
    """Add the ``key-results`` command to the ``jixiao`` command group.

    Parameters
    ----------
    group : click.Group
        The front door's command group.

    Returns
    -------
    None

    Notes
    -----
    ``jixiao key-results --year 2021 --out key_2021.xlsx [--as USERNAME] [--json]``, then
    ``jixiao year run --year 2021 --key-results key_2021.xlsx --out summary.xlsx``. Refusals
    (no such account, not staff, no results) exit with status 2 in Chinese and English.

    Examples
    --------
    >>> cli = click.Group("jixiao")
    >>> register(cli)
    >>> sorted(cli.commands)
    ['key-results']
    """
    _register_key_results(group)
