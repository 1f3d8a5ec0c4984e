"""Which member of a group of near-duplicates is kept: a pure ranking.

1. the largest pixel count (the full-size original beats every resized copy);
2. a JPEG over a file without a JPEG quality (PNG, WebP, HEIC conversions), since a converted
   copy is never the camera's original;
3. a camera capture time: a JPEG of the same size without one is the photo stripped and saved
   again (a messenger's, an editor's), whatever quality it was saved at;
4. the highest original JPEG quality (estimated from its quantisation tables);
5. GPS;
6. the exact-duplicate keeper rule: the best-founded date, then the lowest path in byte order.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.policy.date_precedence import DATE_RANK
from engine.policy.naming import path_key
from engine.records import DateSource, TzSource
from engine.similar.signature import Signature


@dataclass(frozen=True, slots=True)
class Member:
    path: str  # where it is (relative to DEST after a run; to SOURCE in a plan)
    signature: Signature
    date: str | None = None  # ISO 8601, as the run dated it
    date_source: DateSource = DateSource.NONE
    source: str | None = None  # where it came from, for the report
    content_hash: str | None = None  # of the file at ``path``: names its thumbnail
    tz_source: TzSource = TzSource.NONE  # where its date's UTC offset came from


def keeper_rank(member: Member) -> tuple[int, bool, bool, int, bool, int, bytes]:
    """Sort key: the keeper sorts first."""
    sig = member.signature
    return (
        -sig.pixels,
        sig.quality is None,
        sig.capture is None,
        -(sig.quality or 0),
        not sig.gps,
        DATE_RANK[member.date_source],
        path_key(member.path),
    )


def in_keeper_order(members: list[Member]) -> list[Member]:
    return sorted(members, key=keeper_rank)
