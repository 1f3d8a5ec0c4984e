"""``imgorg similar DEST``: find the near-duplicates among the photos a run placed in DEST.

Signatures are computed in a process pool (each worker reads and hashes whole files) and kept
in the journal, so a second call only hashes what is new. The report lists every group with
its keeper, and for each member without a camera date the better-founded date it takes from
its group (``date_source: "similar"``, ``similar_to``). With ``refile`` (``imgorg similar
--refile``) such a member whose year folder changes moves to its new year; the
lesser copies move only when ``set_aside`` is asked (both in ``engine.similar.setaside``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from engine.formats.imaging import quiet_libtiff
from engine.formats.thumbs import make_thumbnail, thumbnail_path
from engine.similar import index, setaside, store
from engine.similar.groups import Group, date_flows, find_groups
from engine.similar.keeper import Member
from engine.similar.signature import Signature, signature_of_file


@dataclass(slots=True)
class SimilarResult:
    images: int
    hashed: int
    groups: list[Group]
    report: str
    moved: list[tuple[str, str]]  # set aside: (old, new) per file
    refiled: list[tuple[str, str]] = field(default_factory=list)  # (old, new) per file
    could_refile: int = 0  # without --refile: the photos it would move to another year


def _signatures(paths: list[str], jobs: int) -> list[Signature | None]:
    if jobs <= 1 or len(paths) < 64:
        quiet_libtiff()
        return [signature_of_file(p) for p in paths]
    with ProcessPoolExecutor(jobs, initializer=quiet_libtiff) as pool:
        return list(pool.map(signature_of_file, paths, chunksize=32))


def _thumbnails(dest: str, groups: list[Group], thumbs_dir: str) -> None:
    """Thumbnails of every member, for the report's "Similar photos" section."""
    os.makedirs(thumbs_dir, exist_ok=True)
    quiet_libtiff()
    for group in groups:
        for member in group.members:
            if member.content_hash is None:
                continue
            target = thumbnail_path(thumbs_dir, member.content_hash)
            if os.path.exists(target):
                continue
            try:
                with open(os.path.join(dest, member.path), "rb") as handle:
                    make_thumbnail(handle.read(), target)
            except OSError:
                continue  # a plan: the photo is not in DEST yet


def group_records(
    groups: list[Group],
    moved: dict[str, str] | None = None,
    refiled_from: dict[str, str] | None = None,
) -> list[dict[str, object]]:
    """One JSON object per member of every group, keeper first, groups numbered from 1."""
    records: list[dict[str, object]] = []
    for number, group in enumerate(groups, 1):
        flows = {flow.path: flow for flow in date_flows(group)}
        for member in group.members:
            sig = member.signature
            flow = flows.get(member.path)
            records.append(
                {
                    "group": number,
                    "dest": member.path,
                    "source": member.source,
                    "content_hash": member.content_hash,
                    "kept": member is group.keeper,
                    "similar_to": None if member is group.keeper else group.keeper.path,
                    "width": sig.width,
                    "height": sig.height,
                    "quality": sig.quality,
                    "camera_date": sig.capture,
                    "gps": sig.gps,
                    "date": flow.date if flow else member.date,
                    "date_source": "similar" if flow else str(member.date_source),
                    "date_from": flow.similar_to if flow else None,
                    "set_aside_to": (moved or {}).get(member.path),
                    "refiled_from": (refiled_from or {}).get(member.path),
                }
            )
    return records


def _moved(groups: list[Group], renamed: dict[str, str]) -> list[Group]:
    """The groups with their members' paths after ``renamed`` (old -> new)."""
    if not renamed:
        return groups
    return [
        Group([dataclasses.replace(m, path=renamed.get(m.path, m.path)) for m in g.members])
        for g in groups
    ]


def find_similar(
    dest: str,
    db: sqlite3.Connection,
    jobs: int,
    report: str,
    set_aside: bool = False,
    refile: bool = False,
) -> SimilarResult:
    """Hash what is new, group, re-file the members dated into another year and set the lesser
    copies aside if asked, write the ``report``."""
    if not index.available():
        raise index.MissingDependency(
            "near-duplicate search needs faiss: pip install 'imgorg[similar]'"
        )
    store.ensure_schema(db)
    placed = store.placed_images(db)
    known = store.load(db, (p.content_hash for p in placed))
    todo = sorted(
        {p.content_hash: p for p in placed if p.content_hash not in known}.values(),
        key=lambda p: p.dest,
    )
    computed = _signatures([os.path.join(dest, p.dest) for p in todo], jobs)
    fresh = {p.content_hash: s for p, s in zip(todo, computed, strict=True) if s is not None}
    store.save(db, fresh)
    known.update(fresh)
    members = [
        Member(p.dest, known[p.content_hash], p.date, p.date_source, p.source, p.content_hash)
        for p in placed
        if p.content_hash in known
    ]
    groups = find_groups(members, jobs)
    _thumbnails(dest, groups, os.path.join(os.path.dirname(report), "thumbs"))
    refiled = setaside.refile(dest, db, groups) if refile else []
    could_refile = 0 if refile else setaside.refile_count(db, groups)
    groups = _moved(groups, dict(refiled))
    moved = setaside.set_aside(dest, db, groups) if set_aside else []
    os.makedirs(os.path.dirname(report) or ".", exist_ok=True)
    back = {new: old for old, new in refiled}
    with open(report, "w", encoding="utf-8") as handle:
        for record in group_records(groups, dict(moved), back):
            handle.write(json.dumps(record) + "\n")  # escaped: a name that is not UTF-8 too
    return SimilarResult(len(members), len(fresh), groups, report, moved, refiled, could_refile)
