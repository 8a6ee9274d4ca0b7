"""Typed, bilingual errors shared by every jixiao package.

Every error a user can cause carries a Chinese and an English message and, where it applies, the
place in the input that is wrong (file, sheet, row, column or field), so a front door can show it
as it is and a test can assert on the place.

People and programs read the place differently. The message a page or the command line shows
names only what a person can find: the file, sheet, row and column of a spreadsheet. ``field``
is the name of a program's parameter or attribute (``token``, ``C01.weight``); it stays on
``error.location.field`` for programs and tests. A message says in words which thing is wrong
(an indicator or project code a reader needs goes into the message), so the internal name in
front of it would only puzzle a reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ErrorLocation",
    "JixiaoError",
    "InputError",
    "ValidationError",
    "ValidationIssue",
    "ImmutableVersionError",
    "NotFoundError",
    "PermissionDeniedError",
    "ConflictError",
]


# The parts of a place shown to people, widest first, each with how it is written; ``field``
# is left out on purpose (see the module docstring).
_PLACE_ZH = (("file", "文件 '{}'"), ("sheet", "工作表 '{}'"), ("row", "第 {} 行"),
             ("column", "列 '{}'"))
_PLACE_EN = (("file", "file '{}'"), ("sheet", "sheet '{}'"), ("row", "row {}"),
             ("column", "column '{}'"))


@dataclass(frozen=True)
class ErrorLocation:
    """Where in the input an error was found. Rows are 1-based as a spreadsheet shows them.

    ``field`` names the program's parameter or attribute; :meth:`zh` and :meth:`en`, which
    people read, leave it out.
    """

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None

    def zh(self) -> str:
        """The place in Chinese as a person reads it, e.g. ``文件 'a.xlsx'，第 3 行``.

        Returns
        -------
        str
            The known file, sheet, row and column, widest first; ``""`` when none is known.

        Notes
        -----
        Rows are named as a spreadsheet numbers them, so a user finds the cell as told. The
        internal ``field`` is not shown.

        Examples
        --------
        >>> ErrorLocation(file="a.xlsx", row=3).zh()
        "文件 'a.xlsx'，第 3 行"
        >>> ErrorLocation(field="token").zh()
        ''
        """
        return "，".join(self._parts(_PLACE_ZH))

    def en(self) -> str:
        """The place in English, e.g. ``file 'a.xlsx', row 3``.

        Returns
        -------
        str
            The known parts, widest first; ``""`` when nothing is known.

        Notes
        -----
        The English twin of :meth:`zh`, part for part.

        Examples
        --------
        >>> ErrorLocation(file="a.xlsx", row=3, column="权重", field="weight").en()
        "file 'a.xlsx', row 3, column '权重'"
        """
        return ", ".join(self._parts(_PLACE_EN))

    def _parts(self, templates: tuple[tuple[str, str], ...]) -> list[str]:
        # An empty name says nothing about the place; row 0 still does.
        return [template.format(value) for name, template in templates
                if (value := getattr(self, name)) is not None and value != ""]

    def __bool__(self) -> bool:
        # Whether anything is known, ``field`` included; shown or not is a matter of zh()/en().
        return any(v is not None for v in (self.file, self.sheet, self.row, self.column, self.field))


class JixiaoError(Exception):
    """Base of every error jixiao raises on purpose.

    Parameters
    ----------
    zh, en
        The message in Chinese and in English, without the location.
    file, sheet, row, column, field
        Where the problem is, as far as it is known.
    """

    def __init__(
        self,
        zh: str,
        en: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
    ) -> None:
        self.zh = zh
        self.en = en
        self.location = ErrorLocation(file=file, sheet=sheet, row=row, column=column, field=field)
        super().__init__(self.message())

    def message(self, lang: str | None = None) -> str:
        """The message with its place, in one language or in both.

        Parameters
        ----------
        lang
            ``"zh"``, ``"en"``, or ``None`` for both, Chinese first, one per line.

        Returns
        -------
        str
            The place a person can find (file, sheet, row, column), if known, followed by the
            message; ``field`` is not shown (it stays on ``location.field``).

        Notes
        -----
        Front doors print both lines, so a message reaches a reader of either language.

        Examples
        --------
        >>> InputError("不是数字", "not a number", row=3).message("en")
        'row 3: not a number'
        >>> InputError("邀请链接无效", "invalid invite link", field="token").message("en")
        'invalid invite link'
        """
        return _located(self.location, self.zh, self.en, lang, "\n")


class InputError(JixiaoError, ValueError):
    """Input that cannot be used: a wrong value, a malformed file, a missing column."""


@dataclass(frozen=True)
class ValidationIssue:
    """One rule broken by an indicator tree, library version or target table."""

    code: str
    zh: str
    en: str
    location: ErrorLocation = field(default_factory=ErrorLocation)

    def message(self, lang: str | None = None) -> str:
        """The issue with its place, in one language or in both.

        Parameters
        ----------
        lang
            ``"zh"``, ``"en"``, or ``None`` for both on one line, joined by `` / ``.

        Returns
        -------
        str
            The place (if known) followed by the message.

        Notes
        -----
        One line per issue, so a list of issues reads as a list.

        Examples
        --------
        >>> ValidationIssue("empty", "为空", "is empty", ErrorLocation(column="权重")).message()
        "列 '权重'：为空 / column '权重': is empty"
        """
        return _located(self.location, self.zh, self.en, lang, " / ")


def _located(location: ErrorLocation, zh: str, en: str, lang: str | None, joiner: str) -> str:
    # Test the shown text, not the location: a field alone must not leave an empty "：" prefix.
    if place_zh := location.zh():
        zh, en = f"{place_zh}：{zh}", f"{location.en()}: {en}"
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh}{joiner}{en}"


class ValidationError(InputError):
    """Raised with every issue found, not only the first, so a user can fix them in one pass."""

    def __init__(self, issues: list[ValidationIssue], *, file: str | None = None) -> None:
        self.issues = list(issues)
        n = len(self.issues)
        zh = f"发现 {n} 个问题：" + "；".join(i.message("zh") for i in self.issues[:20])
        en = f"{n} problem(s) found: " + "; ".join(i.message("en") for i in self.issues[:20])
        if n > 20:
            zh += f"……（另有 {n - 20} 个）"
            en += f" … ({n - 20} more)"
        super().__init__(zh, en, file=file)


class ImmutableVersionError(JixiaoError):
    """A write was attempted on a published or retired library version."""


class NotFoundError(JixiaoError, LookupError):
    """A library version, indicator, project, round or user that does not exist."""


class PermissionDeniedError(JixiaoError, PermissionError):
    """The signed-in user may not do this."""


class ConflictError(JixiaoError):
    """A concurrent change won first (compare-and-set lost), or a state forbids the change."""
