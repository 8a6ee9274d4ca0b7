"""No emoji on the library pages: the CI browser (Debian Chromium with fonts-noto-cjk only) has no
emoji font and draws them as empty boxes. Status marks are Material icons, which Streamlit ships
with its own font, or plain words where a widget shows text as it is (select box options, table
cells).
"""

from __future__ import annotations

import ast
import codecs
import re
import shutil
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from indicators import store
from indicators.database import clear_engine_cache, ensure_schema, get_engine
from indicators.frontdoor import PageContext, Role, Viewer
from indicators.model import Status
from indicators.ui_widgets import status_badge
from indicators.versioning import reweight, start_draft

ROOT = Path(__file__).resolve().parents[2]
TARGET = "national-target@1.0.0"
DRAFT = "national-target@1.1.0"

# Pictographs and emoji of the supplementary plane (U+1F000–U+1FFFF), miscellaneous symbols and
# dingbats (U+2600–U+27BF), the arrows/shapes and clock/hourglass symbols browsers draw as emoji,
# and the emoji variation selector. CJK extension B and later (U+20000 up) are Chinese text.
EMOJI = re.compile("[\U0001F000-\U0001FFFF\u2600-\u27BF\u2B00-\u2BFF\u231A-\u23FF\uFE0F]")


def emoji_in(text: str) -> list[str]:
    """Emoji in a text, protobuf's octal-escaped UTF-8 decoded first."""
    decoded = codecs.escape_decode(text.encode("utf-8"))[0].decode("utf-8", errors="replace")
    return sorted(set(EMOJI.findall(decoded)))


def source_text(path: Path) -> str:
    """A file as written and as its strings read, so an escaped emoji (``"\\u2705"``) counts."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        strings = [node.value for node in ast.walk(ast.parse(text))
                   if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    else:
        strings = [str(value) for entry in yaml.safe_load(text).values()
                   for value in entry.values()]
    return "\n".join([text, *strings])


def page_text(at: AppTest) -> str:
    """Every element of the last run as protobuf text, plus the cells of every table (a table's
    cells travel as Arrow bytes, which the protobuf text does not show)."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    for frame in [*at.dataframe, *at.data_editor]:
        parts.append(frame.value.astype(str).to_csv())
    return "\n".join(parts)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("marks") / "seed.sqlite3"
    clear_engine_cache()
    engine = get_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    with Session(engine) as session:
        store.seed_builtin_libraries(session)
        # An unbalanced draft, so the edit page shows a weight sum that does not match.
        draft = start_draft(store.get_library(session, ref=TARGET), author="王科长")
        store.save_library(session, version=reweight(draft, {"CC0101": 15}))
    clear_engine_cache()
    return path


@pytest.fixture
def url(seeded: Path, tmp_path: Path) -> str:
    copy = tmp_path / "jixiao.sqlite3"
    shutil.copy(seeded, copy)
    yield f"sqlite:///{copy}"
    clear_engine_cache()


def _script(url: str, key: str, lang: str, version: str) -> None:
    import streamlit as st

    from indicators.database import get_engine
    from indicators.frontdoor import PageContext, Role, Viewer
    from indicators.ui import pages

    # Select the version before the page draws its picker, as a user's earlier choice would.
    st.session_state.setdefault(f"indicators.{'edit' if key == 'library-edit' else 'browse'}"
                                ".version", version)
    ctx = PageContext(get_engine(url), Viewer(1, "wang", "王科长", Role.FINANCE), lang=lang)
    next(page for page in pages() if page.key == key).render(ctx)


def page(url: str, key: str, lang: str, version: str) -> AppTest:
    return AppTest.from_function(_script, args=(url, key, lang, version),
                                 default_timeout=30).run()


def test_the_pattern_finds_the_marks_the_pages_used() -> None:
    assert emoji_in("🟡 草稿 🟢 已发布 ⚪ 已停用 ✅ ⚠️") == ["⚠", "⚪", "✅", "\ufe0f", "🟡", "🟢"]
    assert emoji_in("\\342\\234\\205 已发布") == ["✅"]
    assert emoji_in(":green-badge[:material/verified: 已发布] ≥ ≤ → — · 𠀀") == []


def test_an_escaped_emoji_in_a_source_is_read_as_the_emoji(tmp_path: Path) -> None:
    page_source = tmp_path / "ui_x.py"
    page_source.write_text('MARK = "\\u2705"\n', encoding="utf-8")
    labels = tmp_path / "x.yaml"
    labels.write_text('x.ok:\n  zh: "\\U0001F7E2 好"\n  en: "ok"\n', encoding="utf-8")
    assert EMOJI.findall(source_text(page_source)) == ["✅"]
    assert EMOJI.findall(source_text(labels)) == ["🟢"]


def test_library_sources_and_labels_carry_no_emoji() -> None:
    paths = [*sorted((ROOT / "indicators").glob("ui*.py")), ROOT / "data/i18n/indicators.yaml"]
    assert len(paths) >= 7
    found = {path.name: sorted(set(EMOJI.findall(source_text(path)))) for path in paths}
    assert {name: marks for name, marks in found.items() if marks} == {}


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", [":orange-badge[:material/edit_note: 草稿]", ":green-badge[:material/verified: 已发布]",
            ":gray-badge[:material/archive: 已停用]"]),
    ("en", [":orange-badge[:material/edit_note: Draft]",
            ":green-badge[:material/verified: Published]",
            ":gray-badge[:material/archive: Retired]"]),
])
def test_status_badges_are_an_icon_and_a_word_in_the_page_language(lang, expected) -> None:
    ctx = PageContext(None, Viewer(1, "w", "王", Role.ADMIN), lang=lang)
    assert [status_badge(ctx, status) for status in Status] == expected


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_version_picker_names_the_status_in_plain_words(url: str, lang: str) -> None:
    at = page(url, "library", lang, TARGET)
    assert not at.exception
    options = at.selectbox(key="indicators.browse.version").options
    words = ("草稿", "已发布") if lang == "zh" else ("Draft", "Published")
    assert any(option.endswith(f"{DRAFT} · {words[0]}") for option in options)
    assert any(option.endswith(f"{TARGET} · {words[1]}") for option in options)
    assert not any(":material/" in option or emoji_in(option) for option in options)
    assert emoji_in(page_text(at)) == []


@pytest.mark.parametrize(("lang", "matches", "off"), [
    ("zh", "相符", "不相符"), ("en", "Matches", "Does not match")])
def test_the_edit_page_marks_weight_sums_with_words_and_an_icon(url: str, lang: str,
                                                                 matches: str, off: str) -> None:
    at = page(url, "library-edit", lang, DRAFT)
    assert not at.exception
    sums = next(frame.value for frame in at.dataframe
                if (frame.value.columns[-1] == ("状态" if lang == "zh" else "Status")))
    status = sums.set_index(sums.columns[0]).iloc[:, -1]
    # 数量指标 CC01 (20) now has children 15 + 8; every other parent still matches.
    assert status["CC01"] == off
    assert (status.drop("CC01") == matches).all()
    expander = next(e for e in at.expander if e.label in ("权重合计", "Weight sums"))
    assert expander.proto.icon == ":material/warning:"
    assert emoji_in(page_text(at)) == []
