"""Classifier and fact-extraction accuracy on the project's labelled sets.

    .venv/bin/python bench/classify.py

`labelled.jsonl` was written to develop the rules; `heldout.jsonl` was written afterwards by
someone who had not seen them, and is the honest figure. The offline mirror's articles (with
their `expect.relevant` flags) are a third, independent set.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from aggregator import extract_article  # noqa: E402
from aggregator.classify_eval import FACT_FIELDS, evaluate, load_labelled  # noqa: E402
from scrapers.mirror import load_sites  # noqa: E402

DATA = ROOT / "tests" / "data" / "classify"


def mirror_items() -> list[dict]:
    items = []
    for site in load_sites():
        for exp in site.config["expect"]["articles"]:
            route = site.route(exp["url"])
            body = (site.folder / "pages" / route["file"]).read_bytes()
            if route.get("encoding"):
                from scrapers.mirror import to_cp1258
                body = to_cp1258(body.decode("utf-8"))
            a = extract_article(body, f"http://{site.host}{exp['url']}",
                                route.get("content_type"))
            items.append({"id": exp["url"], "title": a["title"], "body": a["body"],
                          "relevant": exp["relevant"], "published": None})
    return items


def main() -> None:
    sets = [("labelled (development)", load_labelled(DATA / "labelled.jsonl"))]
    if (DATA / "heldout.jsonl").exists():
        sets.append(("held-out", load_labelled(DATA / "heldout.jsonl")))
    if (DATA / "heldout2.jsonl").exists():
        sets.append(("held-out 2", load_labelled(DATA / "heldout2.jsonl")))
    sets.append(("offline mirror", mirror_items()))
    print("| set | items | relevant | precision | recall | F1 | items/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    results = []
    for name, items in sets:
        t = time.perf_counter()
        r = evaluate(items)
        dt = time.perf_counter() - t
        results.append((name, r))
        print(f"| {name} | {r['n']} | {r['tp'] + r['fn']} | {r['precision']:.3f} | "
              f"{r['recall']:.3f} | {r['f1']:.3f} | {r['n'] / dt:.0f} |")
    print()
    print("| fact (exact, where stated) | " + " | ".join(n for n, _ in results[:-1]) + " |")
    print("|---|" + "---:|" * len(results[:-1]))
    for f in FACT_FIELDS:
        cells = []
        for _, r in results[:-1]:
            acc, n = r["facts"][f]
            cells.append("-" if acc is None else f"{acc:.1%} ({n})")
        print(f"| {f} | " + " | ".join(cells) + " |")
    print()
    print("| crawl-time title pre-filter | relevant titles kept (recall) | "
          "non-relevant titles skipped |")
    print("|---|---:|---:|")
    from aggregator.classify import title_prefilter
    for name, items in sets[:-1]:  # the labelled sets (not the mirror)
        pos = [it for it in items if it["relevant"]]
        neg = [it for it in items if not it["relevant"]]
        kept = sum(title_prefilter(it["title"]) for it in pos)
        skipped = sum(not title_prefilter(it["title"]) for it in neg)
        print(f"| {name} | {kept}/{len(pos)} = {kept / len(pos):.1%} | "
              f"{skipped}/{len(neg)} = {skipped / len(neg):.1%} |")
    for name, r in results:
        if r["wrong"]:
            print(f"\n{name}: misclassified {', '.join(r['wrong'])}")


if __name__ == "__main__":
    main()
