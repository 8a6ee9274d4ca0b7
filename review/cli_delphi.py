"""The Delphi commands of the ``jixiao`` command line: ``jixiao delphi stats``.

``register(group)`` adds a ``delphi`` group to the front door's click group. ``stats`` reads a
round workbook (:mod:`review.delphi_io`), prints the positive coefficient, the authority
coefficient, every indicator's mean, SD, CV, full-score ratio and the screening decision,
and Kendall's W; it can write the paper tables and the feedback for the next round to Excel.
A bad file ends with a bilingual message naming file, sheet, row and column, exit status 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import pandas as pd

from indicators.cli import JixiaoCliError, text_table
from indicators.errors import JixiaoError
from review.delphi import DelphiRound, round_statistics
from review.delphi_authority import available_authority_tables
from review.delphi_io import read_round_workbook, write_feedback, write_paper_tables
from review.delphi_screen import Screening, group_feedback, paper_tables, screen

__all__ = ["register"]


def _num(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.{digits}f}"


def _print(result: DelphiRound, screening: Screening, names: dict[str, str], file: str) -> None:
    echo = click.echo
    echo(f"德尔菲轮次 (Delphi round): {result.label}  文件 (file): {file}")
    echo(f"积极系数 (response rate): {result.responded}/{result.invited} = "
         f"{result.response_rate * 100:.1f}%")
    a = result.authority
    if a is not None:
        echo(f"权威系数 (authority): Ca {a.ca:.3f}  Cs {a.cs:.3f}  Cr {a.cr:.3f}  "
             f"(Cr ≥ {a.threshold:g}: {a.share_authoritative * 100:.0f}% of {a.n_experts}; "
             f"table {a.table})")
    echo("")
    table = result.indicators.join(screening.table[["decision_zh", "reason_zh"]])
    rows = [[str(code), names.get(str(code), ""), str(int(r["n"])), _num(r["mean"], 2),
             _num(r["sd"], 2), _num(r["cv"], 3), _num(r["full_score_ratio"], 3),
             _num(r["rank_sum"], 1), str(r["decision_zh"]), str(r["reason_zh"])]
            for code, r in table.iterrows()]
    for line in text_table(["指标 (indicator)", "名称 (name)", "n", "均值 (mean)", "标准差 (SD)",
                       "变异系数 (CV)", "满分比 (full)", "等级和 (rank sum)",
                       "建议 (proposal)", "说明 (reason)"], rows):
        echo(line)
    bounds = screening.cutoffs
    echo("")
    echo(f"筛选 (screening): {screening.method}; 均值界值 (mean) {_num(bounds['min_mean'], 3)}, "
         f"变异系数界值 (CV) {_num(bounds['max_cv'], 3)}, 满分比界值 (full-score) "
         f"{_num(bounds['min_full_score'], 3)}; 删除规则 (drop when) {screening.drop_when}")
    echo(f"  保留 keep {len(screening.codes('keep'))}  修改 revise "
         f"{len(screening.codes('revise'))}  删除 drop {len(screening.codes('drop'))}")
    echo("")
    echo("协调系数 (Kendall's W)")
    rows = [[str(r["scope"]), str(r["n_indicators"]), _num(float(r["n_experts"]), 0),
             _num(r["w"], 3), _num(r["chi2"], 2), _num(float(r["df"]), 0),
             "<0.001" if r["p_value"] < 0.001 else _num(r["p_value"], 3)]
            for r in result.concordance.to_dict("records")]
    for line in text_table(["范围 (scope)", "指标数 (n)", "专家数 (m)", "W", "χ²", "df", "P"], rows):
        echo(line)


def _json(result: DelphiRound, screening: Screening, file: str) -> str:
    def clean(frame: pd.DataFrame) -> list[dict[str, Any]]:
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        return records

    a = result.authority
    payload = {
        "file": file, "round": result.label, "invited": result.invited,
        "responded": result.responded, "response_rate": result.response_rate,
        "authority": None if a is None else {
            "ca": a.ca, "cs": a.cs, "cr": a.cr, "n_experts": a.n_experts,
            "share_authoritative": a.share_authoritative, "threshold": a.threshold,
            "table": a.table},
        "indicators": clean(result.indicators.join(
            screening.table[["decision", "reason_zh", "reason_en"]]).rename_axis(
            "indicator").reset_index()),
        "screening": {"method": screening.method, "drop_when": screening.drop_when,
                      "cutoffs": dict(screening.cutoffs)},
        "concordance": clean(result.concordance),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def _register_stats(delphi: click.Group) -> None:
    @delphi.command("stats")
    @click.argument("round_file", type=click.Path(dir_okay=False))
    @click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
                  help="Write the paper tables (专家基本情况, 积极系数, 权威系数, 指标得分, "
                       "协调系数) to this .xlsx file.")
    @click.option("--feedback", type=click.Path(dir_okay=False), default=None,
                  help="Write the feedback for the next round (group means, own ratings).")
    @click.option("--method", default="threshold", show_default=True,
                  type=click.Choice(["threshold", "cutoff"]),
                  help="Fixed thresholds, or the cut-off method (均数 ± 标准差).")
    @click.option("--min-mean", default=3.5, show_default=True, type=float,
                  help="Threshold method: lowest mean kept.")
    @click.option("--max-cv", default=0.25, show_default=True, type=float,
                  help="Threshold method: highest CV kept.")
    @click.option("--min-full-score", default=None, type=float,
                  help="Threshold method: lowest full-score ratio kept (not used by default).")
    @click.option("--drop-when", default="all", show_default=True,
                  type=click.Choice(["all", "any"]),
                  help="Drop when every criterion fails (others: revise), or when any fails.")
    @click.option("--invited", default=None, type=click.IntRange(min=1),
                  help="Experts invited (default: the rows of the ratings sheet).")
    @click.option("--label", default="第1轮", show_default=True, help="The round's name.")
    @click.option("--authority", default=None, type=click.Choice(available_authority_tables()),
                  help="Authority coefficient table (default: the first listed).")
    @click.option("--scale-max", default=5, show_default=True, type=click.IntRange(min=2),
                  help="Highest point of the rating scale (the full score); lowest is 1.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    def stats(round_file: str, out: str | None, feedback: str | None, method: str,
              min_mean: float, max_cv: float, min_full_score: float | None, drop_when: str,
              invited: int | None, label: str, authority: str | None, scale_max: int,
              as_json: bool) -> None:
        """Statistics, screening and paper tables of one Delphi round (德尔菲轮次统计).

        ROUND_FILE is .xlsx (or .csv with the ratings only). Sheets, found by name:

        \b
        评分 / ratings (else the first sheet), wide: 专家 column, then one column per
          indicator code, one row per expert invited (blank row = no response);
          or long: 专家 / expert, 指标 / indicator, 评分 / score columns.
        专家 / experts (optional): 专家, 理论分析, 实践经验, 参考国内外文献, 直觉
          (大/中/小), 熟悉程度 (很熟悉 … 很不熟悉), other columns (性别, 职称, …)
          describe the panel.
        指标 / indicators (optional): 指标 (code), 指标名称, and 一级指标 or 层级
          (each indicator's parent, or 一级/二级/三级: Kendall's W per group or level).
        """
        try:
            scale = (1.0, float(scale_max))
            book = read_round_workbook(round_file, scale=scale, authority=authority)
            result = round_statistics(book.ratings, label=label, invited=invited,
                                      groups=book.groups or None, basis=book.basis,
                                      familiarity=book.familiarity, authority=authority,
                                      scale=scale)
            screening = screen(result, method=method, min_mean=min_mean, max_cv=max_cv,
                               min_full_score=min_full_score, drop_when=drop_when)
            profile = None
            if book.profile is not None:
                profile = book.profile.loc[book.profile.index.isin(result.ratings.index)]
            if out:
                write_paper_tables(paper_tables(result, experts=profile, screening=screening,
                                                names=book.names), out)
            if feedback:
                write_feedback(group_feedback(result), feedback)
        except JixiaoError as err:
            raise JixiaoCliError(err) from err
        name = Path(round_file).name
        if as_json:
            click.echo(_json(result, screening, name))
            return
        _print(result, screening, dict(book.names), name)
        for path, what in ((out, "论文表格 (paper tables)"), (feedback, "反馈 (feedback)")):
            if path:
                click.echo(f"已写出 {what}: {Path(path).name}")


def register(group: click.Group) -> None:
    """Add the ``delphi`` command group (``delphi stats``) to the ``jixiao`` command group.

    Parameters
    ----------
    group : click.Group
        The front door's command group.

    Returns
    -------
    None

    Notes
    -----
    ``jixiao delphi stats ROUND.xlsx [--out TABLES.xlsx] [--feedback FEEDBACK.xlsx]
    [--method threshold|cutoff] [--json]`` computes the statistics of
    :func:`review.delphi.round_statistics` and the screening of
    :func:`review.delphi_screen.screen`. Errors in the file exit with status 2.

    Examples
    --------
    >>> cli = click.Group("jixiao")
    >>> register(cli)
    >>> sorted(cli.commands["delphi"].commands)
    ['stats']
    """
    @group.group("delphi")
    def delphi() -> None:
        """Delphi rounds for building an indicator library (德尔菲专家咨询)."""

    _register_stats(delphi)
