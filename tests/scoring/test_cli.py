"""Tests of the ``jixiao ahp`` and ``jixiao score`` commands registered by scoring.cli."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from indicators.errors import InputError
from indicators.model import Project, Target, TargetTable
from scoring.cli import read_pairwise_csv, register
from scoring.pairwise import check_pairwise

# Saaty (2008), Int. J. Services Sciences 1(1), 83-98: drink consumption in the U.S.,
# priorities .177 .019 .042 .116 .190 .129 .327 and C.R. = .022 (with the 2005 RI table).
DRINKS_CSV = """\
,咖啡,葡萄酒,茶,啤酒,汽水,牛奶,水
咖啡,1,9,5,2,1,1,1/2
葡萄酒,1/9,1,1/3,1/9,1/9,1/9,1/9
茶,1/5,3,1,1/3,1/4,1/3,1/9
啤酒,1/2,9,3,1,1/2,1,1/3
汽水,1,9,4,2,1,2,1/2
牛奶,1,9,3,1,1/2,1,1/3
水,2,9,9,3,2,3,1
"""


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("jixiao")
    register(group)
    return group


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "m.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_text_report_of_published_example(cli, tmp_path):
    result = CliRunner().invoke(cli, ["ahp", write(tmp_path, DRINKS_CSV), "--ri", "saaty2005"])
    assert result.exit_code == 0, result.output
    lines: dict[str, str] = {}
    for line in result.output.splitlines():
        if line.strip():
            lines.setdefault(line.split()[0], line)
    assert "0.3268" in lines["水"] and "0.0191" in lines["葡萄酒"]
    assert (
        "CR = 0.0218" in result.output and "通过" in result.output and "saaty2005" in result.output
    )


def test_json_report_and_gbk_file(cli, tmp_path):
    path = write(tmp_path, DRINKS_CSV, encoding="gbk")
    result = CliRunner().invoke(cli, ["ahp", path, "--ri", "saaty2005", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    published = {
        "咖啡": 0.177,
        "葡萄酒": 0.019,
        "茶": 0.042,
        "啤酒": 0.116,
        "汽水": 0.190,
        "牛奶": 0.129,
        "水": 0.327,
    }
    assert report["weights"] == pytest.approx(published, abs=5e-4)
    assert report["acceptable"] is True and report["ri_table"] == "saaty2005"
    assert round(report["cr"], 3) == 0.022


def test_rejected_matrix_lists_judgments_to_revise(cli, tmp_path):
    text = ",A,B,C\nA,1,3,1/3\nB,1/3,1,3\nC,3,1/3,1\n"
    result = CliRunner().invoke(cli, ["ahp", write(tmp_path, text), "--json"])
    report = json.loads(result.output)
    assert report["acceptable"] is False and report["revise"]
    text_out = CliRunner().invoke(cli, ["ahp", write(tmp_path, text)]).output
    assert "未通过" in text_out and "建议优先修改" in text_out
    assert "CR ≥ 0.10" in text_out and "CR < 0.10" not in text_out


def test_missing_judgments_and_geometric_method(cli, tmp_path):
    text = ",产出,效益,满意度\n产出,1,3,\n效益,1/3,1,2\n满意度,,1/2,1\n"
    result = CliRunner().invoke(
        cli, ["ahp", write(tmp_path, text), "--json", "--missing", "lambda_optimal"]
    )
    report = json.loads(result.output)
    assert report["n_missing"] == 1 and report["missing"] == "lambda_optimal"
    # a 3x3 matrix with one gap can be completed consistently: a_13 = 3 * 2 = 6
    assert report["cr"] == pytest.approx(0.0, abs=1e-9)
    assert report["ask_next"][0]["suggested"] == pytest.approx(6.0)
    geo = json.loads(
        CliRunner()
        .invoke(cli, ["ahp", write(tmp_path, text), "--json", "--method", "geometric"])
        .output
    )
    assert geo["method"] == "geometric"


def test_numbers_only_and_upper_triangle_only(tmp_path):
    labels, m = read_pairwise_csv(write(tmp_path, "1,2,4\n,1,2\n,,1\n"))
    assert labels == ["C1", "C2", "C3"]
    np.testing.assert_allclose(m, check_pairwise([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]]))


def test_bad_cell_names_row_and_column(cli, tmp_path):
    path = write(tmp_path, ",A,B\nA,1,three\nB,1/3,1\n")
    with pytest.raises(InputError) as err:
        read_pairwise_csv(path)
    assert (
        err.value.location.row == 2
        and err.value.location.column == "B"
        and err.value.location.file == "m.csv"
    )
    result = CliRunner().invoke(cli, ["ahp", path])
    assert result.exit_code == 2 and "three" in result.output and "第 2 行" in result.output
    assert "row 2" in result.output


def test_structural_errors(tmp_path):
    with pytest.raises(InputError, match="expected 3 rows"):
        read_pairwise_csv(write(tmp_path, ",A,B,C\nA,1,2,3\nB,1/2,1,2\n"))
    with pytest.raises(InputError, match="does not match header"):
        read_pairwise_csv(write(tmp_path, ",A,B\nA,1,2\nX,1/2,1\n"))
    with pytest.raises(InputError) as err:
        read_pairwise_csv(write(tmp_path, ",A,B\nA,1,2\nB,2,1\n"))
    assert "not reciprocal" in err.value.en and err.value.location.row == 2
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81\x30")
    with pytest.raises(InputError, match="expected UTF-8 or GBK") as err:
        read_pairwise_csv(str(tmp_path / "bin.csv"))
    assert (err.value.location.file, err.value.location.row) == ("bin.csv", 1)
    with pytest.raises(InputError, match="empty"):
        read_pairwise_csv(write(tmp_path, "\n\n"))


# --------------------------------------------------------------------------- jixiao score

def demo_frames():
    """The demo county as the scoring adapter's frames: year-end actuals and spending."""
    from indicators.demo import load_demo_county

    county = load_demo_county()
    actuals = county.actuals.rename(columns={"项目编码": "project", "指标编码": "indicator",
                                             "实际值": "actual", "定性结论": "level"})
    year_end = county.spending[county.spending["截至月份"] == 12]
    spending = year_end.rename(columns={"项目编码": "project", "累计支出(元)": "spent"})
    return county, actuals, spending[["project", "spent"]]


