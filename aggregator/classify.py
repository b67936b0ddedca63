"""Is this a giao ban / trực báo of a Party committee's standing office with the Front and the
socio-political organisations? An explainable rule score plus the meeting's facts.

The decision follows how the reports are written: a subject (who holds the meeting), a verb
(giao ban, trực báo, làm việc với) and a partner (with whom). Each is read from the title and the
first sentence of the lede on diacritic-folded text, so "Mật trận", "Thị uỷ", "MTTQ" and
unaccented titles read alike. The score is the sum of the cues that fired and `reasons` lists
them with their weights, so an analyst can see why an article was kept or not.

Cues and weights (threshold 5):
  +3 the holder is a standing office (Thường trực / Ban Thường vụ / Bí thư of a Party committee)
  -5 the holder is another body (MTTQ, UBND, HĐND, police, Ban Dân vận, Đoàn, an association)
  +3 giao ban / trực báo is the meeting (title or first sentence); +2 "làm việc với" the Front
  -3 no briefing verb at all (a regular BTV meeting, a gặp mặt, a dialogue)
  +2 the partner includes the Front (MTTQ); +1 the đoàn thể; +3 the Dân vận bloc
  -4 the partner is stated and is someone else (Đảng ủy xã, Ban cán sự, Bí thư các xã …)
  -4 giao ban báo chí; -5 a listing / search / tag page
"""

from __future__ import annotations

import re
from datetime import date

from .facts import meeting_facts
from .normalize import fold

__all__ = ["classify_article", "relevance", "THRESHOLD"]

THRESHOLD = 5

_COMMITTEE = r"(?:tinh|thanh|thi|huyen|quan|dang) ?uy"
_STANDING = (rf"(?:(?:thuong truc|tt|ban thuong vu|btv|bi thu|pho bi thu(?: thuong truc)?)\s+"
             rf"{_COMMITTEE}|thuong truc dang uy)")
_HOLDERS: list[tuple[str, str]] = [
    ("standing office", _STANDING),
    ("Party committee", r"(?:(?:tinh|thanh|thi|huyen|quan) ?uy|dang uy (?:xa|phuong|thi tran))"),
    ("the Front", r"(?:ban thuong truc |thuong truc )?(?:uy ban |ub ?)?(?:mttq|mat tran(?: to quoc)?)"),
    ("UBND", r"(?:ubnd|uy ban nhan dan)"),
    ("HĐND", r"(?:thuong truc |tt )?(?:hdnd|hoi dong nhan dan)"),
    ("police", r"(?:cong an|ca) "),
    ("Ban Dân vận", r"ban (?:dan van|dv)\b"),
    ("a Party department", r"ban (?:tuyen giao|to chuc|xay dung dang|kiem tra|noi chinh|"
                           r"tuyen giao va dan van)\b|uy ban kiem tra"),
    ("Đoàn", r"(?:doan thanh nien|tinh doan|thanh doan|thi doan|huyen doan|doan tn)"),
    ("an association", r"(?:hoi (?:lhpn|lien hiep|phu nu|nong dan|ccb|cuu chien binh)|"
                       r"lien doan lao dong|ldld)"),
    ("a Party cell or office", r"(?:dang uy (?:khoi|co quan)|chi bo|van phong)"),
]
_HOLDER_RX = re.compile(r"\b(" + "|".join(f"(?P<h{i}>{rx})" for i, (_, rx) in enumerate(_HOLDERS))
                        + r")")
_KIND = re.compile(r"\b(giao ban|truc bao)\b")
_WORKS = re.compile(r"\blam viec(?: \w+){0,2} (?:voi|cung)\b")
_FRONT = re.compile(r"\b(ubmttq|mttq|mat tran|uy ban mat tran)\b")
_ORGS = re.compile(r"\b(doan the|to chuc chinh tri ?- ?xa hoi|ct ?- ?xh|chinh tri ?- ?xa hoi|"
                   r"hoi doan the|hoi, doan the|cac hoi)\b")
_DANVAN = re.compile(r"\bkhoi dan van\b|\bkhoi dv\b|\bhe thong dan van\b")
_PARTNER = re.compile(r"\b(?:giao ban|truc bao|lam viec)\s+(?:dinh ky\s+|thuong ky\s+)?"
                      r"(?:voi|giua|cung|cua)?\s*(?P<p>[^.;:]{3,140})")
_OTHER_PARTNERS = re.compile(
    r"^(?:thuong truc |ban thuong vu |btv |tt )?(?:(?:cac )?bi thu|dang uy|ban can su|"
    r"cong ty|doanh nghiep|so |phong |ban (?!dan van)|xa |phuong |thi tran|truong |"
    r"benh vien|huyen uy|thanh uy|thi uy|ubnd|hdnd|cac dong chi bi thu|chi bo|khoi (?!dan van)|"
    r"lanh dao (?:cac )?(?:xa|phuong|so|nganh))")
_PRESS = re.compile(r"\bgiao ban (bao chi|cong tac bao chi|bao chi|thong tin bao chi)\b")
_LISTING = re.compile(r"^(ket qua tim kiem|tim kiem|tag|chu de|the|tin tuc|danh sach|"
                      r"tin lien quan)\b|powered by|\btrang \d+$")  # searched, not matched
