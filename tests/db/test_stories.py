"""Stories, URL variants and revisions through the one writer (db/store.py), on real SQLite."""

from __future__ import annotations

import sqlite3

import pytest

from aggregator import extract_article
from db.store import Store

LEDE = ("Chiều ngày {d}, đồng chí Nguyễn Văn Hải, Phó Bí thư Thường trực Thị ủy chủ trì hội nghị "
        "giao ban với Ủy ban MTTQ và các tổ chức chính trị - xã hội thị xã Hồng Lĩnh đánh giá "
        "kết quả hoạt động {p}.")
BODY = ("Trong {p}, Mặt trận và các đoàn thể chính trị - xã hội thị xã đã bám sát nhiệm vụ chính "
        "trị của địa phương, đẩy mạnh tuyên truyền, vận động Nhân dân thực hiện các phong trào "
        "thi đua yêu nước, cuộc vận động Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn "
        "minh. Các tổ chức đã vận động đoàn viên, hội viên đóng góp {m} tỷ đồng làm đường bê "
        "tông, lắp đèn chiếu sáng và xây dựng khu dân cư kiểu mẫu. Kết luận hội nghị, đồng chí "
        "Phó Bí thư Thường trực Thị ủy đề nghị Mặt trận và các đoàn thể tiếp tục đổi mới nội "
        "dung, phương thức hoạt động, hướng về cơ sở, làm tốt công tác giám sát và phản biện "
        "xã hội, nắm chắc tình hình tư tưởng của Nhân dân và kịp thời phản ánh với cấp ủy.")


def page(title: str, d: str, p: str, m: str, published: str, extra: str = "") -> bytes:
    text = LEDE.format(d=d, p=p) + "</p><p>" + BODY.format(p=p, m=m) + extra
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<h1 class='news-title'>{title}</h1><div class='news-date'>{published}</div>"
            f"<div class='news-content'><p>{text}</p></div></body></html>").encode("utf-8")


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "stories.db")
    yield s
    s.close()


def save(store, body: bytes, url: str, source: str):
    article = extract_article(body, url, "text/html; charset=utf-8")
    assert article["page_type"] == "article", article["page_type"]
    return store.save_article(article, source=source)


def story_of(store, article_id: int) -> int:
    return store.db.execute("SELECT story_id FROM articles WHERE id = ?", [article_id]
                            ).fetchone()[0]


def test_repost_on_another_portal_joins_the_story(store):
    title = "Thường trực Thị ủy giao ban với MTTQ và các đoàn thể quý III năm 2019"
    a, _ = save(store, page(title, "30/9/2019", "quý III năm 2019", "20", "01/10/2019 18:47"),
                "http://honglinh.hatinh.gov.vn/news/a-1.html", "honglinh")
    b, _ = save(store, page("Hồng Lĩnh: " + title, "30/9/2019", "quý III năm 2019", "20",
                            "03/10/2019 08:00", " Hội nghị cũng thống nhất lịch giao ban quý IV."),
                "http://baohatinh.vn/hong-linh-giao-ban-123.html", "baohatinh")
    assert story_of(store, a) == story_of(store, b)
    row = store.db.execute("SELECT article_id, n_articles, n_sources FROM stories WHERE "
                           "story_id = ?", [story_of(store, a)]).fetchone()
    assert row == (a, 2, 2)  # the earliest-published complete copy represents it


def test_same_template_next_quarter_stays_apart(store):
    title = "Thường trực Thị ủy giao ban với MTTQ và các đoàn thể quý {q} năm 2019"
    a, _ = save(store, page(title.format(q="II"), "8/7/2019", "quý II năm 2019", "15",
                            "10/07/2019 17:25"), "http://honglinh.hatinh.gov.vn/news/q2-1.html",
                "honglinh")
    b, _ = save(store, page(title.format(q="III"), "30/9/2019", "quý III năm 2019", "20",
                            "01/10/2019 18:47"), "http://honglinh.hatinh.gov.vn/news/q3-1.html",
                "honglinh")
    sim = store.db.execute("SELECT story_similarity, story_reason FROM articles WHERE id = ?",
                           [b]).fetchone()
    assert story_of(store, a) != story_of(store, b), sim
    assert sim[0] >= 0.5 and "rejected" in sim[1]  # near in text, kept apart by the facts


