"""The web chat in a real browser: Debian's headless Chromium, driven by Python Playwright.

Both servers run as `make run` starts them (tests/servers.py), with a facts store in which one fact
(``meeting_day``) carries markup, to show that bot text is rendered as text. Checked, on a desktop
window and on a 390×844 phone in Indonesian, Japanese and English: the page's chrome follows the
browser language; the greeting and the answers come in the language asked (the expected statements
are read from the running facts store); buttons stay usable under the message that carries them
(topic menu, answer card with its "source quote" button, follow-ups); the Briefing button sends
``/brief``; a reload keeps the history and the server-side conversation; neither bot nor user HTML
executes; the header does not overlap and has no close button; long texts wrap; new replies reach a
live region; and axe-core (WCAG 2 A/AA and best practices) finds nothing after a question, on the
desktop and on a phone. One browser for the module, one tab per viewport and language.
Screenshots go to reports/web/; a desktop and a phone one are copied to docs/img/ for the README.
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
DOC_DESKTOP_SHOT = ROOT / "docs" / "img" / "widget-ja.png"
DOC_PHONE_SHOT = ROOT / "docs" / "img" / "widget-phone-en.png"
STRINGS = json.loads((ROOT / "web" / "strings.json").read_text(encoding="utf-8"))
#: axe-core from its pinned npm tarball (scripts/web_assets.sh --test); never served by the page.
AXE = ROOT / "var" / "test-assets" / "axe.min.js"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}}
MALICIOUS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
MARKED_FACT = "meeting_day"
ANSWER_MS = 45_000   # one reply: NLU and the action server
PAGE_MS = 30_000     # page load, socket connection and the greeting
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
LOG = "#log"


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
    subprocess.run([str(ROOT / "scripts" / "web_assets.sh"), "--test"], check=True, timeout=300)
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
    """One browser tab on the web chat, with the page errors it raised and what it sent."""

    def __init__(self, page: Page, url: str, name: str) -> None:
        self.page = page
        self.url = url
        self.name = name
        self.errors: list[str] = []
        self.sent: list[str] = []  # socket.io traffic to the server (polling bodies, WebSocket frames)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("request", lambda request: request.method == "POST" and "/socket.io/" in request.url
                and self.sent.append(request.post_data or ""))
        page.on("websocket", lambda socket: socket.on("framesent", lambda frame: self.sent.append(str(frame))))

    def open(self) -> None:
        self.page.goto(self.url)
        self.page.wait_for_selector(f"{LOG} .message-bot .bubble", timeout=PAGE_MS)

    def text(self) -> str:
        return self.page.inner_text(LOG)

    def wait_for(self, text: str, times: int = 1) -> None:
        """Until ``text`` is shown ``times`` times in the conversation."""
        try:
            self.page.wait_for_function(
                "([selector, text, times]) => { const box = document.querySelector(selector);"
                " return !!box && box.innerText.split(text).length - 1 >= times; }",
                arg=[LOG, text, times], timeout=ANSWER_MS)
        except PlaywrightTimeoutError:
            raise AssertionError(f"not shown {times}x within {ANSWER_MS} ms: {text!r}\n"
                                 f"conversation ends with:\n{self.text()[-1500:]}") from None

    def send(self, text: str) -> None:
        self.page.fill("#input", text)
        self.page.press("#input", "Enter")

    def message_with(self, text: str):
        """The (last) bot message whose text contains ``text``: its bubble and its buttons."""
        return self.page.locator(f"{LOG} .message-bot", has_text=text).last

    @staticmethod
    def buttons(message) -> list[tuple[str, str]]:
        """(title, payload) of a message's buttons."""
        return [(button.inner_text().strip(), button.get_attribute("data-payload"))
                for button in message.locator(".buttons button.reply").all()]

    def settle(self) -> None:
        """Until the reply is fully shown: the page's "typing…" line is down again."""
        self.page.wait_for_selector("#typing", state="hidden", timeout=ANSWER_MS)

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.name}-{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def assert_accessible(self) -> None:
        """axe-core, WCAG 2 A/AA and best practices, on the page as it is: no violation at all."""
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated by the browser's debugging protocol, so the page's CSP stays as it is.
            self.page.evaluate(AXE.read_text(encoding="utf-8"))
        results = self.page.evaluate("(options) => window.axe.run(document, options)", AXE_OPTIONS)
        found = [f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}"
                 for v in results["violations"]]
        assert not found, f"axe-core on {self.name}:\n" + "\n".join(found)
        assert results["passes"], "axe-core ran no check"

    def assert_phone_layout(self) -> None:
        """The header's title and subtitle do not overlap, nothing offers to close the page, and
        nothing is wider than the screen (long texts wrap)."""
        title = self.page.locator("#title").bounding_box()
        subtitle = self.page.locator("#subtitle").bounding_box()
        assert title and subtitle and title["y"] + title["height"] <= subtitle["y"] + 0.5, (title, subtitle)
        assert self.page.locator("header button, [aria-label*='close' i]").count() == 0
        assert "×" not in self.page.inner_text("header")
        overflow = self.page.evaluate(
            "() => [document.documentElement.scrollWidth - window.innerWidth,"
            " ...[...document.querySelectorAll('#messages, .bubble, .buttons')]"
            "   .map(e => e.scrollWidth - e.clientWidth)]")
        assert max(overflow) <= 0, overflow

    def assert_clean(self) -> None:
        assert self.errors == []


