"""The profile registry and the engine mechanisms the family profiles rely on.

Pages here are small documents written from the families' documented templates (VCMS
print_article.jsp, NukeViet's article:published_time, a Đà Nẵng Liferay URL), for behaviour no
fixture page shows; the full-page behaviour is asserted by test_extract_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from aggregator import extract_article
from aggregator.extract.blocks import element_blocks
from aggregator.extract.detect import page_type_from_url
from aggregator.extract.generic import is_vietnamese
from aggregator.extract.profiles import ProfileError, load_profiles

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ISSUE3_FAMILIES = {"sharepoint", "tandan", "liferay62", "liferay7", "vcms", "wordpress", "nukeviet",
                   "joomla", "quangninh", "hatinh_legacy", "webcenter"}

VCMS_PRINT = """<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<div style="position: relative; ;z-index: 20;">
 <img src="/VCMS-portlet/html/portlet/vcmsviewcontent/images/bannerPrintf.JPG"></div>
<div><table width="100%" border="0" cellspacing="0" cellpadding="0">
 <tr><td height="8" align="right" style="padding-right:15px;">
  <img src="/VCMS-portlet/html/portlet/vcmsviewcontent/images/icon-print.png">
  <a href="#" onclick="javascript:window.print();"> &nbsp; In b&#224;i vi&#7871;t</a></td></tr>
 <tr><td align="justify" valign="top">
  <div style="font-family:Arial; color:#0260AA; float:left; font-size:14px;font-weight:bold;">
   Thường trực Huyện uỷ giao ban với Mặt trận Tổ quốc và các đoàn thể quý II</div>
  <div style="padding-top:0px;">
   <div align="justify"><b><span style="color:gray;">CTTĐT - Chiều ngày 12/7, Thường trực
    Huyện uỷ tổ chức hội nghị giao ban với Ủy ban MTTQ và các đoàn thể chính trị - xã hội
    huyện.</span></b></div>
   <div align="justify"><p>Dự hội nghị có đồng chí Trưởng Ban Dân vận Huyện uỷ và lãnh đạo
    Văn phòng Huyện ủy.</p><p>Phát biểu kết luận, đồng chí Phó Bí thư Thường trực biểu dương
    những kết quả Mặt trận và các đoàn thể đạt được trong 6 tháng đầu năm./.</p></div>
  </div></td></tr></table></div>
