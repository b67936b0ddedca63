"""The Vietnamese normaliser, table-driven."""

import unicodedata

import pytest

from aggregator.normalize import fold, normalize_paragraphs, normalize_text

CASES = [
    ("Thị uỷ", "Thị ủy"),
    ("Uỷ ban MTTQ", "Ủy ban MTTQ"),
    ("hoà bình", "hòa bình"),
    ("HOÀ", "HÒA"),
    ("khoẻ mạnh", "khỏe mạnh"),
    ("thuỷ lợi", "thủy lợi"),
    ("tận tuỵ", "tận tụy"),
    ("Thuý Yến", "Thúy Yến"),
    ("quý I/2022", "quý I/2022"),          # qu + y: unchanged
    ("hoàng hôn", "hoàng hôn"),            # closed syllable: unchanged
    ("khuya", "khuya"),                    # three-vowel cluster: unchanged
    ("Ðảng ủy", "Đảng ủy"),                # U+00D0 ETH → Đ
    ("HÐND", "HĐND"),
    ("chính trị – xã hội", "chính trị - xã hội"),
    ("chính trị — xã hội", "chính trị - xã hội"),
    ("a\u00a0b", "a b"),
    ("Đảng\u200b ủy", "Đảng ủy"),
    ("Ban Chấp hà nh", "Ban Chấp hành"),
    ("Thà nh ủy", "Thành ủy"),
    ("đã  đẩy   mạnh", "đã đẩy mạnh"),
    ("nbsp;Hội nghị", "Hội nghị"),
    (unicodedata.normalize("NFD", "Thường trực"), "Thường trực"),
]


@pytest.mark.parametrize("raw,expected", CASES)
def test_normalize_text(raw, expected):
    out = normalize_text(raw)
    assert out == expected
    assert unicodedata.is_normalized("NFC", out)


def test_fold_is_the_search_key():
    assert fold("Đảng ủy Thị uỷ") == fold("dang uy thi uy") == "dang uy thi uy"
    assert fold("Trực báo") == "truc bao"
    assert fold("ĐOÀN THỂ") == "doan the"


def test_paragraphs_joined_by_one_blank_line():
    assert normalize_paragraphs(["Một\ndòng", "", "  Hai "]) == "Một dòng\n\nHai"
