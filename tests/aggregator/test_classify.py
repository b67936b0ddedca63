"""The classifier and the fact extractor against the project's labelled sets (issue 4 targets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.classify import classify_article, title_prefilter
from aggregator.classify_eval import FACT_FIELDS, evaluate, load_labelled

DATA = Path(__file__).resolve().parent.parent / "data" / "classify"
LABELLED = load_labelled(DATA / "labelled.jsonl")


def test_labelled_set_is_big_and_hard_enough():
    pos = [i for i in LABELLED if i["relevant"]]
    neg = [i for i in LABELLED if not i["relevant"]]
    assert len(LABELLED) >= 150 and len(pos) >= 50 and len(neg) >= 70
    assert {f"seed-00{k}" for k in range(5)} <= {i["id"] for i in pos}


@pytest.fixture(scope="module")
def scored() -> dict:
    return evaluate(LABELLED)


def test_precision_and_recall_targets(scored):
    r = scored
    assert r["precision"] >= 0.97, r["wrong"]
    assert r["recall"] >= 0.95, r["wrong"]


@pytest.mark.parametrize("field", FACT_FIELDS)
def test_fact_accuracy_target(field, scored):
    acc, n = scored["facts"][field]
    assert n >= 40
    assert acc >= 0.95, scored["facts_wrong"][field]


HARD_NEGATIVES = [
    ("Ủy ban MTTQ thị xã giao ban với các tổ chức thành viên quý III năm 2019",
     "Sáng 8/10, Ủy ban MTTQ thị xã tổ chức giao ban với các tổ chức thành viên. Đồng chí "
     "Nguyễn Thị Hoa, Chủ tịch Ủy ban MTTQ thị xã chủ trì."),
    ("UBND thị xã giao ban công tác tháng 9",
     "Chiều 2/10, UBND thị xã tổ chức hội nghị giao ban đánh giá tình hình kinh tế - xã hội."),
    ("Công an thị xã trực báo tình hình an ninh trật tự tháng 9",
     "Công an thị xã tổ chức trực báo tình hình an ninh trật tự, có đại diện MTTQ và đoàn thể dự."),
    ("Giao ban công tác báo chí quý III",
     "Ban Tuyên giáo Tỉnh ủy phối hợp tổ chức giao ban báo chí; Thường trực Tỉnh ủy dự."),
    ("Thường trực Thị ủy làm việc với Đảng ủy phường Đức Thuận",
     "Thường trực Thị ủy làm việc với Đảng ủy phường Đức Thuận về công tác xây dựng Đảng; "
     "MTTQ và các đoàn thể phường cùng dự."),
    ("Ban Dân vận Thị ủy sơ kết công tác dân vận 9 tháng đầu năm",
     "Ban Dân vận Thị ủy tổ chức hội nghị sơ kết công tác dân vận, MTTQ và các đoàn thể dự."),
]


@pytest.mark.parametrize("title,body", HARD_NEGATIVES)
def test_hard_negatives(title, body):
    out = classify_article({"title": title, "body": body})
    assert out["relevant"] is False, out["relevance"]["reasons"]


def test_typos_abbreviations_and_no_diacritics():
    for title in ("TT Thị uỷ giao ban với UBMTTQ và các tổ chức CT-XH quý I/2022",
                  "Thuong truc Huyen uy giao ban voi Mat tran va cac doan the 6 thang dau nam",
                  "Thường trực Huyện ủy giao ban với Mật trận và các đoàn thể chính trị – xã hội"):
        out = classify_article({"title": title, "body": "Sáng 5/4, " + title + "."})
        assert out["relevant"], (title, out["relevance"]["reasons"])


def test_reasons_explain_the_decision():
    out = classify_article({"title": "Thường trực Thị ủy giao ban khối Dân vận", "body": ""})
    assert out["relevant"]
    assert sum(float(r.split()[0]) for r in out["relevance"]["reasons"]) == out["relevance"]["score"]
    assert any("Dân vận" in r for r in out["relevance"]["reasons"])


def test_prefilter_keeps_every_relevant_title_of_the_set():
    pos = [i for i in LABELLED if i["relevant"]]
    lost = [i["id"] for i in pos if not title_prefilter(i["title"])]
    # titles that omit every key word exist; the pre-filter is opt-in per source for that reason
    assert len(lost) / len(pos) <= 0.05, lost
    assert not title_prefilter("Nông dân Đức Phổ thu hoạch lúa vụ Đông Xuân")


@pytest.mark.parametrize("name", ["heldout.jsonl", "heldout2.jsonl"])
def test_blind_sets_targets(name):
    """Both sets were written blind to the rules. heldout.jsonl's first run scored P 0.935 /
    R 0.906 and the five general faults it exposed were fixed; heldout2.jsonl's (session 2,
    31 relevant of 80) scored P 1.000 / R 1.000 with one item's period ("8 tháng năm 2024")
    and meeting date ("Chiều thứ Năm (12/9)") missed, both shapes now read (see README). They
    now guard regressions."""
    r = evaluate(load_labelled(DATA / name))
    assert r["n"] >= 80
    assert r["precision"] >= 0.97 and r["recall"] >= 0.95, r["wrong"]
    for field, (acc, n) in r["facts"].items():
        assert acc is None or acc >= 0.95, (field, r["facts_wrong"][field])


@pytest.mark.parametrize("lede,period,norm", [
    ("nghe báo cáo kết quả 8 tháng năm 2024.", "8 tháng năm 2024", (2024, 8)),
    ("đánh giá kết quả 10 tháng đầu năm 2023 và nhiệm vụ", "10 tháng đầu năm 2023", (2023, 10)),
    ("sơ kết 9 tháng đầu năm.", "9 tháng đầu năm", (2024, 9)),
])
def test_periods_of_the_first_months_of_a_year(lede, period, norm):
    from datetime import date

    from aggregator.facts import meeting_facts

    facts = meeting_facts("Thường trực Huyện ủy giao ban với MTTQ và các đoàn thể",
                          "Sáng 3/10, Thường trực Huyện ủy giao ban với Mặt trận và các đoàn "
                          f"thể, {lede}", date(2024, 10, 4))
    assert facts["period"] == period
    assert (facts["period_norm"]["year"], facts["period_norm"]["months"]) == norm
    assert facts["meeting_date"] == "2024-10-03"
