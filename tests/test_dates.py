import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.dates.parse import latest_year, parse_exif_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019:01:02 03:04:05", dt.datetime(2019, 1, 2, 3, 4, 5)),
        ("2019:01:02 03:04:05\x00", dt.datetime(2019, 1, 2, 3, 4, 5)),
        (b"2008:05:30 15:56:01", dt.datetime(2008, 5, 30, 15, 56, 1)),
        ("2012:02:11 14:17:08.253+01:00", dt.datetime(2012, 2, 11, 14, 17, 8)),
        ("2019-10-17T16:55:20-07:00", dt.datetime(2019, 10, 17, 16, 55, 20)),
        ("2019:12:31 24:00:00", dt.datetime(2020, 1, 1, 0, 0, 0)),
        ("2019:01:02", dt.datetime(2019, 1, 2)),
        ("1826:06:01 12:00:00", dt.datetime(1826, 6, 1, 12)),
    ],
)
def test_valid_exif_dates(value: object, expected: dt.datetime) -> None:
    assert parse_exif_datetime(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "0000:00:00 00:00:00",
        "    :  :     :  :  ",
        "",
        None,
        "2019:02:30 10:00:00",
        "2019:13:01 10:00:00",
        "1825:12:31 23:59:59",
        "2099:09:29 10:10:10",
        "2019:01:02 25:00:00",
        "2019:01:02 24:30:00",
        "garbage",
        12345,
    ],
)
def test_invalid_exif_dates_are_missing(value: object) -> None:
    assert parse_exif_datetime(value) is None


@given(st.datetimes(min_value=dt.datetime(1826, 1, 1), max_value=dt.datetime(latest_year(), 1, 1)))
def test_any_real_date_round_trips(when: dt.datetime) -> None:
    when = when.replace(microsecond=0)
    assert parse_exif_datetime(when.strftime("%Y:%m:%d %H:%M:%S")) == when


@given(st.text(max_size=40))
def test_never_raises(text: str) -> None:
    result = parse_exif_datetime(text)
    assert result is None or 1826 <= result.year <= latest_year()
