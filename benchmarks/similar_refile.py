"""What re-filing costs ``imgorg similar`` on a large DEST (issue #15): planning the moves of the
copies a group dates into another year, over a journal of a million placed photos.

    python -m benchmarks.similar_refile [--photos 1000000] [--groups 20000]

The journal is synthetic (written through ``Journal.record`` as a run writes it): every tenth
photo has an XMP sidecar; ``--groups`` pairs each join a camera-dated photo (2008) with a copy
dated by its file name (2019), so every copy and its sidecar, if any, is planned for 2008. The
time is the plan's (the journal reads and the free-name checks), not the renames'.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Iterator

from engine.records import DateSource, Decision, Status
from engine.similar import setaside
from engine.similar.groups import Group
from engine.similar.keeper import Member
from engine.similar.signature import Signature
from engine.store.journal import Journal

_BATCH = 50_000


def _rel(i: int) -> str:
    return f"d{i % 997}/IMG_{i}.jpg"


def _placed(photos: int, dated: int) -> Iterator[Decision]:
    for i in range(photos):
        year, source = (2008, DateSource.EXIF) if i < dated else (2019, DateSource.FILENAME)
        facts = {"year": year, "date": f"{year}-01-02T03:04:05", "date_source": source}
        yield Decision(_rel(i), Status.PLACED, dest=f"{year}/{_rel(i)}", hash=f"{i:032x}", **facts)
        if i % 10 == 0:
            sidecar = f"{_rel(i)}.xmp"
            yield Decision(
                sidecar, Status.PLACED, dest=f"{year}/{sidecar}", companion_of=_rel(i), **facts
            )


def _groups(count: int) -> list[Group]:
    signature = Signature(0, bytes(256), 100, 100, None, False, 90)
    groups = []
    for i in range(count):
        copy = count + 7 * i
        best = Member(f"2008/{_rel(i)}", signature, "2008-01-02T03:04:05", DateSource.EXIF, _rel(i))
        late = Member(
            f"2019/{_rel(copy)}", signature, "2019-01-02T03:04:05", DateSource.FILENAME, _rel(copy)
        )
        groups.append(Group([best, late]))
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=20_000)
    args = parser.parse_args()
    if args.photos < 8 * args.groups:
        parser.error("--photos must be at least 8 x --groups")
    with tempfile.TemporaryDirectory() as dest:
        journal = Journal.open(os.path.join(dest, "journal.sqlite"))
        run = journal.begin_run("/src", dest, "copy", False, {"layout": "nested"})
        batch: list[Decision] = []
        for decision in _placed(args.photos, args.groups):
            batch.append(decision)
            if len(batch) == _BATCH:
                journal.record(run, "/src", batch, "done")
                batch = []
        journal.record(run, "/src", batch, "done")
        groups = _groups(args.groups)
        setaside.ensure_schema(journal.db)
        start = time.perf_counter()
        plan = setaside.refile_plan(dest, journal.db, groups)
        took = time.perf_counter() - start
        journal.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.photos:,} photos in the journal, {args.groups:,} groups: {len(plan):,} moves "
        f"planned in {took:.2f} s (peak RSS of the whole process {peak:.0f} MB)"
    )


if __name__ == "__main__":
    main()
