"""The `giaoban` command: extract, crawl, serve, mirror, demo, sources.

Exit codes (documented in the README): 0 success; 1 failure of the job itself; 2 bad usage or a
bad input file; 3 the database is locked by another crawl; 4 the crawl ran but every source
failed. Expected errors print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "data/giaoban.db"
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_LOCKED, EXIT_ALL_FAILED = 0, 1, 2, 3, 4


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


# -- extract ------------------------------------------------------------------
def cmd_extract(args) -> int:
    from aggregator import extract_article

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"giaoban extract: no such file: {args.file}")
    body = path.read_bytes()
    article = extract_article(body, args.url, args.content_type, args.fetched_at)
    json.dump(article, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


# -- crawl --------------------------------------------------------------------
class CrawlLock:
    """One crawl per database: a second one exits with EXIT_LOCKED instead of interleaving."""

    def __init__(self, db_path: str):
        self.path = Path(db_path).with_suffix(Path(db_path).suffix + ".lock")
        self.fh = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            raise CliError(f"giaoban crawl: {self.path.name}: another crawl ({holder}) is "
                           f"writing this database; try again later", EXIT_LOCKED) from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc):
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


def cmd_crawl(args) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from db.store import Store
    from scrapers import settings as default_settings
    from scrapers.registry import DEFAULT_SOURCES, SourcesError, load_sources, source_from_url
    from scrapers.spiders.portal import PortalSpider

    try:
        if args.start_url:
            sources = [source_from_url(u) for u in args.start_url]
        else:
            sources = load_sources(args.sources or DEFAULT_SOURCES, args.source or None)
    except SourcesError as exc:
        raise CliError(f"giaoban crawl: {exc}") from None
    if not sources:
        raise CliError("giaoban crawl: no sources to crawl")
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    slots = {}
    for s in sources:
        delay = args.delay if args.delay is not None else s.download_delay
        if delay is not None or s.concurrency:
            slots[s.host] = {"delay": float(delay if delay is not None else
                                            settings.getfloat("DOWNLOAD_DELAY")),
                             "concurrency": int(s.concurrency or 1)}
    if args.delay is not None:
        settings.set("DOWNLOAD_DELAY", args.delay, priority="cmdline")
        if args.delay == 0:
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
            settings.set("RANDOMIZE_DOWNLOAD_DELAY", False, priority="cmdline")
    settings.set("DOWNLOAD_SLOTS", slots, priority="cmdline")
    settings.set("GIAOBAN_DB", args.db, priority="cmdline")
    if args.since:
        try:
            date.fromisoformat(args.since[:10])
        except ValueError:
            raise CliError(f"giaoban crawl: --since: not a date (YYYY-MM-DD): {args.since}")
        settings.set("GIAOBAN_SINCE", args.since, priority="cmdline")
    if args.revisit_days is not None:
        settings.set("GIAOBAN_REVISIT_DAYS", args.revisit_days, priority="cmdline")
    if args.revisit_after_hours is not None:
        settings.set("GIAOBAN_REVISIT_AFTER_HOURS", args.revisit_after_hours, priority="cmdline")
    if args.timeout is not None:
        settings.set("DOWNLOAD_TIMEOUT", args.timeout, priority="cmdline")
    if args.no_warc:
        settings.set("GIAOBAN_WARC", False, priority="cmdline")
    if not args.no_progress and sys.stderr.isatty():
        settings.set("EXTENSIONS", {"scrapers.progress.Progress": 500}, priority="cmdline")
    settings.set("LOG_LEVEL", args.log_level, priority="cmdline")
    if args.log_file:
        settings.set("LOG_FILE", args.log_file, priority="cmdline")
    if args.max_pages:
        settings.set("CLOSESPIDER_PAGECOUNT", args.max_pages + 20, priority="cmdline")
    with CrawlLock(args.db):
        store = Store(args.db)
        run_id = store.begin_run([s.name for s in sources], {
            "sources": str(args.sources or ""), "source": args.source, "start_url": args.start_url,
            "max_pages": args.max_pages, "since": args.since})
        store.upsert_sources([s.as_dict() for s in sources],
                             registry=str(args.sources or ("ad-hoc" if args.start_url else
                                                           DEFAULT_SOURCES)))
        store.close()
        settings.set("GIAOBAN_RUN_ID", run_id, priority="cmdline")
        from scrapers.middlewares import warc_dir_for

        warc_dir = warc_dir_for(args.db, run_id)
        settings.set("GIAOBAN_WARC_DIR", str(warc_dir), priority="cmdline")
        if args.log_file is None:
            log_dir = Path(args.db).resolve().parent / "logs"
            log_dir.mkdir(parents=True, exist_ok=True)
            settings.set("LOG_FILE", str(log_dir / f"crawl-{run_id}.log"), priority="cmdline")
            settings.set("LOG_FILE_APPEND", False, priority="cmdline")
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(PortalSpider)
        started = time.monotonic()
        process.crawl(crawler, sources=str(args.sources) if args.sources else None,
                      source=",".join(args.source or []),
                      start_url=",".join(args.start_url or []), max_pages=args.max_pages)
        process.start()
        elapsed = time.monotonic() - started
        stats = crawler.stats.get_stats() if crawler.stats else {}
        counts = stats.get("giaoban/counts", {"pages": 0, "articles_new": 0,
                                              "articles_updated": 0, "errors": 0})
        counts = dict(counts)
        counts["errors"] = int(stats.get("giaoban/fetch_errors", 0)) + \
            int(stats.get("giaoban/extract_errors", 0))
        requests = int(stats.get("downloader/request_count", 0))
        reason = stats.get("finish_reason", "unknown")
        ok_responses = int(stats.get("downloader/response_status_count/200", 0)) + \
            int(stats.get("downloader/response_status_count/304", 0))
        code = EXIT_OK
        status = "finished"
        if stats.get("giaoban/sources_error"):
            code, status = EXIT_USAGE, "bad sources"
        elif requests and ok_responses == 0:
            code, status = EXIT_ALL_FAILED, "all sources failed"
        elif reason not in ("finished", "closespider_pagecount"):
            code, status = EXIT_FAIL, str(reason)
        unchanged = int(stats.get("giaoban/not_modified", 0))
        summary = (f"giaoban crawl: {status} in {elapsed:.1f}s: {requests} requests, "
                   f"{counts['pages']} pages, {unchanged} unchanged, "
                   f"{counts['articles_new']} new articles, "
                   f"{counts['articles_updated']} updated, {counts['errors']} errors "
                   f"(run {run_id}, {args.db})")
        store = Store(args.db)
        store.finish_run(run_id, status, stats, counts, summary, code)
        if not args.no_warc:
            store.db["crawl_runs"].update(run_id, {"warc_dir": str(warc_dir)})
        store.close()
    print(summary, file=sys.stderr if code else sys.stdout)
    return code


# -- serve --------------------------------------------------------------------
def datasette_command(db: str, port: int, host: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", db,
            "--metadata", str(ROOT / "db" / "metadata.yaml"),
            "--template-dir", str(ROOT / "db" / "templates"),
            "--plugins-dir", str(ROOT / "db" / "plugins"),
            "--host", host, "--port", str(port),
            "--setting", "default_page_size", "50",
            "--setting", "sql_time_limit_ms", "3000",
            # suggestions run ~100 extra queries per table page (seconds on a big archive);
            # the useful facets are configured in db/metadata.yaml
            "--setting", "suggest_facets", "off"]


def cmd_serve(args) -> int:
    from db.store import Store

    if not Path(args.db).exists():
        raise CliError(f"giaoban serve: no database at {args.db} (run `giaoban crawl` first)")
    store = Store(args.db)  # apply pending migrations before Datasette opens it
    store.analyze()  # and give the query planner fresh statistics
    store.close()
    cmd = datasette_command(args.db, args.port, args.host)
    print(f"giaoban serve: Datasette on http://{args.host}:{args.port}/ (Ctrl-C stops)",
          flush=True)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return EXIT_OK


# -- mirror -------------------------------------------------------------------
def cmd_mirror(args) -> int:
    from scrapers.mirror import Mirror

    mirror = Mirror(base_port=args.port).start()
    if args.write_sources:
        Path(args.write_sources).parent.mkdir(parents=True, exist_ok=True)
        Path(args.write_sources).write_text(mirror.sources_yaml(), "utf-8")
    for site in mirror.sites:
        print(f"{site.name:14} http://127.0.0.1:{site.port}/  ({site.config['host']}, "
              f"{site.config.get('family')})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        mirror.stop()
    return EXIT_OK


# -- demo ---------------------------------------------------------------------
def cmd_demo(args) -> int:
    from scrapers.mirror import Mirror

    mirror = Mirror(base_port=args.mirror_port).start()
    sources = Path(args.db).parent / "mirror-sources.yaml"
    sources.parent.mkdir(parents=True, exist_ok=True)
    sources.write_text(mirror.sources_yaml(), "utf-8")
    print(f"giaoban demo: offline mirror of {len(mirror.sites)} portals on 127.0.0.1:"
          f"{mirror.sites[0].port}-{mirror.sites[-1].port}", flush=True)
    code = subprocess.call([sys.executable, "-m", "aggregator.cli", "crawl", "--db", args.db,
                            "--sources", str(sources), "--delay", "0", "--log-level", "WARNING"])
    if code not in (EXIT_OK,):
        mirror.stop()
        print(f"giaoban demo: the crawl failed (exit {code})", file=sys.stderr)
        return code
    if args.no_serve:
        mirror.stop()
        return EXIT_OK
    print(f"giaoban demo: browse http://127.0.0.1:{args.port}/giaoban", flush=True)
    try:
        return subprocess.call(datasette_command(args.db, args.port))
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        mirror.stop()


# -- reprocess ----------------------------------------------------------------
def cmd_reprocess(args) -> int:
    """Re-extract, re-classify and re-dedupe the archived responses: no network at all."""
    from warcio.archiveiterator import ArchiveIterator

    from aggregator import extract_article
    from db.store import Store
    from scrapers.registry import SourcesError, load_sources

    store = Store(args.db)
    sources = {}
    if args.sources:
        try:
            sources = {s.name: s for s in load_sources(args.sources)}
        except SourcesError as exc:
            raise CliError(f"giaoban reprocess: {exc}") from None
    if args.warc:
        files = sorted(p for d in args.warc for p in
                       (Path(d).rglob("*.warc.gz") if Path(d).is_dir() else [Path(d)]))
    else:
        dirs = [r[0] for r in store.db.execute(
            "SELECT warc_dir FROM crawl_runs WHERE warc_dir IS NOT NULL ORDER BY id")]
        files = sorted(p for d in dirs for p in Path(d).glob("*.warc.gz"))
    if not files:
        raise CliError("giaoban reprocess: no WARC files (crawl first, or pass --warc DIR)")
    since = args.since
    counts = {"records": 0, "articles": 0, "new": 0, "updated": 0, "unchanged": 0,
              "became_relevant": 0, "became_not_relevant": 0, "not_articles": 0}
    started = time.monotonic()
    seen: dict[str, str] = {}
    for path in files:
        with open(path, "rb") as fh:
            batch = store.batch()
            batch.__enter__()
            n = 0
            for record in ArchiveIterator(fh):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                status = record.http_headers.get_statuscode()
                ctype = record.http_headers.get_header("Content-Type") or ""
                if status != "200" or "html" not in ctype.lower():
                    continue
                fetched = record.rec_headers.get_header("WARC-Date") or ""
                if since and fetched[:10] < since:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                source = record.rec_headers.get_header("WARC-Giaoban-Source") or \
                    (url.split("/")[2] if url else "")
                family = record.rec_headers.get_header("WARC-Giaoban-Family") or None
                body = record.content_stream().read()
                counts["records"] += 1
                article = extract_article(body, url, ctype, fetched, family=family)
                if article.get("page_type") != "article":
                    counts["not_articles"] += 1
                    continue
                counts["articles"] += 1
                before = store.db.execute("SELECT relevant FROM articles WHERE url = ?",
                                          [article["canonical_url"]]).fetchone()
                src = sources.get(source)
                info = {"province": src.province, "locality": src.locality} if src else {}
                _, action = store.save_article(article, source=source, source_info=info)
                counts[action] += 1
                seen[article["canonical_url"]] = action
                if before is not None and bool(before[0]) != bool(article["relevant"]):
                    counts["became_relevant" if article["relevant"] else
                           "became_not_relevant"] += 1
                n += 1
                if n % 500 == 0:
                    batch.__exit__(None, None, None)
                    batch = store.batch()
                    batch.__enter__()
            batch.__exit__(None, None, None)
    elapsed = time.monotonic() - started
    store.analyze()
    store.close()
    print(f"giaoban reprocess: {counts['records']} archived pages in {elapsed:.1f}s "
          f"({counts['records'] / max(elapsed, 1e-6):.0f} pages/s): {counts['articles']} "
          f"articles — {counts['new']} new, {counts['updated']} updated, "
          f"{counts['unchanged']} unchanged; relevance flips: {counts['became_relevant']} "
          f"to relevant, {counts['became_not_relevant']} to not relevant")
    return EXIT_OK


# -- health -------------------------------------------------------------------
def cmd_health(args) -> int:
    from db.store import Store

    if not Path(args.db).exists():
        raise CliError(f"giaoban health: no database at {args.db}")
    store = Store(args.db)
    rows = store.health(max_days=args.max_days)
    store.close()
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(f"{'source':28} {'status':7} {'last success':26} {'days':>5} {'items/run':>9} "
              f"{'http err':>8}  reasons")
        for r in rows:
            print(f"{r['source'][:28]:28} {r['status']:7} {str(r['last_success'] or '-')[:26]:26} "
                  f"{r['days_without_new_items'] if r['days_without_new_items'] is not None else '-':>5} "
                  f"{r['items_per_run'] if r['items_per_run'] is not None else '-':>9} "
                  f"{r['http_error_rate'] if r['http_error_rate'] is not None else '-':>8}  "
                  f"{r['reasons']}")
    broken = [r["source"] for r in rows if r["status"] == "broken"]
    if broken:
        print(f"giaoban health: {len(broken)} broken source(s): {', '.join(broken)}",
              file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


# -- sources ------------------------------------------------------------------
def cmd_sources(args) -> int:
    from scrapers.registry import DEFAULT_SOURCES, SourcesError, load_sources

    path = args.sources or DEFAULT_SOURCES
    try:
        sources = load_sources(path)
    except SourcesError as exc:
        raise CliError(f"giaoban sources: {exc}") from None
    for s in sources:
        print(f"{s.name:32} {s.family:14} {s.level or '-':10} {s.province or '-':16} "
              f"{'verified' if s.verified else 'unverified'}")
    print(f"{len(sources)} sources OK in {path}", file=sys.stderr)
    return EXIT_OK


# -- feed ---------------------------------------------------------------------
def cmd_feed(args) -> int:
    import sqlite3

    from aggregator.feeds import write_feeds

    if not Path(args.db).is_file():
        raise CliError(f"giaoban feed: no database at {args.db} (run `giaoban crawl` first)")
    if args.limit < 1 or args.ttl < 1:
        raise CliError("giaoban feed: --limit and --ttl must be at least 1")
    started = time.monotonic()
    try:
        written = write_feeds(args.db, args.out, limit=args.limit, site_url=args.site_url,
                              ttl_minutes=args.ttl)
    except sqlite3.DatabaseError as exc:
        raise CliError(f"giaoban feed: {args.db}: {exc}") from None
    print(f"giaoban feed: {len(written) // 2} feeds, RSS 2.0 and Atom, {len(written)} files in "
          f"{args.out} in {time.monotonic() - started:.1f}s")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="giaoban", description=(
        "Archive of Vietnamese local-government giao ban / trực báo news."))
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("extract", help="print the Article JSON of one saved response body")
    e.add_argument("file")
    e.add_argument("--url", required=True)
    e.add_argument("--content-type", default=None)
    e.add_argument("--fetched-at", default=None)
    e.set_defaults(func=cmd_extract)

    c = sub.add_parser("crawl", help="crawl sources (or --start-url portals) into the database")
    c.add_argument("--db", default=DEFAULT_DB)
    c.add_argument("--sources", default=None, help="sources file (default: the portal registry)")
    c.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    c.add_argument("--start-url", action="append", default=[],
                   help="crawl an ad-hoc portal from this URL (repeatable)")
    c.add_argument("--since", default=None, help="stop paginating at items older than DATE")
    c.add_argument("--max-pages", type=int, default=None)
    c.add_argument("--delay", type=float, default=None,
                   help="seconds between requests to one host (default: per source, else 1)")
    c.add_argument("--revisit-days", type=float, default=None,
                   help="revisit articles first seen within N days for edits (default 14)")
    c.add_argument("--revisit-after-hours", type=float, default=None,
                   help="… but not more often than every N hours (default 6)")
    c.add_argument("--timeout", type=float, default=None, help="seconds per request (default 30)")
    c.add_argument("--no-warc", action="store_true", help="do not archive responses in WARC")
    c.add_argument("--no-progress", action="store_true", help="no live progress on a terminal")
    c.add_argument("--log-level", default="INFO")
    c.add_argument("--log-file", default=None,
                   help="log file (default: <db folder>/logs/crawl-<run>.log)")
    c.set_defaults(func=cmd_crawl)

    s = sub.add_parser("serve", help="Datasette on 127.0.0.1 over the database")
    s.add_argument("--db", default=DEFAULT_DB)
    s.add_argument("--port", type=int, default=8001)
    s.add_argument("--host", default="127.0.0.1")
    s.set_defaults(func=cmd_serve)

    m = sub.add_parser("mirror", help="serve the bundled offline mirror on 127.0.0.1")
    m.add_argument("--port", type=int, default=8800, help="base port (site k on port+k)")
    m.add_argument("--write-sources", default=None, help="write the matching sources file here")
    m.set_defaults(func=cmd_mirror)

    d = sub.add_parser("demo", help="mirror + crawl + serve")
    d.add_argument("--db", default=DEFAULT_DB)
    d.add_argument("--port", type=int, default=8001)
    d.add_argument("--mirror-port", type=int, default=8800)
    d.add_argument("--no-serve", action="store_true", help="stop after the crawl")
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("reprocess", help="re-extract the WARC archive into the database")
    r.add_argument("--db", default=DEFAULT_DB)
    r.add_argument("--since", default=None, help="only responses archived on or after DATE")
    r.add_argument("--warc", action="append", default=[],
                   help="WARC file or folder (default: every crawl run's archive)")
    r.add_argument("--sources", default=None, help="sources file for province and locality")
    r.set_defaults(func=cmd_reprocess)

    h = sub.add_parser("health", help="per-source health; exit 1 when a source is broken")
    h.add_argument("--db", default=DEFAULT_DB)
    h.add_argument("--max-days", type=int, default=30,
                   help="a source with no new item for more days is broken (default 30)")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=cmd_health)

    so = sub.add_parser("sources", help="list and validate a sources file")
    so.add_argument("--sources", default=None)
    so.set_defaults(func=cmd_sources)

    fd = sub.add_parser("feed", help="write RSS 2.0 and Atom feeds (all, per source, province, "
                                     "meeting kind)")
    fd.add_argument("--db", default=DEFAULT_DB)
    fd.add_argument("--out", required=True, help="directory to write the feeds into")
    fd.add_argument("--limit", type=int, default=50, help="newest N stories per feed")
    fd.add_argument("--ttl", type=int, default=360,
                    help="minutes readers may cache a feed (<ttl>): the crawl interval")
    fd.add_argument("--site-url", default="http://127.0.0.1:8001",
                    help="where `giaoban serve` is reachable (feeds' self and page links)")
    fd.set_defaults(func=cmd_feed)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return exc.code
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
