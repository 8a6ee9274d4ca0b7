"""The indicator-library pages of the Streamlit app, as the front door registers them.

Four pages: 指标库浏览 (everyone), 编辑草稿, 版本对比 and 导入导出 (finance staff). Each page lives
in its own ``indicators/ui_<page>.py`` module; what they share (version picker, error panels)
is in :mod:`indicators.ui_widgets`, and the tables they draw are built without streamlit in
:mod:`indicators.ui_frames`. Every label is a key of ``data/i18n/indicators.yaml``.
"""

from __future__ import annotations

from indicators import ui_browse, ui_diff, ui_edit, ui_transfer
from indicators.frontdoor import ALL_ROLES, STAFF_ROLES, PageSpec

__all__ = ["SECTION", "pages"]

SECTION = "indicators.section"
"""Message key of the navigation section the library pages sit in."""


def pages() -> list[PageSpec]:
    """The library pages, in navigation order, each with the roles that may open it.

    Returns
    -------
    list of PageSpec
        Browse (all roles), edit draft, compare versions, import/export (admin and finance).

    Notes
    -----
    Browsing is open to experts and deputies too: a reviewer scoring against a rubric reads
    its indicators' explanations there. Writing pages are for staff only; each page checks the
    role again when drawn.

    Examples
    --------
    >>> [page.key for page in pages()]
    ['library', 'library-edit', 'library-diff', 'library-transfer']
    """
    return [
        PageSpec(key="library", section=SECTION, title="indicators.browse.title",
                 render=ui_browse.render, roles=ALL_ROLES, icon=":material/account_tree:"),
        PageSpec(key="library-edit", section=SECTION, title="indicators.edit.title",
                 render=ui_edit.render, roles=STAFF_ROLES, icon=":material/edit_note:"),
        PageSpec(key="library-diff", section=SECTION, title="indicators.diff.title",
                 render=ui_diff.render, roles=STAFF_ROLES, icon=":material/difference:"),
        PageSpec(key="library-transfer", section=SECTION, title="indicators.transfer.title",
                 render=ui_transfer.render, roles=STAFF_ROLES, icon=":material/swap_vert:"),
    ]
