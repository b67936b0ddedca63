"""The CLI contract: extract JSON keys and types, one-line errors and exit codes."""

from __future__ import annotations

import json

from conftest import ROOT, run_cli

FIXTURE = ROOT / "tests" / "fixtures" / "hatinh_legacy" / "honglinh-seed001"
KEYS = {"url": str, "canonical_url": str, "source": str, "title": str, "body": str,
        "images": list, "relevant": bool, "meeting": dict}


def test_extract_prints_contract_json():
    meta = json.loads((FIXTURE / "meta.json").read_text())
    proc = run_cli("extract", str(FIXTURE / "page.html"), "--url", meta["url"],
                   "--content-type", meta["content_type"])
    assert proc.returncode == 0, proc.stderr
    article = json.loads(proc.stdout)
    for key, typ in KEYS.items():
        assert isinstance(article[key], typ), key
    assert article["published"] == "2019-10-01T18:47:00+07:00"
    assert article["author"] == "Thanh Trúc"
    assert set(article["meeting"]) == {"kind", "level", "locality", "chair", "period",
                                       "meeting_date"}
    assert article["relevant"] is True
    assert article["meeting"]["kind"] == "giao ban"
    assert article["meeting"]["level"] == "thi_xa"
    assert all(set(i) == {"src", "caption"} for i in article["images"])


def test_extract_missing_file_is_one_line_error():
    proc = run_cli("extract", "/no/such/file.html", "--url", "http://x.gov.vn/")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0
    assert "no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_sources_file_names_entry_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - name: ok\n    host: a.gov.vn\n    start_urls: [http://a.gov.vn/]\n"
                   "  - name: broken\n    host: b.gov.vn\n    level: province\n"
                   "    start_urls: [http://b.gov.vn/]\n")
    proc = run_cli("sources", "--sources", str(bad))
    assert proc.returncode == 2
    assert "entry 2 (broken)" in proc.stderr and "'level'" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_python_api_is_the_same_function():
    from aggregator import extract_article

    meta = json.loads((FIXTURE / "meta.json").read_text())
    a = extract_article((FIXTURE / "page.html").read_bytes(), meta["url"], meta["content_type"])
    proc = run_cli("extract", str(FIXTURE / "page.html"), "--url", meta["url"],
                   "--content-type", meta["content_type"])
    assert json.loads(proc.stdout) == json.loads(json.dumps(a, ensure_ascii=False))
