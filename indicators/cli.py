"""The library and database commands of the ``jixiao`` command line.

``register(group)`` adds two groups to the front door's click group: ``library`` (list, show,
diff, validate, import, export, draft, publish, retire, delete) and ``db`` (upgrade, current,
from :mod:`indicators.cli_db`).
Each top-level command is added by its own ``_register_<name>`` function, so further commands
of this package are added beside them without touching them. (``jixiao demo`` needs the review
floor, so it lives in :mod:`review.cli_demo`.)

Commands find the database through :class:`CliState` in ``ctx.obj``: the front door puts one
there with the ``--database-url`` it was given; without a front door (tests, another group)
a state reading ``JIXIAO_DATABASE_URL`` is made on demand. The engine is opened, and the schema
brought up to date, only when a command first needs it. Labels are Chinese followed by English;
a :class:`~indicators.errors.JixiaoError` ends the command with exit code 2 and its message in
both languages, never a traceback.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from indicators.errors import JixiaoError, ValidationError
from indicators.model import FrameworkKind, Indicator, LibraryVersion, Status

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

# The database, file and validation modules (sqlalchemy, pandas) are imported inside the
# commands that use them, so that `jixiao --help` and every other package's commands, which
# import this module for CliState, start without them.

__all__ = ["CliState", "JixiaoCliError", "ReportingGroup", "display_width", "register",
           "text_table"]

_STATUS_LABEL = {Status.DRAFT: "草稿 draft", Status.PUBLISHED: "已发布 published",
                 Status.RETIRED: "已停用 retired"}


class CliState:
    """What commands share through ``ctx.obj``: the database URL and, once needed, its engine.

    Parameters
    ----------
    database_url
        A SQLAlchemy URL; ``None`` reads ``JIXIAO_DATABASE_URL`` (see
        :func:`indicators.database.database_url`).
    """

    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url
        self._engine: Engine | None = None
        self._seeded = False

    @property
    def raw_engine(self) -> Engine:
        """The engine without touching the schema (for ``db current`` and ``db upgrade``)."""
        from indicators.database import get_engine

        return get_engine(self.database_url)

    @property
    def engine(self) -> Engine:
        """The engine, its schema upgraded to every branch head on first use."""
        if self._engine is None:
            from indicators.database import ensure_schema

            engine = self.raw_engine
            ensure_schema(engine)
            self._engine = engine
        return self._engine

    def library_session(self) -> Session:
        """A session on a database holding every built-in framework (stored on first use).

        Returns
        -------
        sqlmodel.Session
            A new session; the caller closes it (``with state.library_session() as s:``).

        Notes
        -----
        The shipped frameworks are stored on this state's first call (storing skips what is
        already there), so every library command finds them without a separate set-up step.

        Examples
        --------
        >>> state = CliState("sqlite://")
        >>> with state.library_session() as session:
        ...     session.is_active
        True
        """
        from sqlmodel import Session

        from indicators import store

        if not self._seeded:
            with Session(self.engine) as session:
                store.seed_builtin_libraries(session)
            self._seeded = True
        return Session(self.engine)


class JixiaoCliError(click.ClickException):
    """A jixiao error as the command line shows it: both languages, exit code 2, no traceback."""

    exit_code = 2

    def __init__(self, error: JixiaoError) -> None:
        super().__init__(error.message())
        self.error = error

    def show(self, file: Any = None) -> None:
        error = self.error
        lines = [f"错误：{error.message('zh')}", f"Error: {error.message('en')}"]
        if isinstance(error, ValidationError):
            n = len(error.issues)
            # Only what a person can find (file, sheet, row, column); see indicators.errors.
            where = f"{error.location.zh()} / {error.location.en()}: " if error.location.zh() else ""
            lines = [f"错误 Error: {where}发现 {n} 个问题 / {n} problem(s) found"]
            lines += [f"  - {issue.message()}" for issue in error.issues]
        click.echo("\n".join(lines), err=True, file=file)


class _SystemCliError(click.ClickException):
    """A database or file-system failure, reported in both languages with exit code 1."""

    def __init__(self, zh: str, en: str, detail: str) -> None:
        super().__init__(f"{zh}：{detail}\n{en}: {detail}")

    def show(self, file: Any = None) -> None:
        click.echo(f"错误 Error: {self.message}", err=True, file=file)


class ReportingGroup(click.Group):
    """A click group whose commands report jixiao, database and file errors without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except JixiaoError as exc:
            raise JixiaoCliError(exc) from exc
        except BrokenPipeError:
            # The reader went away (`jixiao … | head`): click's main ends quietly on that.
            raise
        except OSError as exc:
            raise _SystemCliError("文件错误", "file error", str(exc)) from exc
        except Exception as exc:
            # A database error can only come from a loaded sqlalchemy; not importing it here
            # keeps the front door's start quick.
            sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
            if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError):
                raise _SystemCliError("数据库错误", "database error",
                                      str(getattr(exc, "orig", None) or exc)) from exc
            raise


