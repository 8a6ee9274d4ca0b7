"""The calibration commands of the ``jixiao`` command line: ``calibrate`` and ``sensitivity``.

``register(group)`` adds both to the front door's click group. Files are ``.xlsx`` (first
sheet) or ``.csv`` (UTF-8 or GBK) with Chinese or English headers, read by
:mod:`scoring.calibrate_io`:

- POINTS: first column the project, then one column per indicator code holding the project's
  achievement share 0–1 (or its points, with ``--as-points``: then the weights are the full
  marks);
- PANEL (``--target``, or ``--panel``): the project column and 总分 / score (0–100) or
  等级 / grade; the file ``jixiao key-results`` writes from closed review rounds is one;
- weights (``--prior``, ``--weights``, ``--new-weights``): 指标 / indicator, 权重 / weight
  and optionally 分组 / group (e.g. the 一级 indicator).

Projects are matched by code: panel projects without points are named and left out, points
without a panel result are counted and left out, and a fit with no more matched projects than
free weights is refused (:mod:`scoring.calibrate_panel`). Problems end with a bilingual message
naming file, sheet, row and column, exit status 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import pandas as pd

from indicators.cli import JixiaoCliError, text_table
from indicators.errors import InputError, JixiaoError
from scoring.calibrate import CalibrationResult, FitMetrics, fit_weights
from scoring.calibrate_io import read_panel, read_points, read_weights
from scoring.calibrate_panel import PanelMatch, match_panel, require_enough_projects
from scoring.grades import available_band_tables
from scoring.sensitivity import monte_carlo, one_at_a_time, what_if

__all__ = ["register"]


def _echo_grid(headers: list[str], rows: list[list[str]]) -> None:
    click.echo("\n".join(text_table(headers, rows)))


def _f(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.{digits}f}"


def _fit_rows(result: CalibrationResult) -> list[tuple[str, FitMetrics | None]]:
    return [("拟合权重 (fitted, in sample)", result.fit),
            (f"拟合权重 ({result.folds} 折交叉验证 / cross-validated)", result.cross_validated),
            ("现行权重 (current)", result.prior_fit)]


def _full_marks(as_points: bool, weights: pd.Series | None) -> pd.Series | None:
    if not as_points:
        return None
    if weights is None:
        raise InputError("--as-points 需要权重文件提供各指标满分",
                         "--as-points needs a weights file for the full marks", field="as_points")
    return weights


def _run(action: Any) -> Any:
    try:
        return action()
    except JixiaoError as err:
        raise JixiaoCliError(err) from err


def _register_calibrate(group: click.Group) -> None:
    @group.command("calibrate")
    @click.argument("points_file", type=click.Path(dir_okay=False))
    @click.option("--target", "--panel", "target_file", required=True,
                  type=click.Path(dir_okay=False),
                  help="Panel's overall score (总分) or grade (等级) per project, e.g. the "
                       "file of `jixiao key-results`.")
    @click.option("--prior", "prior_file", type=click.Path(dir_okay=False), default=None,
                  help="Current weights (指标, 权重[, 分组]).")
    @click.option("--strength", default=0.0, show_default=True, type=click.FloatRange(min=0),
                  help="Ridge pull toward the current weights.")
    @click.option("--per-group", is_flag=True,
                  help="Keep each group's total from --prior (needs its 分组 column).")
    @click.option("--cv", default=5, show_default=True, type=click.IntRange(min=0),
                  help="Folds of cross-validation (0: none).")
    @click.option("--seed", default=0, show_default=True, type=int, help="Seed of the folds.")
    @click.option("--bands", default="national", show_default=True,
                  type=click.Choice(available_band_tables()), help="Grade band table.")
    @click.option("--as-points", is_flag=True,
                  help="POINTS holds points; --prior gives each indicator's full marks.")
    @click.option("--out", type=click.Path(dir_okay=False), default=None,
                  help="Write the fitted weights (指标, 分组, 权重) to this CSV.")
    @click.option("--decimals", default=1, show_default=True, type=click.IntRange(0, 4),
                  help="Decimals of the written weights (group sums kept exact).")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    def calibrate(points_file: str, target_file: str, prior_file: str | None, strength: float,
                  per_group: bool, cv: int, seed: int, bands: str, as_points: bool,
                  out: str | None, decimals: int, as_json: bool) -> None:
        """Fit weights that reproduce a panel's scores or grades (权重校准).

        POINTS: project column, then one column per indicator (achievement 0–1, or points
        with --as-points). PANEL: project and 总分/score or 等级/grade, e.g. the file of
        `jixiao key-results --out FILE`. Projects are matched by code; those on one side only
        are left out and reported.
        """
        def work() -> tuple[CalibrationResult, pd.Series, PanelMatch]:
            points = read_points(points_file)
            target = read_panel(target_file)
            prior, groups = read_weights(prior_file) if prior_file else (None, None)
            if per_group and groups is None:
                raise InputError("--per-group 需要 --prior 文件带“分组”列",
                                 "--per-group needs a 分组 / group column in --prior",
                                 field="per_group")
            match = match_panel(points, target)
            n_groups = 1
            if per_group and groups is not None:
                n_groups = int(groups.reindex(points.columns.map(str)).nunique())
            require_enough_projects(len(match.used), points.shape[1], n_groups=max(1, n_groups),
                                    folds=cv if cv >= 2 else None)
            result = fit_weights(match.points, match.panel, prior=prior, strength=strength,
                                 groups=groups if per_group else None,
                                 cv=cv if cv >= 2 else None, seed=seed, bands=bands,
                                 full_marks=_full_marks(as_points, prior))
            rounded = result.rounded(decimals)
            if out:
                pd.DataFrame({"指标": rounded.index, "分组": result.groups.to_numpy(),
                              "权重": rounded.to_numpy()}).to_csv(out, index=False,
                                                                 encoding="utf-8-sig")
            return result, rounded, match

        result, rounded, match = _run(work)
        if as_json:
            payload = {"weights": rounded.to_dict(), "unrounded": result.weights.to_dict(),
                       "groups": result.groups.to_dict(), "method": result.method,
                       "used": list(match.used), "no_points": list(match.no_points),
                       "no_panel": match.no_panel,
                       "fit": {label: None if m is None else vars(m)
                               for label, m in (("in_sample", result.fit),
                                                ("cross_validated", result.cross_validated),
                                                ("current", result.prior_fit))}}
            click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=float))
            return
        click.echo(f"用于拟合的项目 (projects fitted): {len(match.used)}；"
                   f"无专家组评价未计入 (without a panel result, left out): {match.no_panel}")
        if match.no_points:
            click.echo(f"专家组评价中没有指标数据、未计入的项目 (panel projects without points, "
                       f"left out): {'、'.join(match.no_points)}")
        click.echo("")
        table = result.table()
        _echo_grid(["指标 (indicator)", "分组 (group)", "现行 (current)", "拟合 (fitted)",
                    "变化 (change)"],
                   [[str(code), str(r["group"]), _f(r["prior"], 2), _f(rounded[code], decimals),
                     _f(r["change"], 2)] for code, r in table.iterrows()])
        click.echo("")
        _echo_grid(["权重 (weights)", "R²", "Spearman", "等级一致 (grades)", "RMSE"],
                   [[label, _f(m.r2), _f(m.spearman), f"{m.grade_agreement * 100:.1f}%",
                     _f(m.rmse, 2)] for label, m in _fit_rows(result) if m is not None])
        click.echo("")
        click.echo(f"方法 (method): {result.method}")
        if out:
            click.echo(f"已写出权重 (weights written): {Path(out).name}")


def _register_sensitivity(group: click.Group) -> None:
    @group.command("sensitivity")
    @click.argument("points_file", type=click.Path(dir_okay=False))
    @click.option("--weights", "weights_file", required=True, type=click.Path(dir_okay=False),
                  help="Current weights (指标, 权重).")
    @click.option("--new-weights", "new_file", type=click.Path(dir_okay=False), default=None,
                  help="Proposed weights, for the what-if comparison.")
    @click.option("--draws", default=10_000, show_default=True, type=click.IntRange(min=1),
                  help="Monte-Carlo weight draws.")
    @click.option("--concentration", default=400.0, show_default=True,
                  type=click.FloatRange(min=0, min_open=True),
                  help="Dirichlet concentration (larger = tighter around the weights).")
    @click.option("--delta", default=0.1, show_default=True,
                  type=click.FloatRange(0, 1, min_open=True, max_open=True),
                  help="One-at-a-time relative change of each weight.")
    @click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
    @click.option("--bands", default="national", show_default=True,
                  type=click.Choice(available_band_tables()), help="Grade band table.")
    @click.option("--as-points", is_flag=True,
                  help="POINTS holds points; --weights gives each indicator's full marks.")
    @click.option("--top", default=10, show_default=True, type=click.IntRange(min=1),
                  help="Least robust projects listed.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    def sensitivity(points_file: str, weights_file: str, new_file: str | None, draws: int,
                    concentration: float, delta: float, seed: int, bands: str,
                    as_points: bool, top: int, as_json: bool) -> None:
        """How grades depend on the weights (权重敏感性): tornado, robustness, what-if.

        POINTS: project column, then one column per indicator (achievement 0–1, or points
        with --as-points).
        """
        def work() -> tuple[Any, Any, Any]:
            points = read_points(points_file)
            weights, _ = read_weights(weights_file)
            full = _full_marks(as_points, weights)
            tornado = one_at_a_time(points, weights, delta=delta, bands=bands, full_marks=full)
            robust = monte_carlo(points, weights, draws=draws, concentration=concentration,
                                 seed=seed, bands=bands, full_marks=full)
            change = None
            if new_file:
                change = what_if(points, weights, read_weights(new_file)[0], bands=bands,
                                 full_marks=full)
            return tornado, robust, change

        tornado, robust, change = _run(work)
        p = robust.projects
        if as_json:
            payload = {"one_at_a_time": json.loads(tornado.reset_index().to_json(
                orient="records", force_ascii=False)),
                "monte_carlo": json.loads(p.rename_axis("project").reset_index().to_json(
                    orient="records", force_ascii=False)),
                "method": robust.method,
                "what_if": None if change is None else {
                    "transitions": change.transitions.to_dict(), "n_up": change.n_up,
                    "n_down": change.n_down}}
            click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        click.echo(f"单因素 ±{delta * 100:g}% (one at a time): 等级变化的项目数 (grade flips)")
        _echo_grid(["指标 (indicator)", "权重 (weight)", f"+{delta * 100:g}%",
                    f"-{delta * 100:g}%", "合计 (total)", "最大分差 (max change)"],
                   [[str(code), _f(r["weight"], 2), str(int(r["flips_up"])),
                     str(int(r["flips_down"])), str(int(r["flips"])), _f(r["max_change"], 2)]
                    for code, r in tornado.iterrows()])
        click.echo("")
        click.echo(f"蒙特卡罗 (Monte Carlo): {robust.method}")
        click.echo(f"  保持等级概率 ≥ 95% 的项目 (projects keeping their grade with p ≥ 0.95): "
                   f"{(p['p_keep'] >= 0.95).sum()}/{len(p)}")
        weakest = p.sort_values("p_keep", kind="stable").head(top)
        _echo_grid(["项目 (project)", "总分 (total)", "等级 (grade)", "保持 (keep)",
                    "升 (up)", "降 (down)"],
                   [[str(idx), _f(r["total"], 2), str(r["grade"]), _f(r["p_keep"]),
                     _f(r["p_up"]), _f(r["p_down"])] for idx, r in weakest.iterrows()])
        if change is not None:
            click.echo("")
            click.echo(f"假设新权重 (what-if): 升级 (up) {change.n_up}，降级 (down) {change.n_down}")
            t = change.transitions
            _echo_grid(["原等级 → 新等级", *map(str, t.columns)],
                       [[str(g), *(str(int(v)) for v in row)] for g, row in
                        zip(t.index, t.to_numpy(), strict=True)])


def register(group: click.Group) -> None:
    """Add ``calibrate`` and ``sensitivity`` to the ``jixiao`` command group.

    Parameters
    ----------
    group : click.Group
        The front door's command group.

    Returns
    -------
    None

    Notes
    -----
    ``jixiao calibrate POINTS --target PANEL [--prior W] [--strength S] [--per-group]
    [--out W_NEW.csv]`` runs :func:`scoring.calibrate.fit_weights` on the projects POINTS and
    PANEL share (``--panel`` is ``--target``; ``jixiao key-results --year Y --out PANEL``
    writes one from the year's closed review rounds);
    ``jixiao sensitivity POINTS --weights W [--new-weights W2] [--draws N]`` runs
    :func:`scoring.sensitivity.one_at_a_time`, :func:`scoring.sensitivity.monte_carlo` and,
    with new weights, :func:`scoring.sensitivity.what_if`. Bad files exit with status 2.

    Examples
    --------
    >>> cli = click.Group("jixiao")
    >>> register(cli)
    >>> sorted(cli.commands)
    ['calibrate', 'sensitivity']
    """
    _register_calibrate(group)
    _register_sensitivity(group)
