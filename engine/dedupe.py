"""Which copy of identical content is kept: the best-founded date, then the lowest source path
in byte order. The choice depends only on the files, never on the order workers finish in."""

from __future__ import annotations

from collections import defaultdict

from engine.naming import path_key
from engine.records import DATE_RANK, Analysis, Status


def keeper_order(analysis: Analysis) -> tuple[int, bytes]:
    return DATE_RANK[analysis.date_source], path_key(analysis.rel)


def identical_groups(members: list[Analysis]) -> list[list[Analysis]]:
    """Sound images grouped by content hash, each group in keeper order (keeper first)."""
    by_hash: dict[str, list[Analysis]] = defaultdict(list)
    for member in members:
        if member.status is Status.PLACED and member.hash is not None:
            by_hash[member.hash].append(member)
    return [sorted(group, key=keeper_order) for _, group in sorted(by_hash.items())]
