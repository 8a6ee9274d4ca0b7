"""The scoring commands of the ``jixiao`` command line.

``register(group)`` adds this package's commands to the front door's click group; each
command is registered by its own ``_register_<name>`` function, so new commands are added
beside the existing ones without touching them. ``ahp`` weighs criteria from a pairwise
comparison matrix; ``score`` grades a county's projects from a scoring workbook.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np
from sqlmodel import Session

from indicators.cli import CliState, JixiaoCliError, text_table
from indicators.errors import InputError, JixiaoError
from indicators.io_files import read_csv_grid
from scoring.ahp import inconsistent_judgments
from scoring.grades import load_bands
from scoring.io import ScoringInput, read_scoring_workbook, write_result_workbook
from scoring.pairwise import check_pairwise
from scoring.random_index import random_index_tables
from scoring.report import grade_counts
from scoring.store import resolve_library, save_score_run
from scoring.targets import DEFAULT_WEIGHT_SET, score_target_tables

__all__ = ["read_pairwise_csv", "register"]

_MISSING_MARKS = {"", "-", "—", "?", "？", "na", "nan", "缺"}


def _cell(text: str) -> float | None:
    """A judgment such as '3', '0.5' or '1/3'; NaN for an empty cell; None if unreadable."""
    t = text.strip().replace("／", "/")
    if t.lower() in _MISSING_MARKS:
        return float("nan")
    try:
        if "/" in t:
            num, den = t.split("/", 1)
            return float(num) / float(den)
        return float(t)
    except (ValueError, ZeroDivisionError):
        return None


def read_pairwise_csv(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read a pairwise comparison matrix from a CSV file.

    Parameters
    ----------
    path : str or Path
        CSV in UTF-8 or GBK, comma- or tab-separated. Layout: a header row (corner cell, then the n criterion
        names) and n rows (criterion name, then n judgments). A table of numbers only is
        also accepted (criteria named C1..Cn). Judgments may be fractions like ``1/3``;
        an empty cell (or ``-``, ``?``) is a missing judgment.

    Returns
    -------
    labels : list of str
    matrix : numpy.ndarray, shape (n, n)
        Checked and exactly reciprocal (see :func:`scoring.pairwise.check_pairwise`).

    Notes
    -----
    Every problem raises :class:`~indicators.errors.InputError` with the file, the
    spreadsheet row (1-based, header included) and the column name. The file is read by
    :func:`indicators.io_files.read_csv_grid`, as every CSV file jixiao reads, so an
    undecodable byte is reported with its row.

    Examples
    --------
    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
    >>> _ = f.write(",A,B\\nA,1,3\\nB,1/3,1\\n"); f.close()
    >>> labels, m = read_pairwise_csv(f.name); os.unlink(f.name)
    >>> labels, m.round(4).tolist()
    (['A', 'B'], [[1.0, 3.0], [0.3333, 1.0]])
    """
    path = Path(path)
    name = path.name
    try:
        rows = [list(r) for r in read_csv_grid(path).rows]
    except OSError as err:
        raise InputError(
            "无法读取文件", f"cannot read the file ({err.strerror})", file=name
        ) from err
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    rows = [r[: max((k + 1 for k, c in enumerate(r) if c.strip()), default=0)] for r in rows]
    if not rows:
        raise InputError("文件是空的", "the file is empty", file=name)
    numeric = all(_cell(c) is not None for c in rows[0])
    if numeric:
        n, first, labels = len(rows[0]), 1, [f"C{k + 1}" for k in range(len(rows[0]))]
        body = [["", *r] for r in rows]
    else:
        labels = [c.strip() for c in rows[0][1:]]
        n, first, body = len(labels), 2, rows[1:]
        if len(set(labels)) != n or any(not label for label in labels):
            raise InputError(
                "表头的准则名称为空或重复",
                "criterion names in the header are empty or repeated",
                file=name,
                row=1,
            )
    if len(body) != n:
        raise InputError(
            f"判断矩阵应有 {n} 行判断，实际 {len(body)} 行",
            f"expected {n} rows of judgments, found {len(body)}",
            file=name,
        )
    matrix = np.empty((n, n))
    for i, row in enumerate(body):
        sheet_row = i + first
        if not numeric and row[0].strip() != labels[i]:
            raise InputError(
                f"第 {i + 1} 行的名称 '{row[0].strip()}' 与表头 '{labels[i]}' 不一致",
                f"row name '{row[0].strip()}' does not match header '{labels[i]}'",
                file=name,
                row=sheet_row,
            )
        cells = row[1:] + [""] * (n - len(row) + 1)
        if len(cells) > n:
            raise InputError(
                f"该行多于 {n} 个判断",
                f"the row has more than {n} judgments",
                file=name,
                row=sheet_row,
            )
        for j, text in enumerate(cells):
            value = _cell(text)
            if value is None:
                raise InputError(
                    f"无法识别的判断值 '{text.strip()}'",
                    f"unreadable judgment '{text.strip()}'",
                    file=name,
                    row=sheet_row,
                    column=labels[j],
                )
            matrix[i, j] = value
    try:
        checked = check_pairwise(matrix, labels=labels)
    except InputError as err:
        row = err.location.row + first - 1 if err.location.row is not None else None
        raise InputError(err.zh, err.en, file=name, row=row, column=err.location.column) from err
    return labels, checked


