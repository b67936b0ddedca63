"""Deduplication: pairwise accuracy on labelled pairs, and scale on generated archives.

    .venv/bin/python bench/dedup.py                 # labelled pairs + a 100 000-article archive
    .venv/bin/python bench/dedup.py --n 1000000     # the issue's million-article figure

Scale: N articles are generated from templates (localities × periods × a pool of report
sentences), with 8 % re-posted on another portal (prefixed title, other byline, a sentence added,
another tone style) and consecutive quarters of one town written from one template. The full
build (`Store.rebuild_stories`, 2 worker processes for signatures) and the incremental path
(`Store.save_article` for 10 000 new articles) are timed; peak memory is the process's max RSS
(children included). The loaded archive (the bulk load is not what is measured) is kept in
`--dir` (default $TMPDIR/giaoban-bench-dedup-N/) and copied for each later run.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.dedupe_eval import evaluate_pairs  # noqa: E402
from db.store import Store, content_hash  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "dedup" / "pairs.jsonl"

PLACES = [f"{kind} {name}" for kind in ("huyện", "thị xã", "thành phố") for name in (
    "An Lão", "Bảo Lạc", "Can Lộc", "Đức Phổ", "Hồng Lĩnh", "Mỹ Hào", "Quảng Yên", "Tuy Phong",
    "La Gi", "Ba Đồn", "Kỳ Anh", "Sa Pa", "Hoài Nhơn", "Ninh Hòa", "Đông Triều", "Chí Linh",
    "Phú Xuyên", "Thanh Oai", "Định Hóa", "Lục Ngạn", "Cầu Kè", "Chợ Gạo", "Di Linh",
    "Mường Nhé", "Krông Pắc", "Tây Giang", "Đông Giang", "Thuận Châu", "Phong Điền", "Hải Hậu")]
SUBJECTS = ["Mặt trận và các đoàn thể", "Hội Liên hiệp Phụ nữ", "Hội Nông dân", "Hội Cựu chiến binh",
            "Đoàn Thanh niên", "Liên đoàn Lao động", "Ban Dân vận", "Ủy ban MTTQ"]
VERBS = ["đã tập trung tuyên truyền", "tích cực vận động", "phối hợp tổ chức", "chủ động triển khai",
         "duy trì hiệu quả", "đẩy mạnh thực hiện", "tham gia giám sát", "kịp thời nắm bắt"]
OBJECTS = ["phong trào thi đua yêu nước", "cuộc vận động xây dựng nông thôn mới",
           "công tác giảm nghèo bền vững", "mô hình dân vận khéo", "chương trình an sinh xã hội",
           "công tác giải phóng mặt bằng", "phong trào Ngày Chủ nhật xanh",
           "việc chăm lo Tết cho hộ nghèo", "công tác phát triển hội viên",
           "hoạt động giám sát và phản biện xã hội", "công tác phòng chống thiên tai",
           "cuộc vận động người Việt Nam ưu tiên dùng hàng Việt Nam"]


_POOL: list[str] = []


def _pool() -> list[str]:
    """Real report sentences (from the labelled set) as the generator's vocabulary."""
    if not _POOL:
        import re

        src = ROOT / "tests" / "data" / "classify" / "labelled.jsonl"
        for line in src.read_text("utf-8").splitlines():
            body = json.loads(line)["body"]
            _POOL.extend(s.strip() for s in re.split(r"(?<=[.;])\s+", body) if len(s) > 60)
    return _POOL


def _sentence(rng: random.Random) -> str:
    import re

    base = rng.choice(_pool()) if rng.random() < 0.7 else (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}.")
    # new figures and a new place make the sentence this meeting's own
    base = re.sub(r"\d+", lambda m: str(rng.randint(2, 9999)), base)
    return (f"Tại {rng.choice(PLACES)}, {base[0].lower()}{base[1:]} Kết quả có "
            f"{rng.randint(2, 900)} mô hình và {rng.randint(20, 5000)} ngày công.")


def generate(n: int, seed: int = 1):
    """Yield article dicts as `extract_article` would return them (no HTML needed)."""
    rng = random.Random(seed)
    produced = 0
    templates: dict[str, list[str]] = {}
    start = date(2015, 1, 1)
    while produced < n:
        place = rng.choice(PLACES)
        q = rng.randint(1, 4)
        year = rng.randint(2015, 2025)
        meeting = date(year, q * 3, rng.randint(1, 28)) + timedelta(days=rng.randint(3, 20))
        base = templates.get(place)
        if base is None or rng.random() < 0.3:
            base = [_sentence(rng) for _ in range(9)]
            templates[place] = base
        # same template, new figures in a third of the sentences: a different meeting
        sentences = [s if rng.random() < 0.67 else _sentence(rng) for s in base]
        relevant = rng.random() < 0.5
        kind = "giao ban" if relevant else "sơ kết"
        title = (f"Thường trực {place.split()[0].capitalize()} ủy {kind} với Mặt trận và các đoàn "
                 f"thể quý {'I' * q if q < 4 else 'IV'}/{year}")
        lede = (f"Chiều ngày {meeting.day}/{meeting.month}/{meeting.year}, Thường trực "
                f"{place} tổ chức hội nghị {kind} quý {q}/{year}.")
        body = lede + "\n\n" + " ".join(sentences)
        published = (meeting + timedelta(days=1)).isoformat()
        src = f"portal{rng.randint(1, 400)}"
        art = _article(src, produced, title, body, published, relevant, meeting, year, q)
        yield art
        produced += 1
        if produced < n and rng.random() < 0.08:  # a repost on another portal
            body2 = body.replace("ủy", "uỷ") + " Dịp này, hội nghị thống nhất lịch giao ban."
            yield _article(f"portal{rng.randint(401, 600)}", produced, place.split()[-1] + ": " +
                           title, body2, (meeting + timedelta(days=3)).isoformat(), relevant,
                           meeting, year, q)
            produced += 1


