"""The web chat channel without servers: which files it serves, its headers, the 503 without the
socket.io client, and its output: one message per bot response, text as written, buttons that stay.
(tests/test_web_widget.py checks the same page in a real browser against the running bot.)"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.channels.web_page import (
    CSP,
    WEB_DIR,
    WebPageInput,
    WebPageOutput,
    _metadata,
    new_session_id,
    resolve_web_file,
    verify_session_id,
)


@pytest.fixture()
def web_dir(tmp_path) -> Path:
    """A copy of web/ with a stand-in client, plus a secret next to it that must stay unreachable."""
    copy = tmp_path / "web"
    shutil.copytree(WEB_DIR, copy, ignore=shutil.ignore_patterns("vendor"))
    (copy / "vendor").mkdir()
    (copy / "vendor" / "socket.io.min.js").write_text("window.io = function () {};\n")
    (tmp_path / "secret.js").write_text("secret\n")
    (copy / "linked.js").symlink_to(tmp_path / "secret.js")
    return copy


def _routes(channel: WebPageInput) -> dict[str, object]:
    blueprint = channel.blueprint(lambda message: None)
    return {route.uri: route.handler for route in blueprint._future_routes}


@pytest.mark.parametrize("relative", [
    "../secret.js", "..", "vendor/../../secret.js", "%2e%2e/secret.js", ".hidden.js", "linked.js",
    "nope.js", "strings.json/", "chat.js\x00.css", "index.html?x", "a/b/c/d/e.js", "", "/etc/passwd",
])
def test_only_files_inside_web_are_served(web_dir, relative):
    assert resolve_web_file(web_dir, relative) is None


@pytest.mark.parametrize("relative", ["index.html", "chat.js", "chat.css", "strings.json",
                                      "vendor/socket.io.min.js"])
def test_the_page_files_are_served(web_dir, relative):
    assert resolve_web_file(web_dir, relative) == (web_dir / relative).resolve()


async def test_page_and_files_carry_the_security_headers_and_content_types(web_dir):
    routes = _routes(WebPageInput(web_dir))
    page = await routes["/"](SimpleNamespace(path="/webhooks/web/"))
    assert page.status == 200
    assert page.content_type == "text/html; charset=utf-8"
    assert page.headers["Content-Security-Policy"] == CSP
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    script = await routes["/<relative:path>"](SimpleNamespace(path="/webhooks/web/chat.js"), "chat.js")
    assert script.content_type == "text/javascript; charset=utf-8"
    missing = await routes["/<relative:path>"](SimpleNamespace(path="/webhooks/web/x.js"), "x.js")
    assert missing.status == 404 and missing.headers["X-Content-Type-Options"] == "nosniff"
    redirect = await routes["/"](SimpleNamespace(path="/webhooks/web"))
    assert redirect.status == 302 and redirect.headers["Location"] == "/webhooks/web/"
    # Sanic adds Location to the headers dict it is given; the next response must not carry it.
    again = await routes["/"](SimpleNamespace(path="/webhooks/web/"))
    assert "Location" not in again.headers


async def test_without_the_widget_bundle_the_page_says_what_to_run(web_dir):
    shutil.rmtree(web_dir / "vendor")
    page = await _routes(WebPageInput(web_dir))["/"](SimpleNamespace(path="/webhooks/web/"))
    assert page.status == 503
    assert "scripts/web_assets.sh" in page.body.decode()


def test_an_entry_without_settings_uses_the_web_folder():
    channel = WebPageInput.from_credentials(None)
    assert isinstance(channel, WebPageInput) and channel.web_dir == WEB_DIR


async def test_each_bot_response_is_one_message_with_its_text_as_written_and_its_buttons():
    sent = []

    class Recording(WebPageOutput):
        async def _send_message(self, socket_id, response):
            sent.append((socket_id, response))

    output = Recording(None, "bot_uttered")
    card = "Statement <b>*as written*</b> &lt;\n\nSource: ANTARA, https://example.org/a_b"
    buttons = [{"title": "Source quote", "payload": '/show_quote{"fact":"x"}'},
               {"title": "What else?", "payload": "/ask_fact"}]
    await output.send_text_with_buttons("s1", card + "\n", buttons)
    await output.send_text_message("s1", "one\n\ntwo")
    assert sent == [
        ("s1", {"text": card, "buttons": buttons}),   # one message, not one per paragraph
        ("s1", {"text": "one\n\ntwo"}),
    ]


def test_only_server_issued_session_ids_and_object_metadata_are_accepted():
    key, other_key = b"k" * 32, b"o" * 32
    issued = new_session_id(key)
    assert verify_session_id(issued, key) and issued != new_session_id(key)
    assert not verify_session_id(issued, other_key)            # another deployment's id
    forged = issued[:32] + ("0" if issued[32] != "0" else "1") + issued[33:]
    tampered = ("f" if issued[0] != "f" else "e") + issued[1:]
    for bad in (None, "", "123456789", "../x", issued.upper(), 42, "a" * 64, issued[:32],
                "66ad8df5de6347baa79e2f8634865de2", forged, tampered, issued + "0"):
        assert not verify_session_id(bad, key)
    assert _metadata({"language": "ja-JP"}) == {"language": "ja-JP"}
    assert _metadata('{"language": "id"}') == {"language": "id"}
    assert _metadata("not json") == {} and _metadata(["x"]) == {} and _metadata(None) == {}
