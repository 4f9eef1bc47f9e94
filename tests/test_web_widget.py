"""The web chat in a real browser: Debian's headless Chromium, driven by Python Playwright.

Both servers run as `make run` starts them (tests/servers.py), with a facts store in which one fact
(``meeting_day``) carries markup, to show that bot text is rendered as text. Checked: the page's
chrome follows the browser language, the greeting and the answers come in the language asked
(the expected statements are read from the running facts store), follow-up buttons work, a reload
keeps the history and the server-side conversation, and neither bot nor user HTML executes.
Screenshots go to reports/web/; the Japanese answer is also copied to docs/img/widget-ja.png.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bot.facts import load_catalogue
from tests.conftest import domain_response
from tests.servers import ROOT, RunningBot, running_bot

pytestmark = pytest.mark.servers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "reports" / "web"
DOC_SHOT = ROOT / "docs" / "img" / "widget-ja.png"
STRINGS = json.loads((ROOT / "web" / "strings.json").read_text(encoding="utf-8"))
MALICIOUS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
MARKED_FACT = "meeting_day"
ANSWER_MS = 45_000   # one reply: NLU, action server, and the widget pacing its messages
PAGE_MS = 30_000     # page load, socket connection and the greeting
MESSAGES = ".rw-messages-container"


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium; installed by scripts/install_browser.sh if it is not there yet."""
    if not CHROMIUM.exists():
        result = subprocess.run([str(ROOT / "scripts" / "install_browser.sh")], capture_output=True,
                                text=True, timeout=900, check=False)
        if not CHROMIUM.exists():
            pytest.skip(f"{CHROMIUM} is absent and scripts/install_browser.sh could not install it: "
                        f"{(result.stderr or result.stdout)[-600:]}")
    return CHROMIUM


