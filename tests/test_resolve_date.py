"""The one date precedence (engine/policy/date_precedence.py): ``resolve_date`` picks the first
source in ``PRECEDENCE`` that has a date, whatever order the evidence comes in, and every place
that shows or ranks date sources follows that same order."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from engine.policy.date_precedence import (
    CAPTURE,
    DATE_RANK,
    PRECEDENCE,
    in_precedence,
    outranks,
    resolve_date,
)
from engine.policy.keeper import Copy, keeper
from engine.records import DateSource
from engine.report.html import SOURCE_LABEL, Aggregate
from engine.report.html.sections import sources_section

README = Path(__file__).resolve().parent.parent / "README.md"
WEAK = [s for s in PRECEDENCE if s not in CAPTURE]

dates = st.datetimes(min_value=dt.datetime(1826, 1, 1), max_value=dt.datetime(2026, 1, 1))
entries = st.tuples(st.sampled_from(list(DateSource)), st.none() | dates)
evidences = st.lists(entries, max_size=20)


@given(evidences)
def test_the_date_is_that_of_the_first_source_in_precedence_with_one(
    evidence: list[tuple[DateSource, dt.datetime | None]],
) -> None:
    dated = [(s, w) for s, w in evidence if w is not None and s is not DateSource.NONE]
    chosen = resolve_date(evidence)
    if not dated:
        assert chosen is None
        return
    first = next(s for s in PRECEDENCE if any(source is s for source, _ in dated))
    assert chosen == next((s, w) for s, w in dated if s is first)


@given(evidences, st.randoms())
def test_the_order_of_the_evidence_never_decides(
    evidence: list[tuple[DateSource, dt.datetime | None]], shuffler: random.Random
) -> None:
    # one entry per source, as the worker gathers them
    unique = list(dict(evidence).items())
    shuffled = unique[:]
    shuffler.shuffle(shuffled)
    assert resolve_date(shuffled) == resolve_date(unique)
    assert in_precedence(shuffled) == in_precedence(unique)


@given(
    st.lists(st.tuples(st.sampled_from(sorted(CAPTURE)), dates), min_size=1, max_size=5),
    st.lists(st.tuples(st.sampled_from(WEAK), st.none() | dates), max_size=8),
)
def test_a_weak_source_never_beats_a_capture_date(
    capture: list[tuple[DateSource, dt.datetime]],
    weak: list[tuple[DateSource, dt.datetime | None]],
) -> None:
    chosen = resolve_date([*weak, *capture])
    assert chosen is not None and chosen[0] in CAPTURE
    assert outranks([*weak, *capture], DateSource.EXIFTOOL)


def test_the_last_changed_date_is_weak() -> None:
    """IFD0 DateTime is rewritten by every program that saves the file: it ranks below every
    capture date and below a dated file name, and exiftool is not asked about a file it dates."""
    assert DateSource.EXIF_MODIFIED not in CAPTURE
    assert all(DATE_RANK[s] < DATE_RANK[DateSource.EXIF_MODIFIED] for s in CAPTURE)
    assert DATE_RANK[DateSource.FILENAME] < DATE_RANK[DateSource.EXIF_MODIFIED]
    modified = dt.datetime(2015, 3, 1, 10, 0)
    assert outranks([(DateSource.EXIF_MODIFIED, modified)], DateSource.EXIFTOOL)
    assert not outranks([(DateSource.FOLDER, modified)], DateSource.EXIFTOOL)


def test_the_keeper_prefers_a_capture_date_to_a_last_changed_one() -> None:
    changed = Copy("Album/a.jpg", date_source=DateSource.EXIF_MODIFIED)
    taken = Copy("Album/b.jpg", date_source=DateSource.EXIF)
    named = Copy("Album/IMG_20190101_101010.jpg", date_source=DateSource.FILENAME)
    assert keeper([changed, taken]) is taken
    assert keeper([changed, named]) is named
    assert keeper([Copy("Album/a.jpg"), changed]) is changed  # NONE ranks last


def test_every_source_has_one_place_in_the_precedence_and_a_label() -> None:
    assert len(set(PRECEDENCE)) == len(PRECEDENCE)
    assert set(PRECEDENCE) == set(DateSource) - {DateSource.NONE}
    assert set(DATE_RANK) == set(SOURCE_LABEL) == set(DateSource)
    assert list(DATE_RANK) == [*PRECEDENCE, DateSource.NONE]


def test_the_html_legend_lists_every_source_in_precedence_order() -> None:
    page = sources_section(Aggregate())
    shown = re.findall(r'data-legend="([^"]+)"', page)
    assert shown == [s.value for s in (*PRECEDENCE, DateSource.NONE)]


def test_the_readme_date_table_is_in_precedence_order() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("| `date_source` | where the date comes from |", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    listed = [value for row in rows for value in re.findall(r"`([^`]+)`", row.split("|")[1])]
    assert listed == [s.value for s in (*PRECEDENCE, DateSource.NONE)]