<div class="wd-information"><p>&#169; Cổng Giao tiếp điện tử Thành phố Hà Nội</p>
 <p>Ghi rõ nguồn 'Cổng Giao tiếp điện tử TP Hà Nội' khi phát hành lại thông tin từ Website
 này.</p></div>"""


def test_every_fixture_family_has_a_profile():
    # no family is left to the xfail branch of test_extract_fixtures: all are asserted exactly
    families = {p.parent.name for p in FIXTURES.glob("*/*") if (p / "expected.json").exists()}
    assert families <= set(load_profiles())
    assert ISSUE3_FAMILIES <= families


def test_profiles_load_with_parents_and_xpath():
    profiles = load_profiles()
    assert profiles["danang"].parent == "liferay62"
    assert profiles["danang"].detect_html == profiles["liferay62"].detect_html  # inherited
    assert profiles["danang"].body == ()  # overridden: the DOM is not documented
    assert any(s.startswith("xpath:") for s in profiles["vcms"].body)


def test_a_bad_xpath_is_a_profile_error(tmp_path):
    (tmp_path / "bad.yaml").write_text("family: bad\nbody:\n  - 'xpath://div[@class='\n",
                                       encoding="utf-8")
    with pytest.raises(ProfileError, match="bad.yaml"):
        load_profiles(str(tmp_path))


def test_vcms_print_view():
    url = ("http://thanhoai.hanoi.gov.vn/VCMS-portlet/html/portlet/vcmsviewcontent/"
           "print_article.jsp?printArticleId=1468291")
    a = extract_article(VCMS_PRINT.encode(), url, "text/html; charset=utf-8")
    assert (a["family"], a["page_type"]) == ("vcms", "print")
    assert a["title"] == "Thường trực Huyện ủy giao ban với Mặt trận Tổ quốc và các đoàn thể quý II"
    assert a["body"].startswith("Chiều ngày 12/7, Thường trực Huyện ủy tổ chức")  # prefix gone
    assert a["body"].endswith("trong 6 tháng đầu năm./.")
    assert "Ghi rõ nguồn" not in a["body"] and "In bài" not in a["body"]
    assert a["images"] == [] and a["published"] is None  # the print view shows no date


@pytest.mark.parametrize("url, family, kind", [
    ("http://x.hanoi.gov.vn/VCMS-portlet/html/portlet/vcmsviewcontent/print_article.jsp"
     "?printArticleId=9", "vcms", "print"),
    ("http://x.hanoi.gov.vn/web/guest/tin?p_p_id=vcmsviewcontent_WAR_VCMSportlet_INSTANCE_a1"
     "&_vcmsviewcontent_WAR_VCMSportlet_INSTANCE_a1_categoryId=1001", "vcms", "listing"),
    ("https://tayninh.gov.vn/vi/news/print/chinh-tri/abc-6812.html", "nukeviet", "print"),
    ("https://tayninh.gov.vn/vi/news/chinh-tri/", "nukeviet", "listing"),
    ("http://caophong.hoabinh.gov.vn/chinh-tri/1187-abc?tmpl=component&print=1", "joomla", "print"),
    ("http://caophong.hoabinh.gov.vn/chinh-tri?limitstart=15", "joomla", "listing"),
    ("https://backancity.gov.vn/category/tin-tuc-su-kien/", "wordpress", "listing"),
    ("https://backancity.gov.vn/2016/12/15/mot-bai-viet/", "wordpress", "article"),
    ("http://donggiang.gov.vn/webcenter/portal/donggiang/pages_tin-tuc?catalog=CTXH&page=2",
     "webcenter", "listing"),
    ("https://khuetrung.danang.gov.vn/web/guest/chi-tiet?id=1957&_c=37", "danang", "article"),
    ("https://khuetrung.danang.gov.vn/web/guest/tin-tuc?_c=37&cur=2", "danang", "listing"),
])
def test_url_shapes(url, family, kind):
    assert page_type_from_url(url, load_profiles()[family]) == kind


def test_a_child_profile_wins_a_tie_with_its_parent():
    # a Đà Nẵng unit page carries every Liferay 6.2 cue; its own URL shape decides the family
    html = ("<html><head><script>Liferay.Portlet.ready(); themeDisplay.getPathMain();</script>"
            "</head><body><a id='skip-to-content' href='#main-content'>Truy cập nội dung luôn</a>"
            "<div class='news-detail'><h1 class='news-title'>Đảng ủy phường Khuê Trung giao ban"
            " với Mặt trận và các đoàn thể</h1><div class='news-date'>Đăng ngày 03-08-2022 08:55"
            "</div><div class='news-content'><p>" + "Sáng 2-8, Đảng ủy phường tổ chức hội nghị "
            "giao ban với Ủy ban MTTQ Việt Nam phường và các đoàn thể chính trị - xã hội. " * 4 +
            "</p></div></div></body></html>")
    url = "https://khuetrung.danang.gov.vn/web/guest/chi-tiet?id=1957&_c=37"
    a = extract_article(html.encode(), url, "text/html; charset=utf-8")
    assert a["family"] == "danang"
    assert a["published"] == "2022-08-03T08:55:00+07:00"
    liferay = extract_article(html.encode(), "https://x.hanoi.gov.vn/web/guest/tin-tuc",
                              "text/html; charset=utf-8")
    assert liferay["family"] == "liferay62"


def test_nukeviet_php_zone_in_published_time():
    # date('Y-m-dTH:i:s') prints the zone abbreviation for `T`: 09:15 in +07, not 15:00
    html = ("<html><head><meta property='article:published_time' content='2022-07-25+0709:15:00'>"
            "<title>Tin</title></head><body><h1>Ủy ban MTTQ tỉnh giao ban công tác Mặt trận</h1>"
            "<p>" + "Nội dung bài viết về hội nghị giao ban công tác Mặt trận. " * 8 + "</p>"
            "</body></html>")
    a = extract_article(html.encode(), "https://example.vn/bai-viet-giao-ban-mat-tran.html",
                        "text/html; charset=utf-8")
    assert a["published"] == "2022-07-25T09:15:00+07:00"
    assert a["published_source"].startswith("meta:")


def test_family_generic_skips_detection():
    case = FIXTURES / "wordpress" / "thanhkhetay-1"
    body = (case / "page.html").read_bytes()
    url = "https://thanhkhetay.danang.gov.vn/phuong-thanh-khe-tay-ra-quan/"
    profiled = extract_article(body, url, "text/html; charset=utf-8")
    generic = extract_article(body, url, "text/html; charset=utf-8", family="generic")
    assert profiled["family"] == "wordpress"
    assert generic["family"] == "generic"
    assert generic["family_reasons"] == ["generic path forced by the caller"]
    assert not generic["content_from"].startswith("selector:article .entry-content")


def test_table_rows_read_as_lines_and_inline_captions():
    el = lxml.html.fromstring(
        "<div><table><tr><td>DL</td><td></td><td>Larry <b>O</b></td><td>85%</td></tr>"
        "<tr><td><p>một</p><p>hai</p></td><td>ba</td></tr></table>"
        "<div class='itemImageBlock'><span><img src='/a.jpg'></span>"
        "<span class='itemImageCaption'>Quang cảnh hội nghị</span></div><p>x<br>y</p></div>")
    blocks = element_blocks(el, "http://example.vn/")
    assert [b.text for b in blocks if b.text] == ["DL | Larry O | 85%", "một", "hai", "ba",
                                                   "Quang cảnh hội nghị", "x y"]
    cap = next(b for b in blocks if b.text == "Quang cảnh hội nghị")
    assert cap.caption_hint


def test_is_vietnamese():
    assert is_vietnamese("Thường trực Huyện ủy giao ban với Mặt trận Tổ quốc")
    assert not is_vietnamese("U.S. Defense Secretary Mark Esper on Wednesday accused China")
    assert not is_vietnamese("")
