"""Datasette is read-only and local by default; sources files fail loudly and clearly."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import run_cli
from reliability_support import ROOT

from aggregator.cli import build_parser, datasette_command  # noqa: E402
from db.store import Store  # noqa: E402
from dsserver import fetch, serve  # noqa: E402

WRITES = [
    "DELETE FROM articles",
    "UPDATE articles SET title = 'x'",
    "DROP TABLE articles",
    "INSERT INTO sources (name) VALUES ('x')",
    "CREATE TABLE pwned (x)",
    "ATTACH DATABASE '{tmp}/pwned.db' AS pwned",
    "PRAGMA writable_schema = 1",
    "SELECT 1; DELETE FROM articles",
    "WITH x AS (SELECT 1) DELETE FROM articles",
    "VACUUM INTO '{tmp}/copy.db'",
    "REPLACE INTO stories (story_id) VALUES (999)",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A small archive written by the Store (the one writer), served by `giaoban serve`."""
    tmp = tmp_path_factory.mktemp("ro")
    db = tmp / "giaoban.db"
    store = Store(db)
    store.upsert_sources([{"name": "honglinh", "host": "honglinh.hatinh.gov.vn"}])
    article = {"url": "http://honglinh.hatinh.gov.vn/a-1.html",
               "canonical_url": "http://honglinh.hatinh.gov.vn/a-1.html",
               "title": "Thường trực Thị ủy giao ban", "published": "2024-05-02",
               "body": "Thường trực Thị ủy giao ban với Mặt trận và các đoàn thể.", "images": [],
               "relevant": True, "meeting": {}}
    store.save_article(article, source="honglinh")
    store.close()
    with serve(db) as base:
        yield {"db": db, "base": base, "tmp": tmp}


def _counts(db: Path) -> tuple:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = sorted(r[0] for r in con.execute("SELECT name FROM sqlite_master"))
        return (con.execute("SELECT count(*), group_concat(title) FROM articles").fetchone(),
                con.execute("SELECT count(*) FROM sources").fetchone(),
                con.execute("SELECT count(*) FROM stories").fetchone(), tables)
    finally:
        con.close()