def _report(labels: list[str], res: Any, rev: Any) -> dict[str, Any]:
    def judgments(frame: Any, value: str) -> list[dict[str, Any]]:
        keep = ["label_i", "label_j", value, "nearest_scale"]
        if "cr_after" in frame:
            keep += ["value", "cr_after"]
        return [
            {
                k: (float(v) if isinstance(v, (int, float, np.floating)) else v)
                for k, v in rec.items()
            }
            for rec in frame[keep].to_dict("records")
        ]

    return {
        "labels": labels,
        "weights": dict(zip(labels, (float(w) for w in res.weights), strict=True)),
        "lambda_max": float(res.lambda_max),
        "ci": float(res.ci),
        "ri": res.ri,
        "ri_table": res.ri_table,
        "cr": float(res.cr),
        "cr_threshold": res.cr_threshold,
        "acceptable": bool(res.acceptable),
        "method": res.method,
        "missing": res.missing,
        "n_missing": int(res.n_missing),
        "note": res.note,
        "revise": judgments(rev.revise, "consistent_value"),
        "ask_next": judgments(rev.ask_next, "suggested"),
    }


def _print_text(path: str, report: dict[str, Any]) -> None:
    echo = click.echo
    n = len(report["labels"])
    echo(f"判断矩阵 matrix: {Path(path).name}（n = {n}，缺失判断 missing = {report['n_missing']}）")
    # Numbers padded to one width on the left, so their decimal points line up in the table.
    for line in text_table(["准则 criterion", "权重 weight", "%"],
                           [[label, f"{w:>6.4f}", f"{w * 100:>6.2f}%"]
                            for label, w in report["weights"].items()]):
        echo(line)
    # State the comparison that actually holds, so a rejection does not print "CR < 0.10".
    relation = "<" if report["acceptable"] else "≥"
    verdict = "通过 accepted" if report["acceptable"] else "未通过 rejected"
    echo(
        f"λmax = {report['lambda_max']:.4f}   CI = {report['ci']:.4f}   "
        f"RI = {report['ri']:.4f} ({report['ri_table']})   CR = {report['cr']:.4f}   "
        f"{verdict} (CR {relation} {report['cr_threshold']:.2f})"
    )
    if report["note"]:
        echo(f"注 note: {report['note']}")
    if report["missing"]:
        echo(
            f"缺失判断按 {report['missing']} 补全 (missing judgments filled by {report['missing']})"
        )
    if report["revise"]:
        echo("建议优先修改的判断 judgments to revise first:")
        for r in report["revise"]:
            echo(
                f"  {r['label_i']} 对 {r['label_j']}: 当前 {r['value']:.4g}, 一致值 {r['consistent_value']:.4g}"
                f" → 建议 {_fraction(r['nearest_scale'])}（修改后 CR = {r['cr_after']:.4f}）"
            )
    if report["ask_next"]:
        echo("建议下一个补充的判断 missing judgment to ask next:")
        for r in report["ask_next"]:
            echo(
                f"  {r['label_i']} 对 {r['label_j']}: 其余判断所示 {r['suggested']:.4g} ≈ {_fraction(r['nearest_scale'])}"
            )


