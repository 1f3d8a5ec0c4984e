"""Groups of identical content, each in keeper order (see engine/policy/keeper.py).
The order depends only on the files, never on the order workers finish in."""

from __future__ import annotations

import functools
from collections import defaultdict

from engine.policy.keeper import Copy, Rank, rank
from engine.records import Analysis, Status


def as_copy(analysis: Analysis) -> Copy:
    still = analysis.format is not None and analysis.format != "video"
    return Copy(analysis.rel, bool(analysis.companions), analysis.date_source, still)


def keeper_order(analysis: Analysis) -> Rank:
    return rank(as_copy(analysis))


def identical_groups(
    members: list[Analysis], ranks: dict[str, Rank] | None = None
) -> list[list[Analysis]]:
    """Sound images grouped by content hash, each group in keeper order (keeper first); the
    ranks worked out for that order go into ``ranks`` (by path) when it is given."""
    if len(members) == 1:  # a size no other file has: most photos
        (member,) = members
        return [[member]] if member.status is Status.PLACED and member.hash is not None else []
    by_hash: dict[str, list[Analysis]] = defaultdict(list)
    for member in members:
        if member.status is Status.PLACED and member.hash is not None:
            by_hash[member.hash].append(member)
    order = keeper_order if ranks is None else functools.partial(_kept_in, ranks)
    return [
        sorted(group, key=order) if len(group) > 1 else group
        for _, group in sorted(by_hash.items())
    ]


def _kept_in(ranks: dict[str, Rank], analysis: Analysis) -> Rank:
    ranks[analysis.rel] = found = keeper_order(analysis)
    return found
