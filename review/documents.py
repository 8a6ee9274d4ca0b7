"""What a report document says, as text a page can show beside the score sheet.

Reports arrive as Markdown, PDF or Word. Markdown is shown as it is; a Word ``.docx`` is a zip of
XML (ECMA-376 Office Open XML, part 1, §17 WordprocessingML), so its paragraphs, headings and
tables can be read with the standard library alone; PDF and the old binary ``.doc`` are shown by
the browser or downloaded, not read here.
"""

from __future__ import annotations

import io
import re
import zipfile
from enum import StrEnum
from pathlib import PurePath
from xml.etree import ElementTree

from indicators.errors import InputError

__all__ = [
    "MAX_XML_BYTES",
    "DocumentKind",
    "document_kind",
    "docx_markdown",
    "markdown_text",
]

MAX_XML_BYTES = 32 * 1024 * 1024
"""Largest ``word/document.xml`` read once unzipped, so a zip bomb cannot exhaust memory."""

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Markdown would read these as markup; in a report they are literal text.
_MARKUP = re.compile(r"([\\`*_{}\[\]<>#|])")
# Built-in heading styles are "Heading1".."Heading9"; Chinese Word names them "1", "2", …
_HEADING = re.compile(r"^(?:heading|标题)\s*([1-6])$|^([1-6])$", re.IGNORECASE)


class DocumentKind(StrEnum):
    """How a page can show a document."""

    MARKDOWN = "markdown"
    PDF = "pdf"
    WORD = "word"
    OTHER = "other"


def document_kind(filename: str, mime: str = "") -> DocumentKind:
    """Which kind of document a stored report is, by its MIME type or file suffix.

    Parameters
    ----------
    filename
        The file name as uploaded.
    mime
        The MIME type the store recorded, if any.

    Returns
    -------
    DocumentKind
        ``WORD`` only for ``.docx`` (the old binary ``.doc`` is ``OTHER``: it cannot be read
        without a converter).

    Notes
    -----
    The MIME type wins when it is known; the suffix decides otherwise.

    Examples
    --------
    >>> document_kind("报告.PDF").value, document_kind("a.md", "text/markdown").value
    ('pdf', 'markdown')
    >>> document_kind("old.doc", "application/msword").value
    'other'
    """
    mime = (mime or "").lower()
    suffix = PurePath(filename or "").suffix.lower()
    if mime == "application/pdf" or (not mime and suffix == ".pdf"):
        return DocumentKind.PDF
    if mime == "text/markdown" or (not mime and suffix in (".md", ".markdown")):
        return DocumentKind.MARKDOWN
    if mime.endswith("wordprocessingml.document") or (not mime and suffix == ".docx"):
        return DocumentKind.WORD
    return DocumentKind.OTHER


def markdown_text(content: bytes) -> str:
    """The text of a Markdown file, UTF-8 (with or without BOM) or GB 18030.

    Parameters
    ----------
    content
        The file's bytes.

    Returns
    -------
    str

    Notes
    -----
    Bureau files written on Chinese Windows are often GBK; GB 18030 is its superset and
    decodes any byte string that GBK does.

    Examples
    --------
    >>> markdown_text("# 评价报告".encode("gbk"))
    '# 评价报告'
    >>> markdown_text(b"\\xef\\xbb\\xbf# report")
    '# report'
    """
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030", errors="replace")


def _escape(text: str) -> str:
    return _MARKUP.sub(r"\\\1", text)


def _paragraph(node: ElementTree.Element) -> str:
    parts: list[str] = []
    for child in node.iter():
        if child.tag == f"{_W}t" and child.text:
            parts.append(child.text)
        elif child.tag == f"{_W}tab":
            parts.append(" ")
        elif child.tag in (f"{_W}br", f"{_W}cr"):
            parts.append(" ")
    return "".join(parts).strip()


def _heading_level(node: ElementTree.Element) -> int | None:
    style = node.find(f"{_W}pPr/{_W}pStyle")
    if style is None:
        return None
    match = _HEADING.match(style.get(f"{_W}val", "").strip())
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def _table(node: ElementTree.Element) -> list[str]:
    rows = []
    for row in node.iter(f"{_W}tr"):
        cells = [" ".join(filter(None, (_paragraph(p) for p in cell.iter(f"{_W}p"))))
                 for cell in row.findall(f"{_W}tc")]
        rows.append([_escape(c) for c in cells])
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return lines


def docx_markdown(content: bytes) -> str:
    """The paragraphs, headings and tables of a Word ``.docx`` file, as Markdown.

    Parameters
    ----------
    content
        The ``.docx`` file's bytes.

    Returns
    -------
    str
        Headings (styles ``Heading 1``–``6`` or the Chinese ``标题 1``–``6``) become ``#``
        lines, tables become pipe tables, other paragraphs stay paragraphs; characters Markdown
        would treat as markup are escaped.

    Raises
    ------
    InputError
        Not a zip file, no ``word/document.xml``, a document part larger than
        :data:`MAX_XML_BYTES` unzipped, or XML that does not parse.

    Notes
    -----
    WordprocessingML keeps the body in ``word/document.xml``: ``w:p`` paragraphs made of
    ``w:r`` runs whose text is in ``w:t``, and ``w:tbl`` tables of ``w:tr`` rows and ``w:tc``
    cells (ECMA-376, 5th ed., 2016, part 1, §17.3 and §17.4). Images, footnotes and text boxes
    are not read; the original stays available for download.

    Examples
    --------
    >>> body = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
    ...         '2006/main"><w:body><w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>'
    ...         '<w:r><w:t>一、项目概况</w:t></w:r></w:p><w:p><w:r><w:t>资金 120 万元</w:t>'
    ...         '</w:r></w:p></w:body></w:document>')
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w") as archive:
    ...     archive.writestr("word/document.xml", body)
    >>> print(docx_markdown(buffer.getvalue()))
    # 一、项目概况
    <BLANKLINE>
    资金 120 万元
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_XML_BYTES:
                raise InputError("Word 文档正文过大，无法预览", "the Word document body is too "
                                 "large to preview", field="content")
            with archive.open(info) as part:
                xml = part.read(MAX_XML_BYTES + 1)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise InputError("不是有效的 Word（.docx）文件", "not a valid Word (.docx) file",
                         field="content") from exc
    if len(xml) > MAX_XML_BYTES:
        raise InputError("Word 文档正文过大，无法预览",
                         "the Word document body is too large to preview", field="content")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise InputError("Word 文档的正文无法解析", "the Word document body does not parse",
                         field="content") from exc
    body = root.find(f"{_W}body")
    blocks: list[str] = []
    for node in [] if body is None else list(body):
        if node.tag == f"{_W}p":
            text = _paragraph(node)
            if text:
                level = _heading_level(node)
                blocks.append(("#" * level + " " if level else "") + _escape(text))
        elif node.tag == f"{_W}tbl":
            table = _table(node)
            if table:
                blocks.append("\n".join(table))
    return "\n\n".join(blocks)
