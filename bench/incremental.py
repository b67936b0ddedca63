"""Incremental crawling on the offline mirror: first vs second crawl, and reprocess speed.

    .venv/bin/python bench/incremental.py

Runs the real `giaoban crawl` twice against the mirror served on 127.0.0.1 (second run: nothing
changed), then `giaoban reprocess` from the first run's WARC files into an empty database.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapers.mirror import Mirror  # noqa: E402


def cli(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "aggregator.cli", *args], cwd=ROOT,
                          capture_output=True, text=True)
    return proc, time.perf_counter() - t


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Mirror(base_port=0) as mirror:
        sources = Path(tmp) / "sources.yaml"
        sources.write_text(mirror.sources_yaml(), "utf-8")
        db = Path(tmp) / "giaoban.db"
        rows = []
        for label in ("first crawl", "second crawl (unchanged)"):
            proc, secs = cli("crawl", "--db", str(db), "--sources", str(sources), "--delay", "0")
            assert proc.returncode == 0, proc.stderr
            stats = json.loads(sqlite3.connect(db).execute(
                "SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0])
            rows.append((label, stats.get("downloader/request_count", 0),
                         stats.get("giaoban/not_modified", 0),
                         stats.get("giaoban/articles_new", 0), secs))
        warc = sqlite3.connect(db).execute(
            "SELECT warc_dir FROM crawl_runs ORDER BY id LIMIT 1").fetchone()[0]
        proc, secs = cli("reprocess", "--db", str(Path(tmp) / "re.db"), "--warc", warc,
                         "--sources", str(sources))
        assert proc.returncode == 0, proc.stderr
        pages = int(re.search(r"(\d+) archived pages", proc.stdout).group(1))
    print("| run | requests | 304 Not Modified | new articles | seconds (wall, incl. start-up) |")
    print("|---|---:|---:|---:|---:|")
    for label, req, nm, new, secs in rows:
        print(f"| {label} | {req} | {nm} | {new} | {secs:.1f} |")
    print(f"\nsecond/first requests: {rows[1][1] / rows[0][1]:.1%}")
    print(f"reprocess from WARC: {pages} pages in {secs:.1f} s wall = {pages / secs:.0f} pages/s "
          f"(incl. start-up); the command's own figure: {proc.stdout.strip()}")


if __name__ == "__main__":
    main()
