"""The review commands of the ``jixiao`` command line: ``jixiao agreement``.

``register(group)`` adds the commands to the front door's click group. The command reads a
ratings file (wide or long, CSV in UTF-8 or GBK, or xlsx), prints every agreement coefficient
that fits the scale (:func:`review.agreement.agreement_report`) and a table of raters
(:func:`review.raters.rater_diagnostics` beside :func:`review.raters.severity`), with the
severity-adjusted item scores and the ratings that stand out. Without ``--scale`` the scale is
read from the ratings (:func:`review.scales.infer_scale`) and the guess is printed with its
reason; on continuous scores the kappa family and percent agreement are left out, with a note.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from indicators.cli import JixiaoCliError, text_table
from indicators.errors import InputError, JixiaoError
from indicators.io_files import read_csv_grid
from review.agreement import SCALES, agreement_report
from review.raters import outlying_ratings, rater_diagnostics, severity
from review.scales import ScaleGuess, infer_scale, is_short_scale

__all__ = ["read_ratings_file", "register"]

_MISSING_MARKS = {"", "-", "—", "?", "？", "na", "n/a", "nan", "缺", "缺评", "none", "null"}
_VERDICT = {"severe": "偏严 (severe)", "lenient": "偏宽 (lenient)", "normal": "正常 (normal)"}
# Coefficients that count each distinct score as a category (names as agreement_report gives
# them); on continuous scores they are left out.
_CATEGORICAL = ("Fleiss' kappa", "Gwet's AC", "Percent agreement")


def _read_grid(path: Path) -> tuple[list[str], int, pd.DataFrame, str | None]:
    """Header, its row, and body of the first sheet or the CSV, cells as found (no type guessing).

    Blank rows are dropped; the body is indexed by the row numbers a spreadsheet shows, so an
    error below a blank row still names the right row.
    """
    name = path.name
    if not path.is_file():
        raise InputError("找不到文件", "file not found", file=name)
    suffix = path.suffix.lower()
    sheet = None
    if suffix in (".xlsx", ".xlsm"):
        try:
            with pd.ExcelFile(path, engine="openpyxl") as book:
                sheet = book.sheet_names[0]
                grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as err:
            raise InputError("无法读取 Excel 文件", f"cannot read the Excel file ({err})",
                             file=name) from err
        rows = grid.to_numpy(dtype=object).tolist()
    elif suffix in (".csv", ".txt"):
        try:
            rows = [list(r) for r in read_csv_grid(path).rows]
        except OSError as err:
            raise InputError("无法读取文件", f"cannot read the file ({err.strerror})",
                             file=name) from err
    else:
        raise InputError(f"不支持的文件类型 '{path.suffix}'，请用 .csv 或 .xlsx",
                         f"unsupported file type '{path.suffix}'; use .csv or .xlsx", file=name)
    numbers = [k + 1 for k, r in enumerate(rows) if any(not _is_missing(c) for c in r)]
    if not numbers:
        raise InputError("文件是空的", "the file is empty", file=name, sheet=sheet)
    width = max(len(rows[k - 1]) for k in numbers)
    rows = [list(rows[k - 1]) + [None] * (width - len(rows[k - 1])) for k in numbers]
    header = [_cell_text(c) or "" for c in rows[0]]
    body = pd.DataFrame(rows[1:], index=numbers[1:], columns=range(width), dtype=object)
    if body.empty:
        raise InputError("文件只有表头，没有评分", "the file has a header but no ratings",
                         file=name, sheet=sheet)
    return header, numbers[0], body, sheet


def _is_missing(cell: Any) -> bool:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return True
    return isinstance(cell, str) and cell.strip().lower() in _MISSING_MARKS


def _cell_text(cell: Any) -> str | None:
    return None if _is_missing(cell) else str(cell).strip()


def _scores(cells: pd.Series, *, numeric: bool, name: str, sheet: str | None,
            column: str, rows: np.ndarray) -> pd.Series:
    """Ratings of one column: numbers where they read as numbers, missing marks as NaN."""
    text = cells.map(_cell_text)
    numbers = pd.to_numeric(text, errors="coerce")
    unreadable = text.notna() & numbers.isna()
    if numeric and unreadable.any():
        at = int(np.flatnonzero(unreadable.to_numpy())[0])
        raise InputError(f"评分不是数字：'{text.iloc[at]}'",
                         f"rating is not a number: '{text.iloc[at]}'",
                         file=name, sheet=sheet, row=int(rows[at]), column=column)
    if numeric:
        return numbers.astype(float)
    # Nominal labels stay text; a number is the same label however it was typed (1, 1.0).
    return numbers.astype(object).where(numbers.notna(), text)


def read_ratings_file(
    path: str | Path, *, long: tuple[str, str, str] | None = None, numeric: bool = True
) -> pd.DataFrame:
    """Read an items × raters ratings table from a CSV or xlsx file.

    Parameters
    ----------
    path
        ``.csv`` (UTF-8, with or without BOM, or GBK) or ``.xlsx`` (first sheet).
    long
        ``None`` for the wide layout: a header row, first column the item id, one column per
        rater. Or the names of the item, rater and score columns of a long table (one rating
        per row).
    numeric
        Require numbers (interval, ratio, ordinal scores); if false, text labels are kept.

    Returns
    -------
    pandas.DataFrame
        Items in rows (index = item ids as text), raters in columns, NaN missing.

    Raises
    ------
    InputError
        Naming the file (and sheet), the row as a spreadsheet numbers it and the column:
        unreadable file, unknown column in ``long``, empty or repeated item ids or rater
        names, a rating given twice, or a non-numeric rating when numbers are required.

    Notes
    -----
    Empty cells and the marks ``-``, ``?``, ``NA``, ``缺`` are missing ratings.

    Examples
    --------
    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
    >>> _ = f.write("报告,张,王\\nA,80,85\\nB,70,\\n"); f.close()
    >>> table = read_ratings_file(f.name); os.unlink(f.name)
    >>> table.to_dict()
    {'张': {'A': 80.0, 'B': 70.0}, '王': {'A': 85.0, 'B': nan}}
    """
    path = Path(path)
    name = path.name
    header, header_row, body, sheet = _read_grid(path)
    rows = body.index.to_numpy()
    where = {"file": name, "sheet": sheet}
    if long is None:
        raters = header[1:]
        if not raters:
            raise InputError("除对象列外没有评分人列", "no rater columns after the item column",
                             row=header_row, **where)
        for k, rater in enumerate(raters):
            if not rater:
                raise InputError(f"第 {k + 2} 列的评分人名称为空",
                                 f"rater name of column {k + 2} is empty", row=header_row,
                                 **where)
            if rater in raters[:k]:
                raise InputError(f"评分人 '{rater}' 重复", f"rater '{rater}' appears twice",
                                 row=header_row, column=rater, **where)
        items = body[0].map(_cell_text)
        item_column = header[0] or "item"
        table = pd.DataFrame({
            rater: _scores(body[k + 1], numeric=numeric, column=rater, rows=rows, name=name,
                           sheet=sheet).to_numpy()
            for k, rater in enumerate(raters)})
    else:
        item_column, rater_column, score_column = long
        for wanted in long:
            if wanted not in header:
                raise InputError(f"找不到 --long 指定的列 '{wanted}'，表头为 {header}",
                                 f"column '{wanted}' named in --long is not in the header "
                                 f"{header}", row=header_row, column=wanted, **where)
        pick = {c: body[header.index(c)] for c in long}
        items = pick[item_column].map(_cell_text)
        raters = pick[rater_column].map(_cell_text)
        if raters.isna().any():
            at = int(np.flatnonzero(raters.isna().to_numpy())[0])
            raise InputError("评分人为空", "rater is empty", row=int(rows[at]),
                             column=rater_column, **where)
        scores = _scores(pick[score_column], numeric=numeric, column=score_column, rows=rows,
                         name=name, sheet=sheet)
    if items.isna().any():
        at = int(np.flatnonzero(items.isna().to_numpy())[0])
        raise InputError("对象编号为空", "item id is empty", row=int(rows[at]),
                         column=item_column, **where)
    if long is None:
        repeated = items.duplicated().to_numpy()
        if repeated.any():
            at = int(np.flatnonzero(repeated)[0])
            raise InputError(f"对象 '{items.iloc[at]}' 重复出现",
                             f"item '{items.iloc[at]}' appears twice", row=int(rows[at]),
                             column=item_column, **where)
        table.index = pd.Index(items.to_numpy(), name=item_column)
        return table
    keys = pd.DataFrame({"item": items, "rater": raters})
    repeated = keys.duplicated().to_numpy()
    if repeated.any():
        at = int(np.flatnonzero(repeated)[0])
        raise InputError(
            f"对象 '{items.iloc[at]}' 已有评分人 '{raters.iloc[at]}' 的评分，不能重复",
            f"item '{items.iloc[at]}' already has a rating from '{raters.iloc[at]}'",
            row=int(rows[at]), column=rater_column, **where)
    table = (pd.DataFrame({"item": items, "rater": raters, "score": scores})
             .pivot(index="item", columns="rater", values="score"))
    table = table.reindex(index=pd.unique(items), columns=pd.unique(raters))
    table.index.name, table.columns.name = item_column, None
    return table.astype(float) if numeric else table


def _clean(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN to null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return [_clean(v) for v in value]
    return value


_COUNTS = {"n_items", "n_raters", "n_ratings", "others_n"}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]
    # Counts become floats in a column that also holds NaN; a machine reader wants integers.
    return [{k: int(v) if k in _COUNTS and isinstance(v, float) else v for k, v in row.items()}
            for row in rows]


def _load(ratings_file: str, long_columns: tuple[str, str, str] | None,
          scale: str | None) -> tuple[pd.DataFrame, str, ScaleGuess | None]:
    """The ratings, their scale, and the guess when the scale was read from the data."""
    if scale is not None:
        return (read_ratings_file(ratings_file, long=long_columns, numeric=scale != "nominal"),
                scale, None)
    labels = read_ratings_file(ratings_file, long=long_columns, numeric=False)
    guess = infer_scale(labels)
    if not guess.mixed:
        return (labels if guess.scale == "nominal" else labels.astype(float)), guess.scale, guess
    try:
        # Text among numbers is more often a slip than a label: reading as numbers names the
        # first text cell, and the message says how to mean labels instead.
        read_ratings_file(ratings_file, long=long_columns, numeric=True)
    except InputError as err:
        place = err.location
        raise InputError(f"{err.zh}；若评分本是类别标签，请加 --scale nominal",
                         f"{err.en}; if the ratings are category labels, add --scale nominal",
                         file=place.file, sheet=place.sheet, row=place.row,
                         column=place.column, field=place.field) from err
    return labels, guess.scale, guess


def _analyse(table: pd.DataFrame, scale: str, guess: ScaleGuess | None = None) -> dict[str, Any]:
    # Continuous scores make nearly every value a category of its own; counting matches of
    # categories then measures nothing, so those coefficients are not computed at all.
    continuous = scale != "nominal" and not is_short_scale(table)
    report = agreement_report(table, scale=scale, **({"max_categories": 0} if continuous else {}))
    present = table.notna().to_numpy()
    result: dict[str, Any] = {
        "scale": scale, "scale_inferred": guess is not None,
        "scale_reason": None if guess is None else (guess.reason_zh, guess.reason_en),
        "n_items": int(present.any(axis=1).sum()),
        "n_raters": int(present.any(axis=0).sum()), "n_ratings": int(present.sum()),
        "agreement": report, "raters": None, "adjusted_scores": None, "outlying_ratings": None,
        "severity_method": None, "notes": []}
    if continuous:
        result["agreement"] = report[~report["coefficient"].str.startswith(_CATEGORICAL)]
        n_values = int(np.unique(table.to_numpy(dtype=float)[present]).size)
        result["notes"].append((
            f"评分是连续分数（{n_values} 个不同取值），几乎每个取值自成一类；Fleiss' kappa、Gwet's AC "
            "与百分比一致率按类别计数，在此没有意义，未列出",
            f"scores are continuous ({n_values} distinct values), nearly each its own category; "
            "Fleiss' kappa, Gwet's AC and percent agreement count categories and mean nothing "
            "here, so they are left out"))
    if scale == "nominal":
        result["notes"].append(("名义尺度没有宽严之分，不计算评分人宽严与离群评分",
                                "nominal labels have no severity; rater table not computed"))
        return result
    diagnostics = rater_diagnostics(table)
    try:
        fitted = severity(table)
    except InputError as err:
        result["notes"].append((err.zh, err.en))
        result["raters"] = diagnostics
    else:
        result["raters"] = diagnostics.join(fitted.raters.drop(columns="n_ratings"))
        result["adjusted_scores"] = fitted.adjusted_scores
        result["severity_method"] = fitted.method
    result["outlying_ratings"] = outlying_ratings(table)
    if scale == "ordinal":
        result["notes"].append(("顺序尺度的评分按数值处理，评分人表仅供参考",
                                "ordinal scores are treated as numbers; read the rater table "
                                "as indicative"))
    return result


def _as_json(name: str, result: dict[str, Any]) -> str:
    def table(frame: pd.DataFrame | None, index: str) -> list[dict[str, Any]] | None:
        return None if frame is None else _records(frame.rename_axis(index).reset_index())

    payload = {
        "file": name, "scale": result["scale"], "scale_inferred": result["scale_inferred"],
        "scale_reason": None if result["scale_reason"] is None
        else dict(zip(("zh", "en"), result["scale_reason"], strict=True)),
        "n_items": result["n_items"],
        "n_raters": result["n_raters"], "n_ratings": result["n_ratings"],
        "agreement": _records(result["agreement"]),
        "raters": table(result["raters"], "rater"),
        "adjusted_scores": table(result["adjusted_scores"], "item"),
        "outlying_ratings": None if result["outlying_ratings"] is None
        else _records(result["outlying_ratings"]),
        "severity_method": result["severity_method"],
        "notes": [{"zh": zh, "en": en} for zh, en in result["notes"]],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False)


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.{digits}f}"


def _p(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _print_text(name: str, result: dict[str, Any]) -> None:
    echo = click.echo
    echo(f"评分表 (ratings): {name}  对象 (items) {result['n_items']}  "
         f"评分人 (raters) {result['n_raters']}  评分 (ratings) {result['n_ratings']}  "
         f"尺度 (scale) {result['scale']}")
    if result["scale_reason"] is not None:
        zh, en = result["scale_reason"]
        echo(f"尺度由数据推断 (scale inferred): {result['scale']} — {zh} ({en})；"
             "不对请用 --scale 指定 (set it with --scale)")
    echo("")
    echo("一致性 (agreement)")
    rows, notes = [], []
    for r in result["agreement"].to_dict("records"):
        reading = "—"
        if isinstance(r.get("interpretation_zh"), str):
            reading = f"{r['interpretation_zh']} ({r['interpretation_en']})"
        interval = "—"
        if r.get("ci_low") is not None and pd.notna(r.get("ci_low")):
            interval = f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]"
        rows.append([str(r["coefficient"]), _num(r.get("value")), interval, _p(r.get("p_value")),
                     reading])
        if isinstance(r.get("note_zh"), str):
            notes.append(f"  {r['coefficient']}: {r['note_zh']} ({r['note_en']})")
    for line in text_table(["系数 (coefficient)", "值 (value)", "置信区间 (CI)", "p 值 (p)",
                       "解读 (reading)"], rows):
        echo(line)
    for line in notes:
        echo(line)
    raters = result["raters"]
    if raters is not None:
        echo("")
        echo("评分人 (raters)")
        has_severity = "effect" in raters
        headers = ["评分人 (rater)", "评分数 (n)", "平均偏差 (mean deviation)", "相关 (r)",
                   "去掉后 α (alpha without)", "α 变化 (change)"]
        if has_severity:
            headers += ["宽严效应 (effect)", "标准误 (SE)", "z", "判定 (verdict)"]
        rows = []
        for rater, r in raters.iterrows():
            line = [str(rater), str(int(r["n_ratings"])), _num(r["mean_deviation"], 2),
                    _num(r["correlation"]), _num(r["alpha_without"]),
                    _num(r["alpha_change"])]
            if has_severity:
                line += [_num(r["effect"], 2), _num(r["se"], 2), _num(r["z"], 2),
                         _VERDICT[r["label_en"]]]
            rows.append(line)
        for line in text_table(headers, rows):
            echo(line)
    scores = result["adjusted_scores"]
    if scores is not None:
        echo("")
        echo("对象得分 (item scores): 原始均分 (raw) 与扣除宽严效应后的均分 (adjusted)")
        rows = [[str(item), str(int(r["n_ratings"])), _num(r["raw_mean"], 2),
                 _num(r["adjusted_mean"], 2), _num(r["adjustment"], 2)]
                for item, r in scores.iterrows()]
        for line in text_table(["对象 (item)", "评分数 (n)", "原始 (raw)", "调整后 (adjusted)",
                           "调整量 (adjustment)"], rows):
            echo(line)
    outliers = result["outlying_ratings"]
    if outliers is not None:
        echo("")
        if outliers.empty:
            echo("离群评分 (outlying ratings): 无 (none)")
        else:
            echo("离群评分 (outlying ratings): 需说明理由 (to be justified)")
            rows = [[str(r["item"]), str(r["rater"]), _num(r["rating"], 2),
                     _num(r["others_mean"], 2), _num(r["deviation"], 2), _num(r["z"], 2)]
                    for r in outliers.to_dict("records")]
            for line in text_table(["对象 (item)", "评分人 (rater)", "评分 (rating)",
                               "他人均分 (others' mean)", "偏差 (deviation)", "z"], rows):
                echo(line)
    for zh, en in result["notes"]:
        echo(f"注 (note): {zh} ({en})")


def _split_long(ctx: click.Context, param: click.Parameter,
                value: str | None) -> tuple[str, str, str] | None:
    if value is None:
        return None
    names = [part.strip() for part in value.replace("，", ",").split(",")]
    if len(names) != 3 or not all(names):
        raise click.BadParameter("需要三个列名 ITEM,RATER,SCORE (three column names: "
                                 "ITEM,RATER,SCORE)")
    return names[0], names[1], names[2]


def _register_agreement(group: click.Group) -> None:
    @group.command("agreement")
    @click.argument("ratings_file", type=click.Path(dir_okay=False))
    @click.option("--long", "long_columns", callback=_split_long, metavar="ITEM,RATER,SCORE",
                  help="Long layout: names of the item, rater and score columns.")
    @click.option("--scale", "--level", "scale", default=None, type=click.Choice(list(SCALES)),
                  help="Scale (level) of measurement of the scores. Default: read from the "
                       "ratings (text: nominal; whole numbers from -10 to 10: ordinal; else "
                       "interval) and said so.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    def agreement(ratings_file: str, long_columns: tuple[str, str, str] | None,
                  scale: str | None, as_json: bool) -> None:
        """Agreement between raters and each rater's severity (评分一致性与评分人宽严).

        RATINGS_FILE is .csv (UTF-8 or GBK) or .xlsx: wide (first column the item, one column
        per rater) or long (--long ITEM,RATER,SCORE).
        """
        try:
            table, chosen, guess = _load(ratings_file, long_columns, scale)
            result = _analyse(table, chosen, guess)
        except JixiaoError as err:
            raise JixiaoCliError(err) from err
        name = Path(ratings_file).name
        if as_json:
            click.echo(_as_json(name, result))
        else:
            _print_text(name, result)


def register(group: click.Group) -> None:
    """Add the review commands (``agreement``) to the ``jixiao`` command group.

    Parameters
    ----------
    group : click.Group
        The front door's command group.

    Returns
    -------
    None

    Notes
    -----
    ``jixiao agreement RATINGS.{csv,xlsx} [--long ITEM,RATER,SCORE]
    [--scale interval|ordinal|nominal|ratio] [--json]`` prints the agreement report
    (ICC, Kendall's W, Krippendorff's alpha, Fleiss' kappa, Gwet's AC, percent agreement, as
    fit the scale; without ``--scale`` (alias ``--level``) the scale is inferred and the guess
    printed; on continuous scores the categorical coefficients are left out with a note
    saying why), the rater table (leave-one-out diagnostics and severity from the additive
    model of Searle 1971), severity-adjusted item scores and outlying ratings. Bad files end
    with a bilingual message naming the file, row and column, and exit status 2, as every
    jixiao command does.

    Examples
    --------
    >>> cli = click.Group("jixiao")
    >>> register(cli)
    >>> sorted(cli.commands)
    ['agreement']
    """
    _register_agreement(group)
