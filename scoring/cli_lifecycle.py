"""The budget-lifecycle commands of the ``jixiao`` command line: ``year run`` and ``exante check``.

``register(group)`` adds two command groups to the front door's click group:

* ``jixiao year run --year 2021 --out SUMMARY.xlsx`` runs the whole closed loop on the demo
  county (on a folder of the county's own tables with ``--data``, or on what the database
  holds, decisions included, with ``--stored``) and writes the summary workbook, printing the
  year's summary in the reference report's words; ``--key-results FILE`` adds the
  key-evaluation scores (as ``jixiao key-results`` writes them);
* ``jixiao exante check REQUESTS.csv`` lists the budget requests that need an ex-ante
  assessment, each with the rule that caught it.

A file that cannot be imported is reported with its row and column, in Chinese and English,
with exit code 2, and nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click
import numpy as np
import pandas as pd

from indicators.cli import CliState, JixiaoCliError, text_table
from indicators.errors import InputError, JixiaoError
from scoring.exante import exante_triggers
from scoring.lifecycle_config import (
    LifecycleConfig,
    available_lifecycle_configs,
    load_lifecycle_config,
)
from scoring.lifecycle_demo import demo_county_year
from scoring.lifecycle_io import read_table, write_sheets
from scoring.year import CountyYear, run_year
from scoring.year_summary import workbook_sheets

__all__ = ["register", "read_county_year"]

_DEMO_YEAR = 2021


def _config(name: str, month: int | None, rules: str | None) -> LifecycleConfig:
    config = load_lifecycle_config(name)
    if month is not None or rules is not None:
        config = config.with_monitoring(cutoff_month=month, rule_set=rules)
    return config


def _find(folder: Path, stem: str, *, required: bool) -> Path | None:
    for suffix in (".xlsx", ".csv"):
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    if required:
        raise InputError(f"文件夹中缺少 {stem}.csv 或 {stem}.xlsx",
                         f"the folder lacks {stem}.csv or {stem}.xlsx", file=folder.name)
    return None


def read_county_year(folder: str | Path, year: int) -> CountyYear:
    """Read a county's tables for ``year`` from a folder laid out like ``data/demo``.

    Parameters
    ----------
    folder
        Holds ``projects_<year>``, ``targets_<year>``, ``actuals_<year>``, ``spending_<year>``
        and ``requests_<year + 1>`` (``.csv`` or ``.xlsx``), and optionally
        ``exante_<year + 1>`` (assessment sheets) and ``progress_<year>`` (target progress at
        the cut-off).
    year
        The budget year.

    Returns
    -------
    CountyYear
        The tables with the kernels' English columns.

    Raises
    ------
    ValidationError
        A file with bad cells (every problem with its row and column).
    InputError
        A required file is missing.

    Notes
    -----
    Each file is read whole and checked before anything runs (:func:`scoring.lifecycle_io.read_table`).

    Examples
    --------
    >>> from indicators.resources import data_path
    >>> data = read_county_year(data_path("demo"), 2021)
    >>> len(data.projects), data.exante_sheets is None
    (289, True)
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("数据文件夹不存在", "the data folder does not exist", file=folder.name)
    tables = {}
    for kind, stem, required in (("projects", f"projects_{year}", True),
                                 ("targets", f"targets_{year}", True),
                                 ("actuals", f"actuals_{year}", True),
                                 ("spending", f"spending_{year}", True),
                                 ("requests", f"requests_{year + 1}", True),
                                 ("exante_sheets", f"exante_{year + 1}", False),
                                 ("progress", f"progress_{year}", False)):
        path = _find(folder, stem, required=required)
        tables[kind] = None if path is None else read_table(path, kind).reset_index(drop=True)
    return CountyYear(year=year, **tables)


def _key_results(path: str) -> pd.DataFrame:
    # A blank 评价等级 is graded by the settings' bands in run_year (scoring.year.key_grades).
    return read_table(path, "key_results").reset_index(drop=True)


