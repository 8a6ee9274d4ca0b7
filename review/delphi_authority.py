"""Expert authority for Delphi rounds: Cr = (Ca + Cs)/2 from configurable coefficient tables.

An expert states which bases his ratings rest on (理论分析, 实践经验, 参考国内外文献, 直觉),
each with a large, medium or small influence, and how familiar he is with the subject. A table
(``data/delphi/authority.yaml``, named and sourced, recorded with every result) turns the answers
into the judgment coefficient Ca and the familiarity coefficient Cs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from indicators.errors import InputError
from indicators.resources import shipped_yaml

__all__ = [
    "AuthorityResult",
    "AuthorityTable",
    "authority_coefficients",
    "authority_table",
    "available_authority_tables",
    "canonical_words",
]


@dataclass(frozen=True)
class AuthorityTable:
    """Coefficients for judgment basis (Ca) and familiarity (Cs), with their source.

    Attributes
    ----------
    name, title, source
        Key in ``data/delphi/authority.yaml``, a Chinese title, the reference.
    threshold
        Cr at or above which an expert (or panel) counts as authoritative.
    basis
        Basis (理论分析, 实践经验, …) → degree of influence (大/中/小) → coefficient.
    familiarity
        Familiarity label → coefficient.
    """

    name: str
    title: str
    source: str
    threshold: float
    basis: Mapping[str, Mapping[str, float]]
    familiarity: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "basis", MappingProxyType(
            {k: MappingProxyType(dict(v)) for k, v in self.basis.items()}))
        object.__setattr__(self, "familiarity", MappingProxyType(dict(self.familiarity)))


def _authority_document() -> dict[str, Any]:
    # Read once per process by the shared reader; shared between callers, so never changed here.
    return shipped_yaml("delphi", "authority.yaml")


def available_authority_tables() -> list[str]:
    """Names of the shipped authority tables.

    Returns
    -------
    list of str
        Keys usable with :func:`authority_table`, the default first.

    Notes
    -----
    Tables live in ``data/delphi/authority.yaml``, each with its source.

    Examples
    --------
    >>> available_authority_tables()[0]
    'zeng1994'
    """
    doc = _authority_document()
    return sorted(doc["tables"], key=lambda name: name != doc["default"])


def authority_table(name: str | None = None) -> AuthorityTable:
    """A shipped authority table by name (the default when ``None``).

    Parameters
    ----------
    name
        ``"zeng1994"`` (familiarity 1.0/0.8/0.6/0.4/0.2) or ``"zeng1994_zero_floor"``
        (1.0/0.8/0.5/0.2/0).

    Returns
    -------
    AuthorityTable
        The coefficients and their source.

    Raises
    ------
    InputError
        No table of that name.

    Notes
    -----
    Judgment-basis coefficients as commonly cited to 曾光 (1994, 现代流行病学方法与应用,
    北京医科大学中国协和医科大学联合出版社); see the file for the familiarity variants.

    Examples
    --------
    >>> authority_table().basis["实践经验"]["大"]
    0.5
    """
    doc = _authority_document()
    key = doc["default"] if name is None else name
    if key not in doc["tables"]:
        raise InputError(f"没有名为 {key!r} 的权威系数表，可选：{', '.join(doc['tables'])}",
                         f"no authority table {key!r}; choose one of {', '.join(doc['tables'])}",
                         field="authority")
    spec = doc["tables"][key]
    return AuthorityTable(name=key, title=str(spec["title"]),
                          source=" ".join(str(spec["source"]).split()),
                          threshold=float(spec["threshold"]),
                          basis={str(b): {str(k): float(v) for k, v in levels.items()}
                                 for b, levels in spec["basis"].items()},
                          familiarity={str(k): float(v) for k, v in spec["familiarity"].items()})


def canonical_words(kind: str, names: Any) -> dict[str, str]:
    """How each accepted wording of an answer maps to the name a table uses.

    Parameters
    ----------
    kind
        ``"basis"``, ``"influence"`` or ``"familiarity"``.
    names
        The names the table uses for that kind of answer.

    Returns
    -------
    dict
        Lower-cased wording (the names themselves and their aliases) → name.

    Notes
    -----
    Aliases live beside the tables in ``data/delphi/authority.yaml``, so a study can add the
    wording its questionnaire printed without touching code.

    Examples
    --------
    >>> canonical_words("influence", ["大", "中", "小"])["high"]
    '大'
    """
    found = {str(n).strip().lower(): str(n) for n in names}
    for canonical, others in (_authority_document().get("aliases", {}).get(kind) or {}).items():
        if canonical in found.values():
            found.update({str(o).strip().lower(): canonical for o in others})
    return found


def _coefficients(cells: pd.Series, lookup: Mapping[str, float], words: Mapping[str, str],
                  column: str) -> pd.Series:
    """Coefficients of one column: a wording from the table, a number in [0, 1], or blank."""
    text = cells.map(lambda c: None if pd.isna(c) or str(c).strip() == "" else str(c).strip())
    numbers = pd.to_numeric(text, errors="coerce")
    named = text.str.lower().map(words).map(lookup)
    out = named.where(named.notna(), numbers)
    bad = text.notna() & (out.isna() | (out < 0) | (out > 1))
    if bad.any():
        at = int(np.flatnonzero(bad.to_numpy())[0])
        allowed = "、".join(lookup)
        raise InputError(f"专家 {text.index[at]} 的“{column}”填写为 {text.iloc[at]!r}，"
                         f"应为 {allowed} 之一或 0–1 的系数",
                         f"expert {text.index[at]}: {column} is {text.iloc[at]!r}; expected one "
                         f"of {allowed} or a coefficient from 0 to 1",
                         row=at + 1, column=column, field="authority")
    return out.astype(float)


@dataclass(frozen=True)
class AuthorityResult:
    """Expert authority: each expert's Ca, Cs and Cr and the panel's means.

    Attributes
    ----------
    experts
        Indexed by expert: ``ca``, ``cs``, ``cr`` (NaN where an answer is missing) and
        ``authoritative`` (Cr ≥ threshold).
    ca, cs, cr
        Panel means over the experts with complete answers.
    n_experts
        Experts with complete answers.
    share_authoritative
        Share of those experts whose Cr reaches the threshold.
    threshold, table, source, method
        What was used, in words.
    """

    experts: pd.DataFrame
    ca: float
    cs: float
    cr: float
    n_experts: int
    share_authoritative: float
    threshold: float
    table: str
    source: str
    method: str = ""


def authority_coefficients(basis: pd.DataFrame, familiarity: pd.Series | Mapping[str, Any], *,
                           table: str | AuthorityTable | None = None) -> AuthorityResult:
    """Expert authority Cr = (Ca + Cs)/2 from judgment basis and familiarity answers.

    Parameters
    ----------
    basis
        Experts × judgment bases (理论分析, 实践经验, 参考国内外文献, 直觉, or their aliases),
        each cell the degree of influence (大/中/小, 高/中/低, large/medium/small) or a
        coefficient; blank when unanswered.
    familiarity
        Expert → familiarity (很熟悉 … 很不熟悉, or a coefficient).
    table
        A shipped table's name or an :class:`AuthorityTable`; default ``"zeng1994"``.

    Returns
    -------
    AuthorityResult
        Per-expert and panel coefficients with the table used.

    Raises
    ------
    InputError
        A basis of the table has no column, or an answer is not a known wording.

    Notes
    -----
    Ca = Σ over the four bases of the coefficient of the stated influence; Cs = coefficient of
    the stated familiarity; Cr = (Ca + Cs)/2, an expert (or panel) being taken as
    authoritative when Cr ≥ 0.7 (曾光 1994, 现代流行病学方法与应用, pp. 250-270). Panel values
    are means over experts, which equals Σ M_j W_j / M over the counts M_j of each answer.

    Examples
    --------
    >>> basis = pd.DataFrame({"理论分析": ["大", "中"], "实践经验": ["大", "大"],
    ...                       "参考国内外文献": ["中", "小"], "直觉": ["小", "小"]},
    ...                      index=["张", "王"])
    >>> result = authority_coefficients(basis, {"张": "很熟悉", "王": "熟悉"})
    >>> result.experts["cr"].round(2).to_dict(), round(result.cr, 3)
    ({'张': 1.0, '王': 0.85}, 0.925)
    """
    spec = table if isinstance(table, AuthorityTable) else authority_table(table)
    if not isinstance(basis, pd.DataFrame):
        raise InputError("判断依据必须是表格（行：专家，列：判断依据）",
                         "judgment basis must be a table (experts × bases)", field="basis")
    frame = basis.copy()
    frame.index = frame.index.map(str)
    columns = canonical_words("basis", spec.basis)
    named = {columns.get(str(c).strip().lower()): c for c in frame.columns}
    influence = canonical_words("influence", next(iter(spec.basis.values())))
    parts = []
    for name, levels in spec.basis.items():
        if name not in named:
            raise InputError(f"缺少判断依据“{name}”一列", f"no column for judgment basis {name!r}",
                             column=name, field="basis")
        parts.append(_coefficients(frame[named[name]], levels, influence, str(named[name])))
    answers = pd.concat(parts, axis=1)
    ca = answers.sum(axis=1).where(answers.notna().all(axis=1))
    fam = pd.Series(familiarity, dtype=object)
    fam.index = fam.index.map(str)
    cs = _coefficients(fam.reindex(frame.index.union(fam.index, sort=False)), spec.familiarity,
                       canonical_words("familiarity", spec.familiarity), "熟悉程度")
    experts = pd.DataFrame({"ca": ca.reindex(cs.index), "cs": cs})
    experts["cr"] = (experts["ca"] + experts["cs"]) / 2
    experts["authoritative"] = experts["cr"] >= spec.threshold
    complete = experts["cr"].notna()
    used = experts[complete]
    n = int(complete.sum())
    method = (f"Cr = (Ca + Cs)/2 per expert, panel means over the {n} experts with complete "
              f"answers of {len(experts)}; table {spec.name} ({spec.title})")
    return AuthorityResult(
        experts=experts, ca=float(used["ca"].mean()) if n else float("nan"),
        cs=float(used["cs"].mean()) if n else float("nan"),
        cr=float(used["cr"].mean()) if n else float("nan"), n_experts=n,
        share_authoritative=float(used["authoritative"].mean()) if n else float("nan"),
        threshold=spec.threshold, table=spec.name, source=spec.source, method=method)
