"""Text folding for accent- and case-insensitive matching ("nguyen" finds "Nguyễn Văn An")."""

from __future__ import annotations

import unicodedata

# Letters that do not decompose into a base letter plus combining marks.
# "_" folds to a space, so a name completed as one shell word (Nguyễn_Văn_An) still matches.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l",
                        "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "_": " "})


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form of `text`, used for keys and look-ups."""
    if text.isascii():
        return " ".join(text.replace("_", " ").lower().split())
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def clean(text: str) -> str:
    """A value as stored: NFC (so Vietnamese names align in tables), outer spaces removed."""
    return unicodedata.normalize("NFC", text).strip()
