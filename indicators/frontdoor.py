"""What a page receives from the front door: the engine, the signed-in person, the language.

Each package's ``ui.py`` exposes ``pages() -> list[PageSpec]``; ``app_streamlit.py`` signs the
person in, keeps only the pages their role may use (the others are never registered, so they
cannot be reached by URL) and calls a page's ``render`` with a :class:`PageContext`. Nothing here
imports streamlit, so the same values serve tests and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from indicators.i18n import t

__all__ = ["PageContext", "PageSpec", "Role", "Viewer", "YearFeed", "ALL_ROLES", "STAFF_ROLES"]


class Role(StrEnum):
    """The four roles of DOMAIN/JOURNEYS; values are stored in the database."""

    ADMIN = "admin"
    FINANCE = "finance"
    EXPERT = "expert"
    DEPUTY = "deputy"

    def label(self, lang: str = "zh") -> str:
        """The role's name in ``lang``, from the message catalogue (``role.<value>``)."""
        return t(f"role.{self.value}", lang)


ALL_ROLES: frozenset[Role] = frozenset(Role)
STAFF_ROLES: frozenset[Role] = frozenset({Role.ADMIN, Role.FINANCE})


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as pages see them (never the password hash)."""

    user_id: int
    username: str
    display_name: str
    role: Role
    department: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass(frozen=True)
class YearFeed:
    """Results of a budget year that a higher floor hands down to a lower floor's pages.

    A lower floor may not import a higher one (``scoring`` never imports ``review``), so the
    front door, which sees every floor, passes the higher floor's results down as two callables.

    Attributes
    ----------
    version
        Budget year → a value that changes whenever the results of that year change, cheap to
        compute, so a page can keep what it computed until then.
    load
        Budget year → the results (for key evaluations: a DataFrame with ``project`` and
        ``total`` and, where known, ``grade``).

    Examples
    --------
    >>> feed = YearFeed(version=lambda year: (year, 0), load=lambda year: None)
    >>> feed.version(2021), feed.load(2021)
    ((2021, 0), None)
    """

    version: Callable[[int], Any]
    load: Callable[[int], Any]


@dataclass(frozen=True)
class PageContext:
    """Everything a page needs from the front door.

    ``key_results`` carries the key-evaluation results of closed review rounds down to the
    lifecycle pages of ``scoring`` (None when the front door has none to give).
    """

    engine: Any
    viewer: Viewer
    lang: str = "zh"
    demo_mode: bool = False
    key_results: YearFeed | None = None

    def t(self, key: str, **values: object) -> str:
        """A label in the page's language."""
        return t(key, self.lang, **values)


@dataclass(frozen=True)
class PageSpec:
    """One page a package offers.

    ``key`` is unique and becomes the URL path; ``section`` and ``title`` are message keys;
    ``roles`` are the roles that may see it at all.
    """

    key: str
    section: str
    title: str
    render: Callable[[PageContext], None]
    roles: frozenset[Role]
    icon: str | None = None
    default: bool = False
