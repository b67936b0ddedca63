"""Charsets: HTTP header first, then BOM and meta, then detection; every decision reported."""

from aggregator import extract_article
from aggregator.charset import decode_body
from scrapers.mirror import to_cp1258

TEXT = "Thường trực Thị ủy giao ban với Ủy ban MTTQ và các đoàn thể chính trị - xã hội"


def _page(meta: str = "") -> str:
    return (f"<html><head>{meta}<title>{TEXT}</title></head><body><h1>{TEXT}</h1>"
            f"<p>Cập nhật lúc: 18:47 01/10/2019</p>" + f"<p>{TEXT}. </p>" * 12 + "</body></html>")


def test_windows_1258_declared_only_in_header():
    body = to_cp1258(_page())
    d = decode_body(body, "text/html; charset=windows-1258")
    assert d.method == "http-header" and d.encoding == "cp1258"
    a = extract_article(body, "http://x.gov.vn/a-1.html", "text/html; charset=windows-1258")
    assert a["title"] == TEXT and a["encoding"] == "cp1258"


def test_utf8_bom_beats_a_lying_header():
    body = b"\xef\xbb\xbf" + _page('<meta charset="utf-8">').encode("utf-8")
    d = decode_body(body, "text/html; charset=iso-8859-1")
    assert d.method == "bom" and TEXT in d.text


def test_meta_that_lies_is_overruled_by_the_bytes():
    body = _page('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')
    d = decode_body(body.encode("utf-8"), None)
    assert d.encoding == "utf-8" and TEXT in d.text and d.method == "detected"


def test_mis_declared_utf8_falls_back_to_legacy():
    body = to_cp1258(_page('<meta charset="utf-8">'))
    d = decode_body(body, "text/html; charset=utf-8")
    assert d.encoding != "utf-8"
    assert "\ufffd" not in d.text


def test_tcvn3_font_encoding_is_detected():
    tcvn3 = "Céng hoµ x· héi chñ nghÜa ViÖt Nam. §éc lËp - Tù do - H¹nh phóc. " * 5
    d = decode_body(tcvn3.encode("latin-1"), "text/html; charset=iso-8859-1")
    assert d.legacy_font == "TCVN3"
