import os

from hypothesis import given
from hypothesis import strategies as st

from engine.policy.naming import NAME_MAX, Layout, destination, with_suffix

names = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=120,
).filter(lambda n: n not in (".", ".."))


def test_layouts() -> None:
    assert (
        destination("2019", "Trips/Italy/IMG_1.jpg", Layout.NESTED) == "2019/Trips/Italy/IMG_1.jpg"
    )
    assert destination("2019", "Trips/Italy/IMG_1.jpg", Layout.FLAT) == "2019/IMG_1.jpg"


def test_suffixes() -> None:
    assert with_suffix("2019/a/IMG_1.jpg", 0) == "2019/a/IMG_1.jpg"
    assert with_suffix("2019/a/IMG_1.jpg", 1) == "2019/a/IMG_1_1.jpg"
    assert with_suffix("2019/a/IMG_1.JPG", 12) == "2019/a/IMG_1_12.JPG"
    assert with_suffix("2019/noext", 2) == "2019/noext_2"


@given(names, st.integers(min_value=1, max_value=10_000))
def test_suffix_keeps_folder_and_extension(name: str, n: int) -> None:
    path = os.path.join("2019", "folder", name)
    result = with_suffix(path, n)
    assert os.path.dirname(result) == os.path.join("2019", "folder")
    assert result != path
    assert (
        os.path.splitext(result)[1] == os.path.splitext(name)[1]
        or len(os.fsencode(name)) > NAME_MAX - 8
    )


@given(st.text(alphabet="aé漢😀b", min_size=200, max_size=400), st.integers(1, 99999))
def test_long_names_are_cut_to_fit_on_character_boundaries(stem: str, n: int) -> None:
    result = with_suffix(f"2019/{stem}.jpg", n)
    name = os.path.basename(result)
    assert len(os.fsencode(name)) <= NAME_MAX
    assert name.endswith(f"_{n}.jpg")
    name.encode("utf-8")  # no half characters


@given(names, st.lists(st.integers(0, 500), min_size=2, max_size=10, unique=True))
def test_distinct_suffixes_give_distinct_names(name: str, ns: list[int]) -> None:
    assert len({with_suffix(f"2019/{name}", n) for n in ns}) == len(ns)


@given(st.text(alphabet="aé漢😀b", min_size=1, max_size=260), st.integers(0, 40))
def test_a_name_is_kept_exactly_when_it_fits_with_the_room_reserved(
    stem: str, reserve: int
) -> None:
    """Without a suffix, a name whose bytes leave ``reserve`` free under NAME_MAX is kept as it
    is, one that does not is cut to leave it; whatever its characters take (1 to 4 bytes)."""
    name = f"{stem}.jpg"
    path = f"2019/{name}"
    result = with_suffix(path, 0, reserve)
    fits = len(os.fsencode(name)) + reserve <= NAME_MAX
    assert (result == path) is fits
    assert len(os.fsencode(os.path.basename(result))) + reserve <= NAME_MAX
