"""Language handling: detection of a message's language, resolution of the reply language, and
word segmentation (MeCab for Japanese). Everything else imports from here."""

from bot.language.detection import Detection, detect_language
from bot.language.resolution import (
    MESSAGE_REASONS,
    Resolution,
    language_from_hint,
    requested_language,
    resolve_language,
)

__all__ = [
    "MESSAGE_REASONS", "Detection", "Resolution", "detect_language", "language_from_hint",
    "requested_language", "resolve_language",
]
