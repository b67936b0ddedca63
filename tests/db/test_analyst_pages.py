"""Analyst features through the real Datasette app over a small archive written by the Store.

The archive is made for the checks: words that folding would merge (hoa / hòa / hóa, đang /
Đảng), a story carried by two portals, a portal silent for months, one with no article, an
article edited while Datasette runs, and a page full of script injections.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import lxml.html
import pytest

from db.store import Store
from dsserver import fetch, get_json, serve

TODAY = datetime.now(timezone(timedelta(hours=7))).date().isoformat()
HA_TINH = {"province": "Hà Tĩnh", "locality": "thị xã Hồng Lĩnh"}
STORY_BODY = ("Chiều 2-5, Thường trực Thị ủy tổ chức hội nghị giao ban với Ủy ban MTTQ và các "
              "đoàn thể chính trị - xã hội thị xã. Đồng chí Nguyễn Văn An chủ trì.\n\n"
              "Hội nghị đánh giá kết quả công tác quý I/2024 và bàn nhiệm vụ quý II.")
EVIL_TITLE = 'Tin <script>window.__pwned="title"</script> đặc biệt'
EVIL_BODY = ('Đoạn một <img src=x onerror="window.__pwned=\'img\'"> hết.\n\n'
             '<script>window.__pwned="body"</script><a href="javascript:window.__pwned=1">x</a>')
EVIL_IMAGES = [
    {"src": "javascript:window.__pwned='src'", "caption": "bị bỏ"},
    {"src": "http://127.0.0.1:9/anh-hoi-nghi.jpg",
     "caption": '<b onmouseover="window.__pwned=1">Ảnh</b>"><script>window.__pwned="cap"</script>'},
]


def meeting(kind: str, date: str, chair: str) -> dict:
    return {"relevant": True, "relevance": {"score": 9, "reasons": ["+3 giao ban / trực báo"]},
            "meeting": {"kind": kind, "level": "thi_xa", "locality": "thị xã Hồng Lĩnh",
                        "chair": chair, "period": "quý I/2024", "meeting_date": date},
            "meeting_extra": {"chair_title": "Phó Bí thư Thường trực Thị ủy",
                              "period_norm": {"year": 2024, "quarter": 1}}}


def doc(url: str, title: str, body: str, published: str, **extra) -> dict:
    return {"url": extra.pop("fetched", url), "canonical_url": url, "title": title, "body": body,
            "published": published, "author": "PV", "images": extra.pop("images", []), **extra}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("analyst") / "giaoban.db"
    store = Store(path)
    store.upsert_sources([
        {"name": n, "host": f"{n}.example.vn", "level": "thi_xa", "province": "Hà Tĩnh"}
        for n in ("alpha", "beta", "gamma", "delta")])
    ids = {}
    for key, src, d in [
        ("hoa", "alpha", doc("http://alpha.example.vn/hoa", "Hội thi cắm hoa mừng Xuân",
                             "Các đội thi mang đến nhiều tác phẩm hoa tươi.", "2024-02-05")),
        ("hoa_grave", "alpha", doc("http://alpha.example.vn/hoa-binh",
                                   "Giữ gìn hòa bình thôn xóm",
                                   "Tổ hòa giải ở cơ sở giúp bà con hòa thuận.", "2024-03-01")),
        ("hoa_acute", "alpha", doc("http://alpha.example.vn/hien-dai-hoa",
                                   "Hiện đại hóa nền hành chính",
                                   "Xây dựng đời sống văn hóa ở khu dân cư.", "2024-03-02")),
        ("truc_bao", "beta", doc("http://beta.example.vn/truc-bao",
                                 "Thường trực Thị uỷ trực báo với Mặt trận và các đoàn thể",
                                 "Ngày 10-4, Thường trực Thị ủy trực báo với Mặt trận và các "
                                 "đoàn thể; Đảng uỷ các phường báo cáo.", "2024-04-11",
                                 **meeting("trực báo", "2024-04-10", "Nguyễn Văn An"))),
        ("copy1", "alpha", doc("http://alpha.example.vn/giao-ban-quy-1",
                               "Giao ban Mặt trận và các đoàn thể quý I", STORY_BODY,
                               "2024-05-02T17:00:00+07:00",
                               **meeting("giao ban", "2024-05-02", "Nguyễn Văn An"))),
        ("copy2", "gamma", doc("http://gamma.example.vn/tin/giao-ban-quy-1.html",
                               "Giao ban Mặt trận và các đoàn thể quý I", STORY_BODY,
                               "2024-05-03T08:00:00+07:00",
                               fetched="http://gamma.example.vn/tin/giao-ban-quy-1.html?print=1",
                               **meeting("giao ban", "2024-05-02", "Nguyễn Văn An"))),
        ("evil", "gamma", doc("http://gamma.example.vn/evil", EVIL_TITLE, EVIL_BODY,
                              "2024-01-01", fetched="javascript:window.__pwned='url'",
                              images=EVIL_IMAGES)),
        ("today", "beta", doc("http://beta.example.vn/hom-nay", "Người dân đang thu hoạch lúa",
                              "Bà con đang gặt lúa chiêm xuân.", TODAY)),
    ]:
        ids[key], _ = store.save_article(d, source=src, source_info=HA_TINH)
    with serve(path) as base:
        yield {"base": base, "ids": ids, "store": store}
    store.close()


def found(archive, query: str) -> set[int]:
    data = get_json(archive["base"] + "/giaoban/articles.json?_shape=objects&_size=max&_col=id"
                    "&_search=" + quote(query))
    assert data["filtered_table_rows_count"] == len(data["rows"])
    return {r["id"] for r in data["rows"]}


def test_unaccented_and_d_bar_queries_find_every_spelling(archive):
    ids = archive["ids"]
    assert found(archive, "hoa") == {ids["hoa"], ids["hoa_grave"], ids["hoa_acute"]}
    assert found(archive, "dang") == {ids["truc_bao"], ids["today"]}  # Đảng and đang
    assert found(archive, "dang uy") == {ids["truc_bao"]}
    assert found(archive, "doan the") == {ids["truc_bao"], ids["copy1"], ids["copy2"]}


def test_accented_queries_stay_precise(archive):
    ids = archive["ids"]
    assert found(archive, "hòa") == {ids["hoa_grave"]}
    assert found(archive, "hoà") == {ids["hoa_grave"]}  # the other tone style, same word
    assert found(archive, "hóa") == {ids["hoa_acute"]}
    assert found(archive, "đang") == {ids["today"]}
    assert found(archive, "Đảng") == {ids["truc_bao"]}


@pytest.mark.parametrize("query", ["Thị uỷ trực báo", "Thị ủy trực báo", "thi uy truc bao",
                                   "Thị uy truc báo"])
def test_mixed_tone_style_and_mixed_accents(archive, query):
    assert found(archive, query) == {archive["ids"]["truc_bao"]}, query


def test_search_box_keeps_what_was_typed(archive):
    status, _, html = fetch(archive["base"] + "/giaoban/articles?_search=" + quote("Thị uỷ"))
    assert status == 200
    assert 'value="Thị uỷ"' in html
    assert "/-/article/%d" % archive["ids"]["truc_bao"] in html  # the title links to the page


def test_an_article_edited_while_serving_is_found_by_its_new_text_only(archive):
    store, url = archive["store"], "http://beta.example.vn/cap-nhat"
    article_id, action = store.save_article(
        doc(url, "Tin cập nhật", "Nội dung cũ nói về mùa nước nổi.", "2024-06-01"),
        source="beta", source_info=HA_TINH)
    assert action == "new"
    assert found(archive, "mua nuoc noi") == {article_id}
    same_id, action = store.save_article(
        doc(url, "Tin cập nhật lần hai", "Nội dung mới nói về khoai lang.", "2024-06-01"),
        source="beta", source_info=HA_TINH)
    assert (same_id, action) == (article_id, "updated")
    assert found(archive, "khoai lang") == {article_id}
    assert found(archive, "lần hai") == {article_id}
    assert found(archive, "mua nuoc noi") == set()
    assert found(archive, "nổi") == set()


def test_article_page_is_sanitised_and_forbids_script(archive):
    status, headers, html = fetch(archive["base"] + f"/-/article/{archive['ids']['evil']}")
    assert status == 200
    csp = headers["Content-Security-Policy"]
    assert "script-src 'none'" in csp and "default-src 'none'" in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    body = html.split('id="article-body">', 1)[1].split("</div>", 1)[0]
    content = lxml.html.fromstring(html).xpath("//section[@class='content']")[0]
    assert not content.xpath(".//script | .//iframe | .//object | .//embed | .//style")
    attributes = [(k.lower(), v.strip().lower()) for el in content.iter() for k, v in
                  el.attrib.items()]
    assert not [k for k, _ in attributes if k.startswith("on")]  # no event handler survives
    assert not [v for k, v in attributes if k in ("href", "src") and
                not v.startswith(("http://", "https://", "/"))]
    assert "&lt;script&gt;" in body  # the text is shown, escaped
    assert 'src="http://127.0.0.1:9/anh-hoi-nghi.jpg"' in body
    assert "<figcaption>" in body and "&lt;b onmouseover" in body
    assert "&lt;script&gt;" in html.split('<h1 id="article-title">', 1)[1][:200]
    # nothing of the page's own: every <script> on the page is Datasette's, and CSP blocks it
    assert all("__pwned" not in s for s in re.findall(r"<script[^>]*>.*?</script>", html, re.S))


def test_story_page_lists_every_portal_and_url(archive):
    ids = archive["ids"]
    story_id = archive["store"].db.execute("SELECT story_id FROM articles WHERE id = ?",
                                           [ids["copy2"]]).fetchone()[0]
    for path in (f"/-/story/{story_id}", f"/-/article/{ids['copy2']}"):
        status, headers, html = fetch(archive["base"] + path)
        assert status == 200 and "script-src 'none'" in headers["Content-Security-Policy"]
        carriers = html.split('id="carriers"', 1)[1]
        assert 'data-source="alpha"' in carriers and 'data-source="gamma"' in carriers
        assert 'href="http://alpha.example.vn/giao-ban-quy-1"' in carriers
        assert 'href="http://gamma.example.vn/tin/giao-ban-quy-1.html"' in carriers
        assert "giao-ban-quy-1.html?print=1" in carriers  # the fetched variant
        assert "Carried by 2 portals" in html
        assert "Nguyễn Văn An" in html and "Chaired by" in html
    assert fetch(archive["base"] + "/-/story/999999")[0] == 404
    assert fetch(archive["base"] + "/-/article/999999")[0] == 404


def query(archive, name: str, **params) -> list[dict]:
    qs = "&".join(f"{k}={quote(v)}" for k, v in params.items())
    return get_json(f"{archive['base']}/giaoban/{name}.json?_shape=array&{qs}")


def test_canned_queries(archive):
    multi = query(archive, "multi_portal_stories")
    assert len(multi) == 1 and multi[0]["n_sources"] == 2
    assert multi[0]["sources"] == "alpha, gamma"
    assert multi[0]["urls"].split("\n") == [
        "alpha http://alpha.example.vn/giao-ban-quy-1",
        "gamma http://gamma.example.vn/tin/giao-ban-quy-1.html"]
    silent = {r["name"]: r for r in query(archive, "silent_sources")}
    assert set(silent) == {"alpha", "gamma", "delta"}  # beta published today
    assert silent["delta"]["articles"] == 0 and silent["delta"]["last_published"] is None
    assert silent["alpha"]["last_published"].startswith("2024-05-02")
    chairs = query(archive, "chairs")
    assert [(c["chair"], c["chaired"]) for c in chairs] == [("Nguyễn Văn An", 2)]
    quarters = query(archive, "briefings_per_quarter")
    assert [(q["year"], q["quarter"], q["level"], q["briefings"], q["giao_ban"], q["truc_bao"])
            for q in quarters] == [(2024, 2, "thi_xa", 2, 1, 1)]
    months = query(archive, "briefings_per_month", province="", level="")
    assert [(m["month"], m["n"]) for m in months] == [("2024-04", 1), ("2024-05", 1)]
    assert query(archive, "briefings_per_month", province="Nam Định", level="") == []


def test_chart_is_inline_svg_without_script(archive):
    status, headers, html = fetch(archive["base"] + "/-/chart")
    assert status == 200 and "script-src 'none'" in headers["Content-Security-Policy"]
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'data-province="Hà Tĩnh"' in svg
    assert "<title>Hà Tĩnh · thị xã · 2024-04: 1</title>" in svg
    assert "<title>Hà Tĩnh · thị xã · 2024-05: 1</title>" in svg
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    status, _, html = fetch(archive["base"] + "/-/chart?level=tinh")
    assert status == 200 and "No briefings to chart." in html


def test_home_page_links_the_chart_and_queries(archive):
    status, _, html = fetch(archive["base"] + "/")
    assert status == 200
    for href in ("/-/chart", "/giaoban/briefings_per_quarter", "/giaoban/chairs",
                 "/giaoban/multi_portal_stories", "/giaoban/silent_sources"):
        assert f'href="{href}"' in html, href
        assert fetch(archive["base"] + href)[0] == 200, href


def test_meetings_newest_first_with_links(archive):
    data = get_json(archive["base"] + "/giaoban/meetings.json?_shape=objects")
    assert [r["published"] for r in data["rows"]] == sorted(
        (r["published"] for r in data["rows"]), reverse=True)
    assert len(data["rows"]) == 2  # two relevant stories: the trực báo and the shared giao ban
    status, _, html = fetch(archive["base"] + "/giaoban/meetings")
    assert status == 200 and "/-/story/" in html and "/-/article/" in html
    assert data["rows"][0]["n_sources"] == 2


def test_no_script_from_a_crawled_page_runs_in_chromium(archive):
    """The injections above, opened in the real browser: nothing of theirs executes."""
    from cdp_client import Browser
    from conftest import ROOT

    with Browser() as browser:
        browser.navigate(archive["base"] + f"/-/article/{archive['ids']['evil']}")
        assert browser.evaluate("document.querySelector('#article-title').textContent") == \
            EVIL_TITLE
        assert browser.evaluate("typeof window.__pwned") == "undefined"
        assert browser.evaluate("document.querySelectorAll('#article-body script').length") == 0
        # hovering the caption and clicking every link of the body changes nothing either
        browser.click("#article-body figcaption", navigates=False)
        assert browser.evaluate("typeof window.__pwned") == "undefined"
        assert not [e for e in browser.events if e["method"] == "Page.javascriptDialogOpening"]
        browser.screenshot(ROOT / "test-artifacts" / "datasette-article-sanitised.png")
