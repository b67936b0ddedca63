"""`giaoban feed`: RSS 2.0 and Atom 1.0 files over a real crawl of the offline mirror.

Every feed must parse in feedparser without a bozo flag, carry one item per story (GUID from
story_id only), keep its GUIDs when URLs change, and keep titles and text intact while no markup
from a body reaches the summary.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import feedparser
import lxml.html
import pytest

from aggregator import feeds
from conftest import run_cli

TRICKY_TITLE = ('Thường trực Huyện ủy giao ban <quý I> & "đoàn thể" \'MTTQ\' - A&B; x</b> '
                'Đảng ủy 5 < 6')
TRICKY_PARAS = ['Sáng 5/4, Thường trực Huyện ủy Sơn Tịnh giao ban với Ủy ban MTTQ & các đoàn '
                'thể "chính trị - xã hội" <quý I> (a < b, c > d) \'trích\'.',
                'Đồng chí Nguyễn Văn A chủ trì; tỷ lệ đạt 95% & hơn.']
EVIL = ('<script>alert("x1")</script><img src=x onerror=alert(2)>'
        '<a href="javascript:alert(3)">bấm</a><iframe src="http://evil/">khung</iframe>')


def copy_db(src: Path, dst: Path) -> Path:
    """A private copy (SQLite backup API: WAL content included) the test may change."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(Path(src).resolve().as_uri() + "?mode=ro", uri=True) as s, \
            sqlite3.connect(dst) as d:
        s.backup(d)
    return dst


def save(db: Path, *, url: str, title: str, body: str, source: str = "ducpho",
         published: str = "2025-04-05T08:30:00+07:00", province: str = "Quảng Ngãi") -> int:
    """Store an article the way the crawler does: through the one writer."""
    from db.store import Store

    store = Store(db)
    try:
        article_id, _ = store.save_article({
            "url": url, "canonical_url": url, "title": title, "published": published,
            "body": body, "images": [], "relevant": True,
            "relevance": {"score": 9, "reasons": []},
            "meeting": {"kind": "giao ban", "level": "huyen", "locality": "huyện Sơn Tịnh"},
        }, source=source, source_info={"province": province, "locality": "huyện Sơn Tịnh"})
    finally:
        store.close()
    return article_id


