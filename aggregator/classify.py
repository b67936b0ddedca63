"""Is this a giao ban / trực báo of a Party committee's standing office with the Front and the
socio-political organisations? An explainable rule score plus the meeting's facts.

Every decision is made on the diacritic-folded text (so "Mật trận", "Thị uỷ", "MTTQ" and
unaccented titles read alike) of the title, the lede and the first part of the body. The score is
the sum of the cues that fired; `reasons` lists them, so an analyst can see why.
"""

from __future__ import annotations

import re
from datetime import date

from .facts import meeting_facts
from .normalize import fold

__all__ = ["classify_article", "relevance", "THRESHOLD"]

THRESHOLD = 5

_COMMITTEE = r"(tinh|thanh|thi|huyen|quan|dang) ?uy"
_STANDING = re.compile(
    rf"\b(thuong truc|tt|ban thuong vu|btv) {_COMMITTEE}\b|\bpho bi thu thuong truc\b|"
    rf"\bthuong truc (dang uy|{_COMMITTEE})"
)
_KIND = re.compile(r"\b(giao ban|truc bao)\b")
_WORKS_WITH = re.compile(r"\blam viec voi\b")
_FRONT = re.compile(r"\b(ubmttq|mttq|mat tran( to quoc)?|uy ban mat tran)\b")
_ORGS = re.compile(
    r"\b(cac )?(doan the|to chuc chinh tri ?- ?xa hoi|ct ?- ?xh|chinh tri ?- ?xa hoi|"
    r"hoi doan the|cac hoi, doan the|cac to chuc doan the)\b"
)
_DANVAN = re.compile(r"\bkhoi dan van\b|\bkhoi dv\b|\bhe thong dan van\b")
# who holds it: the standing office as organiser/chair, not another body
_HOLDS = re.compile(
    rf"\b(thuong truc|tt|ban thuong vu|btv) {_COMMITTEE}[^.]{{0,60}}\b(to chuc|giao ban|truc bao|"
    r"lam viec|hop|chu tri)|\bpho bi thu thuong truc [^.]{0,80}\bchu tri|"
    rf"\bbi thu {_COMMITTEE}[^.]{{0,60}}\bchu tri"
)
_NEG_CHAIRS = [
    ("chaired by the Front", re.compile(
        r"\b(uy ban mttq|ubmttq|ban thuong truc (uy ban )?mttq|mttq)[^.]{0,60}\b(to chuc|chu tri)"
        r"[^.]{0,40}\b(giao ban|truc bao|hoi nghi)")),
    ("UBND", re.compile(r"\b(ubnd|uy ban nhan dan)[^.]{0,50}\b(giao ban|hop thuong ky)|"
                        r"\bgiao ban (kinh te - xa hoi|ktxh|cong tac chi dao dieu hanh)")),
    ("HĐND", re.compile(r"\bthuong truc (hdnd|hoi dong nhan dan)[^.]{0,60}\b(giao ban|to chuc)")),
    ("press", re.compile(r"\bgiao ban (bao chi|cong tac bao chi|bao chi)\b")),
    ("police", re.compile(r"\b(an ninh trat tu|cong an)[^.]{0,40}\btruc bao|\btruc bao[^.]{0,40}"
                          r"\b(an ninh|anh ninh|trat tu|cong an)")),
    ("Ban Dân vận's own review", re.compile(
        r"\bban dan van[^.]{0,40}\b(so ket|tong ket|to chuc hoi nghi)")),
]
_ONE_PARTNER = re.compile(
    r"\blam viec voi\s+(cong ty|doanh nghiep|so|phong|xa|phuong|thi tran|truong|benh vien|"
    r"hoi nong dan|hoi lhpn|hoi lien hiep phu nu|doan thanh nien|lien doan lao dong|hoi ccb|"
    r"hoi cuu chien binh|ban|dang uy xa|dang uy phuong|chi bo)\b"
)


def relevance(title: str, body: str) -> tuple[float, list[str]]:
    """Score and the cues that fired (positive and negative)."""
    t = fold(title)
    lede = fold(body[:700])
    text = fold(body[:2500])
    head = t + " . " + lede
    score = 0.0
    reasons: list[str] = []

    def cue(name: str, weight: float, hit) -> None:
        nonlocal score
        if hit:
            score += weight
            reasons.append(f"{'+' if weight >= 0 else ''}{weight:g} {name}")

    kind_title = _KIND.search(t)
    kind_text = _KIND.search(head)
    cue("giao ban/trực báo in title", 2, kind_title)
    cue("giao ban/trực báo in lede", 1, not kind_title and kind_text)
    cue("'làm việc với' review", 1, not kind_text and _WORKS_WITH.search(head)
        and re.search(r"\b(quy|thang|nam)\b", head))
    cue("standing office (Thường trực/BTV) in title", 2, _STANDING.search(t))
    cue("standing office in lede", 1, not _STANDING.search(t) and _STANDING.search(lede))
    cue("standing office holds/chairs it", 1, _HOLDS.search(head))
    front = _FRONT.search(head) or _FRONT.search(text[:1200])
    orgs = _ORGS.search(head) or _ORGS.search(text[:1200])
    danvan = _DANVAN.search(head)
    cue("Fatherland Front (MTTQ)", 1, front)
    cue("socio-political organisations", 1, orgs)
    cue("Dân vận bloc", 2, danvan and not (front and orgs))
    for name, rx in _NEG_CHAIRS:
        hit = rx.search(head)
        if hit and not (_HOLDS.search(head) and name in ("chaired by the Front",)
                        and _HOLDS.search(head).start() < hit.start()):
            cue(f"held by {name}", -4, True)
    partner = _ONE_PARTNER.search(head)
    cue("works with a single body", -3, partner and not (front and orgs))
    cue("no Front and no đoàn thể", -3, not front and not orgs and not danvan)
    cue("no standing office", -3, not _STANDING.search(head) and not _HOLDS.search(head))
    return score, reasons


def classify_article(article: dict, published_day: date | None = None) -> dict:
    """`relevant`, `relevance` (score + reasons) and `meeting` facts for an Article dict."""
    title, body = article.get("title") or "", article.get("body") or ""
    score, reasons = relevance(title, body)
    relevant = score >= THRESHOLD
    facts = meeting_facts(title, body, published_day) if relevant else {
        "kind": None, "level": None, "locality": None, "chair": None, "chair_title": None,
        "period": None, "period_norm": None, "meeting_date": None, "orgs": []}
    meeting = {k: facts[k] for k in ("kind", "level", "locality", "chair", "period",
                                     "meeting_date")}
    return {
        "relevant": relevant,
        "relevance": {"score": score, "threshold": THRESHOLD, "reasons": reasons},
        "meeting": meeting,
        "meeting_extra": {k: facts[k] for k in ("chair_title", "period_norm", "orgs")},
    }
