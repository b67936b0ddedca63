"""Feed benchmark: time to read and render one feed from an archive of N stories.

    .venv/bin/python bench/feeds.py [--stories N] [--repeat R]

A synthetic archive (real migrations, rows written with plain SQL for speed: the benchmark
measures the read side) of N single-copy stories over 300 portals and 63 provinces, 10 % of them
relevant, 50 000 of them in the search index. For each feed kind: the median of R runs of
`fetch_stories` (SQLite, read-only connection) and of `render` (feedgen + nh3), newest 50 items.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator import feeds  # noqa: E402
from db.search import search_key  # noqa: E402
from db.store import open_db  # noqa: E402


def make_archive(path: Path, n: int) -> None:
    db = open_db(path)
    conn = db.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    rnd = random.Random(1)
    rows = []
    for i in range(1, n + 1):
        published = (f"20{rnd.randint(10, 25)}-{rnd.randint(1, 12):02d}-"
                     f"{rnd.randint(1, 28):02d}T08:00:00+07:00")
        rows.append((i, f"http://portal{i % 300}.gov.vn/tin/{i}", f"src{i % 300}",
                     f"Thường trực Huyện ủy giao ban số {i}", published,
                     "Đoạn văn về hội nghị trực báo với MTTQ và các đoàn thể. " * 12,
                     int(rnd.random() < 0.1), rnd.choice(["giao ban", "trực báo", None]),
                     "huyen", f"Tỉnh {i % 63}", i, "2025-01-01T00:00:00+07:00"))
    conn.executemany("INSERT INTO articles (id, url, source, title, published, body, relevant, "
                     "meeting_kind, level, province, story_id, updated, search_key) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     [(*r, search_key(r[0], r[4])) for r in rows])
    conn.executemany("INSERT INTO stories (story_id, article_id, n_articles, relevant) "
                     "VALUES (?, ?, 1, ?)", [(r[0], r[0], r[6]) for r in rows])
    conn.executemany("INSERT INTO articles_fts (rowid, title, body, title_fold, body_fold) "
                     "VALUES (?, ?, ?, ?, ?)",
                     [(search_key(r[0], r[4]), r[3], r[5][:120], r[3].lower(),
                       "hoi nghi truc bao")
                      for r in rows[:50_000]])
    conn.commit()
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "giaoban.db"
        started = time.perf_counter()
        make_archive(path, args.stories)
        print(f"archive of {args.stories} stories built in {time.perf_counter() - started:.1f} s\n")
        conn = feeds.open_ro(path)
        specs = [feeds.FeedSpec("all"), feeds.FeedSpec("source", "src7"),
                 feeds.FeedSpec("province", "Tỉnh 5"), feeds.FeedSpec("kind", "trực báo"),
                 feeds.FeedSpec("search", "truc bao", relevant_only=False)]
        print("| feed | items | query ms (median) | render RSS ms | render Atom ms |")
        print("|---|---|---|---|---|")
        for spec in specs:
            q, rss, atom = [], [], []
            for _ in range(args.repeat):
                t = time.perf_counter()
                stories = feeds.fetch_stories(conn, spec)
                q.append(time.perf_counter() - t)
                for fmt, out in (("rss", rss), ("atom", atom)):
                    t = time.perf_counter()
                    feeds.render(spec, stories, fmt, feeds_root="http://x/-/feeds",
                                 site_url="http://x")
                    out.append(time.perf_counter() - t)
            print(f"| {spec.kind} | {len(stories)} | {statistics.median(q) * 1000:.1f} | "
                  f"{statistics.median(rss) * 1000:.1f} | {statistics.median(atom) * 1000:.1f} |")
        conn.close()


if __name__ == "__main__":
    main()
