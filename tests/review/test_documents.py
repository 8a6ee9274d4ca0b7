"""Report documents as text: kinds, Markdown encodings, and Word files read without Word."""

from __future__ import annotations

import io
import zipfile

import pytest

from indicators.errors import InputError
from review import documents
from review.documents import DocumentKind, document_kind, docx_markdown, markdown_text

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(body: str) -> bytes:
    """A minimal .docx: only the part the reader needs (ECMA-376 part 1, §17.2)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml",
                         f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>')
    return buffer.getvalue()


def paragraph(text: str, style: str | None = None) -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{props}<w:r><w:t>{text}</w:t></w:r></w:p>"


def test_kind_comes_from_the_mime_type_then_the_suffix() -> None:
    assert document_kind("a.pdf") is DocumentKind.PDF
    assert document_kind("报告.DOCX") is DocumentKind.WORD
    assert document_kind("a.markdown") is DocumentKind.MARKDOWN
    assert document_kind("a.txt", "text/markdown") is DocumentKind.MARKDOWN
    assert document_kind("a.pdf", "application/msword") is DocumentKind.OTHER
    assert document_kind("old.doc") is DocumentKind.OTHER


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_markdown_reads_utf8_with_or_without_bom_and_gbk(encoding: str) -> None:
    text = "# 一、项目概况\n\n资金 120 万元，完成率 98%。"
    assert markdown_text(text.encode(encoding)) == text


def test_headings_paragraphs_and_tables_become_markdown() -> None:
    body = (paragraph("一、项目概况", "Heading1") + paragraph("（一）立项依据", "2")
            + paragraph("资金 *120* 万元") + paragraph("")
            + '<w:p><w:r><w:t>甲</w:t><w:tab/><w:t>乙</w:t></w:r></w:p>'
            + "<w:tbl><w:tr><w:tc>" + paragraph("指标") + "</w:tc><w:tc>" + paragraph("完成值")
            + "</w:tc></w:tr><w:tr><w:tc>" + paragraph("受益人数") + "</w:tc><w:tc>"
            + paragraph("1,200") + "</w:tc></w:tr></w:tbl>")
    assert docx_markdown(docx(body)).split("\n\n") == [
        "# 一、项目概况",
        "## （一）立项依据",
        "资金 \\*120\\* 万元",
        "甲 乙",
        "| 指标 | 完成值 |\n| --- | --- |\n| 受益人数 | 1,200 |",
    ]


def test_a_file_written_by_python_docx_reads_back() -> None:
    # An independent writer: python-docx produces a full Word package with its own styles.
    docx_lib = pytest.importorskip("docx")
    document = docx_lib.Document()
    document.add_heading("绩效评价报告", level=1)
    document.add_paragraph("项目资金 300 万元，预算执行率 95%。")
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip((c for row in table.rows for c in row.cells),
                          ["一级指标", "得分", "产出", "45"], strict=True):
        cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    assert docx_markdown(buffer.getvalue()).split("\n\n") == [
        "# 绩效评价报告", "项目资金 300 万元，预算执行率 95%。",
        "| 一级指标 | 得分 |\n| --- | --- |\n| 产出 | 45 |"]


def test_broken_or_foreign_files_are_refused_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="Word"):
        docx_markdown(b"%PDF-1.7 not a zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<x/>")
    with pytest.raises(InputError, match="docx"):
        docx_markdown(buffer.getvalue())
    with pytest.raises(InputError, match="does not parse"):
        docx_markdown(docx("<w:p>"))
    monkeypatch.setattr(documents, "MAX_XML_BYTES", 64)
    with pytest.raises(InputError, match="too large"):
        docx_markdown(docx(paragraph("很长的正文" * 20)))
