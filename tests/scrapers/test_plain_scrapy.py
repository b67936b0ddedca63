"""The project works unchanged under plain Scrapy (and so under Scrapyd): `scrapy crawl portals`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_scrapy_list_and_crawl_from_the_repo_root(mirror_sources, tmp_path):
    scrapy = Path(sys.executable).with_name("scrapy")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    listed = subprocess.run([str(scrapy), "list"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert listed.stdout.split() == ["portals"], listed.stderr[-1000:]
    db = tmp_path / "plain.db"
    proc = subprocess.run(
        [str(scrapy), "crawl", "portals", "-a", f"sources={mirror_sources}", "-a",
         "source=honglinh", "-s", f"GIAOBAN_DB={db}", "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM articles WHERE source = 'honglinh'").fetchone()[0] >= 9
    run = con.execute("SELECT status, pages FROM crawl_runs").fetchall()
    assert run == [("finished", run[0][1])] and run[0][1] > 10
    # the WARC archive is written under plain Scrapy too
    assert list((tmp_path / "warc").rglob("*.warc.gz"))
