import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.dates.parse import LATEST_YEAR, parse_exif_datetime
from engine.policy.date_precedence import without_future
from engine.records import DateSource


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
        "2019:01:02 25:00:00",
        "2019:01:02 24:30:00",
        "garbage",
        12345,
    ],
)
def test_invalid_exif_dates_are_missing(value: object) -> None:
    assert parse_exif_datetime(value) is None


@given(st.datetimes(min_value=dt.datetime(1826, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_any_real_date_round_trips(when: dt.datetime) -> None:
    when = when.replace(microsecond=0)
    assert parse_exif_datetime(when.strftime("%Y:%m:%d %H:%M:%S")) == when


@given(st.text(max_size=40))
def test_never_raises(text: str) -> None:
    result = parse_exif_datetime(text)
    assert result is None or 1826 <= result.year <= LATEST_YEAR


def test_a_date_in_the_future_is_read_and_passed_over_by_the_precedence() -> None:
    """The reader checks the calendar; the run's "now" decides, for every source at once."""
    future = parse_exif_datetime("2099:09:29 10:10:10")
    assert future == dt.datetime(2099, 9, 29, 10, 10, 10)
    now = dt.datetime(2026, 11, 30, 12, 0)
    kept, notes = without_future(
        [(DateSource.EXIF, future), (DateSource.FILENAME, dt.datetime(2019, 1, 2))], now
    )
    assert kept == [(DateSource.EXIF, None), (DateSource.FILENAME, dt.datetime(2019, 1, 2))]
    assert notes == ["exif date 2099-09-29 10:10:10 is in the future: not used"]
    tomorrow = [(DateSource.EXIF, dt.datetime(2026, 12, 1, 11, 0))]  # within the margin
    assert without_future(tomorrow, now) == (tomorrow, [])
