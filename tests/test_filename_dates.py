import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.dates.filename import date_from_filename
from engine.dates.parse import LATEST_YEAR


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_20190102_123456.jpg", dt.datetime(2019, 1, 2, 12, 34, 56)),
        ("IMG-20190707-WA0003.jpg", dt.datetime(2019, 7, 7)),
        ("Screenshot_2018-02-03-10-11-12.png", dt.datetime(2018, 2, 3, 10, 11, 12)),
        ("PXL_20210101_120000123.jpg", dt.datetime(2021, 1, 1, 12, 0, 0)),
        ("20190102_123456.jpg", dt.datetime(2019, 1, 2, 12, 34, 56)),
        ("2019-01-02 12.34.56.jpg", dt.datetime(2019, 1, 2, 12, 34, 56)),
        ("signal-2018-08-21-100217.jpg", dt.datetime(2018, 8, 21, 10, 2, 17)),
        ("WhatsApp Image 2020-01-02 at 10.11.12.jpeg", dt.datetime(2020, 1, 2, 10, 11, 12)),
        ("date_20170101_010101.jpg", dt.datetime(2017, 1, 1, 1, 1, 1)),
        ("IMG_20180725_163423-1.png", dt.datetime(2018, 7, 25, 16, 34, 23)),
        ("VID_20200229_000000.mp4", dt.datetime(2020, 2, 29)),
        ("2015-06-07.jpg", dt.datetime(2015, 6, 7)),
        ("Foto 12.04.2019.jpg", dt.datetime(2019, 4, 12)),
        ("12.04.2019 Urlaub.jpg", dt.datetime(2019, 4, 12)),
        ("IMG 24.12.2018 19.30.jpg", dt.datetime(2018, 12, 24, 19, 30)),
        ("Silvester 31.12.2019 23.59.58.jpg", dt.datetime(2019, 12, 31, 23, 59, 58)),
        ("Scan_05.06.1987.jpg", dt.datetime(1987, 6, 5)),
        ("Screen Shot 2019-05-12 at 9.10.10 PM.png", dt.datetime(2019, 5, 12, 21, 10, 10)),
        ("WhatsApp Image 2021-03-17 at 9.47.23 AM.jpeg", dt.datetime(2021, 3, 17, 9, 47, 23)),
        ("Bildschirmfoto 2019-05-12 um 10.10.10.png", dt.datetime(2019, 5, 12, 10, 10, 10)),
        ("Skärmavbild 2019-05-12 kl. 10.10.10.png", dt.datetime(2019, 5, 12, 10, 10, 10)),
        ("스크린샷 2021-03-04 오후 9.41.23.png", dt.datetime(2021, 3, 4, 21, 41, 23)),
        ("스크린샷 2021-03-04 오전 12.41.23.png", dt.datetime(2021, 3, 4, 0, 41, 23)),
        ("截屏2021-03-04 下午9.41.23.png", dt.datetime(2021, 3, 4, 21, 41, 23)),
        ("2019-05-12 IMG 123456.jpg", dt.datetime(2019, 5, 12)),  # a counter after a word
        ("20190512_101010_001.jpg", dt.datetime(2019, 5, 12, 10, 10, 10)),  # a Samsung burst
    ],
)
def test_known_patterns(name: str, expected: dt.datetime) -> None:
    assert date_from_filename(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "DSC_2015.jpg",
        "IMG_1234.jpg",
        "P1010001.JPG",
        "DSCN0010.jpg",
        "IMG_20191332_123456.jpg",  # month 13
        "IMG_20190230_101010.jpg",  # 30 February
        "123456789012.jpg",
        "Canon_40D.jpg",
        "holiday 2015.jpg",
        "setup v12.04.2019.jpg",  # a version
        "release 3.12.04.2019.jpg",
        "Foto 12.04.2019.2.jpg",  # a counter after it
        "Foto 31.02.2019.jpg",  # 31 February
        "Foto 12.13.2019.jpg",  # month 13
        "v1.2.2019.jpg",
        "20110105_10153123456789012_1234567890123456789_n.jpg",  # Facebook's ids
        "18930101_1447478138645052_2297424939449488914_o.jpg",
        "20120304_2011010510101012_2297424939449488914_n (1).jpg",
    ],
)
def test_no_false_dates(name: str) -> None:
    assert date_from_filename(name) is None


FORMATS = [
    "IMG_%Y%m%d_%H%M%S.jpg",
    "%Y%m%d_%H%M%S.jpg",
    "Screenshot_%Y-%m-%d-%H-%M-%S.png",
    "%Y-%m-%d %H.%M.%S.jpg",
    "signal-%Y-%m-%d-%H%M%S.jpg",
    "WhatsApp Image %Y-%m-%d at %H.%M.%S.jpeg",
    "PXL_%Y%m%d_%H%M%S123.jpg",
]


@given(
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2099, 12, 31)),
    st.sampled_from(FORMATS),
)
def test_generated_names_round_trip(when: dt.datetime, pattern: str) -> None:
    when = when.replace(microsecond=0)
    assert date_from_filename(when.strftime(pattern)) == when


@given(
    st.sampled_from(["IMG_", "DSC_", "DSCN", "P", "_MG_", "photo "]),
    st.integers(min_value=0, max_value=9999),
)
def test_camera_counters_are_not_dates(prefix: str, counter: int) -> None:
    assert date_from_filename(f"{prefix}{counter:04d}.jpg") is None


@given(st.text(max_size=60))
def test_any_name_gives_a_valid_date_or_none(name: str) -> None:
    result = date_from_filename(name)
    assert result is None or 1826 <= result.year <= LATEST_YEAR


def test_a_name_dated_in_the_future_is_read_and_left_to_the_precedence() -> None:
    """``photo_2099-01-01.jpg`` is a date on the calendar; the run's "now" passes it over
    (``without_future``), as it does every source's."""
    assert date_from_filename("photo_2099-01-01.jpg") == dt.datetime(2099, 1, 1)
