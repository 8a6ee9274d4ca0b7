"""Pages under Streamlit's AppTest, on a database seeded once and copied per test.

Shared by the page tests of :mod:`scoring.ui`, :mod:`scoring.ui_lifecycle` and
:mod:`scoring.ui_dashboard` (and the rendering and table reading by the Delphi and group AHP
page tests), so that seeding, rendering a page and reading its tables back are written once.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators import store
from indicators.database import clear_engine_cache, get_engine, upgrade
from indicators.demo import demo_target_tables
from indicators.frontdoor import Role, Viewer


def seed_database(path: Path) -> Path:
    """Migrate a SQLite file and store the shipped libraries and the demo target tables."""
    clear_engine_cache()
    engine = get_engine(f"sqlite:///{path}")
    upgrade(engine, packages=("indicators", "scoring"))
    with Session(engine) as session:
        store.seed_builtin_libraries(session)
    with Session(engine) as session:
        store.save_target_tables(session, tables=demo_target_tables())
    clear_engine_cache()
    return path


def database_copy(seeded: Path, tmp_path: Path) -> Iterator[str]:
    """A fixture body: the URL of a fresh copy of the seeded file, engines dropped afterwards."""
    copy = tmp_path / "jixiao.sqlite3"
    shutil.copy(seeded, copy)
    yield f"sqlite:///{copy}"
    clear_engine_cache()


def wang(role: str) -> Viewer:
    """王科长, account 1, in the given role: the person the scoring page tests sign in as."""
    return Viewer(1, "wang", "王科长", Role(role))


def _script(url: str, module: str, key: str, viewer: dict, lang: str, demo: bool) -> None:
    # AppTest runs this function's source alone, so everything it needs is imported inside.
    import importlib

    from indicators.database import get_engine
    from indicators.frontdoor import PageContext, Role, Viewer

    person = Viewer(viewer["user_id"], viewer["username"], viewer["display_name"],
                    Role(viewer["role"]))
    ctx = PageContext(get_engine(url), person, lang=lang, demo_mode=demo)
    pages = importlib.import_module(module).pages()
    next(page for page in pages if page.key == key).render(ctx)


def run_page(url: str, module: str, key: str, who: Viewer, *, lang: str = "zh",
             demo: bool = False) -> AppTest:
    """Render the page ``key`` of ``module`` (a module with ``pages()``) signed in as ``who``."""
    viewer = {"user_id": who.user_id, "username": who.username,
              "display_name": who.display_name, "role": who.role.value}
    return AppTest.from_function(_script, args=(url, module, key, viewer, lang, demo),
                                 default_timeout=60).run()


def texts(at: AppTest, kind: str) -> list[str]:
    """The values of every element of one kind (``"error"``, ``"caption"``, …)."""
    return [element.value for element in getattr(at, kind)]


def frame(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table shown that has all these columns (tables carry no key in AppTest)."""
    for element in at.dataframe:
        value = element.value
        value = value.data if hasattr(value, "data") else value
        if set(columns) <= set(value.columns):
            return value
    raise KeyError(columns)