def _stored_year(year: int, config: LifecycleConfig, fill_demo: bool) -> CountyYear:
    """The year as the app sees it: stored tables and the decisions in force."""
    from sqlmodel import Session

    from scoring.county_year_store import load_county_year

    state = click.get_current_context().find_object(CliState)
    engine = state.engine if state is not None else CliState().engine
    with Session(engine) as session:
        data, _ = load_county_year(session, year=year, config=config, demo=fill_demo)
    return data


def _run(group: click.Group) -> None:
    @group.command("run")
    @click.option("--year", "year", type=int, required=True, help="预算年度 / budget year")
    @click.option("--out", "out", type=click.Path(dir_okay=False), required=True,
                  help="年度小结工作簿 (.xlsx) / summary workbook to write")
    @click.option("--config", "config_name", default="kaijiang-2021", show_default=True,
                  help=f"全过程参数名称或 YAML 文件 / settings name or YAML file "
                       f"({', '.join(available_lifecycle_configs())})")
    @click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
                  help="县级数据文件夹（默认用示范县）/ folder of county tables (default: demo)")
    @click.option("--month", type=click.IntRange(1, 12), default=None,
                  help="监控时点月份 / cut-off month (default: the settings')")
    @click.option("--rules", type=click.Choice(["lights", "sichuan"]), default=None,
                  help="监控规则 / monitoring rule set (default: the settings')")
    @click.option("--key-results", "key_file", type=click.Path(dir_okay=False), default=None,
                  help="重点评价结果表（项目编码、评价得分，可含评价等级）/ key-evaluation results "
                       "(CSV or .xlsx), e.g. written by `jixiao key-results`")
    @click.option("--stored", is_flag=True,
                  help="从数据库读取本年度：已保存的项目与目标、导入的表和现行决定 / read the year "
                       "from the database: stored projects and targets, imported tables and the "
                       "decisions in force (as the app's 县级总览 does)")
    @click.option("--fill-demo", is_flag=True,
                  help="与 --stored 同用：缺少的表用示范县补齐（仅示范年度）/ with --stored: fill "
                       "tables nothing was imported for from the demo county (demo year only)")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出主要数字 / numbers as JSON")
    def run(year: int, out: str, config_name: str, data_dir: str | None, month: int | None,
            rules: str | None, key_file: str | None, stored: bool, fill_demo: bool,
            as_json: bool) -> None:
        """运行一个预算年度的全过程绩效管理并写出年度小结。

        Run one budget year's closed loop (ex-ante, target review, monitoring, self-evaluation,
        result application, disclosure) and write the summary workbook. With --key-results,
        a key-evaluation grade replaces the project's self-evaluation grade in result
        application and the key evaluations are disclosed.
        """
        try:
            config = _config(config_name, month, rules)
            if stored and data_dir is not None:
                raise InputError("--stored 与 --data 只能选一个", "give --stored or --data, not both",
                                 field="stored")
            if fill_demo and not stored:
                raise InputError("--fill-demo 需与 --stored 同用", "--fill-demo goes with --stored",
                                 field="fill_demo")
            if stored:
                data = _stored_year(year, config, fill_demo)
            elif data_dir is None:
                if year != _DEMO_YEAR:
                    raise InputError(f"示范县只有 {_DEMO_YEAR} 年的数据；其他年度请用 --data 指定数据文件夹",
                                     f"the demo county has only {_DEMO_YEAR}; give --data for other "
                                     "years", field="year")
                data = demo_county_year(config)
            else:
                data = read_county_year(data_dir, year)
            if key_file is not None:
                data = replace(data, key_results=_key_results(key_file))
            result = run_year(data, config)
            path = write_sheets(out, workbook_sheets(result, config),
                                title=f"{year} 年度预算绩效管理小结")
        except JixiaoError as err:
            raise JixiaoCliError(err) from err
        if as_json:
            numbers = {k: (v.item() if isinstance(v, np.generic) else v)
                       for k, v in result.summary.items()}
            click.echo(json.dumps({"summary_zh": result.text_zh, "summary_en": result.text_en,
                                   "numbers": numbers, "workbook": str(path)},
                                  ensure_ascii=False, indent=2))
            return
        click.echo(result.text_zh)
        click.echo()
        click.echo(result.text_en)
        click.echo()
        click.echo(f"已写出 written: {path}（参数 settings: {result.config}）")


