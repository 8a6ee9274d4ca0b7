"""The 导入导出 page: libraries in and out as Excel, CSV or YAML, and target tables in.

Uploads are read by :mod:`indicators.io`, which takes paths, so the bytes are written under their
own file name in a temporary folder (errors then name the file the user chose). The store is
called only after a file has been read without a single error, and only when the user confirms
the preview: a bad file leaves the database exactly as it was.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from sqlmodel import Session

from indicators.errors import InputError, JixiaoError, NotFoundError
from indicators.frontdoor import PageContext
from indicators.io import read_library, read_target_tables, write_library
from indicators.model import FrameworkKind, LibraryVersion, Status, TargetTable
from indicators.store import get_library, list_libraries, save_library, save_target_tables
from indicators.ui_browse import tree_rows
from indicators.ui_edit import VERSION_KEY
from indicators.ui_frames import tree_frame
from indicators.ui_widgets import (
    flash,
    issues_frame,
    pick_version,
    require_staff,
    select_next,
    show_error,
    show_flash,
)
from indicators.validate import validate_target_table

__all__ = ["EXPORT_FORMATS", "export_bytes", "read_upload", "render"]

T = TypeVar("T")

EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (".csv", "text/csv"),
    "csv-gbk": (".csv", "text/csv"),
    "yaml": (".yaml", "application/yaml"),
}
"""Download formats: file suffix and MIME type. ``csv-gbk`` is CSV in GBK for older Excel."""

_LIBRARY_TYPES = ["xlsx", "xlsm", "csv", "yaml", "yml"]
_TARGET_TYPES = ["xlsx", "xlsm", "csv"]


def read_upload(name: str, data: bytes, reader: Callable[..., T], **options: Any) -> T:
    """Read uploaded bytes with a path-taking reader, under the uploaded file's own name.

    Parameters
    ----------
    name
        The file name as uploaded (its suffix picks the format; errors name it).
    data
        The file's content.
    reader
        :func:`indicators.io.read_library` or :func:`indicators.io.read_target_tables`.
    **options
        Passed on to ``reader``.

    Returns
    -------
    object
        What ``reader`` returns.

    Raises
    ------
    InputError, ValidationError
        As raised by ``reader``.

    Notes
    -----
    Only the last part of the name is used, so a name cannot point outside the temporary folder,
    which is removed with the file as soon as the reader returns.

    Examples
    --------
    >>> from indicators.io import read_library
    >>> try:
    ...     read_upload("坏文件.xlsx", b"not a workbook", read_library)
    ... except InputError as err:
    ...     print(err.location.file)
    坏文件.xlsx
    """
    safe = Path(name.replace("\\", "/")).name or "upload"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / safe
        path.write_bytes(data)
        return reader(path, **options)


def export_bytes(version: LibraryVersion, fmt: str) -> tuple[str, bytes, str]:
    """A library version as a downloadable file: its name, its bytes and its MIME type.

    Parameters
    ----------
    version
        The version to export.
    fmt
        A key of :data:`EXPORT_FORMATS`.

    Returns
    -------
    tuple of (str, bytes, str)
        ``framework_id-version.suffix``, the content written by
        :func:`indicators.io.write_library`, and the MIME type.

    Notes
    -----
    The file is written in a temporary folder and read back, since the writer takes a path;
    reading the bytes with :func:`read_upload` gives back an equal version.

    Examples
    --------
    >>> from indicators.model import Indicator
    >>> lib = LibraryVersion("demo", "1.0.0", "示例", "catalogue",
    ...                      (Indicator("A", "满意度", 1, direction="定性"),))
    >>> name, data, mime = export_bytes(lib, "yaml")
    >>> name, read_upload(name, data, read_library) == lib
    ('demo-1.0.0.yaml', True)
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"未知的导出格式 '{fmt}'", f"unknown export format '{fmt}'", field="format")
    suffix, mime = EXPORT_FORMATS[fmt]
    name = f"{version.framework_id}-{version.version}{suffix}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        write_library(version, path, encoding="gbk" if fmt == "csv-gbk" else None)
        return name, path.read_bytes(), mime