def _state(ctx: click.Context) -> CliState:
    return ctx.ensure_object(CliState)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def display_width(text: str) -> int:
    """How many terminal columns a text takes.

    Parameters
    ----------
    text
        The text to print.

    Returns
    -------
    int
        Its width: two columns for each wide or full-width character, one for the others.

    Notes
    -----
    East Asian Width property W and F (Unicode Standard Annex #11): Chinese characters and
    full-width punctuation fill two cells of a terminal, so padding by ``len`` misaligns them.

    Examples
    --------
    >>> display_width("评分 ok")
    7
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
               rule: bool = False) -> list[str]:
    """Rows under a header as left-aligned columns that line up in a terminal.

    Parameters
    ----------
    headers
        The column headers.
    rows
        The rows, one value per header; ``None`` prints as an empty cell.
    rule
        Whether a dashed line goes under the header.

    Returns
    -------
    list of str
        The printed lines, header first, without trailing spaces.

    Notes
    -----
    Columns are padded by :func:`display_width`, two spaces apart, so Chinese labels and
    numbers line up; every command of the ``jixiao`` front door prints its tables this way.

    Examples
    --------
    >>> for line in text_table(["指标", "分"], [["满意度", 9.5], ["x", None]], rule=True):
    ...     print(line)
    指标    分
    ------  ---
    满意度  9.5
    x
    """
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell + " " * (w - display_width(cell))
                       for cell, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    if rule:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def _indicator_line(ind: Indicator) -> str:
    parts = [f"{ind.code} {ind.name}"]
    if ind.weight is not None:
        parts.append(f"[{ind.weight:g}]")
    if ind.direction is not None:
        # Bureaus often write the sign into the value ("≤100"); show it once.
        value = ind.reference_value.removeprefix(ind.direction.value).strip()
        parts.append(" ".join(p for p in (ind.direction.value, f"{value}{ind.unit}") if p))
    if ind.rule:
        parts.append(f"({ind.rule})")
    return " ".join(parts)


def _tree_lines(version: LibraryVersion) -> list[str]:
    lines: list[str] = []
    placed: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for ind in version.children(parent):
            if ind.code in placed:
                continue
            placed.add(ind.code)
            lines.append("  " * depth + _indicator_line(ind))
            walk(ind.code, depth + 1)

    walk(None, 1)
    stray = [ind for ind in version.indicators if ind.code not in placed]
    if stray:
        # A draft may hold indicators whose parent is missing; show them rather than hide them.
        lines.append("  未挂接 unattached:")
        lines += ["    " + _indicator_line(ind) for ind in stray]
    return lines


def _show_text(version: LibraryVersion) -> str:
    lines = [f"{version.ref}  {version.title}",
             f"  状态 status: {_STATUS_LABEL[version.status]}",
             f"  类型 kind: {version.kind.value}   地区 region: {version.region}"
             + (f"   年度 year: {version.effective_year}" if version.effective_year else "")]
    if version.based_on:
        lines.append(f"  基于 based on: {version.based_on}")
    if version.published_at:
        lines.append(f"  发布 published: {version.published_at.isoformat()} "
                     f"{version.published_by or ''}".rstrip())
    lines.append(f"  指标 indicators ({len(version.indicators)}):")
    lines += _tree_lines(version)
    if version.changelog:
        lines.append("  变更记录 changelog:")
        lines += [f"    {e.version}  {e.date}  {e.author}  {e.text}" for e in version.changelog]
    return "\n".join(lines)


def _load_version(ctx: click.Context, file_or_ref: str) -> LibraryVersion:
    """A library from a file when the argument names one, else from the store by ref."""
    from indicators import store
    from indicators.io import read_library

    path = Path(file_or_ref)
    if path.is_file():
        return read_library(path)
    with _state(ctx).library_session() as session:
        return store.get_library(session, ref=file_or_ref)


def _register_library(group: click.Group) -> None:
    @group.group("library", cls=ReportingGroup)
    def library() -> None:
        """指标库：查看、比较、导入导出、起草与发布 — the indicator library."""

    @library.command("list")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / output JSON")
    @click.pass_context
    def list_command(ctx: click.Context, as_json: bool) -> None:
        """列出所有版本 — list every stored version."""
        from indicators import store

        with _state(ctx).library_session() as session:
            rows = store.list_libraries(session)
        if as_json:
            _echo_json([row.as_dict() for row in rows])
            return
        click.echo("\n".join(text_table(
            ["编号 id", "版本 version", "状态 status", "指标数 indicators", "类型 kind",
             "名称 title"],
            [[r.id, r.version, _STATUS_LABEL[r.status], r.indicator_count, r.kind, r.title]
             for r in rows], rule=True)))

    @library.command("show")
    @click.argument("ref")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / output JSON")
    @click.pass_context
    def show_command(ctx: click.Context, ref: str, as_json: bool) -> None:
        """显示一个版本的指标树 — show a version's indicator tree (REF: id@version or id)."""
        from indicators import store

        with _state(ctx).library_session() as session:
            version = store.get_library(session, ref=ref)
        if as_json:
            _echo_json(version.to_dict())
        else:
            click.echo(_show_text(version))

    @library.command("diff")
    @click.argument("ref_a")
    @click.argument("ref_b")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / output JSON")
    @click.pass_context
    def diff_command(ctx: click.Context, ref_a: str, ref_b: str, as_json: bool) -> None:
        """比较两个版本（旧 → 新）— compare two versions (old → new)."""
        from indicators import store
        from indicators.versioning import diff

        with _state(ctx).library_session() as session:
            old = store.get_library(session, ref=ref_a)
            new = store.get_library(session, ref=ref_b)
        result = diff(old, new)
        if as_json:
            frame = result.to_frame().astype(object)
            changes = frame.where(frame.notna(), None).to_dict(orient="records")
            _echo_json({"old": old.ref, "new": new.ref, "suggested_bump": result.suggested_bump,
                        "suggested_version": result.suggested_version,
                        "summary_zh": result.summary_zh(), "summary_en": result.summary_en(),
                        "changes": changes})
        else:
            click.echo(result.summary_zh())
            click.echo(result.summary_en())

    @library.command("validate")
    @click.argument("file_or_ref")
    @click.pass_context
    def validate_command(ctx: click.Context, file_or_ref: str) -> None:
        """检查一个文件或已存版本 — check a library file or a stored version."""
        from indicators.validate import check_library

        version = _load_version(ctx, file_or_ref)
        check_library(version)
        click.echo(f"通过检查 valid: {version.ref}（{len(version.indicators)} 个指标 indicators）")

    @library.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--framework-id", help="框架编号（文件中没有时）/ framework id if the file has none")
    @click.option("--version", "version_text", help="版本号 / version, e.g. 1.1.0")
    @click.option("--title", help="名称 / title")
    @click.option("--kind", type=click.Choice([k.value for k in FrameworkKind]),
                  help="类型 / kind")
    @click.pass_context
    def import_command(ctx: click.Context, file: Path, framework_id: str | None,
                       version_text: str | None, title: str | None, kind: str | None) -> None:
        """导入为草稿（xlsx/csv/yaml）— import a library file as a draft."""
        from indicators import store
        from indicators.io import read_library

        meta = {name: value for name, value in (("framework_id", framework_id),
                                                ("version", version_text), ("title", title),
                                                ("kind", kind)) if value is not None}
        version = read_library(file, **meta)
        draft = replace(version, status=Status.DRAFT, published_by=None, published_at=None)
        with _state(ctx).library_session() as session:
            store.save_library(session, version=draft)
        click.echo(f"已导入草稿 imported as draft: {draft.ref}"
                   f"（{len(draft.indicators)} 个指标 indicators）")

    @library.command("export")
    @click.argument("ref")
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
    @click.pass_context
    def export_command(ctx: click.Context, ref: str, out: Path) -> None:
        """导出到 .xlsx/.csv/.yaml — export a version to a file."""
        from indicators import store
        from indicators.io import write_library

        with _state(ctx).library_session() as session:
            version = store.get_library(session, ref=ref)
        write_library(version, out)
        click.echo(f"已导出 exported: {version.ref} → {out}")

    @library.command("draft")
    @click.argument("ref")
    @click.option("--version", "new_version", help="新版本号，默认次版本加一 / new version "
                  "(default: next minor)")
    @click.option("--by", "author", default="", help="起草人 / author")
    @click.pass_context
    def draft_command(ctx: click.Context, ref: str, new_version: str | None, author: str) -> None:
        """从已发布版本起草新版本 — start a draft from a published version."""
        from indicators import store
        from indicators.versioning import start_draft

        with _state(ctx).library_session() as session:
            base = store.get_library(session, ref=ref)
            draft = start_draft(base, new_version=new_version, author=author)
            store.save_library(session, version=draft)
        click.echo(f"已起草 draft started: {draft.ref}（基于 based on {base.ref}）")

    @library.command("publish")
    @click.argument("ref")
    @click.option("--by", required=True, help="发布人 / who publishes")
    @click.option("--changelog", required=True, help="变更说明 / what changed and why")
    @click.pass_context
    def publish_command(ctx: click.Context, ref: str, by: str, changelog: str) -> None:
        """检查并发布草稿（发布后不可修改）— validate and publish a draft (then frozen)."""
        from indicators import store

        with _state(ctx).library_session() as session:
            published = store.publish_library(session, ref=ref, by=by, changelog=changelog)
        click.echo(f"已发布 published: {published.ref}")

    @library.command("retire")
    @click.argument("ref")
    @click.option("--by", required=True, help="停用人 / who retires it")
    @click.option("--reason", required=True, help="停用原因 / why")
    @click.pass_context
    def retire_command(ctx: click.Context, ref: str, by: str, reason: str) -> None:
        """停用已发布版本（仍可查看）— retire a published version (it stays readable)."""
        from indicators import store

        with _state(ctx).library_session() as session:
            retired = store.retire_library(session, ref=ref, by=by, reason=reason)
        click.echo(f"已停用 retired: {retired.ref}")

    @library.command("delete")
    @click.argument("ref")
    @click.confirmation_option(prompt="删除这个草稿？Delete this draft?")
    @click.pass_context
    def delete_command(ctx: click.Context, ref: str) -> None:
        """删除草稿（已发布版本不能删除）— delete a draft (published versions never go)."""
        from indicators import store

        with _state(ctx).library_session() as session:
            store.delete_draft(session, ref=ref)
        click.echo(f"已删除草稿 draft deleted: {ref}")


def register(group: click.Group) -> None:
    """Add the ``library`` and ``db`` command groups to the front door's group.

    Parameters
    ----------
    group
        The ``jixiao`` click group (or any group, e.g. in a test).

    Returns
    -------
    None

    Notes
    -----
    Commands read the database from ``ctx.obj`` (a :class:`CliState`), created from
    ``JIXIAO_DATABASE_URL`` when the group did not set one.

    Examples
    --------
    >>> import click
    >>> root = click.Group("jixiao")
    >>> register(root)
    >>> sorted(root.commands)
    ['db', 'library']
    """
    from indicators.cli_db import register as register_db

    _register_library(group)
    register_db(group)
