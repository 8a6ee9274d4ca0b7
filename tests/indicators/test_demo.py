"""The demo county is deterministic, matches the shipped files and has the shape DOMAIN.md asks."""

import pandas as pd
import pytest

from indicators.demo import DEMO_FILES, generate_demo_county, load_demo_county, write_demo_county
from indicators.model import BudgetType


@pytest.fixture(scope="module")
def county():
    return generate_demo_county()


def test_shipped_files_are_what_the_script_generates(tmp_path):
    from indicators.resources import data_path

    for path in write_demo_county(tmp_path):
        assert path.read_bytes() == data_path("demo", path.name).read_bytes(), path.name


def test_loading_the_shipped_county_gives_its_tables(county):
    shipped = load_demo_county()
    pd.testing.assert_series_equal(shipped.projects["项目编码"], county.projects["项目编码"])
    assert shipped.targets["权重"].sum() == pytest.approx(county.targets["权重"].sum())


def test_same_seed_same_county_other_seed_other_county():
    a, b, c = generate_demo_county(7), generate_demo_county(7), generate_demo_county(8)
    pd.testing.assert_frame_equal(a.targets, b.targets)
    assert not a.projects["项目金额(元)"].equals(c.projects["项目金额(元)"])


def test_county_shape(county):
    kinds = county.departments["单位类型"].value_counts()
    assert kinds["乡镇"] == 13
    assert 25 <= kinds["部门"] <= 35
    assert 250 <= len(county.projects) <= 350
    assert set(county.projects["预算类型"]) == {b.value for b in BudgetType}
    assert county.projects["是否重点项目"].sum() == 15
    assert county.projects["项目编码"].is_unique
    assert len(DEMO_FILES) == len(county.tables())


def test_every_target_table_sums_to_90_and_has_output_benefit_satisfaction(county):
    sums = county.targets.groupby("项目编码")["权重"].sum()
    assert (sums.round(6) == 90).all()
    level1 = county.targets.groupby("项目编码")["一级指标"].agg(set)
    assert all({"产出指标", "效益指标", "满意度指标"} <= s for s in level1)


def test_actuals_cover_every_target_and_spending_never_exceeds_budget(county):
    keys = ["项目编码", "指标编码"]
    merged = county.targets[keys].merge(county.actuals[keys], how="left", indicator=True)
    assert (merged["_merge"] == "both").all()
    dec = county.spending[county.spending["截至月份"] == 12].set_index("项目编码")["累计支出(元)"]
    sep = county.spending[county.spending["截至月份"] == 9].set_index("项目编码")["累计支出(元)"]
    budget = county.projects.set_index("项目编码")["项目金额(元)"]
    assert (dec <= budget + 0.01).all()
    assert (sep <= dec).all()


def test_requests_include_new_and_continuing_projects(county):
    assert county.requests["是否新增"].sum() == 25
    continuing = county.requests[~county.requests["是否新增"]]
    assert (continuing["上年金额(元)"] > 0).all()


def test_demo_target_tables_carry_every_project_and_target(county):
    from indicators.demo import demo_target_tables

    tables = demo_target_tables(county)
    assert len(tables) == len(county.projects)
    assert sum(len(t.targets) for t in tables) == len(county.targets)
    assert sum(t.project.is_key for t in tables) == 15
    assert all(abs(sum(x.weight for x in t.targets) - 90) < 1e-9 for t in tables)
