"""Tests of the lifecycle settings loader (scoring/lifecycle_config.py)."""

from __future__ import annotations

import copy
import doctest

import pytest
import yaml

import scoring.lifecycle_config as config_module
from indicators.errors import InputError, NotFoundError
from indicators.resources import data_path, shipped_yaml
from scoring.lifecycle_config import (
    available_lifecycle_configs,
    lifecycle_config_from_dict,
    load_lifecycle_config,
)

DOC = yaml.safe_load(data_path("lifecycle", "kaijiang-2021.yaml").read_text(encoding="utf-8"))


def test_shipped_settings_load_with_the_reference_countys_numbers():
    for name in available_lifecycle_configs():
        config = load_lifecycle_config(name)
        assert config.exante.new_min_amount == 1_000_000
        assert config.exante.growth_share == 0.20
        assert config.exante.growth_amount == 1_000_000
        assert config.exante.key_years_over == 3
        assert config.monitoring.cutoff_month == 9
        assert (config.monitoring.lights.red_below, config.monitoring.lights.green_from) == (60, 80)
        assert config.monitoring.lights.over_achievement == 1.2
        assert dict(config.monitoring.sichuan.checkpoints) == {4: 25, 6: 40, 8: 60, 10: 80}
        assert config.evaluation.self_evaluation_min_amount == 200_000
        assert config.evaluation.key_count == 15
        assert list(config.application.table) == ["优", "良", "中", "差"]
        assert config.departments.framework == "national-department"
        assert 0 < config.departments.project_share < 1
        assert config.departments.veto_cap in config.application.table


def test_every_stage_names_its_source():
    config = load_lifecycle_config("kaijiang-2021")
    stages = {key.split(".")[0] for key in config.sources}
    assert {"exante", "target_review", "monitoring", "evaluation", "department_evaluation",
            "application", "summary"} <= stages
    # The jixiao default share carries its reasoning beside it.
    assert "jixiao 默认" in config.sources["department_evaluation.project_share_source"]
    assert "开江" in config.source or "参照县" in config.sources["exante.source"]


def test_a_path_loads_like_a_name(tmp_path):
    path = tmp_path / "mine.yaml"
    doc = copy.deepcopy(DOC)
    doc["name"] = "mine-2022"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert load_lifecycle_config(path).ref == "mine-2022@1.0.0"


def test_unknown_name_or_file_is_not_found(tmp_path):
    with pytest.raises(NotFoundError):
        load_lifecycle_config("nowhere-1999")
    with pytest.raises(NotFoundError) as err:
        load_lifecycle_config(tmp_path / "absent.yaml")
    assert err.value.location.file == "absent.yaml"


def test_loading_leaves_the_shared_shipped_document_unchanged():
    before = copy.deepcopy(shipped_yaml("lifecycle", "national-2021.yaml"))
    load_lifecycle_config("national-2021").with_monitoring(cutoff_month=3)
    assert shipped_yaml("lifecycle", "national-2021.yaml") == before


@pytest.mark.parametrize("path, value, field", [
    (("exante", "growth_share"), "twenty", "exante.growth_share"),
    (("monitoring", "cutoff_month"), 0, "monitoring.cutoff_month"),
    (("monitoring", "rule_set"), "traffic", "monitoring.rule_set"),
    (("monitoring", "lights", "green_from"), 50, "monitoring.lights.green_from"),
    (("target_review", "error_grade"), "坏", "target_review.error_grade"),
    (("target_review", "findings", "vague_target", "severity"), "fatal",
     "target_review.findings.vague_target.severity"),
    (("application", "recover_grades"), ["劣"], "application.recover_grades"),
    (("evaluation", "department_sample", "share"), 1.5, "evaluation.department_sample.share"),
    (("department_evaluation", "project_share"), 1.5, "department_evaluation.project_share"),
    (("department_evaluation", "project_share"), "三成", "department_evaluation.project_share"),
    (("department_evaluation", "framework"), "no-such-framework",
     "department_evaluation.framework"),
    (("department_evaluation", "framework"), "national-target", "department_evaluation.framework"),
    (("department_evaluation", "bands"), "no-such-bands", "department_evaluation.bands"),
    (("department_evaluation", "veto_cap"), "劣", "department_evaluation.veto_cap"),
    (("department_evaluation", "veto_on_missing"), "yes", "department_evaluation.veto_on_missing"),
])
def test_bad_values_are_refused_naming_the_field(path, value, field):
    doc = copy.deepcopy(DOC)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(InputError) as err:
        lifecycle_config_from_dict(doc, file="x.yaml")
    assert err.value.location.field == field and err.value.location.file == "x.yaml"


def test_the_department_section_is_required():
    doc = copy.deepcopy(DOC)
    del doc["department_evaluation"]
    with pytest.raises(InputError) as err:
        lifecycle_config_from_dict(doc)
    assert err.value.location.field == "department_evaluation.framework"


def test_application_table_must_cover_the_grades():
    doc = copy.deepcopy(DOC)
    del doc["application"]["table"]["差"]
    with pytest.raises(InputError) as err:
        lifecycle_config_from_dict(doc)
    assert err.value.location.field == "application.table"


def test_monitoring_overrides_are_checked():
    config = load_lifecycle_config("national-2021")
    assert config.with_monitoring(rule_set="sichuan").monitoring.rule_set == "sichuan"
    with pytest.raises(InputError):
        config.with_monitoring(cutoff_month=13)


def test_docstring_examples_run():
    assert doctest.testmod(config_module).failed == 0


def test_the_english_title_is_read_and_falls_back_to_the_chinese_one():
    import copy

    from indicators.resources import shipped_yaml
    from scoring.lifecycle_config import lifecycle_config_from_dict

    doc = copy.deepcopy(shipped_yaml("lifecycle", "kaijiang-2021.yaml"))
    assert lifecycle_config_from_dict(doc).title_en.startswith("Kaijiang County")
    del doc["title_en"]
    assert lifecycle_config_from_dict(doc).title_en == doc["title"]


def test_a_bad_setting_is_named_in_the_message_people_read():
    import copy

    from indicators.errors import InputError
    from indicators.resources import shipped_yaml
    from scoring.lifecycle_config import lifecycle_config_from_dict

    doc = copy.deepcopy(shipped_yaml("lifecycle", "national-2021.yaml"))
    doc["monitoring"]["cutoff_month"] = 13
    with pytest.raises(InputError) as err:
        lifecycle_config_from_dict(doc, file="county.yaml")
    assert "monitoring.cutoff_month" in err.value.message("zh")
    assert "monitoring.cutoff_month" in err.value.message("en")
    assert "county.yaml" in err.value.message("en")