@pytest.fixture(scope="module")
def demo_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from indicators.demo import demo_target_tables
    from scoring.io import write_scoring_workbook

    county, actuals, spending = demo_frames()
    path = tmp_path_factory.mktemp("demo") / "示范县2021.xlsx"
    write_scoring_workbook(demo_target_tables(county), path, actuals=actuals, spending=spending)
    return path


@pytest.fixture
def scoring_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from indicators.database import clear_engine_cache

    clear_engine_cache()
    url = f"sqlite:///{tmp_path / 'score.sqlite3'}"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", url)
    group = click.Group("jixiao")
    register(group)

    def invoke(*args: str):
        result = CliRunner().invoke(group, ["score", *map(str, args)])
        assert "Traceback" not in result.output
        return result

    yield invoke, url
    clear_engine_cache()


def row_points(direction: str, target: float, actual: float, weight: float, level) -> float:
    """DOMAIN.md §3 in words, one indicator at a time; 定性 at its band's midpoint."""
    if direction == "定性":
        return {"达成": 0.9, "部分达成": 0.7, "未达成": 0.3}.get(level, 0.0) * weight
    if np.isnan(target) or np.isnan(actual):
        return 0.0
    if direction == "≥":
        return weight if actual >= target else weight * max(actual, 0.0) / target
    if direction == "≤":
        if actual <= target:
            return weight
        return 0.0 if actual >= 2 * target else weight * (1 - (actual - target) / target)
    if target == 0:
        return weight if actual <= 0 else 0.0
    return weight * max(0.0, 1 - abs(actual - target) / abs(target))