def _meta_inputs(ctx: PageContext) -> dict[str, str]:
    """Version fields typed by the user; a CSV file needs them, other formats may override."""
    with st.expander(ctx.t("indicators.transfer.meta"), expanded=False):
        st.caption(ctx.t("indicators.transfer.meta_help"))
        left, right = st.columns(2)
        meta = {
            "framework_id": left.text_input(ctx.t("indicators.field.framework_id"),
                                            key="indicators.transfer.framework_id"),
            "version": right.text_input(ctx.t("indicators.field.version"),
                                        key="indicators.transfer.version"),
            "title": left.text_input(ctx.t("indicators.field.title"),
                                     key="indicators.transfer.title"),
            "kind": right.selectbox(ctx.t("indicators.field.kind"),
                                    ["", *[k.value for k in FrameworkKind]],
                                    key="indicators.transfer.kind",
                                    format_func=lambda k: ctx.t(f"indicators.kind.{k}") if k
                                    else "—"),
        }
    return {name: value.strip() for name, value in meta.items() if value and value.strip()}


def _import_library(ctx: PageContext) -> None:
    st.caption(ctx.t("indicators.transfer.library_help"))
    upload = st.file_uploader(ctx.t("indicators.transfer.library_file"), type=_LIBRARY_TYPES,
                              key="indicators.transfer.library_file")
    meta = _meta_inputs(ctx)
    if upload is None:
        return
    try:
        version = read_upload(upload.name, upload.getvalue(), read_library, **meta)
    except JixiaoError as err:
        st.error(ctx.t("indicators.transfer.nothing_stored"))
        show_error(ctx, err)
        return
    draft = replace(version, status=Status.DRAFT, published_by=None, published_at=None)
    st.success(ctx.t("indicators.transfer.read_ok", file=upload.name, ref=draft.ref,
                     n=len(draft.indicators)))
    st.dataframe(tree_rows(ctx, tree_frame(draft)), hide_index=True)
    if st.button(ctx.t("indicators.transfer.import_button", ref=draft.ref), type="primary",
                 key="indicators.transfer.import_button"):
        try:
            with Session(ctx.engine) as session:
                save_library(session, version=draft)
        except JixiaoError as err:
            show_error(ctx, err)
        else:
            flash(ctx.t("indicators.transfer.imported", ref=draft.ref))
            select_next(VERSION_KEY, draft.ref)
            st.rerun()


def _export_library(ctx: PageContext) -> None:
    with Session(ctx.engine) as session:
        summaries = list_libraries(session)
        if not summaries:
            st.info(ctx.t("indicators.empty"))
            return
        chosen = pick_version(ctx, summaries, key="indicators.transfer.export_version",
                              label="indicators.pick.version", prefer=Status.PUBLISHED)
        version = get_library(session, ref=chosen.ref)
    fmt = st.radio(ctx.t("indicators.transfer.format"), list(EXPORT_FORMATS), horizontal=True,
                   key="indicators.transfer.format",
                   format_func=lambda f: ctx.t(f"indicators.transfer.format.{f}"))
    name, data, mime = export_bytes(version, fmt)
    st.download_button(ctx.t("indicators.transfer.download", file=name), data=data,
                       file_name=name, mime=mime, key="indicators.transfer.download")


def _project_frame(ctx: PageContext, tables: Sequence[TargetTable]) -> pd.DataFrame:
    columns = ["code", "name", "department", "budget_type", "amount", "year", "is_new",
               "is_key", "township"]
    rows = [{**vars(t.project), "budget_type": t.project.budget_type.value,
             "targets": len(t.targets)} for t in tables]
    frame = pd.DataFrame(rows, columns=[*columns, "targets"])
    return frame.rename(columns={c: ctx.t(f"indicators.project.{c}") for c in frame.columns})