_OTHER_EVENTS = re.compile(r"\b(gap mat|ky niem|doi thoai|hiep thuong|tiep xuc cu tri|"
                           r"to chuc dai hoi|tham, tang qua|trao tang)\b")


def _first_sentence(text: str) -> str:
    m = re.search(r"(?<=[a-z0-9)\]])[.!?](?=\s|$)", text)
    return text[: m.end()] if m else text[:300]


def _holder(text: str) -> tuple[str | None, int]:
    """The first body named in the clause: the one that holds the meeting."""
    m = _HOLDER_RX.search(text)
    if not m:
        return None, -1
    for i, (name, _) in enumerate(_HOLDERS):
        if m.group(f"h{i}"):
            return name, m.start()
    return None, -1


def relevance(title: str, body: str) -> tuple[float, list[str]]:
    """Score and the cues that fired (positive and negative)."""
    t = fold(title)
    prefix = re.match(r"^([^:]{2,30}):\s+", t)  # "Đức Phổ: Thường trực …" — a place prefix
    if prefix and not _HOLDER_RX.search(prefix.group(1)):
        t = t[prefix.end():]
    lede = _first_sentence(fold(body[:900]))
    head = f"{t} . {lede}"
    score = 0.0
    reasons: list[str] = []

    def cue(name: str, weight: float, hit) -> None:
        nonlocal score
        if hit:
            score += weight
            reasons.append(f"{'+' if weight >= 0 else ''}{weight:g} {name}")

    if _LISTING.search(t) or len(re.findall(r"\b\d{1,2}/\d{1,2}/\d{4}\b", body[:1500])) >= 4:
        cue("a listing / search / tag page", -5, True)

    # the holder is the body named before the verb ("Buôn Hồ: Giao ban Mặt trận …" names
    # none: the Front there is the partner, and the lede says who held it)
    holder = None
    for clause in (t, lede):
        verb = _KIND.search(clause) or _WORKS.search(clause)
        if verb is None:
            if clause is t:
                continue  # a title that omits the meeting: the lede says who held it
            holder, _ = _holder(clause)
            break
        holder, _ = _holder(clause[: verb.start()])
        if holder is None:
            # "Giao ban (giữa) Thường trực Thành ủy với Mặt trận …": the holder follows the verb
            after = clause[verb.end():]
            cut = re.search(r"\bvoi\b", after)
            if cut:
                holder, _ = _holder(after[: cut.start()])
        if holder is not None:
            break
    ours = holder in ("standing office", "Party committee")
    cue(f"held by the {holder}" if ours else f"held by {holder}", 3 if ours else -5,
        holder is not None)
    cue("no Party committee or standing office named", -3, holder is None)

    kind = _KIND.search(t) or _KIND.search(lede)
    partner_m = _PARTNER.search(t) or _PARTNER.search(lede)
    partner = partner_m.group("p") if partner_m else ""
    in_partner = bool(_FRONT.search(partner) or _ORGS.search(partner) or _DANVAN.search(partner))
    both = (_FRONT.search(head) and _ORGS.search(head)) or _DANVAN.search(head)
    works = _WORKS.search(head) and in_partner and both
    cue("giao ban / trực báo", 3, kind)
    cue("'làm việc với' the Front and đoàn thể", 2, not kind and works)
    cue("no briefing (giao ban, trực báo, làm việc với)", -3, not kind and not works)
    if not kind and _OTHER_EVENTS.search(head):
        cue("another kind of event (gặp mặt, đối thoại, hiệp thương …)", -2, True)

    scope = partner if in_partner else head
    front = _FRONT.search(scope)
    orgs = _ORGS.search(scope)
    danvan = _DANVAN.search(scope)
    cue("with the Front (MTTQ)", 2, front)
    cue("with the socio-political organisations", 1, orgs)
    cue("with the Dân vận bloc", 3, danvan and not front)
    other = partner and _OTHER_PARTNERS.match(partner.strip()) and not (front or danvan)
    cue("with someone else", -4, other)
    cue("no Front, đoàn thể or Dân vận", -3, not (_FRONT.search(head) or _ORGS.search(head)
                                              or _DANVAN.search(head)))
    cue("a press briefing", -4, _PRESS.search(head))
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


_PREFILTER = re.compile(r"\b(giao ban|truc bao|lam viec|mttq|ubmttq|mat tran|doan the|dan van|"
                        r"thuong truc|chinh tri ?- ?xa hoi|ct ?- ?xh)\b")


def title_prefilter(anchor_text: str) -> bool:
    """Cheap crawl-time test on a listing's link text: could this title be a briefing report?

    Used only for sources with `prefilter: true` (off by default): it saves fetches on busy
    portals at a measured recall cost (bench/classify.py), because titles that omit every key
    word ("Phát huy vai trò Mặt trận …" is kept, "Nâng cao hiệu quả …" is not) are never fetched.
    """
    return bool(_PREFILTER.search(fold(anchor_text)))
