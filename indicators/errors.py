"""Typed, bilingual errors shared by every jixiao package.

Every error a user can cause carries a Chinese and an English message and, where it applies, the
place in the input that is wrong (file, sheet, row, column or field), so a front door can show it
as it is and a test can assert on the place.
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


@dataclass(frozen=True)
class ErrorLocation:
    """Where in the input an error was found. Rows are 1-based as a spreadsheet shows them."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None

    def zh(self) -> str:
        parts = []
        if self.file:
            parts.append(f"文件 '{self.file}'")
        if self.sheet:
            parts.append(f"工作表 '{self.sheet}'")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列 '{self.column}'")
        if self.field:
            parts.append(f"字段 '{self.field}'")
        return "，".join(parts)

    def en(self) -> str:
        parts = []
        if self.file:
            parts.append(f"file '{self.file}'")
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __bool__(self) -> bool:
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
        """The message in one language (``"zh"`` or ``"en"``), or both, one per line."""
        zh = f"{self.location.zh()}：{self.zh}" if self.location else self.zh
        en = f"{self.location.en()}: {self.en}" if self.location else self.en
        if lang == "zh":
            return zh
        if lang == "en":
            return en
        return f"{zh}\n{en}"


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
        zh = f"{self.location.zh()}：{self.zh}" if self.location else self.zh
        en = f"{self.location.en()}: {self.en}" if self.location else self.en
        if lang == "zh":
            return zh
        if lang == "en":
            return en
        return f"{zh} / {en}"


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
