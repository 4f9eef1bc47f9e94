"""Register, inspect or remove the Telegram webhook: ``python -m bot.channels.telegram_webhook``.

Rasa's own channel registers the webhook while the server starts, which stops the server from
starting offline. This command does it once, explicitly, with the secret token Telegram must send
back and only the update types the bot handles.

    python -m bot.channels.telegram_webhook set      # setWebhook(url, secret_token, allowed_updates)
    python -m bot.channels.telegram_webhook info     # getWebhookInfo
    python -m bot.channels.telegram_webhook delete   # deleteWebhook
"""

from __future__ import annotations

import argparse
import json
import sys

import requests

from bot.channels.telegram import SECRET_TOKEN_FORMAT
from bot.settings import Settings, settings

#: The updates the channel answers; others are never sent to it.
ALLOWED_UPDATES = ["message", "callback_query"]


def _call(current: Settings, method: str, payload: dict | None = None) -> dict:
    url = f"{current.telegram_api_base_url.rstrip('/')}/bot{current.telegram_token}/{method}"
    reply = requests.post(url, json=payload or {}, timeout=30)
    try:
        body = reply.json()
    except ValueError:
        body = {"ok": False, "description": f"HTTP {reply.status_code}, not JSON"}
    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram_webhook",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["set", "info", "delete"])
    args = parser.parse_args(argv)
    current = settings()
    problems = []
    if not current.telegram_token:
        problems.append("TELEGRAM_TOKEN is not set (the token BotFather gave you)")
    if args.command == "set":
        if not current.telegram_webhook_url.startswith("https://"):
            problems.append("TELEGRAM_WEBHOOK_URL must be the public https:// URL of "
                            "/webhooks/telegram/webhook")
        if not SECRET_TOKEN_FORMAT.fullmatch(current.telegram_secret_token):
            problems.append("TELEGRAM_SECRET_TOKEN must be 1-256 characters of A-Z a-z 0-9 _ -")
    if problems:
        print("error: " + "; ".join(problems), file=sys.stderr)
        return 2
    try:
        if args.command == "set":
            body = _call(current, "setWebhook", {"url": current.telegram_webhook_url,
                                                  "secret_token": current.telegram_secret_token,
                                                  "allowed_updates": ALLOWED_UPDATES})
        elif args.command == "info":
            body = _call(current, "getWebhookInfo")
        else:
            body = _call(current, "deleteWebhook")
    except requests.RequestException as error:
        print(f"error: cannot reach {current.telegram_api_base_url}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return 0 if body.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
