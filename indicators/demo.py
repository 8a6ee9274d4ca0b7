"""The demo county: a deterministic, realistic county budget year to try every page on.

``generate_demo_county(seed)`` builds about 30 departments and 13 townships, about 300 projects
across the four budgets with target tables drawn from the shipped sector catalogue, year-end
actuals good enough to grade, spending at the mid-year cut-off and at year end, and next year's
budget requests. The same seed always gives the same county, so the CSV files under
``data/demo/`` can be regenerated and diffed::

    python -m indicators.demo data/demo

The county is fictional ("示范县"); its shape (183 departments in the reference county scaled
down, 13 townships, self-evaluation for projects of 200,000 yuan or more, about 15 key
evaluations) follows DOMAIN.md.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.frameworks import load_builtin
from indicators.model import BudgetType, Direction, Project, Target, TargetTable

__all__ = ["DEMO_FILES", "DemoCounty", "generate_demo_county", "demo_target_tables", "load_demo_county",
           "write_demo_county"]

DEMO_YEAR = 2021

# (department, sector of the catalogue its projects draw targets from, typical project names)
_DEPARTMENTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("县教育局", "教育", ("学前教育保教费补助", "义务教育薄弱环节改善与能力提升", "学生营养改善计划",
                        "普通高中教育发展", "教师队伍建设与培训", "家庭经济困难学生资助")),
    ("县农业农村局", "农业农村与乡村振兴", ("高标准农田建设", "耕地地力保护补贴", "农村人居环境整治",
                                       "动物疫病防控", "现代农业园区建设", "农民专业合作社扶持")),
    ("县乡村振兴局", "农业农村与乡村振兴", ("衔接推进乡村振兴补助", "脱贫人口小额信贷贴息",
                                       "雨露计划职业教育补助", "以工代赈项目")),
    ("县水务局", "农业农村与乡村振兴", ("农村饮水安全巩固提升", "小型水库除险加固", "河道综合治理",
                                    "山洪灾害防治")),
    ("县林业局", "生态环境", ("天然林保护", "森林防火", "退耕还林补助", "国土绿化行动")),
    ("县卫生健康局", "卫生健康", ("基本公共卫生服务", "基层医疗卫生机构能力建设", "重大传染病防控",
                              "计划生育家庭扶助", "妇幼健康服务")),
    ("县医疗保障局", "卫生健康", ("城乡居民医疗救助", "医保信息化建设")),
    ("县疾病预防控制中心", "卫生健康", ("免疫规划", "慢性病综合防控")),
    ("县交通运输局", "交通与基础设施", ("农村公路新改建", "农村公路养护", "客运站场建设",
                                  "公路安全生命防护工程")),
    ("县住房和城乡建设局", "交通与基础设施", ("城镇老旧小区改造", "市政道路维护", "农村危房改造",
                                      "城市污水管网建设")),
    ("县城市管理局", "交通与基础设施", ("城区环卫保洁", "城市照明维护", "园林绿化管护")),
    ("县人力资源和社会保障局", "社会保障与就业", ("就业创业补助", "职业技能提升培训",
                                        "城乡居民基本养老保险补助", "公益性岗位补贴")),
    ("县民政局", "社会保障与就业", ("城乡最低生活保障", "特困人员救助供养", "临时救助",
                              "养老服务体系建设", "困难残疾人生活补贴")),
    ("县退役军人事务局", "社会保障与就业", ("优抚对象抚恤补助", "退役士兵安置")),
    ("县残疾人联合会", "社会保障与就业", ("残疾人康复服务", "残疾人就业扶持")),
    ("市生态环境局开江分局", "生态环境", ("大气污染防治", "水污染防治", "土壤污染防治",
                                  "生态环境监测能力建设")),
    ("县自然资源局", "生态环境", ("地质灾害防治", "土地整治", "国土空间规划编制")),
    ("县文化广播电视和旅游局", "文化旅游体育", ("公共文化场馆免费开放", "农村电影放映",
                                        "文物保护", "全域旅游推广", "全民健身设施建设")),
    ("县图书馆", "文化旅游体育", ("图书馆免费开放", "数字图书馆建设")),
    ("县财政局", "社会保障与就业", ("财政信息化建设", "预算绩效管理第三方服务")),
    ("县发展和改革局", "交通与基础设施", ("重点项目前期工作", "粮食储备")),
    ("县应急管理局", "社会保障与就业", ("应急救援能力建设", "安全生产监管")),
    ("县市场监督管理局", "卫生健康", ("食品安全抽检", "特种设备安全监管")),
    ("县公安局", "社会保障与就业", ("公共安全视频监控建设", "禁毒工作")),
    ("县司法局", "社会保障与就业", ("法律援助", "人民调解")),
    ("县经济和信息化局", "交通与基础设施", ("中小企业发展", "工业园区基础设施")),
    ("县商务局", "农业农村与乡村振兴", ("电子商务进农村", "农产品流通体系建设")),
    ("县科学技术局", "教育", ("科技特派员", "科普宣传")),
    ("县统计局", "社会保障与就业", ("统计调查", "经济普查")),
    ("县妇女联合会", "社会保障与就业", ("妇女儿童关爱服务", "巾帼家政培训")),
)

_TOWNSHIPS: tuple[str, ...] = (
    "东城街道", "西城街道", "新宁镇", "普安镇", "回龙镇", "永兴镇", "讲治镇",
    "长岭镇", "任市镇", "八庙镇", "广福镇", "灵岩镇", "甘棠镇",
)
_TOWNSHIP_PROJECTS: tuple[str, ...] = (
    "村级公益事业一事一议奖补", "乡镇道路维护", "农村人居环境整治", "村级活动场所建设",
    "特色产业扶持",
)

# Which department may use which of the non-general budgets.
_SOCIAL_INSURANCE = {"县人力资源和社会保障局", "县医疗保障局"}
_STATE_CAPITAL = {"县财政局", "县经济和信息化局", "县发展和改革局"}
_FUND = {"县住房和城乡建设局", "县自然资源局", "县城市管理局", "县交通运输局", "县水务局",
         "县农业农村局"}

DEMO_FILES: tuple[str, ...] = (
    "departments.csv", "projects_2021.csv", "targets_2021.csv", "actuals_2021.csv",
    "spending_2021.csv", "requests_2022.csv",
)


@dataclass(frozen=True)
class DemoCounty:
    """The demo county's tables, with Chinese headers as a bureau's exports carry them."""

    departments: pd.DataFrame
    projects: pd.DataFrame
    targets: pd.DataFrame
    actuals: pd.DataFrame
    spending: pd.DataFrame
    requests: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """File name → table, in :data:`DEMO_FILES` order."""
        return dict(zip(DEMO_FILES, (self.departments, self.projects, self.targets,
                                     self.actuals, self.spending, self.requests), strict=True))


def _number(text: str) -> float | None:
    """The first number in a reference value like ``"≥95"`` or ``"100%"``."""
    match = re.search(r"-?\d+(?:\.\d+)?", text or "")
    return float(match.group()) if match else None


def _catalogue_frame() -> pd.DataFrame:
    """The sector catalogue's third-level indicators with their first- and second-level names."""
    catalogue = load_builtin("sector-catalogue")
    rows = []
    for leaf in catalogue.leaves():
        chain = catalogue.path(leaf.code)
        if len(chain) != 3:
            continue
        rows.append({
            "code": leaf.code, "name": leaf.name, "sector": leaf.sector,
            "level1": chain[0].name, "level2": chain[1].name,
            "category": (chain[0].category.value if chain[0].category else ""),
            "direction": leaf.direction.value if leaf.direction else Direction.QUALITATIVE.value,
            "unit": leaf.unit, "reference": _number(leaf.reference_value),
        })
    return pd.DataFrame(rows)


