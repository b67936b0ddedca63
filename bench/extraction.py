"""Extraction benchmark: giaoban vs trafilatura on the project's portal fixtures, and the generic
path vs trafilatura on the public article-extraction benchmark. One run, markdown tables.

    .venv/bin/python bench/extraction.py [--repeat N] [--public DIR] [--no-public]

Portal set: every `tests/fixtures/<family>/<case>/` (page.html + meta.json + expected.json).
Public set: `../shared/extraction-benchmark/` (181 pages, html/<id>.html.gz + ground-truth.json).

Metrics (the public benchmark's definitions, shared/extraction-benchmark/README.md):
- body F1: tokens are `\\w+` runs (case kept), 4-token shingles as a multiset (a 1-3 token text is
  one shorter shingle). Per page TP/FP/FN; precision = mean TP/(TP+FP) over pages with a
  non-empty output, recall = mean TP/(TP+FN) over all pages, F1 = harmonic mean of the two means.
  Every output and every gold text is passed through `aggregator.normalize.normalize_text` first
  (NFC, one tone-mark style, dashes, NBSP), so the score measures what an extractor selects,
  not how the page spells "ủy".
- title exact: normalised title == gold title, over pages whose gold has a title.
- date exact: the date part equals the gold's, over pages whose gold has a date; "date+time"
  compares the full value over pages whose gold shows a time (trafilatura is asked for
  "%Y-%m-%dT%H:%M:%S" so it can score when htmldate finds a time).
- leaks: pages whose body contains any of LEAK_STRINGS (counters, share/print bars, related
  lists, skip links, Liferay 7 chrome).
- pages/s: one process, extraction only (bytes in, fields out), after one warm-up pass over the
  same pages; the best of `--repeat` timed passes, taken round-robin over the systems (the pass
  least disturbed by other load, as timeit does).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from aggregator import extract_article  # noqa: E402
from aggregator.normalize import normalize_text  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
PUBLIC = ROOT.parent / "shared" / "extraction-benchmark"
LEAK_STRINGS = (
    "Thống kê truy cập", "Hôm nay:", "Đã truy cập", "Tin liên quan", "Các tin khác", "In bài",
    "Gửi email", "EmailPrintAa", "Truy cập nội dung luôn", "Lượt xem", "View count", "Chia sẻ",
    "[bookmark", "Xuất bản thông tin",
)
_TOKEN = re.compile(r"\w+")


# -- metric ---------------------------------------------------------------------------------

def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(normalize_text(text or ""))
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def prf(outputs: list[str], golds: list[str]) -> tuple[float, float, float]:
    precisions, recalls = [], []
    for out, gold in zip(outputs, golds):
        o, g = shingles(out), shingles(gold)
        tp = sum((o & g).values())
        fp, fn = sum(o.values()) - tp, sum(g.values()) - tp
        if o:
            precisions.append(tp / (tp + fp))
        recalls.append(tp / (tp + fn) if tp + fn else 1.0)
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# -- systems: (bytes, url, content_type, fetched_at) -> {"body", "title", "published"} -------

def giaoban(body: bytes, url: str, ctype: str | None, fetched: str | None) -> dict:
    return extract_article(body, url, ctype, fetched)


def giaoban_generic(body: bytes, url: str, ctype: str | None, fetched: str | None) -> dict:
    return extract_article(body, url, ctype, fetched, family="generic")


def _trafilatura(precision: bool) -> Callable[..., dict]:
    def run(body: bytes, url: str, ctype: str | None, fetched: str | None) -> dict:
        doc = trafilatura.bare_extraction(
            body, url=url, with_metadata=True, favor_precision=precision,
            date_extraction_params={"outputformat": "%Y-%m-%dT%H:%M:%S", "original_date": True},
        )
        if doc is None:
            return {"body": "", "title": "", "published": None}
        return {"body": doc.text or "", "title": doc.title or "", "published": doc.date}
    return run


SYSTEMS: dict[str, Callable[..., dict]] = {
    "giaoban": giaoban,
    "giaoban, generic path": giaoban_generic,
    "trafilatura": _trafilatura(False),
    "trafilatura favor_precision": _trafilatura(True),
}


# -- data -----------------------------------------------------------------------------------

def portal_pages() -> list[dict]:
    pages = []
    for case in sorted(p for p in FIXTURES.glob("*/*") if (p / "expected.json").exists()):
        meta = json.loads((case / "meta.json").read_text("utf-8"))
        gold = json.loads((case / "expected.json").read_text("utf-8"))
        pages.append({"id": f"{case.parent.name}/{case.name}", "body": (case / "page.html").read_bytes(),
                      "url": meta["url"], "ctype": meta.get("content_type"),
                      "fetched": meta.get("fetched_at"), "gold": gold})
    return pages


def public_pages(directory: Path) -> list[dict]:
    truth = json.loads((directory / "ground-truth.json").read_text("utf-8"))
    pages = []
    for pid, item in sorted(truth.items()):
        raw = gzip.decompress((directory / "html" / f"{pid}.html.gz").read_bytes())
        pages.append({"id": pid, "body": raw, "url": item.get("url") or "", "fetched": None,
                      "ctype": "text/html; charset=utf-8", "gold": {"body": item["articleBody"]}})
    return pages


# -- running --------------------------------------------------------------------------------

def run_systems(names: list[str], pages: list[dict], repeat: int) -> dict[str, tuple[list[dict], float]]:
    """Outputs (from the warm-up pass) and best pages/s of each system. Timed passes go round-robin
    over the systems, so a burst of other load on the machine hits them all alike."""
    outputs = {n: [SYSTEMS[n](p["body"], p["url"], p["ctype"], p["fetched"]) for p in pages]
               for n in names}  # warm-up
    rates: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(repeat):
        for n in names:
            fn = SYSTEMS[n]
            start = time.perf_counter()
            for p in pages:
                fn(p["body"], p["url"], p["ctype"], p["fetched"])
            rates[n].append(len(pages) / (time.perf_counter() - start))
    return {n: (outputs[n], max(rates[n])) for n in names}


def _pct(hits: int, total: int) -> str:
    return f"{100 * hits / total:.1f} % ({hits}/{total})" if total else "n/a"


def score_portal(name: str, outputs: list[dict], pages: list[dict], rate: float) -> list[str]:
    golds = [p["gold"] for p in pages]
    p, r, f1 = prf([o.get("body") or "" for o in outputs], [g["body"] for g in golds])
    titled = [(o, g) for o, g in zip(outputs, golds) if g.get("title")]
    title_hits = sum(normalize_text(o.get("title") or "").strip() == g["title"] for o, g in titled)
    dated = [(o, g) for o, g in zip(outputs, golds) if g.get("published")]
    day_hits = sum((o.get("published") or "")[:10] == g["published"][:10] for o, g in dated)
    timed = [(o, g) for o, g in dated if "T" in g["published"]]
    time_hits = sum((o.get("published") or "")[:19] == g["published"][:19] for o, g in timed)
    leaks = sum(any(s in (o.get("body") or "") for s in LEAK_STRINGS) for o in outputs)
    return [name, f"{f1:.3f}", f"{p:.3f}", f"{r:.3f}", _pct(title_hits, len(titled)),
            _pct(day_hits, len(dated)), _pct(time_hits, len(timed)), str(leaks), f"{rate:.0f}"]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed passes per system (best)")
    ap.add_argument("--public", type=Path, default=PUBLIC, help="public benchmark directory")
    ap.add_argument("--no-public", action="store_true", help="skip the public benchmark")
    ap.add_argument("--per-page", action="store_true", help="print giaoban's per-page F1")
    args = ap.parse_args(argv)

    pages = portal_pages()
    gold_leaks = sum(any(s in p["gold"]["body"] for s in LEAK_STRINGS) for p in pages)
    rows = []
    for name, (outputs, rate) in run_systems(list(SYSTEMS), pages, args.repeat).items():
        rows.append(score_portal(name, outputs, pages, rate))
        if args.per_page and name == "giaoban":
            for p, o in zip(pages, outputs):
                print(f"{prf([o['body']], [p['gold']['body']])[2]:.3f}  {p['id']}", file=sys.stderr)
    families = len({p["id"].split("/")[0] for p in pages})
    print(f"## Portal pages ({len(pages)} fixture pages, {families} CMS families; "
          f"gold bodies containing a leak string: {gold_leaks})\n")
    print(table(["system", "body F1", "P", "R", "title exact", "date exact", "date+time exact",
                 "pages with leaks", "pages/s"], rows))

    if not args.no_public and (args.public / "ground-truth.json").exists():
        public = public_pages(args.public)
        prow = []
        names = ["giaoban, generic path", "trafilatura", "trafilatura favor_precision"]
        for name, (outputs, rate) in run_systems(names, public, args.repeat).items():
            p, r, f1 = prf([o.get("body") or "" for o in outputs], [q["gold"]["body"] for q in public])
            prow.append([name, f"{f1:.3f}", f"{p:.3f}", f"{r:.3f}", f"{rate:.0f}"])
        print(f"\n## Public article-extraction benchmark ({len(public)} pages)\n")
        print(table(["system", "body F1", "P", "R", "pages/s"], prow))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
