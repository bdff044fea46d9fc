"""fold(): the key every name, company and search is matched on (accent- and case-free)."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcrm.text import _EXTRA, fold


def _whole(text: str) -> str:
    """fold as it was first written: the whole text decomposed at once (the reference)."""
    if text.isascii():
        return " ".join(text.replace("_", " ").lower().split())
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def test_fold_examples():
    assert fold("Nguyễn  Văn_An") == "nguyen van an"
    assert fold("ĐẶNG Thị Ngọc Ánh") == "dang thi ngoc anh"
    assert fold("Straße Œuvre ½") == "strasse oeuvre 1⁄2"
    assert fold("Nguye\u0302\u0303n") == "nguyen"  # typed decomposed
    assert fold("\u00a0An\u2003Bình\n") == "an binh"


@pytest.mark.slow  # a property test of about 2.5 s: the full run (CI) has it
@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
       | st.text(alphabet="aAeEđĐ _\u00a0\u0300\u0301\u0302\u0303\u0309\u0323ơưăâêôƯƠ",
                 max_size=20))
def test_fold_character_by_character_is_folding_the_whole_text(text):
    assert fold(text) == _whole(text)
