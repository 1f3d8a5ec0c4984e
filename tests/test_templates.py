"""Folder layout and file name templates (--layout TEMPLATE, --rename TEMPLATE)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from benchmarks.make_archive import jpeg_bytes, photo
from conftest import read_report, write_photo
from engine.cli import main


def camera_photo(path: Path, when: dt.datetime | None, make: str, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg_bytes(photo(64, 48, seed=seed), when, make=make, quality=85))


def by_source(report):  # type: ignore[no-untyped-def]
    return {line["source"]: line for line in report}


def test_every_layout_token(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    camera_photo(src / "Trips" / "Rome" / "a.jpg", dt.datetime(2019, 3, 7, 10, 0), "Canon", 1)
    camera_photo(src / "b.jpg", dt.datetime(2020, 11, 23, 8, 0), "NIKON/CORP", 2)
    write_photo(src / "c.jpg", None, seed=3)
    template = "{year}/{month:02}-{month_name}/{day}/{camera}/{source_folder}"
    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--layout", template)
    assert code == 0
    lines = by_source(report)
    assert lines["Trips/Rome/a.jpg"]["dest"] == "2019/03-March/7/Canon/Trips/Rome/a.jpg"
    # a slash inside a value never makes a folder; an empty source folder makes none
    assert lines["b.jpg"]["dest"] == "2020/11-November/23/NIKON_CORP/b.jpg"
    assert lines["c.jpg"]["dest"] == "NoDate/c.jpg"
    for line in report:
        assert (tmp_path / "out" / line["dest"]).is_file()


def test_camera_unknown_and_month_as_number(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "x.jpg", dt.datetime(2018, 2, 3), seed=1)
    camera_photo(src / "y.jpg", dt.datetime(2018, 12, 3), "", 2)
    code, report = organize(
        src, tmp_path / "out", "--min-size", "0", "--layout", "{year}-{month}/{camera}"
    )
    assert code == 0
    lines = by_source(report)
    assert lines["x.jpg"]["dest"] == "2018-2/imgorg-test/x.jpg"
    assert lines["y.jpg"]["dest"] == "2018-12/Unknown camera/y.jpg"


def test_rename_with_collisions_and_companions(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    when = dt.datetime(2019, 12, 31, 23, 30, 5)
    camera_photo(src / "one" / "IMG_1.jpg", when, "Canon", 1)
    camera_photo(src / "two" / "IMG_1.jpg", when, "Canon", 2)
    (src / "two" / "IMG_1.jpg.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    write_photo(src / "undated.jpg", None, seed=3)
    code, report = organize(
        src,
        tmp_path / "out",
        "--min-size",
        "0",
        "--layout",
        "{year}",
        "--rename",
        "{date:%Y%m%d_%H%M%S}_{name}",
    )
    assert code == 0
    lines = by_source(report)
    assert lines["one/IMG_1.jpg"]["dest"] == "2019/20191231_233005_IMG_1.jpg"
    assert lines["two/IMG_1.jpg"]["dest"] == "2019/20191231_233005_IMG_1_1.jpg"
    assert lines["two/IMG_1.jpg.xmp"]["dest"] == "2019/20191231_233005_IMG_1_1.jpg.xmp"
    assert lines["undated.jpg"]["dest"] == "NoDate/undated.jpg"
    out = tmp_path / "out"
    assert (out / "2019/20191231_233005_IMG_1.jpg").read_bytes() == (
        src / "one/IMG_1.jpg"
    ).read_bytes()


def test_rename_without_name_token_still_never_collides(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    when = dt.datetime(2021, 5, 6, 7, 8, 9)
    for n in range(3):
        camera_photo(src / f"p{n}.jpg", when, "Canon", n)
    code, report = organize(
        src, tmp_path / "out", "--min-size", "0", "--rename", "{year}{month:02}{day:02}"
    )
    assert code == 0
    assert sorted(line["dest"] for line in report) == [
        "2021/20210506.jpg",
        "2021/20210506_1.jpg",
        "2021/20210506_2.jpg",
    ]
    # the suffixes follow source-path order
    assert by_source(report)["p0.jpg"]["dest"] == "2021/20210506.jpg"


@pytest.mark.parametrize(
    ("flag", "template"),
    [
        ("--layout", "{year}/{album}"),
        ("--layout", "{year}/{month:zz}"),
        ("--layout", "{year"),
        ("--layout", "../{year}"),
        ("--layout", "no tokens"),
        ("--rename", "{date:%Y}_{title}"),
    ],
)
def test_bad_templates_stop_before_the_run(
    tmp_path: Path, capsys, flag: str, template: str
) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write_photo(src / "a.jpg", dt.datetime(2019, 1, 1), seed=1)
    code = main(["organize", str(src), str(tmp_path / "out"), "--quiet", flag, template])
    assert code == 2
    assert "template" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_plan_shows_template_destinations(tmp_path: Path) -> None:
    src = tmp_path / "src"
    camera_photo(src / "a.jpg", dt.datetime(2017, 8, 9), "Canon", 1)
    plan = tmp_path / "plan"
    args = ["plan", str(src), str(tmp_path / "out"), "--out", str(plan), "--quiet"]
    code = main(
        [*args, "--min-size", "0", "--layout", "{year}/{month_name}", "--rename", "x_{name}"]
    )
    assert code == 0
    report = read_report(plan / "plan.jsonl")
    assert report[0]["dest"] == "2017/August/x_a.jpg"
    assert not (tmp_path / "out" / "2017").exists()


def test_templates_in_a_config_file(tmp_path: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    camera_photo(src / "a.jpg", dt.datetime(2016, 1, 2), "Canon", 1)
    config = tmp_path / "imgorg.toml"
    config.write_text('layout = "{year}/{camera}"\n')
    code, report = organize(src, tmp_path / "out", "--min-size", "0", "--config", str(config))
    assert code == 0
    assert report[0]["dest"] == os.path.join("2016", "Canon", "a.jpg")


def test_a_rendered_name_never_exceeds_the_filesystem_limit() -> None:
    from engine.policy.naming import dated_destination

    long = "é" * 120 + ".jpg"  # 240 bytes
    target = dated_destination(
        long, dt.datetime(2019, 1, 2), None, "{year}", "{date:%Y%m%d}_{name}"
    )
    name = os.path.basename(target)
    assert target.startswith("2019/20190102_é") and name.endswith(".jpg")
    assert len(os.fsencode(name)) <= 255
    name.encode("utf-8")  # cut on a whole character