def _target_frame(ctx: PageContext, tables: Sequence[TargetTable]) -> pd.DataFrame:
    columns = ["project_code", "level1", "level2", "name", "indicator_code", "direction",
               "target_value", "target_text", "unit", "weight", "library_ref"]
    rows = [{**vars(t), "direction": t.direction.value} for table in tables
            for t in table.targets]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.rename(columns={c: ctx.t(f"indicators.target.{c}") for c in frame.columns})


def _target_issues(ctx: PageContext, tables: Sequence[TargetTable]) -> tuple[pd.DataFrame, list[str]]:
    """Review issues of every table (not blocking), and library refs that are not stored."""
    refs = sorted({t.library_ref for table in tables for t in table.targets if t.library_ref})
    libraries: dict[str, LibraryVersion] = {}
    missing: list[str] = []
    with Session(ctx.engine) as session:
        for ref in refs:
            try:
                libraries[ref] = get_library(session, ref=ref)
            except NotFoundError:
                missing.append(ref)
    frames = []
    for table in tables:
        used = {t.library_ref for t in table.targets if t.library_ref}
        library = libraries.get(next(iter(used))) if len(used) == 1 else None
        issues = validate_target_table(table, library)
        if issues:
            frame = issues_frame(ctx, issues)
            frame.insert(0, ctx.t("indicators.project.code"), table.project.code)
            frames.append(frame)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), missing


def _import_targets(ctx: PageContext) -> None:
    st.caption(ctx.t("indicators.transfer.targets_help"))
    upload = st.file_uploader(ctx.t("indicators.transfer.targets_file"), type=_TARGET_TYPES,
                              key="indicators.transfer.targets_file")
    if upload is None:
        return
    try:
        tables = read_upload(upload.name, upload.getvalue(), read_target_tables)
    except JixiaoError as err:
        st.error(ctx.t("indicators.transfer.nothing_stored"))
        show_error(ctx, err)
        return
    n_targets = sum(len(t.targets) for t in tables)
    st.success(ctx.t("indicators.transfer.targets_ok", file=upload.name, projects=len(tables),
                     targets=n_targets))
    st.markdown(f"**{ctx.t('indicators.transfer.projects')}**")
    st.dataframe(_project_frame(ctx, tables), hide_index=True)
    st.markdown(f"**{ctx.t('indicators.transfer.targets')}**")
    st.dataframe(_target_frame(ctx, tables), hide_index=True)
    issues, missing = _target_issues(ctx, tables)
    if not issues.empty:
        with st.expander(ctx.t("indicators.transfer.review_issues", n=len(issues))):
            st.caption(ctx.t("indicators.transfer.review_note"))
            st.dataframe(issues, hide_index=True)
    if missing:
        st.error(ctx.t("indicators.transfer.missing_library", refs="、".join(missing)))
    if st.button(ctx.t("indicators.transfer.save_targets", n=len(tables)), type="primary",
                 disabled=bool(missing), key="indicators.transfer.save_targets"):
        try:
            with Session(ctx.engine) as session:
                stored = save_target_tables(session, tables=tables)
        except JixiaoError as err:
            show_error(ctx, err)
        else:
            st.success(ctx.t("indicators.transfer.targets_saved", n=stored))


def render(ctx: PageContext) -> None:
    """Draw the import/export page: import a library as a draft, export any version, import targets.

    Parameters
    ----------
    ctx
        The page context from the front door; the viewer must be finance staff.

    Returns
    -------
    None

    Notes
    -----
    An imported library is stored as a draft whatever status its file records, so it is
    checked and published like any other edit; its version number must be new.

    Examples
    --------
    >>> from indicators.ui import pages
    >>> any(page.render is render for page in pages())
    True
    """
    st.header(ctx.t("indicators.transfer.title"))
    if not require_staff(ctx):
        return
    show_flash()
    library_in, library_out, targets_in = st.tabs([
        ctx.t("indicators.transfer.tab_import"), ctx.t("indicators.transfer.tab_export"),
        ctx.t("indicators.transfer.tab_targets")])
    with library_in:
        _import_library(ctx)
    with library_out:
        _export_library(ctx)
    with targets_in:
        _import_targets(ctx)
