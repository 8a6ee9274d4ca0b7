"""Tests of the ``jixiao ahp`` command registered by scoring.cli."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from indicators.errors import InputError
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
    assert result.exit_code != 0 and "three" in result.output and "第 2 行" in result.output


def test_structural_errors(tmp_path):
    with pytest.raises(InputError, match="expected 3 rows"):
        read_pairwise_csv(write(tmp_path, ",A,B,C\nA,1,2,3\nB,1/2,1,2\n"))
    with pytest.raises(InputError, match="does not match header"):
        read_pairwise_csv(write(tmp_path, ",A,B\nA,1,2\nX,1/2,1\n"))
    with pytest.raises(InputError) as err:
        read_pairwise_csv(write(tmp_path, ",A,B\nA,1,2\nB,2,1\n"))
    assert "not reciprocal" in err.value.en and err.value.location.row == 2
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81\x30")
    with pytest.raises(InputError, match="UTF-8"):
        read_pairwise_csv(str(tmp_path / "bin.csv"))
    with pytest.raises(InputError, match="empty"):
        read_pairwise_csv(write(tmp_path, "\n\n"))
