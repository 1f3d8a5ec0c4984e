from hypothesis import given
from hypothesis import strategies as st

from engine.formats.kinds import Kind, kind_of
from engine.policy.companions import companion_name, group, match_sidecar
from engine.stages.walk import DEFAULT_EXTENSIONS

IMAGES = frozenset(DEFAULT_EXTENSIONS)


def kinds(*names: str) -> dict[str, Kind]:
    return {n: kind_of(n, IMAGES) for n in names}


def families(*names: str) -> dict[str, list[str]]:
    found, orphans = group(kinds(*names))
    result = {f.main: sorted(f.companions) for f in found}
    if orphans:
        result["<orphans>"] = orphans
    return result


def test_raw_jpeg_and_live_photo_pairs() -> None:
    assert families("IMG_1.JPG", "IMG_1.CR2") == {"IMG_1.JPG": ["IMG_1.CR2"]}
    assert families("IMG_2.HEIC", "IMG_2.MOV", "IMG_2.AAE") == {
        "IMG_2.HEIC": ["IMG_2.AAE", "IMG_2.MOV"]
    }
    assert families("DSC_1.NEF", "DSC_1.xmp") == {"DSC_1.NEF": ["DSC_1.xmp"]}
    assert families("clip.mp4", "other.mov") == {"clip.mp4": [], "other.mov": []}


def test_two_images_with_one_stem_are_two_photos() -> None:
    assert families("a.jpg", "a.png") == {"a.jpg": [], "a.png": []}


def test_xmp_sidecars() -> None:
    assert families("a.jpg", "a.jpg.xmp") == {"a.jpg": ["a.jpg.xmp"]}
    assert families("a.jpg", "a.xmp", "b.xmp") == {"a.jpg": ["a.xmp"], "<orphans>": ["b.xmp"]}


def test_takeout_json_variants() -> None:
    assert families("x.jpg", "x.jpg.json") == {"x.jpg": ["x.jpg.json"]}
    assert families("x.jpg", "x.json") == {"x.jpg": ["x.json"]}
    assert families("x.jpg", "x.jpg.supplemental-metadata.json") == {
        "x.jpg": ["x.jpg.supplemental-metadata.json"]
    }
    assert families("x.jpg", "x.jpg.supplemental-me.json") == {
        "x.jpg": ["x.jpg.supplemental-me.json"]
    }
    assert families("x.jpg", "x(1).jpg", "x.jpg.json", "x.jpg(1).json") == {
        "x(1).jpg": ["x.jpg(1).json"],
        "x.jpg": ["x.jpg.json"],
    }
    long = "Screenshot_20190101-101010_Some_Very_Long_App_Name_Here.jpg"
    truncated = long[:46] + ".json"
    assert families(long, truncated) == {long: [truncated]}
    assert families("x.jpg", "metadata.json") == {"x.jpg": [], "<orphans>": ["metadata.json"]}


def test_companion_names_follow_the_main() -> None:
    assert companion_name("IMG_1_1.jpg", "IMG_1.jpg", "IMG_1.CR2") == "IMG_1_1.CR2"
    assert companion_name("IMG_1_1.jpg", "IMG_1.jpg", "IMG_1.jpg.xmp") == "IMG_1_1.jpg.xmp"
    assert companion_name("x(1).jpg", "x(1).jpg", "x.jpg(1).json") == "x(1).jpg.json"
    assert (
        companion_name("IMG_1.jpg", "IMG_1.jpg", "IMG_1.jpg.supplemental-metadata.json")
        == "IMG_1.jpg.supplemental-metadata.json"
    )


stems = st.text(alphabet="abcXYZ_-0123 ", min_size=1, max_size=12).filter(
    lambda s: s.strip() == s and s
)


@given(
    stems,
    st.sampled_from([".jpg", ".JPG", ".heic", ".png"]),
    st.sampled_from([".json", ".supplemental-metadata.json", ".xmp"]),
)
def test_a_sidecar_named_after_its_photo_always_finds_it(stem: str, ext: str, tail: str) -> None:
    main = stem + ext
    assert match_sidecar(main + tail, [main, "zzz.jpg"]) == main


@given(
    stems,
    st.integers(min_value=0, max_value=999),
    st.sampled_from([".CR2", ".MOV", ".xmp", ".jpg.xmp"]),
)
def test_companions_keep_the_main_s_new_stem(stem: str, n: int, tail: str) -> None:
    main = stem + ".jpg"
    new = f"{stem}_{n}.jpg"
    name = companion_name(new, main, stem + tail)
    assert name.startswith(f"{stem}_{n}.")
    assert name.endswith(tail)
