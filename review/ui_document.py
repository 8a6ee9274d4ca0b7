"""Showing a report's document beside the score sheet: Markdown and Word as text, PDF in the browser.

The bytes come from :func:`review.store.report_content`, which checks who may read them and
their checksum; they are kept in the browser session afterwards, so typing a score does not
read a many-megabyte document again. Every kind also offers the original file for download.
"""

from __future__ import annotations

import base64
import html
import importlib.util

import streamlit as st
import streamlit.components.v1 as components

from indicators.errors import JixiaoError
from indicators.frontdoor import PageContext
from review import store
from review.documents import DocumentKind, document_kind, docx_markdown, markdown_text
from review.model import ReportPublic
from review.ui_shell import reading, show_error

__all__ = ["show_document"]


def _content(ctx: PageContext, report: ReportPublic) -> bytes:
    key = f"review.document.{report.report_id}"
    cached = st.session_state.get(key)
    if cached is not None and cached[0] == report.sha256:
        return cached[1]
    with reading(ctx) as session:
        content = store.report_content(session, report_id=report.report_id, by=ctx.viewer)
    st.session_state[key] = (report.sha256, content)
    return content


def _pdf_viewer(ctx: PageContext, content: bytes, height: int) -> None:
    if importlib.util.find_spec("streamlit_pdf") is not None:
        # Streamlit's own viewer draws pages with pdf.js, which works in every browser.
        st.pdf(content, height=height)
        return
    # Browsers refuse their built-in PDF viewer inside a sandboxed frame, so the frame offers
    # the file in a new tab (a blob URL, never leaving the browser) and tries inline as well.
    data = base64.b64encode(content).decode("ascii")
    label = html.escape(ctx.t("review.document.open_pdf"))
    fallback = html.escape(ctx.t("review.document.pdf_fallback"))
    components.html(f"""
<div style="font-family: sans-serif; font-size: 18px">
  <a id="open" target="_blank" rel="noopener" style="display:inline-block;padding:10px 18px;
     background:#c0392b;color:#fff;border-radius:6px;text-decoration:none">{label}</a>
  <object id="inline" type="application/pdf" style="width:100%;height:{height - 70}px;
     margin-top:12px;border:1px solid #ddd"><p>{fallback}</p></object>
</div>
<script>
  const bytes = Uint8Array.from(atob("{data}"), c => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], {{type: "application/pdf"}}));
  document.getElementById("open").href = url;
  document.getElementById("inline").data = url;
</script>""", height=height)


def show_document(ctx: PageContext, report: ReportPublic, *, height: int | None) -> None:
    """Show a report's document and a button to download the original.

    Parameters
    ----------
    ctx
        The signed-in person and the engine.
    report
        The report.
    height
        Height in pixels of a scrolling frame (side-by-side layout), or None to let the
        document run down the page (one thing per screen).

    Returns
    -------
    None

    Notes
    -----
    Markdown is rendered as Markdown; Word ``.docx`` is shown as the text of its paragraphs,
    headings and tables (:func:`review.documents.docx_markdown`); PDF opens in the browser's
    viewer; anything else can only be downloaded.

    Examples
    --------
    >>> show_document.__name__
    'show_document'
    """
    try:
        content = _content(ctx, report)
    except JixiaoError as err:
        show_error(ctx, err)
        return
    kind = document_kind(report.filename, report.mime)
    st.download_button(ctx.t("review.document.download", name=report.filename), content,
                       file_name=report.filename, mime=report.mime or None,
                       key=f"review.document.download.{report.report_id}",
                       icon=":material/download:", on_click="ignore")
    if kind is DocumentKind.PDF:
        _pdf_viewer(ctx, content, height or 900)
        return
    if kind is DocumentKind.OTHER:
        st.info(ctx.t("review.document.download_only"))
        return
    if kind is DocumentKind.WORD:
        try:
            text = docx_markdown(content)
        except JixiaoError as err:
            show_error(ctx, err)
            return
        st.caption(ctx.t("review.document.word_note"))
    else:
        text = markdown_text(content)
    frame = st.container(height=height, border=True) if height else st.container(border=True)
    with frame:
        st.markdown(text)
