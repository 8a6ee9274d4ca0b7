"""Typed reading of a settings YAML document, every error naming the file and the dotted field.

:mod:`scoring.lifecycle_config` builds its frozen settings through :class:`SettingsReader`: numbers
with their bounds, whole numbers, texts, word lists, mappings and band tables, each failure an
:class:`~indicators.errors.InputError` that says which value of which file is wrong.
:func:`collect_sources` gathers the ``source`` notes every value carries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from indicators.errors import InputError
from scoring.grades import Band, BandTable

__all__ = ["SettingsReader", "collect_sources", "labels_match"]


class SettingsReader:
    """Typed access to a nested YAML mapping; every error names the file and dotted field.

    Parameters
    ----------
    doc
        The parsed document (a mapping).
    file
        Its name, for errors.

    Raises
    ------
    InputError
        The document is not a mapping; each accessor raises naming the dotted key it read.

    Notes
    -----
    Values are read by dotted key (``"evaluation.department_sample.share"``), so an error says
    exactly which line of the settings a bureau has to fix.

    Examples
    --------
    >>> r = SettingsReader({"a": {"b": 0.3}, "name": "x", "version": "1"}, "x.yaml")
    >>> r.number("a.b", low=0, high=1)
    0.3
    >>> try:
    ...     r.number("a.b", low=0.5)
    ... except InputError as err:
    ...     print(err.location.field)
    a.b
    """

    def __init__(self, doc: Any, file: str) -> None:
        if not isinstance(doc, Mapping):
            raise InputError("参数文件不是一个映射", "the settings file is not a mapping", file=file)
        self.doc = doc
        self.file = file

    def fail(self, key: str, zh: str, en: str) -> InputError:
        # People read the setting's dotted key in the message; programs read it in ``field``.
        return InputError(f"{key}：{zh}", f"{key}: {en}", file=self.file, field=key)

    def get(self, key: str) -> Any:
        node: Any = self.doc
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise self.fail(key, "缺少此项", "this value is missing")
            node = node[part]
        return node

    def number(self, key: str, *, low: float | None = None, high: float | None = None,
               value: Any = None) -> float:
        value = self.get(key) if value is None else value
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise self.fail(key, f"应为数字，而不是 {value!r}", f"expected a number, not {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(key, f"{value!r} 超出范围 [{low}, {high}]",
                            f"{value!r} is outside [{low}, {high}]")
        return float(value)

    def integer(self, key: str, *, low: int | None = None, high: int | None = None) -> int:
        value = self.number(key, low=low, high=high)
        if value != int(value):
            raise self.fail(key, f"应为整数，而不是 {value!r}", f"expected a whole number, not {value!r}")
        return int(value)

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
            raise self.fail(key, "应为非空文字", "expected a non-empty text")
        return " ".join(str(value).split())

    def words(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "应为文字列表", "expected a list of texts")
        return tuple(v.strip() for v in value)

    def mapping(self, key: str) -> Mapping[Any, Any]:
        value = self.get(key)
        if not isinstance(value, Mapping) or not value:
            raise self.fail(key, "应为非空映射", "expected a non-empty mapping")
        return value

    def bands(self, key: str) -> BandTable:
        entries = self.get(key)
        if not isinstance(entries, list) or len(entries) < 2:
            raise self.fail(key, "应为至少两个等级的列表", "expected a list of at least two bands")
        bands = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, Mapping) or not str(entry.get("label", "")).strip():
                raise self.fail(f"{key}[{i}]", "等级缺少 label", "the band lacks a label")
            lower = entry.get("lower")
            if lower is not None and (isinstance(lower, bool) or not isinstance(lower, int | float)):
                raise self.fail(f"{key}[{i}].lower", "下限应为数字", "the lower bound must be a number")
            bands.append(Band(str(entry["label"]).strip(),
                              -math.inf if lower is None else float(lower),
                              bool(entry.get("inclusive", True))))
        try:
            return BandTable(name=f"{self.text('name')}:{key}", version=self.text("version"),
                             bands=tuple(bands), source=self.file)
        except InputError as err:
            raise self.fail(key, err.zh, err.en) from err


def collect_sources(doc: Any, prefix: str = "") -> dict[str, str]:
    """Every ``source`` / ``*_source`` note of a settings document, by dotted key.

    Parameters
    ----------
    doc
        The parsed document.
    prefix
        Dotted prefix of ``doc`` inside the whole document.

    Returns
    -------
    dict
        Dotted key → the note, whitespace collapsed.

    Notes
    -----
    DOMAIN.md: every threshold ships with its source; the notes are listed with every result.

    Examples
    --------
    >>> collect_sources({"source": "A", "x": {"share": 0.3, "share_source": "B  C"}})
    {'source': 'A', 'x.share_source': 'B C'}
    """
    found: dict[str, str] = {}
    if isinstance(doc, Mapping):
        for key, value in doc.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, str) and (key == "source" or str(key).endswith("_source")):
                found[dotted] = " ".join(value.split())
            else:
                found.update(collect_sources(value, f"{dotted}."))
    return found


def labels_match(r: SettingsReader, key: str, keys: Any, labels: tuple[str, ...]) -> None:
    """Refuse a table whose keys are not exactly the grade labels.

    Parameters
    ----------
    r
        The reader (for the file name).
    key
        Dotted key of the table.
    keys
        The table's keys.
    labels
        The grade labels it must list.

    Returns
    -------
    None

    Raises
    ------
    InputError
        A grade missing or one too many.

    Notes
    -----
    So no grade goes without its entry (e.g. a recommendation for every grade).

    Examples
    --------
    >>> labels_match(SettingsReader({}, "x.yaml"), "t", {"优": 1, "差": 0}, ("优", "差"))
    """
    if set(map(str, keys)) != set(labels):
        raise r.fail(key, f"应恰好列出等级 {'、'.join(labels)}",
                     f"must list exactly the grades {', '.join(labels)}")