def _target_value(rng: np.random.Generator, unit: str, reference: float | None) -> float:
    # A catalogue value written in words ("按省定标准填列") has no number: draw one instead.
    if reference is not None and np.isfinite(reference):
        return float(reference)
    if unit == "%":
        return float(rng.choice([85, 90, 95, 98, 100]))
    return float(rng.integers(5, 500))


def generate_demo_county(seed: int = DEMO_YEAR) -> DemoCounty:
    """Build the demo county deterministically from ``seed``.

    Parameters
    ----------
    seed
        Seed of the random generator; the default gives the county shipped in ``data/demo``.

    Returns
    -------
    DemoCounty
        Departments, projects, targets, actuals, spending and next year's requests.
    """
    rng = np.random.default_rng(seed)
    catalogue = _catalogue_frame()

    units = [(name, "部门", sector, names) for name, sector, names in _DEPARTMENTS]
    units += [(name, "乡镇", "农业农村与乡村振兴", _TOWNSHIP_PROJECTS) for name in _TOWNSHIPS]
    departments = pd.DataFrame(
        [{"单位编码": f"D{i + 1:03d}", "单位名称": name, "单位类型": kind, "行业": sector}
         for i, (name, kind, sector, _) in enumerate(units)]
    )

    project_rows = []
    for unit_index, (unit, kind, sector, names) in enumerate(units):
        count = int(rng.integers(7, 10)) if kind == "部门" else int(rng.integers(3, 5))
        for k in range(count):
            base = names[k % len(names)]
            batch = k // len(names)
            name = f"{DEMO_YEAR}年{base}" + ("（二期）" if batch == 1 else "（三期）" if batch > 1 else "")
            if kind == "乡镇":
                name = f"{unit}{name}"
            budget = BudgetType.GENERAL
            draw = rng.random()
            if unit in _SOCIAL_INSURANCE and draw < 0.5:
                budget = BudgetType.SOCIAL_INSURANCE
            elif unit in _STATE_CAPITAL and draw < 0.35:
                budget = BudgetType.STATE_CAPITAL
            elif unit in _FUND and draw < 0.35:
                budget = BudgetType.FUND
            amount = float(np.clip(np.round(rng.lognormal(np.log(6.0e5), 1.0), -3), 3.0e4, 3.0e7))
            is_new = bool(rng.random() < 0.2)
            years = 0 if is_new else int(rng.integers(1, 9))
            previous = None if is_new else float(np.round(amount * rng.uniform(0.7, 1.15), -3))
            project_rows.append({
                "项目编码": f"P{DEMO_YEAR}{unit_index + 1:03d}{k + 1:02d}",
                "项目名称": name, "主管部门": unit,
                "预算类型": budget.value, "项目金额(元)": amount, "是否新增": is_new,
                "上年金额(元)": previous, "延续年数": years, "是否重点项目": False,
                "年度": DEMO_YEAR, "乡镇": unit if kind == "乡镇" else "", "行业": sector,
            })
    projects = pd.DataFrame(project_rows)
    # The 15 largest projects of 1,000,000 yuan or more are the year's key evaluations.
    key = projects.loc[projects["项目金额(元)"] >= 1.0e6].nlargest(15, "项目金额(元)").index
    projects.loc[key, "是否重点项目"] = True

    # Each project has a quality of delivery; its indicators scatter around it.
    quality = rng.beta(6.0, 1.6, size=len(projects))
    target_rows, actual_rows = [], []
    # Candidate indicators per (sector, first-level family), as plain records: drawing from
    # lists keeps the generator fast and its random stream independent of pandas internals.
    records = catalogue.to_dict("records")
    pools: dict[tuple[str, str], list[dict]] = {}
    for record in records:
        pools.setdefault((record["sector"], record["category"]), []).append(record)
    fallback = {category: [r for r in records if r["category"] == category]
                for category in ("产出", "效益", "满意度")}
    for p, project in enumerate(projects.to_dict("records")):
        picks = []
        for category, n, total in (("产出", 3, 50.0), ("效益", 2, 30.0), ("满意度", 1, 10.0)):
            candidates = pools.get((project["行业"], category)) or fallback[category]
            chosen = rng.choice(len(candidates), size=min(n, len(candidates)), replace=False)
            # Whole-number weights that add up exactly, as a bureau writes them.
            weights = np.full(len(chosen), total // len(chosen))
            weights[: int(total - weights.sum())] += 1
            picks.extend((candidates[i], w) for i, w in zip(chosen, weights, strict=True))
        for indicator, weight in picks:
            direction = indicator["direction"]
            unit = indicator["unit"]
            target = None if direction == Direction.QUALITATIVE.value else _target_value(
                rng, unit, indicator["reference"])
            target_rows.append({
                "项目编码": project["项目编码"], "一级指标": indicator["level1"],
                "二级指标": indicator["level2"], "三级指标": indicator["name"],
                "指标编码": indicator["code"], "指标方向": direction,
                "指标值": target, "计量单位": unit, "权重": float(weight),
                "指标库版本": "sector-catalogue@1.0.0",
            })
            achievement = float(np.clip(quality[p] + rng.normal(0, 0.08), 0.2, 1.3))
            if direction == Direction.QUALITATIVE.value:
                level = "达成" if achievement >= 0.9 else "部分达成" if achievement >= 0.7 else "未达成"
                actual, text = None, level
            elif direction == Direction.LOWER.value:
                actual, text = round(target * (2.0 - min(achievement, 1.0)), 2), ""
            elif target is not None and "%" in unit:
                actual, text = round(min(100.0, target * achievement), 2), ""
            else:
                actual, text = round(target * achievement, 2), ""
            actual_rows.append({"项目编码": project["项目编码"], "指标编码": indicator["code"],
                                "实际值": actual, "定性结论": text})
    targets = pd.DataFrame(target_rows)
    actuals = pd.DataFrame(actual_rows)

    execution = np.clip(quality * rng.uniform(0.85, 1.1, size=len(projects)), 0.35, 1.0)
    spent_dec = np.round(projects["项目金额(元)"].to_numpy() * execution, 2)
    spent_sep = np.round(spent_dec * rng.uniform(0.4, 0.85, size=len(projects)), 2)
    spending = pd.concat([
        pd.DataFrame({"项目编码": projects["项目编码"], "截至月份": 9, "累计支出(元)": spent_sep}),
        pd.DataFrame({"项目编码": projects["项目编码"], "截至月份": 12, "累计支出(元)": spent_dec}),
    ], ignore_index=True)

    # Next year's requests: continuing projects grow or shrink; some new ones appear.
    growth = rng.choice([0.9, 1.0, 1.05, 1.1, 1.25, 1.6], size=len(projects),
                        p=[0.15, 0.3, 0.2, 0.15, 0.12, 0.08])
    requests = pd.DataFrame({
        "项目编码": projects["项目编码"].str.replace(str(DEMO_YEAR), str(DEMO_YEAR + 1), n=1),
        "项目名称": projects["项目名称"].str.replace(str(DEMO_YEAR), str(DEMO_YEAR + 1), n=1),
        "主管部门": projects["主管部门"], "预算类型": projects["预算类型"],
        "申请金额(元)": np.round(projects["项目金额(元)"].to_numpy() * growth, -3),
        "上年金额(元)": projects["项目金额(元)"], "是否新增": False,
        "延续年数": projects["延续年数"] + 1, "是否重点项目": projects["是否重点项目"],
        "年度": DEMO_YEAR + 1,
    })
    new_count = 25
    owners = rng.choice(len(_DEPARTMENTS), size=new_count)
    new = pd.DataFrame({
        "项目编码": [f"P{DEMO_YEAR + 1}N{i + 1:03d}" for i in range(new_count)],
        "项目名称": [f"{DEMO_YEAR + 1}年{_DEPARTMENTS[o][2][0]}（新增）" for o in owners],
        "主管部门": [_DEPARTMENTS[o][0] for o in owners],
        "预算类型": BudgetType.GENERAL.value,
        "申请金额(元)": np.round(rng.lognormal(np.log(8.0e5), 0.9, size=new_count), -3),
        "上年金额(元)": np.nan, "是否新增": True, "延续年数": 0, "是否重点项目": False,
        "年度": DEMO_YEAR + 1,
    })
    requests = pd.concat([requests, new], ignore_index=True)
    return DemoCounty(departments, projects, targets, actuals, spending, requests)


def write_demo_county(folder: str | Path, seed: int = DEMO_YEAR) -> list[Path]:
    """Write the demo county as UTF-8 CSV files (with BOM, so Excel opens them) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in generate_demo_county(seed).tables().items():
        path = folder / name
        table.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        written.append(path)
    return written


def load_demo_county() -> DemoCounty:
    """Read the shipped demo county from ``data/demo``."""
    from indicators.resources import data_path

    frames = [pd.read_csv(data_path("demo", name), encoding="utf-8-sig",
                          dtype={"项目编码": str, "指标编码": str})
              for name in DEMO_FILES]
    return DemoCounty(*frames)


def demo_target_tables(county: DemoCounty | None = None) -> list[TargetTable]:
    """The demo county's projects with their targets, as values the store can save."""
    county = county or load_demo_county()
    by_project = {code: group for code, group in county.targets.groupby("项目编码", sort=False)}
    tables = []
    for row in county.projects.to_dict("records"):
        project = Project(
            code=row["项目编码"], name=row["项目名称"], department=row["主管部门"],
            budget_type=row["预算类型"], amount=float(row["项目金额(元)"]), year=int(row["年度"]),
            is_new=bool(row["是否新增"]),
            previous_amount=None if pd.isna(row["上年金额(元)"]) else float(row["上年金额(元)"]),
            years_running=int(row["延续年数"]), is_key=bool(row["是否重点项目"]),
            township="" if pd.isna(row["乡镇"]) else str(row["乡镇"]),
        )
        targets = tuple(
            Target(project_code=project.code, indicator_code=t.指标编码, name=t.三级指标,
                   level1=t.一级指标, level2=t.二级指标, direction=t.指标方向,
                   weight=float(t.权重), target_value=None if pd.isna(t.指标值) else float(t.指标值),
                   unit="" if pd.isna(t.计量单位) else str(t.计量单位), library_ref=t.指标库版本)
            for t in by_project.get(project.code, county.targets.iloc[:0]).itertuples(index=False)
        )
        tables.append(TargetTable(project, targets))
    return tables


def _main() -> None:
    parser = argparse.ArgumentParser(description="生成示范县数据 / generate the demo county")
    parser.add_argument("folder", help="输出文件夹 / output folder")
    parser.add_argument("--seed", type=int, default=DEMO_YEAR)
    args = parser.parse_args()
    for path in write_demo_county(args.folder, args.seed):
        print(path)


if __name__ == "__main__":
    _main()
