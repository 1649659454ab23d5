"""The light moderation rules every review and reply passes before it is stored."""

import re

from apps.reviews.exceptions import BANNED_WORDS, TEXT_TOO_LONG, ReviewInvalid
from apps.reviews.models import BannedWord


def check_text(text: str, *, field: str, limit: int) -> str:
    """The text, stripped, if it is short enough and has no banned word; else ReviewInvalid."""
    text = (text or "").strip()
    if len(text) > limit:
        raise ReviewInvalid(TEXT_TOO_LONG % {"limit": limit, "length": len(text)}, field=field)
    if word := banned_word_in(text):
        raise ReviewInvalid(BANNED_WORDS % {"word": word}, field=field)
    return text


def banned_word_in(text: str) -> str | None:
    """The first banned word ``text`` contains as a whole word (any case), or None."""
    if not text:
        return None
    words = list(BannedWord.objects.values_list("word", flat=True))
    if not words:
        return None
    pattern = r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b"
    found = re.search(pattern, text, flags=re.IGNORECASE)
    return found.group(1) if found else None
