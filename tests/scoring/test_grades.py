"""Tests of scoring.grades: band boundaries, inclusivity, shipped tables, caps.

National bands: 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号) — 90（含）-100 优,
80（含）-90 良, 60（含）-80 中, 60 以下 差 (DOMAIN.md §3).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import InputError, NotFoundError
from scoring.grades import Band, BandTable, available_band_tables, cap_grades, grade, load_bands


@pytest.mark.parametrize(
    ("total", "expected"),
    [(100, "优"), (90, "优"), (89.99, "良"), (80, "良"), (79.99, "中"), (60, "中"),
     (59.99, "差"), (0, "差")],
)
def test_national_boundaries(total: float, expected: str) -> None:
    assert grade(total) == expected


@pytest.mark.parametrize(
    ("total", "expected"), [(90.01, "优"), (90, "良"), (89.99, "良"), (80, "良"), (60, "中")]
)
def test_strict_variant_needs_more_than_90(total: float, expected: str) -> None:
    assert grade(total, "local_strict90") == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [(80, "优"), (79.99, "良"), (70, "良"), (69.99, "中"), (60, "中"), (59.99, "差")],
)
def test_80_70_60_variant(total: float, expected: str) -> None:
    assert grade(total, "local_80_70_60") == expected


def test_inclusivity_switch_on_a_custom_table() -> None:
    def table(inclusive: bool) -> BandTable:
        return BandTable(name="t", version="1", bands=(
            Band("优", 90, inclusive), Band("良", 80, inclusive), Band("差", -math.inf)))

    assert grade([90, 80], table(True)).tolist() == ["优", "良"]
    assert grade([90, 80], table(False)).tolist() == ["良", "差"]


def test_nan_and_none_have_no_grade_not_cha() -> None:
    assert grade(float("nan")) is None
    assert grade(None) is None
    assert grade([95, np.nan, None]).tolist() == ["优", None, None]


def test_series_keeps_its_index_and_arrays_their_shape() -> None:
    s = grade(pd.Series([95.0, 61.0], index=["a", "b"]))
    assert s.to_dict() == {"a": "优", "b": "中"}
    assert grade(np.array([[95, 85], [65, 5]])).tolist() == [["优", "良"], ["中", "差"]]


def test_non_numeric_total_is_an_error() -> None:
    with pytest.raises(InputError):
        grade(["九十"])


@pytest.mark.parametrize("name", ["national", "local_strict90", "local_80_70_60"])
def test_shipped_tables_carry_their_provenance(name: str) -> None:
    table = load_bands(name)
    assert table.name == name
    assert table.version and table.source and table.region
    assert isinstance(table.effective_year, int)
    assert table.labels == ("优", "良", "中", "差")
    assert math.isinf(table.bands[-1].lower)


def test_national_table_names_its_source_document() -> None:
    assert "财预〔2020〕10号" in load_bands("national").source


def test_available_tables_lists_band_tables_only() -> None:
    names = available_band_tables()
    assert {"national", "local_strict90", "local_80_70_60"} <= set(names)
    assert "pefa2016_m2" not in names


def test_unknown_table_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        load_bands("atlantis")


def test_describe() -> None:
    assert load_bands("local_strict90").describe() == "优 > 90; 良 ≥ 80; 中 ≥ 60; 差 < 60"


@pytest.mark.parametrize(
    "bands",
    [(), (Band("优", 80), Band("良", 90)), (Band("优", 90), Band("优", 80)),
     (Band("优", 90), Band("良", 90))],
)
def test_invalid_tables_are_rejected(bands: tuple[Band, ...]) -> None:
    with pytest.raises(InputError):
        BandTable(name="bad", version="0", bands=bands)


def test_cap_grades() -> None:
    got = cap_grades(["优", "良", "中", "差", None], "中")
    assert got.tolist() == ["中", "中", "中", "差", None]
    masked = cap_grades(["优", "优"], "良", where=[True, False])
    assert masked.tolist() == ["良", "优"]


def test_cap_must_be_a_grade_of_the_table() -> None:
    with pytest.raises(InputError):
        cap_grades(["优"], "A")


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-10, max_value=110), st.floats(min_value=-10, max_value=110),
       st.sampled_from(["national", "local_strict90", "local_80_70_60"]))
def test_a_higher_total_never_gets_a_worse_grade(a: float, b: float, name: str) -> None:
    lo, hi = sorted((a, b))
    labels = load_bands(name).labels
    g = grade([lo, hi], name)
    assert labels.index(g[1]) <= labels.index(g[0])


def test_shipped_tables_name_each_grade_in_english():
    for name in ("national", "local_80_70_60", "local_strict90"):
        table = load_bands(name)
        assert [b.label_en for b in table.bands] == ["excellent", "good", "fair", "poor"], name