def test_score_the_demo_county(scoring_cli, demo_workbook: Path, tmp_path: Path):
    from decimal import ROUND_HALF_UP, Decimal

    invoke, _ = scoring_cli
    out = tmp_path / "结果.xlsx"
    result = invoke(demo_workbook, "--library", "sector-catalogue@1.0.0", "--out", out)
    assert result.exit_code == 0, result.output
    assert "289" in result.output and "sector-catalogue@1.0.0" in result.output
    projects = pd.read_excel(out, sheet_name="项目得分", dtype={"项目编码": str})
    assert len(projects) == 289 and projects["等级"].notna().all()
    counts = projects["等级"].value_counts()
    assert set(counts.index) <= {"优", "良", "中", "差"} and len(counts) >= 3
    assert 55 <= projects["总分"].mean() <= 95
    # An independent reading of the input workbook, scored row by row.
    targets = pd.read_excel(demo_workbook, sheet_name="绩效目标", dtype={"项目编码": str})
    money = pd.read_excel(demo_workbook, sheet_name="预算执行", dtype={"项目编码": str})
    got = projects.set_index("项目编码")
    checked = 0
    for code in projects["项目编码"].iloc[::29]:
        total = 0.0
        for row in targets[targets["项目编码"] == code].itertuples(index=False):
            level = None if pd.isna(row.定性结论) else row.定性结论
            total += row_points(row.指标方向, float(row.指标值), float(row.实际值),
                                float(row.权重), level)
        spent = money.loc[money["项目编码"] == code].iloc[0]
        total += min(10.0, spent["实际支出(元)"] / spent["预算金额(元)"] * 10.0)
        expected = float(Decimal(repr(float(total))).quantize(Decimal("0.01"), ROUND_HALF_UP))
        assert got.loc[code, "总分"] == pytest.approx(expected, abs=1e-9), code
        grade = "优" if expected >= 90 else "良" if expected >= 80 else "中" if expected >= 60 \
            else "差"
        assert got.loc[code, "等级"] == grade
        checked += 1
    assert checked == 10


def test_score_saves_the_run_and_picks_a_year(scoring_cli, demo_workbook: Path, tmp_path: Path):
    from sqlmodel import Session

    from indicators.database import get_engine
    from scoring.store import list_score_runs

    invoke, url = scoring_cli
    out = tmp_path / "r.xlsx"
    result = invoke(demo_workbook, "--library", "sector-catalogue", "--out", out, "--year",
                    "2021", "--bands", "local_80_70_60", "--save", "--by", "王科长")
    assert result.exit_code == 0, result.output
    with Session(get_engine(url)) as session:
        runs = list_score_runs(session, year=2021)
    assert len(runs) == 1 and runs[0].band_table == "local_80_70_60"
    assert runs[0].created_by == "王科长" and runs[0].n_projects == 289
    wrong_year = invoke(demo_workbook, "--library", "sector-catalogue", "--out", out,
                        "--year", "2030")
    assert wrong_year.exit_code == 2 and "2030" in wrong_year.output


def test_score_bad_input_exits_2_in_both_languages(scoring_cli, tmp_path: Path):
    from scoring.io import write_scoring_workbook

    invoke, _ = scoring_cli
    out = tmp_path / "r.xlsx"
    missing = invoke(tmp_path / "none.xlsx", "--library", "national-target", "--out", out)
    assert missing.exit_code == 2
    assert "错误" in missing.output and "Error" in missing.output
    project = Project("P1", "道路养护", "交通运输局", "一般公共预算", 100.0, 2021)
    table = TargetTable(project, (Target("P1", "A", "养护里程", "产出指标", "数量指标", "≥",
                                         90, 100.0),))
    path = tmp_path / "bad.xlsx"
    write_scoring_workbook([table], path, actuals=pd.DataFrame(
        {"project": ["P1"], "indicator": ["A"], "actual": ["很多"]}),
        spending=pd.DataFrame({"project": ["P1"], "spent": [80.0]}))
    bad = invoke(path, "--library", "national-target", "--out", out)
    assert bad.exit_code == 2 and "第 2 行" in bad.output and "row 2" in bad.output
    assert "很多" in bad.output and not out.exists()
    write_scoring_workbook([table], path, actuals=pd.DataFrame(
        {"project": ["P1"], "indicator": ["A"], "actual": [95.0]}),
        spending=pd.DataFrame({"project": ["P1"], "spent": [80.0]}))
    unknown = invoke(path, "--library", "no-such-library@1.0.0", "--out", out)
    assert unknown.exit_code == 2 and "no-such-library" in unknown.output
    bands = invoke(path, "--library", "national-target", "--out", out, "--bands", "nowhere")
    assert bands.exit_code == 2 and "nowhere" in bands.output
    version = invoke(path, "--library", "national-target@9.0.0", "--out", out)
    assert version.exit_code == 2 and "national-target@1.0.0" in version.output
    assert not out.exists()
