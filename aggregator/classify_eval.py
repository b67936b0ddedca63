"""Scoring the classifier and the fact extractor against a labelled set (JSON lines).

Shared by `bench/classify.py` (the table in the README) and the tests (the targets), so both
measure the same thing. Fact values are compared after Vietnamese normalisation of both sides
(the archive stores "Thị ủy"; a label typed "Thị uỷ" means the same).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from .classify import classify_article
from .facts import meeting_facts
from .normalize import normalize_text

__all__ = ["load_labelled", "evaluate", "FACT_FIELDS"]

FACT_FIELDS = ("kind", "level", "locality", "chair", "chair_title", "period", "meeting_date")


def load_labelled(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip()]


def _same(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return normalize_text(a).casefold() == normalize_text(b).casefold()
    return a == b


def evaluate(items: list[dict]) -> dict:
    """Precision, recall, F1, the misclassified ids, and per-field fact accuracy."""
    tp = fp = fn = tn = 0
    wrong: list[str] = []
    facts_ok = {f: 0 for f in FACT_FIELDS}
    facts_n = {f: 0 for f in FACT_FIELDS}
    facts_wrong: dict[str, list[str]] = {f: [] for f in FACT_FIELDS}
    for it in items:
        got = classify_article({"title": it["title"], "body": it["body"]})["relevant"]
        if got and it["relevant"]:
            tp += 1
        elif got:
            fp += 1
        elif it["relevant"]:
            fn += 1
        else:
            tn += 1
        if got != it["relevant"]:
            wrong.append(it.get("id", it["title"][:40]))
        if not it["relevant"]:
            continue
        published = date.fromisoformat(it["published"]) if it.get("published") else None
        facts = meeting_facts(it["title"], it["body"], published)
        for f in FACT_FIELDS:
            if it.get(f) is None:
                continue  # the article does not state it
            facts_n[f] += 1
            if _same(facts.get(f), it[f]):
                facts_ok[f] += 1
            else:
                facts_wrong[f].append(it.get("id", ""))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(items), "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision,
        "recall": recall, "f1": f1, "wrong": wrong,
        "facts": {f: (facts_ok[f] / facts_n[f] if facts_n[f] else None, facts_n[f])
                  for f in FACT_FIELDS},
        "facts_wrong": facts_wrong,
    }
