"""A real crawl of the offline mirror: real Scrapy engine, real HTTP on 127.0.0.1, real SQLite."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

import pytest
import yaml

from aggregator.canonical import canonicalize
from conftest import ROOT, run_cli
from scrapers.mirror import load_sites

SITES = load_sites()


def _key(url: str) -> str:
    p = urlsplit(canonicalize("http://mirror" + url if url.startswith("/") else url))
    return p.path + (f"?{p.query}" if p.query else "")


def _articles(db) -> dict[tuple[str, str], tuple]:
    con = sqlite3.connect(db)
    rows = con.execute("SELECT source, url, title, published, relevant FROM articles").fetchall()
    con.close()
    return {(r[0], _key(r[1])): r for r in rows}


def test_crawl_exits_cleanly(crawled):
    proc = crawled["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert "giaoban crawl: finished" in proc.stdout


@pytest.mark.parametrize("site", SITES, ids=lambda s: s.name)
def test_every_expected_article_lands(crawled, site):
    stored = _articles(crawled["db"])
    for exp in site.config["expect"]["articles"]:
        row = stored.get((site.name, _key(exp["url"])))
        assert row is not None, f"{site.name}: not stored: {exp['url']}"
        assert row[2] == exp["title"], exp["url"]
        assert row[3] == exp["published"], exp["url"]


@pytest.mark.parametrize("site", SITES, ids=lambda s: s.name)
def test_no_home_listing_or_calendar_page_is_stored(crawled, site):
    stored = _articles(crawled["db"])
    for url in site.config["expect"].get("not_articles", []):
        assert (site.name, _key(url)) not in stored, f"{site.name}: stored a non-article {url}"
    expected = {_key(a["url"]) for a in site.config["expect"]["articles"]}
    extra = {k for (src, k) in stored if src == site.name} - expected
    assert not extra, f"{site.name}: unexpected rows {sorted(extra)[:5]}"


def test_all_five_seeds_are_in_the_archive(crawled):
    con = sqlite3.connect(crawled["db"])
    bodies = [r[0] for r in con.execute("SELECT body FROM articles")]
    for lede in ("Chiều ngày 07/4/2022, đồng chí Bùi Văn Lý",          # seed 000
                 "Thường trực Thị ủy tổ chức hội nghị giao ban với Thường trực UBMTTQ",  # 001
                 "Chiều ngày 26/12/2023, đồng chí Bùi Văn Lý",          # seed 002
                 "Ngày 1-4, Thường trực Tỉnh ủy tổ chức hội nghị giao ban",  # seed 003
                 "Chiều ngày 22/6, đồng chí Phạm Lê Hưng"):             # seed 004
        assert any(b.startswith(lede) for b in bodies), lede
    # chrome from the seeds' pages never reaches a body
    for leak in ("EmailPrintAa", "Truy cập nội dung luôn", "Thống kê truy cập", "Hôm nay:",
                 "[bookmark: _GoBack]", "[image: ]", "Đã truy cập", "Tin liên quan"):
        assert not any(leak in b for b in bodies), leak


def test_crawl_run_row_has_scrapy_stats(crawled):
    con = sqlite3.connect(crawled["db"])
    run = con.execute("SELECT status, stats, pages, articles_new FROM crawl_runs").fetchone()
    assert run[0] == "finished"
    stats = yaml.safe_load(run[1])
    assert stats["downloader/request_count"] > 40
    assert run[3] == sum(len(s.config["expect"]["articles"]) for s in SITES)


def test_traps_robots_and_404_are_handled(crawled):
    con = sqlite3.connect(crawled["db"])
    urls = [r[0] for r in con.execute("SELECT url FROM pages")]
    assert not any("ngay=" in u for u in urls), "followed the calendar trap"
    assert not any(u.count("/en") >= 2 for u in urls), "followed nested language prefixes"
    statuses = dict(con.execute("SELECT page_type, count(*) FROM pages GROUP BY 1").fetchall())
    assert statuses.get("error", 0) >= 4          # the mirror's 404s and robots denials
    robots = con.execute("SELECT count(*) FROM pages WHERE error LIKE '%robots%'").fetchone()[0]
    assert robots >= 1


def test_second_crawl_adds_no_duplicates(crawled, mirror_sources, tmp_path):
    db = crawled["db"]
    before = sqlite3.connect(db).execute("SELECT count(*), count(DISTINCT url) FROM articles"
                                         ).fetchone()
    proc = run_cli("crawl", "--db", str(db), "--sources", str(mirror_sources), "--delay", "0",
                   "--log-level", "WARNING")
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = sqlite3.connect(db).execute("SELECT count(*), count(DISTINCT url) FROM articles"
                                        ).fetchone()
    assert after == before
    assert "0 new articles" in proc.stdout


def test_ad_hoc_start_url_detects_the_family(mirror, tmp_path):
    origin = mirror.origin("honglinh")
    db = tmp_path / "adhoc.db"
    proc = run_cli("crawl", "--db", str(db), "--start-url", origin + "/", "--delay", "0",
                   "--log-level", "INFO")
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = next((tmp_path / "logs").glob("crawl-*.log")).read_text("utf-8")
    assert "looks like CMS family hatinh_legacy" in log
    con = sqlite3.connect(db)
    n = con.execute("SELECT count(*) FROM articles WHERE family = 'hatinh_legacy'").fetchone()[0]
    assert n >= 6
    hosts = {urlsplit(r[0]).netloc for r in con.execute("SELECT url FROM pages")}
    assert hosts == {urlsplit(origin).netloc}, "the crawl left its host"


def test_mirror_sources_file_is_in_sync():
    """The committed sources file for the default port matches the mirror's manifests."""
    from scrapers.mirror import sources_yaml

    sites = load_sites()
    for k, s in enumerate(sites):
        s.port = 8800 + k
    committed = (ROOT / "scrapers" / "sources" / "mirror.yaml").read_text("utf-8")
    assert committed == sources_yaml(sites)
