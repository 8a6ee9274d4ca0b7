"""What every review page shares: a database session, plain error messages, moving between pages.

Pages never hold a database row: they open a session on the front door's engine, call
:mod:`review.store`, and commit only when the call succeeded. A :class:`JixiaoError` becomes a
message in the reader's language instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from indicators.clock import BUREAU_TIME, format_time
from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext

__all__ = [
    "BUREAU_TIME",
    "DASHBOARD_PAGE",
    "MISSING",
    "SHEET_PAGE",
    "TASKS_PAGE",
    "format_date",
    "format_time",
    "go_to",
    "reading",
    "reading_engine",
    "show_error",
    "show_table",
    "writing",
]

TASKS_PAGE = "review-tasks"
SHEET_PAGE = "review-sheet"
DASHBOARD_PAGE = "review-dashboard"

MISSING = "—"
"""What a page shows for a value that is not there (an unscored item, an undefined statistic)."""



@contextmanager
def reading(ctx: PageContext) -> Iterator[Session]:
    """A session for reads; nothing is committed.

    Parameters
    ----------
    ctx
        The page's context (its engine).

    Returns
    -------
    contextmanager of Session

    Notes
    -----
    The session closes at the end of the block, rolling back anything left open.

    Examples
    --------
    >>> from indicators.database import get_engine, clear_engine_cache
    >>> from indicators.frontdoor import Role, Viewer
    >>> ctx = PageContext(engine=get_engine("sqlite://"),
    ...                   viewer=Viewer(1, "a", "A", Role.ADMIN))
    >>> with reading(ctx) as session:
    ...     session.is_active
    True
    >>> clear_engine_cache()
    """
    with reading_engine(ctx.engine) as session:
        yield session


@contextmanager
def reading_engine(engine: Engine) -> Iterator[Session]:
    """A read session on an engine, for cached computations that outlive one page context.

    Parameters
    ----------
    engine
        The database.

    Returns
    -------
    contextmanager of Session

    Notes
    -----
    Same as :func:`reading`, for code that holds the engine but no page context.

    Examples
    --------
    >>> from indicators.database import get_engine, clear_engine_cache
    >>> with reading_engine(get_engine("sqlite://")) as session:
    ...     session.is_active
    True
    >>> clear_engine_cache()
    """
    with Session(engine) as session:
        yield session


@contextmanager
def writing(ctx: PageContext) -> Iterator[Session]:
    """A session whose changes commit when the block ends without an error.

    Parameters
    ----------
    ctx
        The page's context (its engine).

    Returns
    -------
    contextmanager of Session

    Notes
    -----
    The store functions flush and leave the commit to the caller, so one block is one
    transaction: all of its changes and their audit lines, or none.

    Examples
    --------
    >>> from indicators.database import get_engine, clear_engine_cache
    >>> from indicators.frontdoor import Role, Viewer
    >>> ctx = PageContext(engine=get_engine("sqlite://"),
    ...                   viewer=Viewer(1, "a", "A", Role.ADMIN))
    >>> with writing(ctx) as session:
    ...     session.is_active
    True
    >>> clear_engine_cache()
    """
    with Session(ctx.engine) as session:
        yield session
        session.commit()


def show_error(ctx: PageContext, err: JixiaoError) -> None:
    """Show an error in the reader's language, with the place it refers to.

    Parameters
    ----------
    ctx
        The page's context (its language).
    err
        The error raised by a store or kernel.

    Returns
    -------
    None

    Notes
    -----
    Only errors jixiao raises on purpose come here; anything else is a bug and should show as
    one.

    Examples
    --------
    >>> show_error.__name__
    'show_error'
    """
    st.error(err.message(ctx.lang))


def go_to(page_key: str, **query: str | int) -> None:
    """Switch to another registered page, optionally with query parameters.

    Parameters
    ----------
    page_key
        The page's ``PageSpec.key`` (its URL path).
    **query
        Query parameters for the new page, e.g. ``sheet=12``.

    Returns
    -------
    None
        Streamlit stops this run and starts the other page.

    Notes
    -----
    Streamlit identifies a page by its URL path alone, so a stand-in page with the same path
    reaches the one the front door registered; an unregistered path falls back to the default.

    Examples
    --------
    >>> go_to.__name__
    'go_to'
    """
    target = st.Page(_stand_in, title=page_key, url_path=page_key)
    st.switch_page(target, query_params={k: str(v) for k, v in query.items()} or None)


def _stand_in() -> None:
    """Never run: only its URL path is used by :func:`go_to`."""


def format_date(value: date | None) -> str:
    """A date as ``2021-06-30``, or an em dash when there is none.

    Parameters
    ----------
    value
        The date.

    Returns
    -------
    str

    Notes
    -----
    ISO dates read the same in Chinese and English.

    Examples
    --------
    >>> format_date(date(2021, 6, 30)), format_date(None)
    ('2021-06-30', '—')
    """
    return "—" if value is None else value.isoformat()


def _number(digits: int | None):
    def show(value: object) -> str:
        if value is None or pd.isna(value):
            return MISSING
        if digits is None:
            return f"{float(value):g}"
        return f"{float(value):.{digits}f}"

    return show


def show_table(frame: pd.DataFrame, *, decimals: Mapping[str, int] | None = None,
               **options: object) -> None:
    """Show a table with every missing cell as "—" and numbers as people read them.

    Parameters
    ----------
    frame
        The table, columns already labelled in the reader's language.
    decimals
        Decimal places by column; other number columns show as written (``83``, ``3.5``).
    **options
        Passed on to ``st.dataframe`` (``hide_index``, ``width``, ``column_config``, …).

    Returns
    -------
    None

    Notes
    -----
    The numbers stay numbers underneath (a column still sorts by value); only what is shown
    is formatted, through a pandas ``Styler``, and the grid's placeholder for a missing cell
    is the dash. Left alone, the grid writes "None" in an empty cell, in English, on a
    Chinese page.

    Examples
    --------
    >>> show_table.__name__
    'show_table'
    """
    digits = dict(decimals or {})
    shown = frame if frame.index.is_unique else frame.reset_index(drop=True)
    styler = shown.style.format(na_rep=MISSING)
    for column in shown.columns:
        if column in digits or pd.api.types.is_float_dtype(shown[column]):
            styler = styler.format(_number(digits.get(column)), subset=[column])
    # The grid draws a missing cell itself, ignoring the Styler, so it gets the dash here too.
    st.dataframe(styler, placeholder=MISSING, **options)
