"""Text folding for accent- and case-insensitive matching ("nguyen" finds "Nguyễn Văn An")."""

from __future__ import annotations

import unicodedata

# Letters that do not decompose into a base letter plus combining marks.
# "_" folds to a space, so a name completed as one shell word (Nguyễn_Văn_An) still matches.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l",
                        "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "_": " "})


class _Folded(dict):
    """Each character's folded form (its compatibility decomposition without combining marks,
    case-folded), worked out the first time it is met: folding is then one str.translate.
    The same as folding the whole text at once, since decomposition and case folding go
    character by character and the combining marks they could reorder are dropped."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code).translate(_EXTRA))
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
        self[code] = folded
        return folded


_FOLDED = _Folded()


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form of `text`, used for keys and look-ups."""
    if text.isascii():
        return " ".join(text.replace("_", " ").lower().split())
    return " ".join(text.translate(_FOLDED).split())


def clean(text: str) -> str:
    """A value as stored: NFC (so Vietnamese names align in tables), outer spaces removed."""
    return unicodedata.normalize("NFC", text).strip()
