"""The whole review story in a real browser: Debian's Chromium, driven by Playwright.

An admin signs in and finds the demo round; an expert signs in in a separate browser context,
opens an unscored report, types every score without waiting for the saves, signs in afresh to
find every value stored, submits and sees the locked sheet; the admin
closes the round and the agreement report (ICC, Kendall's W) and the rater table appear.
Every label is looked up in the message catalogue, as the app does, so the test reads the
same Chinese the user reads. A screenshot of each step goes to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from indicators.i18n import t
from review.demo import DEMO_ACCOUNTS, DEMO_ROUND_TITLE

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips, or fails under CI, and says why
    expect = None

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
VIEWPORT = {"width": 1440, "height": 1000}
# The filled sheet is shown taller, so the picture has the report and several scored items.
TALL = {"width": 1440, "height": 1500}
# Streamlit reruns the script after each interaction; waits are for content, bounded by these.
FIRST_LOAD_MS = 60_000
STEP_MS = 20_000


def zh(key: str, **values: object) -> str:
    """A label as the Chinese page shows it."""
    return t(key, "zh", **values)


class Shots:
    """Numbered screenshots of the story, taken once the page has finished its rerun."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        self.folder = folder
        self.count = 0
        self.pages: dict[str, object] = {}
        self.started = time.monotonic()

    def take(self, page, name: str, focus=None) -> Path:
        """Save the window as ``NN-name.png``, scrolled to ``focus`` when given.

        Streamlit scrolls its own main pane rather than the document, so a full-page shot
        would show no more than the window does.
        """
        settle(page)
        if focus is not None:
            focus.scroll_into_view_if_needed()
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        # Finite animations (the thank-you balloons) are skipped to their end state.
        page.screenshot(path=str(path), animations="disabled")
        # Shown by pytest when the test fails: how far the story got, and when.
        print(f"{path.name} at {time.monotonic() - self.started:.1f} s")
        return path

    def failed(self) -> None:
        """Keep what each open page showed when a step failed, for the CI artifacts."""
        for who, page in self.pages.items():
            if not page.is_closed():
                self.count += 1
                page.screenshot(path=str(self.folder / f"{self.count:02d}-failed-{who}.png"))


def settle(page) -> None:
    """Wait until the script run is over and no element is greyed out as stale."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=STEP_MS)


def label_pattern(key: str, *fields: str, named: bool = False) -> re.Pattern[str]:
    """A catalogue label as a whole-text pattern, each field matching a number.

    Playwright hands the pattern to the browser's regular expressions, which do not know
    Python's ``(?P<name>...)``, so fields are named only for parsing on the Python side.
    """
    marks = {name: f"@{name}@" for name in fields}
    text = re.escape(zh(key, **marks))
    for name, mark in marks.items():
        text = text.replace(re.escape(mark), f"(?P<{name}>[0-9.]+)" if named else "[0-9.]+")
    return re.compile(f"^{text}$")


def account(username: str):
    return next(a for a in DEMO_ACCOUNTS if a.username == username)


def sign_in(browser, url: str, username: str):
    """A fresh browser context (its own Streamlit session) signed in as a demo account."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    page.goto(url)
    page.get_by_role("heading", name=zh("app.login.title"), exact=True).wait_for()
    demo = account(username)
    page.get_by_label(zh("app.login.username"), exact=True).fill(demo.username)
    page.get_by_label(zh("app.login.password"), exact=True).fill(demo.password)
    page.get_by_role("button", name=zh("app.login.submit"), exact=True).click()
    page.get_by_text(zh("app.signed_in_as", name=demo.display_name,
                        role=demo.role.label("zh"))).wait_for()
    return page


def open_page(page, title_key: str) -> None:
    """Follow a sidebar link and wait for the page's own title."""
    page.get_by_role("link", name=zh(title_key), exact=True).click()
    page.get_by_role("heading", name=zh(title_key), exact=True).wait_for()


def metric(page, label: str):
    """The value of the ``st.metric`` with this label, as a locator."""
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id(
        "stMetricValue")


def table_with_column(page, column_key: str):
    """The ``st.dataframe`` with this column (its cells are in the grid's accessible table)."""
    return page.get_by_test_id("stDataFrame").filter(
        has=page.locator("th", has_text=zh(column_key)))


def score_boxes(page):
    """The sheet's score boxes, found by their catalogue label."""
    return page.get_by_role("spinbutton", name=label_pattern("review.sheet.score", "low", "high"))


def box_top(box) -> float:
    """An item's maximum, read from its box's label: the box itself is unbounded, as the
    page (not the browser) says when a score is out of range, in the reader's language."""
    label = box.evaluate("e => (e.labels && e.labels.length ? e.labels[0].innerText"
                         " : e.getAttribute('aria-label')) || ''")
    found = label_pattern("review.sheet.score", "low", "high", named=True).match(label.strip())
    return float(found["high"])


