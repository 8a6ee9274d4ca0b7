"""No emoji on the review pages: the CI browser (Debian Chromium with fonts-noto-cjk only) has no
emoji font and draws them as empty boxes. Status marks are Material icons or plain words.
"""

from __future__ import annotations

import codecs
import re
import shutil
from pathlib import Path

import pytest

import app_streamlit
from indicators.database import clear_engine_cache, get_engine
from tests.review.demo_pages import untouched_sheet
from tests.review.test_ui import ROOT, open_sheet, page_text, request_page, sign_in

# Pictographs, dingbats and the clock/hourglass symbols, and the emoji variation selector.
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u231A-\u23FF\uFE0F]")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "demo.sqlite3"
    app_streamlit.prepare_database(get_engine(f"sqlite:///{path}"), demo=True)
    clear_engine_cache()
    return path


@pytest.fixture
def db(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "app.sqlite3"
    shutil.copy(seeded, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("JIXIAO_DATABASE_URL", url)
    monkeypatch.setenv("JIXIAO_DEMO", "1")
    yield url
    clear_engine_cache()


def emoji_in(text: str) -> list[str]:
    """Emoji in page text, protobuf's octal-escaped UTF-8 decoded first."""
    decoded = codecs.escape_decode(text.encode("utf-8"))[0].decode("utf-8", errors="replace")
    return sorted(set(EMOJI.findall(decoded)))


def test_the_pattern_finds_the_marks_the_trial_saw() -> None:
    assert emoji_in("✅ 已提交 ⏳ 🔒") == ["⏳", "✅", "🔒"]
    assert emoji_in(str("已提交".encode())) == [] and emoji_in("\\342\\234\\205") == ["✅"]
    assert emoji_in(":material/check_circle: 得分（0–4 分）→ —") == []


def test_review_sources_and_labels_carry_no_emoji() -> None:
    paths = [*sorted((ROOT / "review").glob("ui*.py")), ROOT / "data/i18n/review.yaml"]
    found = {path.name: emoji_in(path.read_text(encoding="utf-8")) for path in paths}
    assert {name: marks for name, marks in found.items() if marks} == {}


def test_review_pages_draw_no_emoji(db: str) -> None:
    username, sheet = untouched_sheet(db)
    rater = sign_in(username)
    seen = {"tasks": emoji_in(page_text(rater))}
    seen["sheet"] = emoji_in(page_text(open_sheet(rater, sheet.assignment_id)))
    admin = sign_in("admin")
    for page in ("review-dashboard", "review-rounds", "review-accounts", "review-audit"):
        at = request_page(admin, page)
        assert not at.exception
        seen[page] = emoji_in(page_text(at))
    assert {page: marks for page, marks in seen.items() if marks} == {}
