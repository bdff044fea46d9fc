"""Who is who: the keys that say two records are the same person, and the rule that uses them.

People are the same when they share an email, a phone (compared in E.164 form) or a profile
URL; or, when neither side has an email, phone or URL that differs from the other's, when they
have the same name, compared *with* its accents, at the same account. Two different emails are
two people. (`same_person` states the precedence exactly; `Index` applies it to many records.)

Names are never compared accent-insensitively here: Hà, Hạ, Há, Hả and Hã are five different
Vietnamese names, and An is not Ân. Accent-insensitive matching (text.fold) is for *finding*
someone from a keyboard without Vietnamese input, never for deciding that two records are one.

Everything here is pure: no database, no Typer, no Rich. `phonenumbers` (about 15 ms to
import, and its metadata per region on first use) is imported only inside `phone` and `region`.
"""

from __future__ import annotations

import re
import unicodedata

# Vietnamese writes the tone of a final oa, oe, uy on either vowel: the old style Hòa, Khỏe,
# Thủy and the new style Hoà, Khoẻ, Thuỷ are the same name spelt two ways (with a final
# consonant, as in Hoàng, both styles agree). In decomposed form (NFD) the tone follows its
# vowel; the key moves it to the second vowel. Circumflex, breve and horn are not tones.
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_OLD_STYLE_TONE = re.compile(f"(o)([{_TONES}])([ae])(?![\\w\u0300-\u036f])"
                             f"|(u)([{_TONES}])(y)(?![\\w\u0300-\u036f])")


def _new_style(match: re.Match[str]) -> str:
    first, tone, second = (g for g in match.groups() if g is not None)
    return first + second + tone


def name_key(name: str) -> str:
    """The exact-name key: two people with the same name have the same key.

    The key is the name in NFC, case-folded, with runs of whitespace made one space and outer
    space removed. Accents are KEPT: Hà, Hạ, Há, Hả and Hã are five keys; An, Ân and Ấn three;
    Bình and Binh two. What does not change a name does not change the key: case (HÀ, Hà and
    hà; Đ and đ), Unicode normalisation (precomposed "à" and "a" + combining grave), spacing,
    and where a final oa, oe or uy carries its tone (Hòa and Hoà, Thủy and Thuỷ, old and new
    Vietnamese spelling of one name). "_" is an ordinary character here (Nguyễn_Văn_An is not
    Nguyễn Văn An): the shell-word convention belongs to look-ups, not to identity.
    """
    if name.isascii():
        return " ".join(name.lower().split())
    text = unicodedata.normalize("NFD", name).casefold()
    text = _OLD_STYLE_TONE.sub(_new_style, text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def email_key(email: str) -> str:
    """The matching key of an email address: the address in NFC, outer spaces removed, all of
    it lower-cased ("" for a blank value).

    The local part (before the @) is lower-cased too: RFC 5321 lets a server tell An@ from an@,
    but no mail provider does, and people type their address in any case. Nothing else is
    changed: dots and +tags are NOT removed (an.nguyen@ and annguyen@, an+crm@ and an@ are
    different addresses, and two different addresses are two people).
    """
    return unicodedata.normalize("NFC", email).strip().lower()