def fill_every_score(page) -> tuple[dict[int, str], int]:
    """Type a score into every empty box as fast as a quick typist, without waiting for saves.

    Each box saves the draft and reruns the page; the next box is typed while that run is
    still going, as a reviewer tabbing through the sheet does. Returns what went into which
    box and how many boxes there are, once the page counts every item as scored and has
    finished its runs.
    """
    boxes = score_boxes(page)
    # The count under the boxes is drawn after the last of them, so it says how many to expect.
    scored = page.get_by_text(label_pattern("review.sheet.scored", "done", "total")).first
    scored.wait_for()
    settle(page)
    found = label_pattern("review.sheet.scored", "done", "total", named=True).match(
        scored.inner_text().strip())
    total = int(found["total"])
    expect(boxes).to_have_count(total)
    typed: dict[int, str] = {}
    for i in range(total):
        box = boxes.nth(i)
        if box.input_value():
            continue
        top = box_top(box)
        # Whole or half points a little under the maximum, as a careful reader gives.
        typed[i] = f"{max(top - 0.5 * (i % 3), 0):.1f}"
        box.fill(typed[i])
        box.press("Tab")
    page.get_by_text(zh("review.sheet.scored", done=total, total=total), exact=True).first.wait_for()
    settle(page)
    return typed, total


def sheet_sums(page) -> tuple[float, float]:
    """The total of the score boxes and of their maxima, as the sheet shows them."""
    boxes = score_boxes(page)
    total = boxes.count()
    return (sum(float(boxes.nth(i).input_value()) for i in range(total)),
            sum(box_top(boxes.nth(i)) for i in range(total)))


def test_review_round_story(browser, app_url: str) -> None:
    # Assertions wait as long as any other step, not Playwright's default five seconds.
    expect.set_options(timeout=STEP_MS)
    shots = Shots(ARTIFACTS)
    try:
        story(browser, app_url, shots)
    except Exception:
        shots.failed()
        raise