def q(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(Path(db).resolve().as_uri() + "?mode=ro", uri=True) as c:
        return c.execute(sql, args).fetchall()


def build(db: Path, out: Path, *extra: str) -> Path:
    run_cli("feed", "--db", str(db), "--out", str(out), *extra, check=True)
    return out


def parse(path: Path) -> feedparser.FeedParserDict:
    d = feedparser.parse(path.read_bytes())
    assert not d.bozo, (path, d.get("bozo_exception"))
    return d


def guids(d) -> list[str]:
    return [e.id for e in d.entries]


@pytest.fixture(scope="module")
def built(crawled, tmp_path_factory) -> Path:
    return build(crawled["db"], tmp_path_factory.mktemp("feeds"), "--limit", "500")


def expected(db: Path, where: str = "", *args) -> set[str]:
    rows = q(db, "SELECT s.story_id FROM stories s WHERE s.relevant = 1 " + where, *args)
    return {feeds.story_guid(r[0]) for r in rows}


def test_every_feed_is_written_and_parses(built, crawled):
    sources = {r[0] for r in q(crawled["db"], "SELECT name FROM sources")}
    provinces = {r[0] for r in q(crawled["db"], "SELECT DISTINCT province FROM sources")}
    assert sources == {"ducpho", "honglinh", "myhao", "quangyen", "thiuyducpho"}
    names = {"all"} | {f"source/{s}" for s in sources} | \
        {f"province/{feeds.slugify(p)}" for p in provinces} | {"kind/giao-ban", "kind/truc-bao"}
    assert "province/quang-ngai" in names and "province/ha-tinh" in names
    files = {str(p.relative_to(built)) for p in built.rglob("*") if p.is_file()}
    assert files == {f"{n}.{fmt}" for n in names for fmt in ("rss", "atom")}
    for name in names:
        rss, atom = parse(built / f"{name}.rss"), parse(built / f"{name}.atom")
        assert (rss.version, atom.version) == ("rss20", "atom10")
        assert guids(rss) == guids(atom)
        assert len(set(guids(rss))) == len(guids(rss)), name  # one item per story
        assert rss.feed.ttl == "360"


def test_global_feed_is_every_relevant_story_once(built, crawled):
    db = crawled["db"]
    d = parse(built / "all.rss")
    want = expected(db)
    assert len(want) >= 15  # the mirror's giao ban / trực báo reports
    assert set(guids(d)) == want and len(d.entries) == len(want)
    reps = {feeds.story_guid(sid): (title, url) for sid, title, url in q(
        db, "SELECT s.story_id, a.title, a.url FROM stories s JOIN articles a "
            "ON a.id = s.article_id")}
    for e in d.entries:
        assert e.id.startswith("tag:giaoban.archive,2026:story/")
        assert e.guidislink is False  # isPermaLink="false": not a URL
        assert (e.title, e.link) == reps[e.id]
    titles = {e.title for e in d.entries}
    assert ("Thường trực Thị ủy giao ban với Thường trực UBMTTQ và các đoàn thể chính trị - xã "
            "hội Thị xã") in titles
    assert not any(t.startswith(("Công an", "UBND", "Lễ hội")) for t in titles)
    # a story carried by several portals is one item that links the other copies
    shared = q(db, "SELECT s.story_id, c.source, c.url FROM stories s JOIN articles c "
                   "ON c.story_id = s.story_id WHERE s.relevant = 1 AND s.n_sources > 1 "
                   "AND c.id != s.article_id")
    assert shared  # the SharePoint portal reposts the Liferay portal's trực báo (seed 002)
    by_guid = {e.id: e for e in d.entries}
    for sid, source, url in shared:
        summary = lxml.html.fragment_fromstring(by_guid[feeds.story_guid(sid)].summary,
                                                create_parent="div")
        assert (source, url) in {(a.text, a.get("href")) for a in summary.iter("a")}
    assert not any(t.startswith("Đức Phổ: ") for t in titles)  # the repost's own title
    # newest first
    dates = [e.published_parsed for e in d.entries]
    assert dates == sorted(dates, reverse=True)


def test_source_province_and_kind_feeds_match_the_database(built, crawled):
    db = crawled["db"]
    copy = "EXISTS (SELECT 1 FROM articles c WHERE c.story_id = s.story_id AND c.{} = ?)"
    checked = 0
    for spec in feeds.list_feeds(feeds.open_ro(db)):
        if spec.kind == "all":
            continue
        column = {"source": "source", "province": "province", "kind": "meeting_kind"}[spec.kind]
        want = expected(db, "AND " + copy.format(column), spec.value)
        for fmt in ("rss", "atom"):
            d = parse(built / f"{spec.path}.{fmt}")
            assert set(guids(d)) == want, (spec, fmt)
            if spec.kind in ("province", "kind"):
                for e in d.entries:  # the category says why the item is in this feed
                    labels = {t.get("label") or t.term for t in e.tags}
                    assert spec.value in labels, (spec, e.title, labels)
        checked += 1
    assert checked == 5 + 4 + 2
    ngai = set(guids(parse(built / "province/quang-ngai.rss")))
    assert ngai == set(guids(parse(built / "source/ducpho.rss"))) | \
        set(guids(parse(built / "source/thiuyducpho.rss")))
    assert all("trực báo" in {t.term for t in e.tags}
               for e in parse(built / "kind/truc-bao.rss").entries)


def test_dates_are_at_plus_seven_and_date_only_days_at_midnight(built, crawled):
    db = crawled["db"]
    rss_xml = (built / "all.rss").read_text("utf-8")
    atom_xml = (built / "all.atom").read_text("utf-8")
    pub = {feeds.story_guid(sid): p for sid, p in q(
        db, "SELECT s.story_id, a.published FROM stories s JOIN articles a "
            "ON a.id = s.article_id WHERE s.relevant = 1")}
    for e in parse(built / "all.rss").entries:
        assert e.published.endswith(" +0700"), e.published
        assert e.published in rss_xml
    for e in parse(built / "all.atom").entries:
        stored = pub[e.id]
        assert e.published.endswith("+07:00")
        want = stored if "T" in stored else stored + "T00:00:00+07:00"
        assert e.published == want, (e.id, stored)
        assert f"<published>{want}</published>" in atom_xml
    assert any("T" not in p for p in pub.values())  # the tandan portal shows dates only


def test_limit_keeps_the_newest(crawled, tmp_path):
    out = build(crawled["db"], tmp_path / "f", "--limit", "3")
    full = parse(build(crawled["db"], tmp_path / "g", "--limit", "500") / "all.atom")
    for fmt in ("rss", "atom"):
        d = parse(out / f"all.{fmt}")
        assert guids(d) == guids(full)[:3]


def test_guids_survive_rebuilds_and_url_changes(crawled, tmp_path):
    db = copy_db(crawled["db"], tmp_path / "db" / "giaoban.db")
    first = build(db, tmp_path / "a", "--limit", "500")
    second = build(db, tmp_path / "b", "--limit", "500")
    for f in first.rglob("*.*"):  # deterministic: same database, same bytes
        assert f.read_bytes() == (second / f.relative_to(first)).read_bytes(), f
    # a re-crawl that moved every article: https, new slugs
    with sqlite3.connect(db) as c:
        n = c.execute("UPDATE articles SET url = replace(url, 'http://', 'https://') || "
                      "'?slug=moi'").rowcount
        c.execute("UPDATE sources SET host = host || '.moved'")
    assert n >= 40
    third = build(db, tmp_path / "c", "--limit", "500")
    for f in first.rglob("*.*"):
        before, after = parse(f), parse(third / f.relative_to(first))
        assert guids(before) == guids(after), f
        for b, a in zip(before.entries, after.entries):
            assert a.link == b.link.replace("http://", "https://") + "?slug=moi"


def test_titles_and_text_survive_and_markup_does_not(crawled, tmp_path):
    db = copy_db(crawled["db"], tmp_path / "giaoban.db")
    body = f"{TRICKY_PARAS[0]}\n\n{EVIL}{TRICKY_PARAS[1]}"
    save(db, url="http://127.0.0.1:1/tin?id=1&amp=2", title=TRICKY_TITLE, body=body)
    out = build(db, tmp_path / "f")
    for fmt in ("rss", "atom"):
        d = parse(out / f"all.{fmt}")
        item = d.entries[0]  # newest story
        assert item.title == TRICKY_TITLE
        assert item.link == "http://127.0.0.1:1/tin?id=1&amp=2"
        html = item.summary
        for bad in ("<script", "alert", "onerror", "<img", "<iframe", "javascript:", "khung"):
            assert bad not in html, (fmt, bad, html)
        frag = lxml.html.fragment_fromstring(html, create_parent="div")
        tags = {el.tag for el in frag.iter()} - {"div"}
        assert tags <= feeds.SUMMARY_TAGS, tags
        assert not [a for el in frag.iter() for a in el.attrib if a.startswith("on")]
        paras = [p.text_content() for p in frag.findall("p")]
        assert paras[0] == TRICKY_PARAS[0]
        assert paras[1] == "bấm" + TRICKY_PARAS[1]  # the leaked link's words stay, not its tag
        cats = {(t.get("scheme") or "").rsplit(":", 1)[-1]: t.get("label") or t.term
                for t in item.tags}
        assert cats == {"province": "Quảng Ngãi", "level": "huyện", "kind": "giao ban"}


def test_a_story_on_several_portals_is_one_item_listing_the_others(crawled, tmp_path):
    db = copy_db(crawled["db"], tmp_path / "giaoban.db")
    body = "\n\n".join(TRICKY_PARAS)
    save(db, url="http://127.0.0.1:1/goc.html", title="Bản gốc giao ban", body=body)
    save(db, url="http://127.0.0.1:2/dang-lai.html", title="Sơn Tịnh: Bản gốc giao ban",
         body=body, source="thiuyducpho", published="2025-04-06T09:00:00+07:00")
    save(db, url="http://127.0.0.1:3/lai-nua.html", title="Đăng lại lần nữa",
         body=body, source="honglinh", published="2025-04-07T09:00:00+07:00", province="Hà Tĩnh")
    story = q(db, "SELECT s.story_id, n_articles, n_sources FROM stories s JOIN articles a "
                  "ON a.id = s.article_id WHERE a.url = 'http://127.0.0.1:1/goc.html'")
    assert story and story[0][1:] == (3, 3)
    out = build(db, tmp_path / "f", "--limit", "500")
    d = parse(out / "all.atom")
    assert len(d.entries) == len(expected(db))
    mine = [e for e in d.entries if e.id == feeds.story_guid(story[0][0])]
    assert len(mine) == 1
    e = mine[0]
    assert (e.title, e.link) == ("Bản gốc giao ban", "http://127.0.0.1:1/goc.html")
    frag = lxml.html.fragment_fromstring(e.summary, create_parent="div")
    assert "Cũng đăng trên:" in frag.text_content()
    assert [(a.text, a.get("href")) for a in frag.iter("a")] == [
        ("thiuyducpho", "http://127.0.0.1:2/dang-lai.html"),
        ("honglinh", "http://127.0.0.1:3/lai-nua.html")]
    # the story is in each carrying portal's and province's feed, once, with the same GUID
    for name in ("source/ducpho", "source/thiuyducpho", "source/honglinh", "province/ha-tinh",
                 "province/quang-ngai"):
        assert guids(parse(out / f"{name}.rss")).count(e.id) == 1, name


def test_search_expression_is_datasettes():
    from datasette.utils import escape_fts

    assert feeds.fts_match("") is None and feeds.fts_match("  ") is None
    # normalised like the stored text ("uỷ" → "ủy", NFD → NFC), then Datasette's own quoting
    assert feeds.fts_match("Thị uỷ  trực báo") == escape_fts("Thị ủy trực báo") == \
        '"Thị" "ủy" "trực" "báo"'
    assert feeds.fts_match('"giao ban" dang uy') == '"giao ban" "dang" "uy"'
    assert feeds.slugify("Quảng Ngãi") == "quang-ngai"
    assert feeds.slugify("trực báo") == "truc-bao"


def test_missing_or_foreign_database_is_a_one_line_error(tmp_path):
    proc = run_cli("feed", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "no database" in proc.stderr and "Traceback" not in proc.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    proc = run_cli("feed", "--db", str(junk), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_reading_never_writes(crawled):
    conn = feeds.open_ro(crawled["db"])
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("UPDATE stories SET title = title")
    conn.close()


def test_a_search_feed_over_many_matches_keeps_the_newest_stories(tmp_path, monkeypatch):
    """The search feed reads only the newest matching copies (a window of 20 × limit): with 90
    matching stories, some reposted later on another portal, and a window smaller than the
    matches, it holds exactly the stories an unbounded query ranks newest."""
    import random
    import sqlite3

    from db.store import Store

    db = tmp_path / "many.db"
    rng = random.Random(4)
    store = Store(db)
    with store.batch():
        for i in range(90):
            day = f"2024-{1 + i % 12:02d}-{1 + rng.randrange(27):02d}"
            body = (f"Hội nghị giao ban số {i} với Mặt trận và các đoàn thể, mã {i * 7919}. "
                    + " ".join(f"câu{rng.randrange(10 ** 6)}" for _ in range(60)))
            store.save_article({"url": f"http://a.vn/{i}", "canonical_url": f"http://a.vn/{i}",
                                "title": f"Giao ban số {i}", "published": day, "body": body,
                                "images": [], "relevant": True}, source="a")
            if i % 9 == 0:  # the same text on another portal months later
                store.save_article({"url": f"http://b.vn/{i}", "canonical_url": f"http://b.vn/{i}",
                                    "title": f"Giao ban số {i}", "published": "2025-06-01",
                                    "body": body, "images": [], "relevant": True}, source="b")
    store.close()
    monkeypatch.setattr(feeds, "SEARCH_WINDOW", 1)
    spec = feeds.FeedSpec("search", "giao ban", relevant_only=False, limit=2)  # window 40
    con = sqlite3.connect(db)
    got = [s.story_id for s in feeds.fetch_stories(con, spec)]
    exact = [r[0] for r in con.execute(
        "SELECT s.story_id FROM stories s JOIN articles a ON a.id = s.article_id "
        "ORDER BY coalesce(a.published, a.first_seen) DESC, s.story_id DESC LIMIT 2")]
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 100 > 40
    assert got == exact