@pytest.fixture(scope="module")
def marked_facts(tmp_path_factory) -> Path:
    """A copy of data/facts in which one statement, in all three languages, ends in markup."""
    facts_dir = tmp_path_factory.mktemp("facts")
    for path in (ROOT / "data" / "facts").glob("*.yml"):
        shutil.copy(path, facts_dir / path.name)
    for path in facts_dir.glob("*.yml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        for fact in content.get("facts") or []:
            if fact["id"] == MARKED_FACT:
                fact["statement"] = {lang: f"{text} {MALICIOUS}" for lang, text in fact["statement"].items()}
                path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    marked = {fact.id: fact for fact in load_catalogue(facts_dir).facts}[MARKED_FACT]
    assert all(text.endswith(MALICIOUS) for text in marked.statement.values())
    return facts_dir


@pytest.fixture(scope="module")
def bot(tmp_path_factory, marked_facts) -> Iterator[RunningBot]:
    subprocess.run([str(ROOT / "scripts" / "web_assets.sh")], check=True, timeout=300)
    with running_bot(tmp_path_factory.mktemp("web-servers"), facts_dir=marked_facts) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Chat:
    """One browser tab on the web chat, with the page errors it raised."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self) -> None:
        self.page.goto(self.url)
        self.page.wait_for_selector(".rw-response", timeout=PAGE_MS)

    def text(self) -> str:
        return self.page.inner_text(MESSAGES)

    def wait_for(self, text: str, times: int = 1) -> None:
        """Until ``text`` is shown ``times`` times in the conversation."""
        try:
            self.page.wait_for_function(
                "([selector, text, times]) => { const box = document.querySelector(selector);"
                " return !!box && box.innerText.split(text).length - 1 >= times; }",
                arg=[MESSAGES, text, times], timeout=ANSWER_MS)
        except PlaywrightTimeoutError:
            raise AssertionError(f"not shown {times}x within {ANSWER_MS} ms: {text!r}\n"
                                 f"conversation ends with:\n{self.text()[-1500:]}") from None

    def send(self, text: str) -> None:
        self.page.fill(".rw-new-message", text)
        self.page.press(".rw-new-message", "Enter")

    def reply_buttons(self) -> list[str]:
        self.page.wait_for_selector(".rw-replies .rw-reply", timeout=ANSWER_MS)
        return [text.strip() for text in self.page.locator(".rw-replies .rw-reply").all_inner_texts()]

    def settle(self) -> None:
        """Until the reply is fully shown: the page's "typing…" line is down again."""
        self.page.wait_for_selector("#typing", state="hidden", timeout=ANSWER_MS)

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture()
def chat_in(browser, bot) -> Iterator:
    """Opens the web chat in a fresh browser context (own storage) with the given locale."""
    contexts = []

    def open_chat(locale: str) -> Chat:
        context = browser.new_context(locale=locale, viewport={"width": 900, "height": 860})
        contexts.append(context)
        chat = Chat(context.new_page(), f"{bot.base_url}/webhooks/web/")
        chat.open()
        return chat

    yield open_chat
    for context in contexts:
        context.close()


def test_japanese_browser_gets_japanese_chrome_and_answers_in_the_language_asked(chat_in, bot):
    chat = chat_in("ja-JP")
    page, ui = chat.page, STRINGS["ja"]
    assert page.title() == ui["pageTitle"]
    assert page.get_attribute(".rw-new-message", "placeholder") == ui["inputPlaceholder"]
    assert page.inner_text(".rw-title").strip() == ui["widgetTitle"]
    assert ui["widgetSubtitle"] in page.inner_text(".rw-header")
    # The greeting (initPayload /greet) follows the browser language hint, with the topic menu.
    chat.wait_for(domain_response("utter_greet", "ja"))
    assert chat.reply_buttons() == [entry.title["ja"] for entry in bot.store.menu()]
    chat.shot("ja-greeting")

    chat.send("中小企業向けの銀行融資の比率はどこまで上げるの？")
    page.wait_for_selector("#typing", state="visible", timeout=5_000)
    assert page.inner_text("#typing") == ui["typing"]
    credit = bot.store.get("credit_ratio_30")
    chat.wait_for(credit.statement["ja"])
    chat.settle()
    buttons = chat.reply_buttons()
    DOC_SHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(chat.shot("ja-answer"), DOC_SHOT)

    # A follow-up button asks for exactly its fact.
    by_question = {fact.question["ja"]: fact for fact in bot.store.all()}
    assert buttons and all(title in by_question for title in buttons), buttons
    follow_up = by_question[buttons[0]]
    page.locator(".rw-replies .rw-reply", has_text=buttons[0]).first.click()
    chat.wait_for(follow_up.statement["ja"])
    chat.settle()
    chat.shot("ja-follow-up")

    chat.send("Sejak kapan kerja sama Indonesia dan Jepang di bidang koperasi?")
    history = bot.store.get("cooperation_since_1978").statement["id"]
    chat.wait_for(history)
    chat.settle()
    chat.send("What is SMRJ?")
    smrj = bot.store.get("org_smrj").statement["en"]
    chat.wait_for(smrj)
    chat.settle()
    chat.shot("three-languages")

    # A reload keeps the messages (local storage) and the conversation on the server: an
    # ambiguous "SMRJ?" is answered in the conversation's English, not in the ja-JP hint.
    session = page.evaluate("() => JSON.parse(localStorage.getItem('chat_session')).session_id")
    page.reload()
    page.wait_for_selector(".rw-response", timeout=PAGE_MS)
    for statement in (credit.statement["ja"], follow_up.statement["ja"], history, smrj):
        chat.wait_for(statement)
    assert page.evaluate("() => JSON.parse(localStorage.getItem('chat_session')).session_id") == session
    chat.send("SMRJ?")
    chat.wait_for(smrj, times=2)
    chat.settle()
    chat.shot("ja-after-reload")
    assert chat.errors == []


def test_markup_from_the_bot_or_the_user_is_shown_as_text(chat_in, bot):
    chat = chat_in("id-ID")
    page, ui = chat.page, STRINGS["id"]
    assert page.title() == ui["pageTitle"]
    assert page.get_attribute(".rw-new-message", "placeholder") == ui["inputPlaceholder"]
    chat.wait_for(domain_response("utter_greet", "id"))

    chat.send("Kapan pertemuannya?")
    marked = bot.store.get(MARKED_FACT).statement["id"]
    assert marked.endswith(MALICIOUS)
    chat.wait_for(marked)  # the markup itself is on screen, as characters
    chat.settle()
    user_markup = '<b>halo</b><img src=x onerror="window.__pwned=3">'
    chat.send(user_markup)
    page.wait_for_function(
        "(text) => [...document.querySelectorAll('.rw-client')].some(e => e.innerText.trim() === text)",
        arg=user_markup, timeout=ANSWER_MS)
    chat.settle()
    chat.shot("id-markup-as-text")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    box = page.locator(MESSAGES)
    assert box.locator("script").count() == 0
    assert box.locator("img[src='x']").count() == 0
    assert box.locator("b").count() == 0
    assert chat.errors == []


def test_other_browser_languages_get_english_chrome_and_greeting(chat_in):
    chat = chat_in("fr-FR")
    ui = STRINGS["en"]
    assert chat.page.title() == ui["pageTitle"]
    assert chat.page.get_attribute(".rw-new-message", "placeholder") == ui["inputPlaceholder"]
    chat.wait_for(domain_response("utter_greet", "en"))
    chat.shot("fr-fallback-en")
