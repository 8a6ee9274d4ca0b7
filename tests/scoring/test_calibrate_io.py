"""Reading points, panel results and weight sets (scoring/calibrate_io.py)."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

import scoring.calibrate_io as io_module
from indicators.errors import InputError
from scoring.calibrate_io import read_panel, read_points, read_weights


def test_points_from_xlsx_and_gbk_csv(tmp_path):
    frame = pd.DataFrame({"项目编号": ["A", "B"], "数量": [0.9, 1.0], "质量": [0.5, 0.75]})
    frame.to_excel(tmp_path / "p.xlsx", index=False)
    (tmp_path / "p.csv").write_bytes(frame.to_csv(index=False).encode("gbk"))
    for name in ("p.xlsx", "p.csv"):
        points = read_points(tmp_path / name)
        assert points.loc["B", "质量"] == 0.75 and list(points.index) == ["A", "B"]


def test_points_refuse_blanks_repeats_and_text(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("项目,数量\nA,0.9\nA,0.8\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_points(path)
    assert (err.value.location.row, err.value.location.column) == (3, "项目")
    path.write_text("项目,数量\nA,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_points(path)
    assert (err.value.location.row, err.value.location.column) == (2, "数量")
    path.write_text("项目,数量,数量\nA,1,1\n", encoding="utf-8")
    with pytest.raises(InputError):
        read_points(path)


def test_panel_scores_win_over_grades(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text("project,grade,score\nA,优,91.5\nB,良,84\n", encoding="utf-8")
    assert read_panel(path).to_dict() == {"A": 91.5, "B": 84.0}
    path.write_text("项目,等级\nA,优\nB,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_panel(path)
    assert err.value.location.row == 3


def test_weights_with_and_without_groups(tmp_path):
    path = tmp_path / "w.xlsx"
    pd.DataFrame({"指标": ["A", "B"], "权重": [60, 40], "一级指标": ["产出", "效益"]}).to_excel(
        path, index=False)
    weights, groups = read_weights(path)
    assert weights.to_dict() == {"A": 60.0, "B": 40.0}
    assert groups.to_dict() == {"A": "产出", "B": "效益"}
    other = tmp_path / "w.csv"
    other.write_text("名称,值\nA,60\n", encoding="utf-8")
    with pytest.raises(InputError, match="weight"):
        read_weights(other)
    with pytest.raises(InputError, match="file not found"):
        read_weights(tmp_path / "none.csv")


def test_an_undecodable_csv_names_its_row(tmp_path):
    # Neither UTF-8 nor GB18030 can read 0x81 0xFF; the byte sits on the file's third line.
    path = tmp_path / "p.csv"
    path.write_bytes(b"project,A\nP1,0.9\nP2,\x81\xff\n")
    with pytest.raises(InputError, match="expected UTF-8 or GBK") as err:
        read_points(path)
    assert (err.value.location.file, err.value.location.row) == ("p.csv", 3)


def test_docstring_examples_run():
    assert doctest.testmod(io_module).failed == 0