def _check(group: click.Group) -> None:
    @group.command("check")
    @click.argument("requests_file", type=click.Path(dir_okay=False))
    @click.option("--config", "config_name", default="kaijiang-2021", show_default=True,
                  help="全过程参数名称或 YAML 文件 / settings name or YAML file")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON")
    def check(requests_file: str, config_name: str, as_json: bool) -> None:
        """列出需要开展事前绩效评估的预算申请及触发规则。

        List the budget requests that need an ex-ante assessment, each with the rule that caught
        it. REQUESTS_FILE is a CSV (UTF-8 or GBK) or .xlsx file with the columns 项目编码,
        申请金额(元), 上年金额(元), 是否新增, 延续年数 and optionally 项目名称, 主管部门, 是否重点项目.
        """
        try:
            config = load_lifecycle_config(config_name)
            requests = read_table(requests_file, "requests")
            triggers = exante_triggers(requests, config)
        except JixiaoError as err:
            raise JixiaoCliError(err) from err
        table = triggers.table
        hit = table.loc[table["triggered"].to_numpy()]
        if as_json:
            click.echo(json.dumps({
                "config": triggers.config, "n_requests": len(table), "n_triggered": len(hit),
                "projects": [{"row": int(row), "project": r.project, "name": r.name,
                              "amount": float(r.amount),
                              "previous_amount": None if np.isnan(r.previous_amount)
                              else float(r.previous_amount),
                              "rules": r.rules, "rules_en": r.rules_en}
                             for row, r in zip(requests.index[table["triggered"].to_numpy()],
                                               hit.itertuples(), strict=True)],
            }, ensure_ascii=False, indent=2))
            return
        rows = [[r.project, r.name, f"{r.amount:,.0f}",
                 "" if np.isnan(r.previous_amount) else f"{r.previous_amount:,.0f}", r.rules]
                for r in hit.itertuples()]
        if rows:
            click.echo("\n".join(text_table(
                ["项目编码", "项目名称", "申请金额(元)", "上年金额(元)", "触发规则"], rows, rule=True)))
        click.echo(f"需事前评估 {len(hit)} 个 / {len(table)} 个申请；"
                   f"{len(hit)} of {len(table)} requests need an ex-ante assessment "
                   f"(settings {triggers.config})")


def register(group: click.Group) -> None:
    """Add the lifecycle command groups (``year``, ``exante``) to the ``jixiao`` command group.

    Parameters
    ----------
    group : click.Group
        The front door's command group.

    Returns
    -------
    None

    Notes
    -----
    ``jixiao year run --year 2021 --out SUMMARY.xlsx [--config NAME] [--data FOLDER]
    [--month M] [--rules lights|sichuan] [--key-results FILE] [--json]`` and ``jixiao exante check
    REQUESTS.{csv,xlsx} [--config NAME] [--json]``. Import and settings errors exit with code 2
    and name the file, row and column.

    Examples
    --------
    >>> cli = click.Group("jixiao")
    >>> register(cli)
    >>> sorted(cli.commands), sorted(cli.commands["year"].commands)
    (['exante', 'year'], ['run'])
    """
    year = click.Group("year", help="预算年度全过程 / a budget year's closed loop")
    exante = click.Group("exante", help="事前绩效评估 / ex-ante assessment")
    _run(year)
    _check(exante)
    group.add_command(year)
    group.add_command(exante)