@pytest.fixture()
def chat_in(browser, bot) -> Iterator:
    """Opens the web chat in a fresh browser context (own storage) with the given locale and device."""
    contexts = []

    def open_chat(locale: str, device: dict, name: str) -> Chat:
        context = browser.new_context(locale=locale, **device)
        contexts.append(context)
        chat = Chat(context.new_page(), f"{bot.base_url}/webhooks/web/", name)
        chat.open()
        return chat

    yield open_chat
    for context in contexts:
        context.close()


def test_japanese_desktop_chat_answers_with_cards_whose_buttons_stay_and_survives_a_reload(chat_in, bot):
    chat = chat_in("ja-JP", DESKTOP, "desktop-ja")
    page, ui = chat.page, STRINGS["ja"]
    assert page.title() == ui["pageTitle"]
    assert page.inner_text("h1").strip() == ui["widgetTitle"]
    assert page.inner_text("#subtitle").strip() == ui["widgetSubtitle"]
    assert page.get_attribute("#input", "placeholder") == ui["inputPlaceholder"]
    assert page.get_attribute("#send", "aria-label") == ui["send"]
    assert page.inner_text("#brief").strip() == ui["briefing"]
    # The greeting (/greet on a new session) follows the browser language hint; the topic menu's
    # buttons are under the message that introduces them.
    chat.wait_for(domain_response("utter_greet", "ja"))
    menu_text = domain_response("utter_topics_menu", "ja")
    chat.wait_for(menu_text)
    menu = chat.message_with(menu_text)
    assert [title for title, _ in chat.buttons(menu)] == [entry.title["ja"] for entry in bot.store.menu()]
    chat.settle()
    chat.shot("greeting")

    chat.send("中小企業向けの銀行融資の比率はどこまで上げるの？")
    page.wait_for_selector("#typing", state="visible", timeout=5_000)
    assert page.inner_text("#typing") == ui["typing"]
    credit = bot.store.get("credit_ratio_30")
    chat.wait_for(credit.statement["ja"])
    chat.settle()
    # An answer card: one message, the statement first and the source line after a blank line
    # (line breaks kept), its "source quote" button under it; the follow-ups come with it.
    card = chat.message_with(credit.statement["ja"])
    card_text = card.locator(".bubble").inner_text()
    assert card_text.startswith(credit.statement["ja"] + "\n\n"), card_text
    quote_buttons = [b for b in chat.buttons(card) if b[1].startswith("/show_quote")]
    assert quote_buttons, chat.buttons(card)
    by_question = {fact.question["ja"]: fact for fact in bot.store.all()}
    follow_ups = [title for message in page.locator(f"{LOG} .message-bot").all()
                  for title, _ in chat.buttons(message) if title in by_question]
    assert follow_ups
    # Buttons stay: the greeting's menu is still complete and usable after later messages.
    assert [title for title, _ in chat.buttons(menu)] == [entry.title["ja"] for entry in bot.store.menu()]
    assert page.locator("#announcer").inner_text().count(credit.statement["ja"]) == 1  # read out once
    chat.assert_accessible()
    DOC_DESKTOP_SHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(chat.shot("answer"), DOC_DESKTOP_SHOT)

    # The card's quote button gives the verbatim Indonesian passage.
    card.locator("button.reply", has_text=quote_buttons[0][0]).click()
    chat.wait_for(credit.sources[0].quotes[0])
    chat.settle()
    # A follow-up button asks for exactly its fact.
    follow_up = by_question[follow_ups[0]]
    shown = chat.text().count(follow_up.statement["ja"])
    page.locator(f"{LOG} button.reply", has_text=follow_ups[0]).last.click()
    chat.wait_for(follow_up.statement["ja"], times=shown + 1)
    chat.settle()
    # The topic menu from the greeting, several messages up, still works.
    entry = next(entry for entry in bot.store.menu() if bot.store.get(entry.answer) is not None)
    statement = bot.store.get(entry.answer).statement["ja"]
    shown = chat.text().count(statement)
    menu.locator("button.reply", has_text=entry.title["ja"]).click()
    chat.wait_for(statement, times=shown + 1)
    chat.settle()
    chat.shot("buttons-stay")

    chat.send("Sejak kapan kerja sama Indonesia dan Jepang di bidang koperasi?")
    history = bot.store.get("cooperation_since_1978").statement["id"]
    chat.wait_for(history)
    chat.settle()
    chat.send("What is SMRJ?")
    smrj = bot.store.get("org_smrj").statement["en"]
    chat.wait_for(smrj)
    chat.settle()
    chat.shot("three-languages")

    # A reload keeps the messages with their buttons (local storage) and the conversation on the
    # server: an ambiguous "SMRJ?" is answered in the conversation's English, not in the ja-JP hint.
    session = page.evaluate("() => JSON.parse(localStorage.getItem('chat_session')).session_id")
    buttons_before = page.locator(f"{LOG} button.reply").count()
    page.reload()
    page.wait_for_selector(f"{LOG} .message-bot", timeout=PAGE_MS)
    for statement in (credit.statement["ja"], follow_up.statement["ja"], history, smrj):
        chat.wait_for(statement)
    assert page.locator(f"{LOG} button.reply").count() == buttons_before
    chat.send("SMRJ?")
    chat.wait_for(smrj, times=2)
    chat.settle()
    assert page.evaluate("() => JSON.parse(localStorage.getItem('chat_session')).session_id") == session
    chat.shot("after-reload")
    chat.assert_clean()