def _article(source, i, title, body, published, relevant, meeting, year, q) -> dict:
    return {
        "url": f"http://{source}.example.gov.vn/tin/{i}.html",
        "canonical_url": f"http://{source}.example.gov.vn/tin/{i}.html",
        "title": title, "body": body, "published": published, "relevant": relevant,
        "meeting": {"kind": "giao ban" if relevant else None, "level": "huyen" if relevant
                    else None, "locality": None, "chair": None, "period": f"quý {q}/{year}",
                    "meeting_date": meeting.isoformat() if relevant else None},
        "meeting_extra": {"period_norm": {"year": year, "quarter": q} if relevant else {}},
        "source": source,
    }


def bulk_load(store: Store, articles) -> int:
    """Insert generated articles directly (the build step being measured is the dedup)."""
    rows = []
    n = 0
    for a in articles:
        m, pn = a["meeting"], a["meeting_extra"]["period_norm"]
        rows.append({"url": a["canonical_url"], "source": a["source"], "title": a["title"],
                     "published": a["published"], "body": a["body"],
                     "relevant": int(a["relevant"]), "meeting_date": m["meeting_date"],
                     "period_year": pn.get("year"), "period_quarter": pn.get("quarter"),
                     "level": m["level"], "content_hash": content_hash(a["body"])})
        n += 1
        if len(rows) == 50000:
            store.db["articles"].insert_all(rows, batch_size=5000)
            rows = []
    if rows:
        store.db["articles"].insert_all(rows, batch_size=5000)
    return n


def pairs_table() -> None:
    if not PAIRS.exists():
        print("(no labelled pairs file)")
        return
    r = evaluate_pairs(PAIRS)
    print("| labelled pairs | same | different | precision | recall | different meetings merged |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| {PAIRS.name} | {r['tp'] + r['fn']} | {r['fp'] + r['tn']} | {r['precision']:.3f} | "
          f"{r['recall']:.3f} | {len(r['merged_different'])} |")


def loaded_archive(n: int, folder: Path | None) -> tuple[Path, int, float]:
    """A bulk-loaded archive of n articles, kept in `folder` and copied for each run (loading a
    million articles takes minutes and is not what is measured)."""
    folder = folder or Path(tempfile.gettempdir()) / f"giaoban-bench-dedup-{n}"
    base = folder / "base.db"
    load_s = float("nan")
    if not base.exists():
        folder.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        store = Store(folder / "loading.db")
        bulk_load(store, generate(n))
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        (folder / "loading.db").rename(base)
        load_s = time.perf_counter() - t
    Store(base).close()  # pending migrations, once (a schema change re-indexes the archive)
    work = folder / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, work)
    con = sqlite3.connect(work)
    loaded = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    con.close()
    return work, loaded, load_s


def scale_table(n: int, add: int, folder: Path | None = None, keep: Path | None = None) -> None:
    work, loaded, load_s = loaded_archive(n, folder)
    try:
        store = Store(work)
        t = time.perf_counter()
        counts = store.rebuild_stories(workers=2)
        build_s = time.perf_counter() - t
        rss_build = _max_rss_mb()
        new = list(generate(add, seed=99))
        t = time.perf_counter()
        for k in range(0, len(new), 1000):
            with store.batch():  # one commit per 1 000 articles, as reprocess does
                for a in new[k:k + 1000]:
                    a["canonical_url"] = a["url"] = a["url"].replace("/tin/", "/moi/")
                    store.save_article(a, source=a["source"])
        add_s = time.perf_counter() - t
        rss_add = _max_rss_mb()
        store.close()
        if keep:
            shutil.copyfile(work, keep)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
    print("| archive | step | seconds | articles/s | peak RSS (MB) |")
    print("|---|---|---:|---:|---:|")
    if load_s == load_s:  # not NaN: built in this run
        print(f"| {loaded:,} articles | bulk load (not dedup) | {load_s:.0f} | "
              f"{loaded / load_s:,.0f} | - |")
    print(f"| {loaded:,} articles | full build: signatures, LSH bands, stories | {build_s:.0f} | "
          f"{loaded / build_s:,.0f} | {rss_build:,.0f} |")
    print(f"| {loaded:,} articles | add {add:,} new articles (save_article) | {add_s:.1f} | "
          f"{add / add_s:,.0f} | {rss_add:,.0f} |")
    print(f"\nstories: {counts['stories']:,}; joined exactly: {counts['exact']:,}; joined as "
          f"near-duplicates: {counts['near']:,}; near-duplicates kept apart by the event guard: "
          f"{counts['rejected']:,}")
    print("full build by phase (s): " + ", ".join(
        f"{k} {v}" for k, v in counts["seconds"].items()))


def _max_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--add", type=int, default=10_000)
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--keep", type=Path, default=None,
                    help="copy the built archive (after the adds) here, for profiling")
    ap.add_argument("--dir", type=Path, default=None,
                    help="where the loaded archive is kept for later runs "
                         "(default $TMPDIR/giaoban-bench-dedup-N)")
    args = ap.parse_args()
    pairs_table()
    print()
    if not args.skip_scale:
        scale_table(args.n, args.add, args.dir, args.keep)


if __name__ == "__main__":
    main()