def test_url_variants_collapse_into_one_article(store):
    body = page("Thường trực Thị ủy giao ban quý III", "30/9/2019", "quý III năm 2019", "20",
                "01/10/2019 18:47")
    a, first = save(store, body, "http://honglinh.hatinh.gov.vn/news/a-1.html", "honglinh")
    b, again = save(store, body, "http://honglinh.hatinh.gov.vn/news/a-1.html?utm_source=fb"
                    "&fbclid=x", "honglinh")
    c, alias = save(store, body, "http://honglinh.hatinh.gov.vn/print/a-1.html", "honglinh")
    assert a == b == c and (first, again, alias) == ("new", "unchanged", "unchanged")
    urls = {r[0] for r in store.db.execute("SELECT url FROM article_urls WHERE article_id = ?",
                                           [a])}
    assert "http://honglinh.hatinh.gov.vn/print/a-1.html" in urls
    assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_an_edit_becomes_a_revision_of_the_same_article(store):
    url = "http://honglinh.hatinh.gov.vn/news/a-1.html"
    title = "Thường trực Thị ủy giao ban quý III"
    a, _ = save(store, page(title, "30/9/2019", "quý III năm 2019", "20", "01/10/2019 18:47"),
                url, "honglinh")
    story = story_of(store, a)
    b, action = save(store, page(title, "30/9/2019", "quý III năm 2019", "25",
                                 "01/10/2019 18:47"), url, "honglinh")
    assert (b, action) == (a, "updated")
    assert story_of(store, a) == story
    rev = store.db.execute("SELECT revision, body FROM article_revisions WHERE article_id = ?",
                           [a]).fetchall()
    assert len(rev) == 1 and rev[0][0] == 1 and "20 tỷ" in rev[0][1]
    now = store.db.execute("SELECT revision, body FROM articles WHERE id = ?", [a]).fetchone()
    assert now[0] == 2 and "25 tỷ" in now[1]
    # the search index follows the edit
    hits = store.db.execute("SELECT id FROM articles WHERE search_key IN "
                            "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH '25')"
                            ).fetchall()
    assert hits == [(a,)]


def test_the_mirror_repost_is_one_story_with_two_portals(crawled):
    con = sqlite3.connect(crawled["db"])
    rows = con.execute(
        "SELECT s.n_articles, s.n_sources, group_concat(a.source) FROM stories s "
        "JOIN articles a ON a.story_id = s.story_id WHERE s.n_articles > 1 "
        "GROUP BY s.story_id").fetchall()
    assert any(n == 2 and k == 2 and set(src.split(",")) == {"ducpho", "thiuyducpho"}
               for n, k, src in rows), rows
    # and nothing else of the mirror was merged
    assert len(rows) == 1


def test_a_full_rebuild_finds_the_same_stories(crawled, tmp_path):
    """`Store.rebuild_stories` (the batch path) and the incremental path agree."""
    import shutil

    copy = tmp_path / "rebuild.db"
    shutil.copy(crawled["db"], copy)

    def partition(db):
        con = sqlite3.connect(db)
        groups: dict[int, set] = {}
        for url, story in con.execute("SELECT url, story_id FROM articles"):
            groups.setdefault(story, set()).add(url)
        return sorted(sorted(g) for g in groups.values())

    before = partition(copy)
    store = Store(copy)
    counts = store.rebuild_stories(workers=2, batch=10)
    store.close()
    assert partition(copy) == before
    assert counts["articles"] == sum(len(g) for g in before)
    con = sqlite3.connect(copy)
    assert con.execute("SELECT count(*) FROM stories").fetchone()[0] == len(before)
    assert con.execute("SELECT count(*) FROM minhash_bands").fetchone()[0] == 16 * counts["articles"]


def test_rebuild_and_incremental_agree_on_a_template_heavy_archive(tmp_path):
    """600 generated reports (bench/dedup.py's generator: reposts with a prefixed title and a
    sentence added, other quarters of one town from one template): saved one by one in
    publication order, then rebuilt in bulk (`BandIndex`), the stories are the same."""
    import importlib.util
    import shutil

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("bench_dedup", ROOT / "bench" / "dedup.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    articles = sorted(gen.generate(600, seed=5), key=lambda a: (a["published"], a["url"]))
    store = Store(tmp_path / "incremental.db")
    with store.batch():
        for a in articles:
            store.save_article(a, source=a["source"])
    store.close()

    def partition(db):
        groups: dict[int, set] = {}
        for url, story in sqlite3.connect(db).execute("SELECT url, story_id FROM articles"):
            groups.setdefault(story, set()).add(url)
        return sorted(sorted(g) for g in groups.values())

    before = partition(tmp_path / "incremental.db")
    merged = [g for g in before if len(g) > 1]
    assert len(merged) >= 20  # reposts were found ...
    assert len(before) > 500  # ... and same-template reports of other quarters kept apart
    shutil.copy(tmp_path / "incremental.db", tmp_path / "rebuilt.db")
    rebuilt = Store(tmp_path / "rebuilt.db")
    counts = rebuilt.rebuild_stories(workers=2, batch=100)
    rebuilt.close()
    assert partition(tmp_path / "rebuilt.db") == before
    assert counts["stories"] == len(before) and counts["near"] == 600 - len(before)
    assert counts["rejected"] > 0  # the event guard had near-duplicates to keep apart
