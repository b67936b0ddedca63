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
        process = CrawlerProcess(settings, install_root_handler=True)
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
        ok_responses = int(stats.get("downloader/response_status_count/200", 0))
        code = EXIT_OK
        status = "finished"
        if stats.get("giaoban/sources_error"):
            code, status = EXIT_USAGE, "bad sources"
        elif requests and ok_responses == 0:
            code, status = EXIT_ALL_FAILED, "all sources failed"
        elif reason not in ("finished", "closespider_pagecount"):
            code, status = EXIT_FAIL, str(reason)
        summary = (f"giaoban crawl: {status} in {elapsed:.1f}s: {requests} requests, "
                   f"{counts['pages']} pages, {counts['articles_new']} new articles, "
                   f"{counts['articles_updated']} updated, {counts['errors']} errors "
                   f"(run {run_id}, {args.db})")
        store = Store(args.db)
        store.finish_run(run_id, status, stats, counts, summary, code)
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
            "--setting", "sql_time_limit_ms", "3000"]


def cmd_serve(args) -> int:
    from db.store import Store

    if not Path(args.db).exists():
        raise CliError(f"giaoban serve: no database at {args.db} (run `giaoban crawl` first)")
    Store(args.db).close()  # apply pending migrations before Datasette opens it
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
    c.add_argument("--log-level", default="INFO")
    c.add_argument("--log-file", default=None)
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

    so = sub.add_parser("sources", help="list and validate a sources file")
    so.add_argument("--sources", default=None)
    so.set_defaults(func=cmd_sources)
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
