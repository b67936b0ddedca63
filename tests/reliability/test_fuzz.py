"""Hypothesis over the pure functions a crawled page reaches: no exception escapes, and every
output keeps the contract's types (README "Article JSON").

Bounded for CI: 200 examples per property, no deadline (lxml on a random page is not a
microbenchmark), derandomized so a run is reproducible. A longer random hunt:
`GIAOBAN_FUZZ_EXAMPLES=5000 GIAOBAN_FUZZ_RANDOM=1 pytest tests/reliability/test_fuzz.py`.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator import extract_article
from aggregator.canonical import canonicalize, url_key
from aggregator.dates import find_dates, parse_date, parse_yearless
from aggregator.normalize import fold, normalize_text

FUZZ = settings(max_examples=int(os.environ.get("GIAOBAN_FUZZ_EXAMPLES", 200)), deadline=None,
                database=None, derandomize=not os.environ.get("GIAOBAN_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$")
PAGE_TYPES = {"article", "stub", "listing", "other", "home", "calendar", "print", "error"}
MEETING_KEYS = {"kind", "level", "locality", "chair", "period", "meeting_date"}

# -- strategies: Vietnamese text, dates as portals print them, pages, URLs -------------------
VI_LETTERS = ("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ"
              "ùúủũụừứửữựỳýỷỹỵAĂÂĐÊÔƠƯ")
WORDS = ["Thường trực", "Thị ủy", "Tỉnh uỷ", "giao ban", "trực báo", "Mặt trận", "MTTQ",
         "đoàn thể", "chính trị - xã hội", "quý I/2024", "Ngày 1-4", "Chiều 3/7", "hoà", "thuỷ",
         "Cập nhật lúc: 18:47 01/10/2019", "Đăng ngày 15 - 10 - 2021", "2025-05-09 17:36:00.0",
         "Thứ ba, 18 Tháng 8 2015 16:06", "03/04/2020 | 10:36 PM", "14 giờ 30 phút", "Ð", "ð",
         "\u00a0", "\u200b", "\ufeff", "–", "—", "hà nh", "uỷ ban", "\r\n", "\t", "\x00", "\x1b"]
vi_text = st.lists(st.one_of(st.sampled_from(WORDS), st.text(VI_LETTERS, min_size=1, max_size=9),
                             st.text(max_size=6)), max_size=40).map(" ".join)
date_text = st.one_of(
    st.builds(lambda d, m, y, sep, h, mi: f"{d}{sep}{m}{sep}{y} {h}:{mi:02d}",
              st.integers(0, 40), st.integers(0, 14), st.integers(1900, 2200),
              st.sampled_from(["/", "-", ".", " - "]), st.integers(0, 30), st.integers(0, 70)),
    st.builds(lambda y, m, d, tz: f"{y}-{m:02d}-{d:02d}T10:00:00{tz}", st.integers(1, 9999),
              st.integers(0, 13), st.integers(0, 32),
              st.sampled_from(["", "Z", "+07:00", "-11:30", "+1400", "+99:99"])),
    st.builds(lambda p, d, m: f"{p} {d}-{m}", st.sampled_from(["Ngày", "Chiều", "Sáng", "tối nay ("]),
              st.integers(0, 40), st.integers(0, 14)),
    vi_text, st.text(max_size=80))

TAGS = ["div", "p", "span", "h1", "h2", "a", "img", "table", "tr", "td", "b", "i", "br", "ul", "li",
        "figure", "figcaption", "time", "article", "section", "script", "style", "noscript",
        "iframe", "svg", "title", "meta", "link", "plaintext", "xmp", "template", "font"]
CLASSES = ["news-title", "news-content", "news-date", "news-author", "title", "content",
           "detail-content", "journal-content-article", "ms-rtestate-field", "post-content",
           "entry-content", "image-caption", "counter", "clock", "date", "sapo", ""]
ATTRS = st.dictionaries(
    st.sampled_from(["class", "id", "href", "src", "style", "onerror", "content", "property",
                     "name", "charset", "datetime", "rel", "itemprop"]),
    st.one_of(st.sampled_from(CLASSES), st.sampled_from([
        "javascript:alert(1)", "http://[::1", "//x.vn/a.jpg", "/a b.jpg", "canonical",
        "og:title", "article:published_time", "2024-13-45", "utf-16", "x-unknown", "datePublished",
        "http://127.0.0.1:99999999/", "data:text/html,<script>alert(1)</script>"]), vi_text),
    max_size=3)


def _element(children):
    return st.builds(
        lambda tag, attrs, kids, close: (
            f"<{tag}" + "".join(f' {k}="{v.replace(chr(34), "&quot;")}"' for k, v in attrs.items())
            + ">" + "".join(kids) + (f"</{tag}>" if close else "")),
        st.sampled_from(TAGS), ATTRS, st.lists(children, max_size=5), st.booleans())


html_fragment = st.recursive(st.one_of(vi_text, date_text, st.sampled_from(["<", ">", "&", "&amp",
                                                                           "<!--", "]]>"])),
                             _element, max_leaves=30)
html_page = st.builds(
    lambda head, body, doctype: (doctype + f"<html><head>{head}</head><body>{body}</body></html>"),
    st.lists(html_fragment, max_size=3).map("".join), st.lists(html_fragment, max_size=8).map("".join),
    st.sampled_from(["", "<!DOCTYPE html>", "<?xml version='1.0' encoding='utf-16'?>"]))
encodings = st.sampled_from(["utf-8", "utf-16", "cp1258", "latin-1", "utf-8-sig"])
content_types = st.one_of(st.none(), st.sampled_from([
    "text/html", "text/html; charset=utf-8", "text/html; charset=windows-1258",
    "text/html; charset=x-unknown", 'text/html; charset="UTF-8"; x=y', "application/pdf",
    "text/html; charset=utf-16", ";;;charset=", "charset=utf-8"]), st.text(max_size=40))
urls = st.one_of(
    st.builds(lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
              st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
              st.sampled_from(["honglinh.hatinh.gov.vn", "WWW.ducpho.quangngai.gov.vn",
                               "127.0.0.1", "[::1]", "[::1", "xn--hng-lnh.vn", "a..b", ""]),
              st.sampled_from(["", ":80", ":8080", ":0", ":99999999", ":abc", ":"]),
              st.text(max_size=30).map(lambda s: "/" + s),
              st.sampled_from(["", "?utm_source=fb&id=3", "?b=2&a=1&fbclid=x", "?redirect=%2F",
                               "#frag", "?;jsessionid=1"])),
    st.text(max_size=60))


def _check_article(a: dict) -> None:
    json.dumps(a, ensure_ascii=False)  # serialisable, as `giaoban extract` prints it
    for field, typ in (("url", str), ("canonical_url", str), ("source", str), ("title", str),
                       ("body", str), ("images", list), ("relevant", bool), ("meeting", dict)):
        assert isinstance(a[field], typ), (field, a[field])
    assert a["published"] is None or ISO_DATE.match(a["published"]) or \
        ISO_TIME.match(a["published"]), a["published"]
    if a["published"]:
        date.fromisoformat(a["published"][:10])
    assert a["author"] is None or isinstance(a["author"], str)
    for text in (a["title"], a["body"]) + ((a["author"],) if a["author"] else ()):
        assert unicodedata.is_normalized("NFC", text)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text), repr(text[:200])
    assert "\n\n\n" not in a["body"]
    for image in a["images"]:
        assert set(image) == {"src", "caption"}, image
        assert isinstance(image["src"], str) and image["src"]
        assert image["caption"] is None or isinstance(image["caption"], str)
    assert set(a["meeting"]) == MEETING_KEYS
    md = a["meeting"]["meeting_date"]
    assert md is None or ISO_DATE.match(md)
    assert a["page_type"] in PAGE_TYPES, a["page_type"]
    if a["page_type"] == "error":
        assert a["error"]


@FUZZ
@given(body=st.binary(max_size=4096), url=urls, ctype=content_types)
def test_extract_article_on_random_bytes(body, url, ctype):
    _check_article(extract_article(body, url, ctype))


@FUZZ
@given(page=html_page, encoding=encodings, ctype=content_types,
       family=st.sampled_from([None, "generic", "hatinh_legacy", "liferay62", "sharepoint",
                               "tandan", "quangninh", "wordpress", "no-such-family"]),
       path=st.sampled_from(["/honglinh/portal/folder/website/news/giao-ban-1.html", "/",
                             "/tin-tuc/giao-ban-quy-i.html", "/tin-tuc?page=2", "/x.aspx?ItemID=3"]))
def test_extract_article_on_random_vietnamese_html(page, encoding, ctype, family, path):
    body = page.encode(encoding, "replace")
    a = extract_article(body, "http://honglinh.hatinh.gov.vn" + path, ctype,
                        "2024-05-01T08:00:00+07:00", family=family)
    _check_article(a)


@FUZZ
@given(text=st.one_of(date_text, st.text()), date_only=st.booleans())
def test_parse_date_returns_none_or_a_valid_date(text, date_only):
    p = parse_date(text, date_only=date_only)
    if p is None:
        return
    assert ISO_DATE.match(p.value) or ISO_TIME.match(p.value), p.value
    day = date.fromisoformat(p.value[:10])
    assert 1990 <= day.year <= 2100
    assert p.has_time == bool(ISO_TIME.match(p.value))
    assert not (date_only and p.has_time)
    assert p.day == day


@FUZZ
@given(text=st.one_of(date_text, st.text()),
       ref=st.dates(min_value=date(1991, 1, 1), max_value=date(2099, 12, 31)))
def test_parse_yearless_never_lands_after_its_reference(text, ref):
    p = parse_yearless(text, ref)
    if p is None:
        return
    assert ISO_DATE.match(p.value) and not p.has_time
    day = date.fromisoformat(p.value)
    has_year = re.search(r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4}", text)
    assert has_year or day <= ref, (text, ref, day)


@FUZZ
@given(text=st.one_of(date_text, vi_text))
def test_find_dates_positions_and_values(text):
    for pos, p in find_dates(text):
        assert isinstance(pos, int) and pos >= 0
        assert ISO_DATE.match(p.value) or ISO_TIME.match(p.value)


@FUZZ
@given(url=urls, href=st.one_of(st.none(), urls))
def test_canonicalize_and_url_key_never_raise(url, href):
    c = canonicalize(url, href)
    assert isinstance(c, str)
    assert isinstance(url_key(url), str)
    assert "#" not in c or "#" in url.strip() and c == url.strip()  # fragments go, unless unparseable
    assert canonicalize(c) == c or canonicalize(canonicalize(c)) == canonicalize(c)


@FUZZ
@given(host=st.sampled_from(["honglinh.hatinh.gov.vn", "ducpho.quangngai.gov.vn"]),
       path=st.text(st.characters(blacklist_categories=["Cs"]), max_size=30),
       query=st.dictionaries(st.sampled_from(["id", "page", "utm_source", "fbclid", "b", "a"]),
                             st.text("abc123", max_size=4), max_size=4))
def test_url_variants_share_one_key(host, path, query):
    from urllib.parse import quote, urlencode

    path = "/" + quote(path)
    q = urlencode(query)
    base = f"http://{host}{path}" + (f"?{q}" if q else "")
    variants = [base, base.replace("http://", "https://", 1), base.replace(host, "www." + host, 1),
                base.replace(host, host.upper(), 1) + "#top"]
    assert len({url_key(v) for v in variants}) == 1, variants
    assert canonicalize(canonicalize(base)) == canonicalize(base)


@FUZZ
@given(text=st.one_of(vi_text, st.text()))
def test_normalize_text_is_nfc_clean_and_idempotent(text):
    out = normalize_text(text)
    assert isinstance(out, str)
    assert unicodedata.is_normalized("NFC", out)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u00a0\u200b\ufeff\u2013\u2014\u00d0]", out)
    assert "  " not in out and "\r" not in out
    assert normalize_text(out) == out, (text, out)


@FUZZ
@given(text=st.one_of(vi_text, st.text()))
def test_fold_is_a_plain_lower_case_search_key(text):
    key = fold(text)
    assert isinstance(key, str)
    assert not re.search("[\u0300-\u036f]", key), repr(key)  # no Latin diacritic left
    latin = [c for c in key if "\u00c0" <= c <= "\u024f" or "\u1e00" <= c <= "\u1eff"]
    assert all(unicodedata.normalize("NFD", c) == c for c in latin), repr(key)
    assert "đ" not in key and "Đ" not in key
    assert fold(key) == key
    assert fold(normalize_text(text)) == fold(normalize_text(fold(text)))
