"""Pairwise scoring of the story decision on labelled pairs (shared by bench and tests)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from .classify import classify_article
from .dedupe import EventFacts, same_story, signature, similarity

__all__ = ["facts_of", "decide", "evaluate_pairs"]


def facts_of(side: dict) -> EventFacts:
    """The event facts the store would keep for one article (title, body, published)."""
    published = date.fromisoformat(side["published"][:10]) if side.get("published") else None
    c = classify_article({"title": side["title"], "body": side["body"]}, published)
    m, pn = c["meeting"], c["meeting_extra"]["period_norm"] or {}
    return EventFacts(c["relevant"], m["meeting_date"], pn.get("year"), pn.get("quarter"),
                      pn.get("half"), pn.get("month"), m["locality"], m["level"],
                      side.get("published"))


def decide(a: dict, b: dict) -> tuple[bool, str, float]:
    from db.store import content_hash

    if content_hash(a["body"]) == content_hash(b["body"]):
        return True, "same normalised text", 1.0
    sim = similarity(signature(f"{a['title']}\n{a['body']}"), signature(f"{b['title']}\n{b['body']}"))
    ok, why = same_story(sim, facts_of(a), facts_of(b))
    return ok, why, sim


def evaluate_pairs(path: str | Path) -> dict:
    tp = fp = fn = tn = 0
    merged_different: list[str] = []
    missed: list[str] = []
    for line in Path(path).read_text("utf-8").splitlines():
        if not line.strip():
            continue
        p = json.loads(line)
        same, _, _ = decide(p["a"], p["b"])
        if same and p["same"]:
            tp += 1
        elif same:
            fp += 1
            merged_different.append(p["id"])
        elif p["same"]:
            fn += 1
            missed.append(p["id"])
        else:
            tn += 1
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0,
            "merged_different": merged_different, "missed": missed}