def story(browser, app_url: str, shots: Shots) -> None:
    """Admin opens the round, an expert scores and submits, admin closes, agreement shows."""
    # 1. The login page renders in Chinese, with the demo accounts listed.
    login = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = shots.pages["login"] = login.new_page()
    page.goto(app_url)
    page.get_by_role("heading", name=zh("app.login.title"), exact=True).wait_for(
        timeout=FIRST_LOAD_MS)
    assert page.title() == zh("app.title")
    page.get_by_text(zh("app.title"), exact=True).wait_for()
    page.get_by_role("heading", name=zh("app.demo.title"), exact=True).wait_for()
    # The demo accounts table has rendered its rows, not just its placeholder.
    page.get_by_role("cell", name=account("admin").display_name, exact=True).wait_for()
    shots.take(page, "login")
    login.close()

    # 2. The admin signs in, opens the review board and the rounds, and finds the demo round open.
    admin = shots.pages["admin"] = sign_in(browser, app_url, "admin")
    # Staff land on the county overview; the review board is one link away.
    open_page(admin, "review.page.dashboard")
    submitted_before = metric(admin, zh("review.board.submitted")).inner_text()
    shots.take(admin, "admin-board")
    open_page(admin, "review.page.rounds")
    expect(admin.get_by_role("combobox", name=zh("review.rounds.pick"), exact=True)).to_have_value(
        f"{DEMO_ROUND_TITLE}（{zh('review.round_status.open')}）")
    shots.take(admin, "admin-rounds")

    # 3. An expert signs in in another browser context and sees the tasks and the progress.
    who = account("expert1")
    expert = shots.pages["expert"] = sign_in(browser, app_url, who.username)
    expert.get_by_role("heading", name=zh("review.page.tasks"), exact=True).wait_for()
    expert.get_by_role("heading", name=DEMO_ROUND_TITLE, exact=True).wait_for()
    progress = expert.get_by_role("heading", name=label_pattern(
        "review.tasks.progress", "total", "done"))
    found = label_pattern("review.tasks.progress", "total", "done", named=True).match(
        progress.inner_text().strip())
    total, done = int(found["total"]), int(found["done"])
    assert done < total, "the demo expert has nothing left to score"
    shots.take(expert, "expert-tasks")

    # 4. The expert opens a report not yet submitted (untouched if there is one, else a draft)
    # and fills every rubric score.
    untouched = expert.get_by_role("button", name=zh("review.tasks.start"), exact=True)
    resume = expert.get_by_role("button", name=zh("review.tasks.resume"), exact=True)
    (untouched if untouched.count() else resume).first.click()
    expert.get_by_role("button", name=zh("review.sheet.submit"), exact=True).wait_for()
    sheet_id = re.search(r"[?&]sheet=(\d+)", expert.url)[1]
    typed, items = fill_every_score(expert)

    # 4b. Every value typed in a hurry is stored: the expert closes the browser, signs in
    # again, reopens the sheet and finds each box as they left it.
    expert.context.close()
    expert = shots.pages["expert"] = sign_in(browser, app_url, who.username)
    expert.locator(f".st-key-review-open-{sheet_id} button").click()
    boxes = score_boxes(expert)
    expert.get_by_text(zh("review.sheet.scored", done=items, total=items),
                       exact=True).first.wait_for()
    settle(expert)
    for i, value in typed.items():
        # The box shows scores to two decimals (3.5 reads "3.50"), the value typed kept.
        expect(boxes.nth(i)).to_have_value(f"{float(value):.2f}")
    entered, top = sheet_sums(expert)
    submit = expert.get_by_role("button", name=zh("review.sheet.submit"), exact=True)
    expert.set_viewport_size(TALL)
    shots.take(expert, "expert-sheet-filled",
               focus=expert.get_by_role("button", name=zh("review.sheet.back"), exact=True))
    expert.set_viewport_size(VIEWPORT)

    # 5. Submit, confirm once, and the sheet locks with a thank-you.
    submit.click()
    confirm = expert.get_by_text(zh("review.sheet.confirm", total=f"{entered:g}", top=f"{top:g}"),
                                 exact=True)
    shots.take(expert, "expert-confirm", focus=confirm)
    expert.get_by_role("button", name=zh("review.sheet.confirm_yes"), exact=True).click()
    thanks = expert.get_by_text(zh("review.sheet.thanks"), exact=True)
    thanks.wait_for()
    # Locked: no score box and no submit button once the run that shows the thanks is over.
    settle(expert)
    expect(expert.get_by_role("spinbutton")).to_have_count(0)
    expect(submit).to_have_count(0)
    table_with_column(expert, "review.sheet.col_score").wait_for()
    # What was typed is what was stored: the locked sheet's total is the sum of the boxes.
    expect(metric(expert, zh("review.sheet.total"))).to_have_text(f"{entered:g} / {top:g}")
    shots.take(expert, "expert-submitted", focus=thanks)

    # 6. Back on the task list, one more report counts as done.
    expert.get_by_role("button", name=zh("review.sheet.back"), exact=True).first.click()
    expert.get_by_role("heading", name=zh("review.tasks.progress", total=total, done=done + 1),
                       exact=True).wait_for()
    shots.take(expert, "expert-tasks-after")

    # 7. The admin sees the new sheet counted, closes the round and confirms.
    open_page(admin, "review.page.dashboard")
    done_before, assigned = (int(n) for n in submitted_before.split("/"))
    expect(metric(admin, zh("review.board.submitted"))).to_have_text(
        f"{done_before + 1} / {assigned}")
    admin.get_by_role("button", name=zh("review.board.close"), exact=True).click()
    close_yes = admin.get_by_role("button", name=zh("review.board.close_yes"), exact=True)
    shots.take(admin, "admin-close-confirm", focus=close_yes)
    close_yes.click()
    expect(metric(admin, zh("review.rounds.col_status"))).to_have_text(
        zh("review.round_status.closed"))

    # 8. The closed round opens on its results: the agreement report, then the rater table
    # with the expert who just submitted in it.
    results = admin.get_by_role("radio", name=zh("review.board.tab_results"), exact=True)
    if results.get_attribute("aria-checked") != "true":
        results.click()
    agreement = admin.get_by_role("heading", name=zh("review.results.agreement"), exact=True)
    agreement.wait_for(timeout=FIRST_LOAD_MS)
    assert -1.0 <= float(metric(admin, "ICC(2,1)").inner_text()) <= 1.0
    metric(admin, zh("review.coef.kendall_w")).wait_for()
    shots.take(admin, "admin-agreement", focus=agreement)
    raters = table_with_column(admin, "review.results.effect")
    raters.locator("td", has_text=who.display_name).first.wait_for(state="attached")
    shots.take(admin, "admin-raters",
               focus=admin.get_by_role("heading", name=zh("review.results.raters"), exact=True))


def test_a_language_switch_keeps_the_overview_choices_in_the_new_language(browser,
                                                                          app_url: str) -> None:
    # Streamlit keeps a radio's or select box's choice as the text it showed; without the front
    # door handing the choices back on a switch, the English page showed "2021 年度" and a radio
    # with nothing selected (found in a new-user trial).
    expect.set_options(timeout=STEP_MS)
    page = sign_in(browser, app_url, "finance")
    page.get_by_role("heading", name=zh("dashboard.title"), exact=True).wait_for()
    expect(page.get_by_role("radio", name=zh("dashboard.source.demo"))).to_be_checked()
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name=t("dashboard.title", "en"), exact=True).wait_for()
    settle(page)
    expect(page.get_by_role("radio", name=t("dashboard.source.demo", "en"))).to_be_checked()
    year = page.get_by_role("combobox", name=re.compile(t("lifecycle.year", "en")))
    expect(year).to_have_count(1)
    # The chosen year is shown with the English wording, not the Chinese "2021 年度".
    expect(page.get_by_text(zh("lifecycle.year_label", year=2021), exact=True)).to_have_count(0)
    page.context.close()
