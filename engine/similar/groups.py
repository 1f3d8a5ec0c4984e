"""Groups of near-duplicates from verified pairs, and the dates that flow inside a group."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.policy.date_precedence import CAPTURE, DATE_RANK
from engine.policy.naming import path_key
from engine.records import DateSource, TzSource
from engine.similar import index, verify
from engine.similar.keeper import Member, in_keeper_order
from engine.similar.signature import Signature


@dataclass(slots=True)
class Group:
    members: list[Member]  # in keeper order: the keeper first

    @property
    def keeper(self) -> Member:
        return self.members[0]


@dataclass(frozen=True, slots=True)
class DateFlow:
    path: str
    date: str
    similar_to: str  # the member whose date it takes
    tz_source: TzSource = TzSource.NONE  # and where that date's UTC offset came from


class _Components:
    """Union-find that refuses a union putting two different exposures in one group."""

    def __init__(self, signatures: list[Signature]) -> None:
        self.parent = list(range(len(signatures)))
        self.exposures: list[list[Signature]] = [
            [s] if s.capture is not None else [] for s in signatures
        ]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a == b:
            return
        if any(
            verify.different_exposures(x, y) for x in self.exposures[a] for y in self.exposures[b]
        ):
            return
        self.parent[b] = a
        self.exposures[a] += [
            s for s in self.exposures[b] if s.capture not in {t.capture for t in self.exposures[a]}
        ]
        self.exposures[b] = []


def _verified(members: list[Member], pairs: np.ndarray) -> list[tuple[int, ...]]:
    """The pairs that pass every guard, closest first (hash distance, then thumbnail
    correlation), paths breaking ties. A copy sits between two burst frames that both look
    like it; joining the closest pair first puts it with the frame it was made from, whatever
    order the members came in."""
    if not len(pairs):
        return []
    ok, distances, correlations = verify.check_pairs([m.signature for m in members], pairs)
    pairs, distances, correlations = pairs[ok], distances[ok], correlations[ok]
    order = sorted(range(len(members)), key=lambda k: path_key(members[k].path))
    rank = np.empty(len(members), dtype=np.int64)
    rank[order] = np.arange(len(members))
    first = np.minimum(rank[pairs[:, 0]], rank[pairs[:, 1]])
    second = np.maximum(rank[pairs[:, 0]], rank[pairs[:, 1]])
    closest = np.lexsort((second, first, -correlations, distances))
    return list(map(tuple, pairs[closest].tolist()))


def find_groups(members: list[Member], threads: int = 0) -> list[Group]:
    """Every group of two or more members that are copies of one photo, keeper first; groups in
    the byte order of their keeper's path."""
    signatures = [m.signature for m in members]
    pairs = index.near_pairs([s.phash for s in signatures], verify.HASH_RADIUS, threads)
    components = _Components(signatures)
    for i, j in _verified(members, pairs):
        components.join(i, j)
    by_root: dict[int, list[Member]] = {}
    for i, member in enumerate(members):
        by_root.setdefault(components.find(i), []).append(member)
    groups = [Group(in_keeper_order(g)) for g in by_root.values() if len(g) > 1]
    groups.sort(key=lambda g: g.keeper.path.encode("utf-8", "surrogateescape"))
    return groups


def best_dated(group: Group) -> Member | None:
    """The member whose date is best founded (keeper order breaks ties)."""
    dated = [
        m for m in group.members if m.date is not None and m.date_source is not DateSource.NONE
    ]
    if not dated:
        return None
    return min(dated, key=lambda m: DATE_RANK[m.date_source])


def date_flows(group: Group) -> list[DateFlow]:
    """The members without a camera date that take the group's better-founded date. Only a
    capture time flows: a file name's date passed on as ``similar`` would outrank the file
    names it came from and never be re-filed when the camera original turns up."""
    best = best_dated(group)
    if best is None or best.date is None or best.date_source not in CAPTURE:
        return []
    flows = []
    for member in group.members:
        if member is best or member.date_source is DateSource.EXIF:
            continue
        if DATE_RANK[member.date_source] > DATE_RANK[best.date_source]:
            flows.append(DateFlow(member.path, best.date, best.path, best.tz_source))
    return flows