def _fraction(value: float) -> str:
    return f"{value:.0f}" if value >= 1 else f"1/{1 / value:.0f}"


def _register_ahp(group: click.Group) -> None:
    @group.command("ahp")
    @click.argument("matrix_csv", type=click.Path(dir_okay=False))
    @click.option(
        "--ri",
        "ri_table",
        default="saaty1980",
        show_default=True,
        type=click.Choice(sorted(random_index_tables())),
        help="Random-index table.",
    )
    @click.option(
        "--method",
        default="eigenvector",
        show_default=True,
        type=click.Choice(["eigenvector", "geometric"]),
        help="Priority method.",
    )
    @click.option(
        "--missing",
        default="harker",
        show_default=True,
        type=click.Choice(["harker", "lambda_optimal"]),
        help="How missing judgments are filled.",
    )
    @click.option(
        "--top",
        default=3,
        show_default=True,
        type=click.IntRange(min=1),
        help="How many judgments to suggest.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    def ahp(
        matrix_csv: str, ri_table: str, method: str, missing: str, top: int, as_json: bool
    ) -> None:
        """AHP priorities, λmax, CI and CR of a pairwise comparison matrix in a CSV file (层次分析法)."""
        try:
            labels, matrix = read_pairwise_csv(matrix_csv)
            rev = inconsistent_judgments(
                matrix, top, labels=labels, method=method, ri=ri_table, missing=missing
            )
        except JixiaoError as err:
            raise JixiaoCliError(err) from err
        report = _report(labels, rev.result, rev)
        if as_json:
            click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            _print_text(matrix_csv, report)


def _one_year(data: ScoringInput, year: int | None) -> ScoringInput:
    """The projects of one budget year, with their actuals and spending."""
    years = sorted({t.project.year for t in data.tables})
    if year is None:
        if len(years) > 1:
            listed = "、".join(map(str, years))
            raise InputError(f"工作簿含多个年度（{listed}），请用 --year 选择一个",
                             f"the workbook holds several years ({', '.join(map(str, years))}); "
                             "choose one with --year", file=data.file, field="year")
        return data
    tables = tuple(t for t in data.tables if t.project.year == year)
    if not tables:
        raise InputError(f"工作簿中没有 {year} 年的项目（有：{'、'.join(map(str, years))}）",
                         f"the workbook has no projects of {year} (it has "
                         f"{', '.join(map(str, years))})", file=data.file, field="year")
    codes = {t.project.code for t in tables}
    return ScoringInput(tables, data.actuals[data.actuals["project"].isin(codes)],
                        data.spending[data.spending["project"].isin(codes)], data.file)


