"""Incremental, cron-ready crawling (issue 9): real Scrapy, real HTTP on 127.0.0.1, real SQLite."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml

from aggregator.cli import CrawlLock
from conftest import ROOT, run_cli
from scrapers.mirror import Mirror


def crawl(db: Path, sources: Path, *extra: str):
    proc = run_cli("crawl", "--db", str(db), "--sources", str(sources), "--delay", "0",
                   "--log-level", "INFO", *extra)
    return proc


def last_run(db: Path) -> dict:
    con = sqlite3.connect(db)
    row = con.execute("SELECT stats, articles_new, articles_updated, status, exit_code "
                      "FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    return {"stats": json.loads(row[0]), "new": row[1], "updated": row[2], "status": row[3],
            "exit_code": row[4]}


@pytest.fixture(scope="module")
def twice(mirror, mirror_sources, tmp_path_factory):
    db = tmp_path_factory.mktemp("incremental") / "giaoban.db"
    first = crawl(db, mirror_sources)
    assert first.returncode == 0, first.stderr[-2000:]
    r1 = last_run(db)
    second = crawl(db, mirror_sources)
    assert second.returncode == 0, second.stderr[-2000:] + second.stdout
    return {"db": db, "first": r1, "second": last_run(db), "second_proc": second}


def test_second_crawl_of_an_unchanged_mirror_is_cheap(twice):
    n1 = twice["first"]["stats"]["downloader/request_count"]
    n2 = twice["second"]["stats"]["downloader/request_count"]
    assert n2 <= 0.10 * n1, (n1, n2)
    assert twice["second"]["stats"].get("giaoban/not_modified", 0) >= 5   # 304s counted
    assert twice["second"]["stats"].get("giaoban/robots_cached", 0) >= 5  # robots.txt cached
    assert twice["second"]["new"] == 0
    assert "unchanged" in twice["second_proc"].stdout


def test_every_response_is_archived_and_referenced(twice):
    con = sqlite3.connect(twice["db"])
    missing = con.execute("SELECT count(*) FROM pages WHERE status = 200 AND warc_file IS NULL"
                          ).fetchone()[0]
    assert missing == 0
    warc_dirs = [r[0] for r in con.execute("SELECT warc_dir FROM crawl_runs")]
    assert all(Path(d).is_dir() and list(Path(d).glob("*.warc.gz")) for d in warc_dirs)


def test_reprocess_from_the_archive_gives_the_same_articles(twice, mirror_sources, tmp_path):
    empty = tmp_path / "reprocessed.db"
    warcs = [r[0] for r in sqlite3.connect(twice["db"]).execute(
        "SELECT warc_dir FROM crawl_runs WHERE warc_dir IS NOT NULL")]
    args = ["reprocess", "--db", str(empty), "--sources", str(mirror_sources)]
    for w in warcs:
        args += ["--warc", w]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert "pages/s" in proc.stdout

    def content(db):
        con = sqlite3.connect(db)
        return sorted(con.execute("SELECT url, title, published, author, content_hash, relevant, "
                                  "meeting_kind, level, locality, period FROM articles"))
    assert content(empty) == content(twice["db"])
    # and re-running it over a full database changes nothing
    again = run_cli(*args)
    assert "0 new, 0 updated" in again.stdout


def test_a_second_concurrent_crawl_is_refused(tmp_path, mirror_sources):
    db = tmp_path / "locked.db"
    with CrawlLock(str(db)):
        proc = crawl(db, mirror_sources)
    assert proc.returncode == 3
    assert "another crawl" in proc.stderr and proc.stderr.strip().count("\n") == 0


def test_an_edited_article_becomes_a_revision(tmp_path):
    root = tmp_path / "mirror"
    shutil.copytree(ROOT / "mirror", root)
    site = yaml.safe_load((root / "honglinh" / "site.yaml").read_text("utf-8"))
    target = next(a for a in site["expect"]["articles"] if a["relevant"])
    route = next(r for r in site["routes"] if r["url"] == target["url"])
    page = root / "honglinh" / "pages" / route["file"]
    with Mirror(base_port=0, root=root) as m:
        sources = tmp_path / "sources.yaml"
        sources.write_text(m.sources_yaml(), "utf-8")
        db = tmp_path / "edit.db"
        assert crawl(db, sources, "--source", "honglinh").returncode == 0
        text = page.read_text("utf-8")
        assert "Thường trực Thị ủy" in text
        page.write_text(text.replace("</p>", " Bài viết được cập nhật thêm thông tin.</p>", 1),
                        "utf-8")
        proc = crawl(db, sources, "--source", "honglinh", "--revisit-after-hours", "0")
        assert proc.returncode == 0, proc.stderr[-2000:]
    run = last_run(db)
    assert run["updated"] == 1 and run["new"] == 0
    con = sqlite3.connect(db)
    rev = con.execute("SELECT a.revision, r.revision, a.body LIKE '%cập nhật thêm%' "
                      "FROM articles a JOIN article_revisions r ON r.article_id = a.id").fetchall()
    assert rev == [(2, 1, 1)]


def test_an_article_that_failed_transiently_is_fetched_on_the_next_run(tmp_path):
    """Run 1: an article answers 503 past Scrapy's retries. Run 2: its listing answers 304, so
    no link leads back to it; the crawl state does, and the article is stored."""
    root = tmp_path / "mirror"
    shutil.copytree(ROOT / "mirror", root)
    site_file = root / "honglinh" / "site.yaml"
    site = yaml.safe_load(site_file.read_text("utf-8"))
    target = next(a for a in site["expect"]["articles"] if a["relevant"])
    route = next(r for r in site["routes"] if r["url"] == target["url"])
    route["fail_first"] = 3  # the first try and Scrapy's two retries
    site_file.write_text(yaml.safe_dump(site, allow_unicode=True), "utf-8")
    with Mirror(base_port=0, root=root) as m:
        sources = tmp_path / "sources.yaml"
        sources.write_text(m.sources_yaml(), "utf-8")
        db = tmp_path / "flaky.db"
        crawl(db, sources, "--source", "honglinh")
        con = sqlite3.connect(db)
        url = m.origin("honglinh") + target["url"]
        assert con.execute("SELECT page_type, status FROM pages WHERE url = ?",
                           [url]).fetchone() == ("error", 503)
        assert con.execute("SELECT count(*) FROM articles WHERE title = ?",
                           [target["title"]]).fetchone() == (0,)
        con.close()
        proc = crawl(db, sources, "--source", "honglinh")
        assert proc.returncode == 0, proc.stderr[-2000:]
    run = last_run(db)
    assert run["new"] == 1
    assert run["stats"].get("giaoban/not_modified", 0) >= 1  # the listings answered 304
    assert run["stats"].get("giaoban/retried_failed") == 1
    con = sqlite3.connect(db)
    assert con.execute("SELECT title, published FROM articles WHERE url = ?", [url]).fetchone() \
        == (target["title"], target["published"])
    assert con.execute("SELECT page_type, status FROM pages WHERE url = ?",
                       [url]).fetchone() == ("article", 200)


def test_a_source_whose_listing_matches_nothing_is_flagged_broken(mirror, tmp_path):
    origin = mirror.origin("honglinh")
    sources = tmp_path / "broken.yaml"
    host = origin.split("//")[1]
    sources.write_text(yaml.safe_dump({"sources": [
        # a redesign: the listing URL now answers with a page that lists no article
        {"name": "honglinh-redesigned", "host": host, "family": "hatinh_legacy",
         "listing_urls": [origin + "/honglinh/portal/lich-cong-tac.html?ngay=2024-05-01"],
         "download_delay": 0},
        # a dead portal after the mergers: the listing is gone
        {"name": "honglinh-gone", "host": host, "family": "hatinh_legacy",
         "listing_urls": [origin + "/honglinh/portal/folder/da-xoa/1.html"],
         "download_delay": 0},
        {"name": "honglinh", "host": host, "family": "hatinh_legacy",
         "listing_urls": [origin + "/honglinh/portal/folder/tin-tuc/1.html"],
         "download_delay": 0}]}, allow_unicode=True), "utf-8")
    db = tmp_path / "health.db"
    assert crawl(db, sources).returncode == 0
    proc = run_cli("health", "--db", str(db))
    assert proc.returncode == 1
    lines = {ln.split()[0]: ln for ln in proc.stdout.splitlines()[1:]}
    assert "broken" in lines["honglinh-redesigned"]
    assert "matched 0 article links" in lines["honglinh-redesigned"]
    assert "broken" in lines["honglinh-gone"] and "no page fetched" in lines["honglinh-gone"]
    assert " ok " in lines["honglinh"]
    assert "2 broken source(s)" in proc.stderr


def test_health_is_ok_after_a_good_crawl(twice):
    proc = run_cli("health", "--db", str(twice["db"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(" ok ") >= 5


def test_a_crawl_leaves_planner_statistics(twice):
    """The pipeline runs Store.analyze at the end of a crawl (Datasette's plans depend on it)."""
    con = sqlite3.connect(twice["db"])
    tables = {r[0] for r in con.execute("SELECT tbl FROM sqlite_stat1")}
    assert {"articles", "stories"} <= tables
