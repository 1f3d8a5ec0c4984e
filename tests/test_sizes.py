import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.sizes import format_size, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3MB", 3_000_000),
        ("3 mb", 3_000_000),
        ("0.05MB", 50_000),
        ("6MiB", 6 * 1024 * 1024),
        ("500KB", 500_000),
        ("2KiB", 2048),
        ("1.5GB", 1_500_000_000),
        ("1024", 1024),
        ("0", 0),
        (42, 42),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MB", "3XB", "-1MB", "three", "1.2.3MB"])
def test_parse_size_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


@given(st.integers(min_value=0, max_value=10**12))
def test_bytes_round_trip(n: int) -> None:
    assert parse_size(str(n)) == n
    assert parse_size(f"{n}B") == n
    assert format_size(n)
