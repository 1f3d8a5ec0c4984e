"""Groups of identical content, each in keeper order (see engine/policy/keeper.py).
The order depends only on the files, never on the order workers finish in."""

from __future__ import annotations

from collections import defaultdict

from engine.policy.keeper import Copy, Rank, rank
from engine.records import Analysis, Status


def as_copy(analysis: Analysis) -> Copy:
    still = analysis.format is not None and analysis.format != "video"
    return Copy(analysis.rel, bool(analysis.companions), analysis.date_source, still)


def keeper_order(analysis: Analysis) -> Rank:
    return rank(as_copy(analysis))


def identical_groups(members: list[Analysis]) -> list[list[Analysis]]:
    """Sound images grouped by content hash, each group in keeper order (keeper first)."""
    by_hash: dict[str, list[Analysis]] = defaultdict(list)
    for member in members:
        if member.status is Status.PLACED and member.hash is not None:
            by_hash[member.hash].append(member)
    return [
        sorted(group, key=keeper_order) if len(group) > 1 else group
        for _, group in sorted(by_hash.items())
    ]