@pytest.mark.parametrize("sql", WRITES)
def test_no_write_through_datasettes_sql_endpoint(archive, sql):
    before = _counts(archive["db"])
    sql = sql.format(tmp=archive["tmp"])
    status, _, text = fetch(f"{archive['base']}/giaoban.json?sql={quote(sql)}")
    assert status >= 400 or json.loads(text).get("ok") is False, (status, text[:300])
    for method, path in (("POST", "/giaoban"), ("POST", "/giaoban/articles/-/insert"),
                         ("POST", f"/giaoban.json?sql={quote(sql)}")):
        req = urllib.request.Request(archive["base"] + path, method=method,
                                     data=json.dumps({"sql": sql, "row": {"title": "x"}}).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                code = r.status
        except urllib.error.HTTPError as e:
            code = e.code
        assert code >= 400, (method, path, code)
    assert _counts(archive["db"]) == before
    assert not list(archive["tmp"].glob("pwned*")) and not (archive["tmp"] / "copy.db").exists()


def _listening(port: int) -> list[str]:
    """Local addresses of the sockets listening on `port` (from the kernel's tables)."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:  # 0A = LISTEN
                out.append(addr)
    return out


def test_serve_binds_loopback_only_by_default(archive):
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    assert build_parser().parse_args(["demo"]).port == 8001
    cmd = datasette_command("x.db", 8001)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    port = int(archive["base"].rsplit(":", 1)[1])
    addresses = _listening(port)
    assert addresses, f"nothing listens on {port}"
    assert set(addresses) == {"0100007F"}, addresses  # 127.0.0.1, never 0.0.0.0 or ::


def test_the_database_stays_unchanged_by_browsing(archive):
    before = _counts(archive["db"])
    for path in ("/giaoban/articles", "/giaoban/articles.json?_search=giao", "/-/feeds/all.rss",
                 "/-/article/1", "/giaoban/meetings"):
        status, _, _ = fetch(archive["base"] + path)
        assert status == 200, path
    assert _counts(archive["db"]) == before


# -- sources files ------------------------------------------------------------------------------
OK = "  - name: ok\n    host: a.gov.vn\n    start_urls: [http://a.gov.vn/]\n"
BAD_ENTRIES = {
    "max_pages: abc": ("max_pages", OK + "    max_pages: abc\n"),
    "max_pages: 0": ("max_pages", OK + "    max_pages: 0\n"),
    "download_delay: fast": ("download_delay", OK + "    download_delay: fast\n"),
    "download_delay: -1": ("download_delay", OK + "    download_delay: -1\n"),
    "concurrency: many": ("concurrency", OK + "    concurrency: many\n"),
    "verified: maybe": ("verified", OK + "    verified: maybe\n"),
    "prefilter: 1": ("prefilter", OK + "    prefilter: 1\n"),
    "province: [a, b]": ("province", OK + "    province: [a, b]\n"),
    "user_agent: 5": ("user_agent", OK + "    user_agent: 5\n"),
    "start url off host": ("start_urls", OK.replace("[http://a.gov.vn/]", "[http://b.gov.vn/]")),
    "javascript: URL": ("start_urls", OK.replace("[http://a.gov.vn/]", "['javascript:alert(1)']")),
    "broken IPv6 URL": ("start_urls", OK.replace("[http://a.gov.vn/]", "['http://[::1/']")),
    "port out of range": ("start_urls", OK.replace("[http://a.gov.vn/]",
                                                   "['http://a.gov.vn:99999/']")),
    "start_urls mapping": ("start_urls", OK.replace("[http://a.gov.vn/]", "{a: 1}")),
    "host with scheme": ("host", OK.replace("host: a.gov.vn", "host: http://a.gov.vn")),
    "upper-case name": ("name", OK.replace("name: ok", "name: OK")),
    "no name": ("name", OK.replace("  - name: ok\n    host", "  - host")),
    "unknown field": ("unknown field", OK + "    cron: daily\n"),
    "unknown family": ("family", OK + "    family: drupal\n"),
    "bad level": ("level", OK + "    level: province\n"),
    "no URLs": ("start_urls", "  - name: ok\n    host: a.gov.vn\n"),
    "duplicate name": ("duplicate", OK + OK),
    "entry not a mapping": ("mapping", "  - just a string\n"),
}
BAD_FILES = {
    "YAML syntax error": ("YAML", "sources: [\n"),
    "no sources key": ("'sources'", "portals: []\n"),
    "empty file": ("'sources'", ""),
    "binary file": ("UTF-8", b"\x89PNG\r\n\x1a\n\x00\xff\xfe"),
}


def _write(tmp_path: Path, content) -> Path:
    path = tmp_path / "sources.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    return path


@pytest.mark.parametrize("case", list(BAD_ENTRIES) + list(BAD_FILES))
def test_bad_sources_files_fail_with_one_clear_line(tmp_path, capsys, case):
    """`giaoban sources` and `giaoban crawl` (the CLI's main, in process: fast) refuse it."""
    from aggregator.cli import main

    if case in BAD_ENTRIES:
        field, body = BAD_ENTRIES[case]
        path = _write(tmp_path, "sources:\n" + body)
    else:
        field, body = BAD_FILES[case]
        path = _write(tmp_path, body)
    for command in (["sources", "--sources", str(path)],
                    ["crawl", "--db", str(tmp_path / "x.db"), "--sources", str(path)]):
        code = main(command)
        err = capsys.readouterr().err.strip()
        assert code == 2, (command, code, err[-500:])
        assert "Traceback" not in err and err.count("\n") == 0, err[-500:]
        assert str(path) in err and field in err, err
        if case in BAD_ENTRIES and "mapping" not in field:
            assert "entry " in err, err
    assert not (tmp_path / "x.db").exists(), "a bad sources file still created a database"


def test_a_bad_sources_file_is_one_line_from_the_real_command(tmp_path):
    path = _write(tmp_path, "sources:\n" + BAD_ENTRIES["broken IPv6 URL"][1])
    proc = run_cli("crawl", "--db", str(tmp_path / "x.db"), "--sources", str(path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "not a valid URL" in proc.stderr


def test_the_shipped_sources_files_are_valid():
    for path in sorted((ROOT / "scrapers" / "sources").glob("*.yaml")):
        proc = run_cli("sources", "--sources", str(path))
        assert proc.returncode == 0, proc.stderr
