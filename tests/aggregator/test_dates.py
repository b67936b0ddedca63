"""Table-driven: every date shape of portal-families.md §16, day-first, +07:00, time kept."""

from datetime import date

import pytest

from aggregator.dates import find_dates, parse_date, parse_yearless

CASES = [
    ("27/12/2023 09:14    98", "2023-12-27T09:14:00+07:00"),
    ("Thứ Tư, 03/07/2024 16:55", "2024-07-03T16:55:00+07:00"),
    ("Cập nhật lúc: 18:47 01/10/2019", "2019-10-01T18:47:00+07:00"),
    ("Cập nhật lúc: 18:00 |22/05/2022", "2022-05-22T18:00:00+07:00"),
    ("Cập nhật lúc 22:01, Thứ Tư, 17/06/2020 (GMT+7)", "2020-06-17T22:01:00+07:00"),
    ("Cập nhật ngày: 24/05/2013 05:19:28", "2013-05-24T05:19:28+07:00"),
    ("Nam TrungCập nhật 15:35 ngày 27/06/2024", "2024-06-27T15:35:00+07:00"),
    ("14/09/2018 - 03:12 PM", "2018-09-14T15:12:00+07:00"),
    ("03/04/2020 | 10:36 PM", "2020-04-03T22:36:00+07:00"),
    ("30/03/2021 | 12:00 AM", "2021-03-30T00:00:00+07:00"),
    ("30/03/2021 | 12:30 PM", "2021-03-30T12:30:00+07:00"),
    ("Ngày đăng 18/07/2024 | 11:39", "2024-07-18T11:39:00+07:00"),
    ("Ngày đăng 30/07/2020 | 16:09  | Lượt xem: 549", "2020-07-30T16:09:00+07:00"),
    ("Đăng ngày 15 - 10 - 2021", "2021-10-15"),
    ("Đăng ngày 03-08-2022 08:55", "2022-08-03T08:55:00+07:00"),
    ("02-03-2020 10:50", "2020-03-02T10:50:00+07:00"),
    ("01/11/2024 - 09:50", "2024-11-01T09:50:00+07:00"),
    ("22:03 03/07/2024", "2024-07-03T22:03:00+07:00"),
    ("14:36 01/03/2026", "2026-03-01T14:36:00+07:00"),
    ("07:00:28 24/05/2019", "2019-05-24T07:00:28+07:00"),
    ("20:55, 22/06/2022", "2022-06-22T20:55:00+07:00"),
    ("Thứ 6, 16.02.2024 | 23:46:40", "2024-02-16T23:46:40+07:00"),
    ("Thứ 4, 08/05/2024 | 15:54:16 (GMT +7)", "2024-05-08T15:54:16+07:00"),
    ("Thứ Tư, 07/06/2017, 09:49 (GMT+7)", "2017-06-07T09:49:00+07:00"),
    ("28/03/2018 | 09:00 GMT+7", "2018-03-28T09:00:00+07:00"),
    ("Chủ nhật - 29/09/2024 19:43", "2024-09-29T19:43:00+07:00"),
    ("Thứ ba, 18 Tháng 8 2015 16:06", "2015-08-18T16:06:00+07:00"),
    ("21 Tháng 9, 2025", "2025-09-21"),
    ("bởi Linh 21 Tháng 9, 2025", "2025-09-21"),
    ("2019-08-29 04:15:00", "2019-08-29T04:15:00+07:00"),
    ("2025-05-09 17:36:00.0", "2025-05-09T17:36:00+07:00"),
    ("2023-12-05T10:00:00+00:00", "2023-12-05T17:00:00+07:00"),
    ("2023-12-05T10:00:00Z", "2023-12-05T17:00:00+07:00"),
    ("2022-04-08", "2022-04-08"),
    ("28.11.2018", "2018-11-28"),
    ("Ngày 19 tháng 6 năm 2014", "2014-06-19"),
    ("ngày 04 tháng 12 năm 2013", "2013-12-04"),
    ("(29/06/2026, 14:49)", "2026-06-29T14:49:00+07:00"),
    ("Ngày đăng 06/01/2016 | 03:30 PM | View count: 426", "2016-01-06T15:30:00+07:00"),
    ("14h30 ngày 5/6/2023", "2023-06-05T14:30:00+07:00"),
    ("14 giờ 30 phút, ngày 05/6/2023", "2023-06-05T14:30:00+07:00"),
    ("Print Thứ Tư, 03/07/2024 16:55 Gốc", "2024-07-03T16:55:00+07:00"),
    ("07/04/2022", "2022-04-07"),  # day-first: 7 April, never July 4
    ("Thứ hai, ngày 1/4/2024", "2024-04-01"),
]


@pytest.mark.parametrize("raw,expected", CASES)
def test_parse_date(raw, expected):
    parsed = parse_date(raw)
    assert parsed is not None, raw
    assert parsed.value == expected
    assert parsed.has_time == ("T" in expected)


@pytest.mark.parametrize("raw", ["", "Hôm nay", "Lượt xem: 2470", "32/13/2020", "quý I/2022",
                                 "Đã truy cập: 4270110"])
def test_not_a_date(raw):
    assert parse_date(raw) is None


def test_date_only_profile_drops_fake_midnight():
    assert parse_date("30/03/2021 | 12:00 AM", date_only=True).value == "2021-03-30"


@pytest.mark.parametrize("text,ref,expected", [
    ("Ngày 1-4, Thường trực Tỉnh ủy tổ chức", date(2021, 4, 2), "2021-04-01"),
    ("Chiều 3-7, Thường trực", date(2023, 7, 4), "2023-07-03"),
    ("Sáng 24.11, đồng chí", date(2022, 11, 25), "2022-11-24"),
    ("Ngày 19 - 12, hội nghị", date(2022, 12, 20), "2022-12-19"),
    ("Chiều ngày 06/10, Thường trực", date(2021, 10, 7), "2021-10-06"),
    ("Chiều ngày 22/6, đồng chí", date(2022, 6, 22), "2022-06-22"),
    # never in the future: a December event reported in January is last year's
    ("Sáng 30-12, Thường trực", date(2024, 1, 3), "2023-12-30"),
    ("Chiều ngày 07/4/2022, đồng chí", date(2022, 4, 8), "2022-04-07"),
    # a weekday before the date (heldout2.jsonl's first run missed it)
    ("Chiều thứ Năm (12/9), Thường trực", date(2024, 9, 13), "2024-09-12"),
    ("Sáng thứ 2, 15-4, Thường trực", date(2024, 4, 16), "2024-04-15"),
    ("Sáng Chủ nhật, ngày 3/3, hội nghị", date(2024, 3, 4), "2024-03-03"),
])
def test_yearless(text, ref, expected):
    assert parse_yearless(text, ref).value == expected


def test_find_dates_keeps_order_and_time():
    found = find_dates("Tin khác 01/02/2020 | Cập nhật lúc: 18:47 01/10/2019")
    assert [p.value for _, p in found][:2] == ["2020-02-01", "2019-10-01T18:47:00+07:00"]