def _register_score(group: click.Group) -> None:
    @group.command("score")
    @click.argument("targets", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--library", "library_ref", required=True, metavar="ID@VERSION",
                  help="指标库版本（已存或内置）/ library version, stored or shipped, "
                       "e.g. sector-catalogue@1.0.0")
    @click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="结果工作簿 .xlsx / result workbook")
    @click.option("--bands", default="national", show_default=True,
                  help="等级表 / band table (national, local_strict90, local_80_70_60, …)")
    @click.option("--year", type=int, default=None,
                  help="只评这一年度的项目 / score the projects of this budget year only")
    @click.option("--weight-set", default=DEFAULT_WEIGHT_SET, show_default=True,
                  help="记录的权重方案名称 / weight-set name recorded with the result")
    @click.option("--save", is_flag=True,
                  help="把评分结果存入数据库 / store the run in the database")
    @click.option("--by", "created_by", default="",
                  help="评分人（--save 时必填）/ who scores (needed with --save)")
    @click.pass_context
    def score(ctx: click.Context, targets: Path, library_ref: str, out: Path, bands: str,
              year: int | None, weight_set: str, save: bool, created_by: str) -> None:
        """按指标库评分并分级，写出结果工作簿 — score and grade a county's projects.

        TARGETS is a scoring workbook: sheets 项目 and 绩效目标 (with 实际值 and 定性结论) and
        预算执行 (项目编码, 预算金额(元), 实际支出(元)).
        """
        state = ctx.ensure_object(CliState)
        done: dict[str, Any] = {}

        def read() -> None:
            done["input"] = _one_year(read_scoring_workbook(targets), year)
            done["bands"] = load_bands(bands)

        def library() -> None:
            with Session(state.engine) as session:
                done["library"] = resolve_library(session, ref=library_ref)

        def grade_all() -> None:
            data = done["input"]
            done["result"] = score_target_tables(
                data.tables, done["library"], actuals=data.actuals, spending=data.spending,
                bands=done["bands"], weight_set=weight_set)

        def write() -> None:
            try:
                write_result_workbook(done["result"], done["input"].tables, out,
                                      created_by=created_by)
            except OSError as err:
                raise InputError("无法写出结果工作簿", f"cannot write the result workbook "
                                 f"({err.strerror})", file=out.name) from err

        def keep() -> None:
            with Session(state.engine) as session:
                done["run"] = save_score_run(
                    session, result=done["result"], tables=done["input"].tables,
                    year=done["input"].tables[0].project.year, created_by=created_by)

        steps = [("读取 reading", read), ("指标库 library", library), ("评分 scoring", grade_all),
                 ("写出 writing", write)]
        if save:
            steps.append(("保存 saving", keep))
        try:
            with click.progressbar(steps, label="评分 scoring", file=sys.stderr,
                                   item_show_func=lambda s: s[0] if s else None) as bar:
                for _, step in bar:
                    step()
        except JixiaoError as err:
            raise JixiaoCliError(err) from err
        _print_score_summary(done, out)


def _print_score_summary(done: dict[str, Any], out: Path) -> None:
    result = done["result"]
    totals = result.totals
    labels = done["bands"].labels
    counts = grade_counts(totals["grade"], labels)
    click.echo(f"已评分 scored: {len(totals)} 个项目 projects（指标库 library "
               f"{result.library_version}，等级表 bands {result.band_table} {result.band_version}）")
    click.echo("等级 grades: " + "  ".join(f"{g} {n}" for g, n in counts.items()))
    click.echo(f"平均分 mean total: {totals['total'].mean():.2f}")
    missing = int(totals["n_missing"].sum())
    if missing:
        click.echo(f"缺少目标值或实际值 missing target or actual: {missing} 个指标记 0 分 / "
                   "indicators scored 0")
    click.echo(f"已写出 written: {out}")
    if "run" in done:
        click.echo(f"已保存 saved: 评分记录 score run #{done['run'].id}")


def register(group: click.Group) -> None:
    """Add the scoring commands (``ahp``, ``score``) to the ``jixiao`` command group.

    Parameters
    ----------
    group : click.Group
        The front door's command group.

    Returns
    -------
    None

    Notes
    -----
    ``jixiao ahp MATRIX.csv [--ri TABLE] [--method eigenvector|geometric] [--json]`` prints
    the weights with the criterion names from the CSV, λmax, CI, CR with 通过/未通过 at
    CR < 0.10 (Saaty 1980) and the judgments to revise first.

    ``jixiao score TARGETS.xlsx --library ID@VERSION --out RESULT.xlsx [--bands national]
    [--year YEAR]`` scores every project by the DOMAIN.md §3 rules with the library's rule
    parameters, grades the totals (财预〔2020〕10号 bands by default) and writes the result
    workbook; a bad input ends with exit code 2 and the message in Chinese and English.

    Examples
    --------
    >>> cli = click.Group("jixiao")
    >>> register(cli)
    >>> sorted(cli.commands)
    ['ahp', 'score']
    """
    _register_ahp(group)
    _register_score(group)