def test_indonesian_phone_shows_markup_as_text_sends_the_briefing_and_is_accessible(chat_in, bot):
    chat = chat_in("id-ID", PHONE, "phone-id")
    page, ui = chat.page, STRINGS["id"]
    assert page.title() == ui["pageTitle"]
    assert page.get_attribute("#input", "placeholder") == ui["inputPlaceholder"]
    chat.wait_for(domain_response("utter_greet", "id"))
    chat.assert_phone_layout()

    chat.send("Kapan pertemuannya?")
    marked = bot.store.get(MARKED_FACT).statement["id"]
    assert marked.endswith(MALICIOUS)
    chat.wait_for(marked)  # the markup itself is on screen, as characters
    chat.settle()
    assert marked in page.locator("#announcer").inner_text()  # read out by screen readers
    user_markup = '<b>halo</b><img src=x onerror="window.__pwned=3">'
    chat.send(user_markup)
    page.wait_for_function(
        "(text) => [...document.querySelectorAll('#log .message-user .bubble')].some(e => e.innerText === text)",
        arg=user_markup, timeout=ANSWER_MS)
    chat.settle()
    chat.shot("markup-as-text")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    box = page.locator(LOG)
    assert box.locator("script").count() == 0
    assert box.locator("img").count() == 0
    assert box.locator("b").count() == 0
    # The message list can be reached by keyboard (it scrolls on its own on a phone).
    page.focus("#messages")
    assert page.evaluate("() => document.activeElement.id") == "messages"
    chat.assert_phone_layout()
    chat.assert_accessible()

    # The Briefing button sends /brief and shows its label as the visitor's message.
    page.click("#brief")
    page.wait_for_selector("#typing", state="visible", timeout=5_000)
    chat.settle()
    assert page.locator(f"{LOG} .message-user .bubble").last.inner_text() == ui["briefing"]
    assert any('"/brief"' in sent for sent in chat.sent), chat.sent[-5:]
    points = bot.store.briefing()
    chat.wait_for(points[0].short["id"])
    briefing = chat.message_with(points[0].short["id"])
    assert len(chat.buttons(briefing)) == len(points)
    chat.assert_phone_layout()  # the longest message, wrapped to the screen
    chat.shot("briefing")
    chat.assert_clean()


@pytest.mark.parametrize("locale, lang", [("ja-JP", "ja"), ("fr-FR", "en")])
def test_phone_chrome_follows_the_browser_language_without_overlap(chat_in, bot, locale, lang):
    """Japanese, and a language without strings (English chrome and greeting) on a phone."""
    chat = chat_in(locale, PHONE, f"phone-{lang}")
    page, ui = chat.page, STRINGS[lang]
    assert page.title() == ui["pageTitle"]
    assert page.inner_text("h1").strip() == ui["widgetTitle"]
    assert page.get_attribute("#input", "placeholder") == ui["inputPlaceholder"]
    assert page.inner_text("#brief").strip() == ui["briefing"]
    chat.wait_for(domain_response("utter_greet", lang))
    chat.wait_for(domain_response("utter_topics_menu", lang))
    chat.settle()
    chat.assert_phone_layout()
    chat.shot("greeting")
    if lang == "en":
        # An answer card with a link on a phone: the address is a real link, and everything wraps.
        smrj = bot.store.get("org_smrj")
        chat.send("What is SMRJ?")
        chat.wait_for(smrj.statement["en"])
        chat.settle()
        assert page.locator(f"{LOG} .bubble a[href='{smrj.website}']").count() == 1
        assert chat.buttons(chat.message_with(smrj.statement["en"]))
        chat.assert_phone_layout()
        shutil.copy(chat.shot("answer"), DOC_PHONE_SHOT)
    chat.assert_clean()
