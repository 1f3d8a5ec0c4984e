"""Dry run equals run: for generated archives, the plan ``--dry-run`` prints is exactly what the
real run then does."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import tree_digest, write_photo

entry = st.tuples(
    st.sampled_from(["", "a", "a/b", "c d", "a/b/c", "Ä"]),
    st.sampled_from(
        ["IMG_1.jpg", "x.JPG", "IMG_20190101_101010.jpg", "y.png", "z.jpg", "notes.txt"]
    ),
    st.sampled_from([None, dt.datetime(2003, 4, 5), dt.datetime(2019, 9, 9)]),
    st.integers(min_value=0, max_value=3),  # content seed: equal seeds give identical bytes
    st.booleans(),  # truncated
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(entry, min_size=1, max_size=8, unique_by=lambda e: (e[0], e[1])),
    st.sampled_from(["nested", "flat"]),
)
def test_dry_run_equals_run(
    tmp_path_factory: pytest.TempPathFactory, organize, entries, layout: str
) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("dry")
    src = base / "src"
    for folder, name, when, seed, truncated in entries:
        path = src / folder / name
        if name.endswith(".txt"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
            continue
        data = write_photo(path, when, seed=seed)
        if truncated:
            path.write_bytes(data[: len(data) // 2])
    # an earlier run left something in DEST that the plan must take into account
    dest = base / "out"
    (dest / "2019").mkdir(parents=True)
    shutil.copyfile(next(src.rglob("*.*")), dest / "2019" / "IMG_1.jpg")
    before = tree_digest(dest)
    code, planned = organize(src, dest, "--min-size", "0", "--layout", layout, "--dry-run")
    assert code == 0
    assert tree_digest(dest) == before, "a dry run writes nothing"
    code, done = organize(src, dest, "--min-size", "0", "--layout", layout)
    assert code == 0
    assert planned == done
