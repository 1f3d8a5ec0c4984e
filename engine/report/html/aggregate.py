"""The streaming counters: every decision is added once to an ``Aggregate`` that keeps counts
and bounded lists only, so the report of a million files costs a few megabytes."""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from engine.records import DateSource, Decision, Status, TzSource
from engine.report import html as package  # PLACED_MEMORY, read as an aggregate is made

GALLERY_CARDS = 60  # per gallery (errors, corrupt, undated): cards with a thumbnail
GALLERY_ROWS = 400  # per gallery: further files as rows of a collapsed table
LEFT_ROWS = 200  # per status (skipped, ignored): paths in a collapsed table
DUP_GROUPS = 100  # duplicate groups listed
DUP_GROUPS_OPEN = 15  # of which shown without expanding
DUP_MEMBERS = 8  # duplicates listed per group
REASONS = 40  # distinct reasons counted per status; the rest count as "other reasons"
BUSIEST_YEARS = 6  # years given a per-month chart
SHEET = 12  # photos per year on the year view's contact sheet
NOTES = 200  # placed files with a note, listed in "For information"

_DETAIL = re.compile(r"\s*\([^()]*[\d/\\][^()]*\)")


def reason_kind(reason: str | None) -> str:
    """A reason without its per-file details (sizes, paths, counts), to group files by."""
    return _DETAIL.sub("", reason or "no reason given").strip() or "no reason given"


# aggregation ---------------------------------------------------------------------------------
@dataclass(slots=True)
class Entry:
    """A file shown by name: in a gallery or in a list."""

    rel: str
    reason: str | None
    dest: str | None
    hash: str | None
    size: int


@dataclass
class Listing:
    """The first files of one kind, and how many there were."""

    limit: int
    entries: list[Entry] = field(default_factory=list)
    total: int = 0

    def add(self, decision: Decision, reason: str | None) -> None:
        self.total += 1
        if len(self.entries) < self.limit:
            self.entries.append(
                Entry(decision.rel, reason, decision.dest, decision.hash, decision.size)
            )


@dataclass
class Reasons:
    """Reasons and their counts, with at most ``limit`` distinct ones."""

    limit: int = REASONS
    counts: Counter[str] = field(default_factory=Counter)
    other: int = 0

    def add(self, reason: str | None) -> None:
        key = reason_kind(reason)[:200]
        if key in self.counts or len(self.counts) < self.limit:
            self.counts[key] += 1
        else:
            self.other += 1


@dataclass
class DuplicateGroup:
    """A kept copy and (the first few of) its byte-identical duplicates."""

    kept: str  # the kept copy's source path (absolute when an earlier run placed it)
    hash: str | None
    kept_dest: str | None = None
    members: list[Entry] = field(default_factory=list)
    count: int = 0
    bytes: int = 0


@dataclass
class Aggregate:
    """Everything the page shows, fed one decision at a time; bounded whatever the run's size."""

    files: int = 0
    counts: Counter[Status] = field(default_factory=Counter)
    bytes_in: int = 0
    bytes_out: int = 0
    years: Counter[int | None] = field(default_factory=Counter)
    months: Counter[tuple[int, int]] = field(default_factory=Counter)
    sources: Counter[tuple[int | None, DateSource]] = field(default_factory=Counter)
    zones: Counter[TzSource] = field(default_factory=Counter)  # dated placed photos by tz source
    compressed: int = 0
    compressed_in: int = 0
    compressed_out: int = 0
    qualities: Counter[int] = field(default_factory=Counter)
    original_qualities: Counter[int] = field(default_factory=Counter)
    rotated: int = 0
    companions: Counter[Status] = field(default_factory=Counter)  # by status
    duplicate_bytes: int = 0
    groups: dict[str, DuplicateGroup] = field(default_factory=dict)
    placed_memory: OrderedDict[str, str] = field(default_factory=OrderedDict)
    memory_limit: int = field(default_factory=lambda: package.PLACED_MEMORY)
    errors: Listing = field(default_factory=lambda: Listing(GALLERY_CARDS + GALLERY_ROWS))
    corrupt: Listing = field(default_factory=lambda: Listing(GALLERY_CARDS + GALLERY_ROWS))
    undated: Listing = field(default_factory=lambda: Listing(GALLERY_CARDS + GALLERY_ROWS))
    skipped: Listing = field(default_factory=lambda: Listing(LEFT_ROWS))
    ignored: Listing = field(default_factory=lambda: Listing(LEFT_ROWS))
    noted: Listing = field(default_factory=lambda: Listing(NOTES))
    notes: Reasons = field(default_factory=Reasons)
    thumbs: frozenset[str] = frozenset()  # content hashes that have a thumbnail
    sheets: dict[int, list[Entry]] = field(default_factory=dict)
    reasons: dict[Status, Reasons] = field(
        default_factory=lambda: {
            s: Reasons() for s in (Status.CORRUPT, Status.SKIPPED, Status.IGNORED, Status.ERROR)
        }
    )

    def add(self, d: Decision) -> None:
        status = d.status
        self.files += 1
        self.bytes_in += d.size
        if d.dest:
            self.bytes_out += d.bytes_out
        if d.companion_of is not None:  # travels with its photo; not a photo of its own
            self.companions[status] += 1
            return
        self.counts[status] += 1
        if status is Status.PLACED:
            self._placed(d)
        elif status is Status.DUPLICATE:
            self._duplicate(d)
        else:
            self.reasons[status].add(d.reason)
            if status is Status.CORRUPT:
                self.corrupt.add(d, d.reason)
            elif status is Status.ERROR:
                self.errors.add(d, d.reason)
            elif status is Status.SKIPPED:
                self.skipped.add(d, d.reason)
            else:
                self.ignored.add(d, d.reason)

    def _placed(self, d: Decision) -> None:
        year = d.year
        self.years[year] += 1
        self.sources[year, d.date_source] += 1
        if year is not None:
            self.zones[d.tz_source] += 1
        if d.note:
            self.notes.add(d.note)
            self.noted.add(d, d.note)
        if year is None:
            self.undated.add(d, None)
        else:
            sheet = self.sheets.setdefault(year, [])
            if len(sheet) < SHEET and d.hash in self.thumbs:
                sheet.append(Entry(d.rel, None, d.dest, d.hash, d.size))
        if year is not None and d.date and len(d.date) >= 7 and d.date[5:7].isdigit():
            self.months[year, int(d.date[5:7])] += 1
        if d.compressed:
            self.compressed += 1
            self.compressed_in += d.size
            self.compressed_out += d.bytes_out
            if d.quality is not None:
                self.qualities[d.quality] += 1
            if d.original_quality is not None:
                self.original_qualities[d.original_quality] += 1
        if d.rotated:
            self.rotated += 1
        if d.dest:
            group = self.groups.get(d.rel)
            if group is not None:
                group.kept_dest = d.dest
            memory = self.placed_memory
            memory[d.rel] = d.dest
            if len(memory) > self.memory_limit:
                memory.popitem(last=False)

    def _duplicate(self, d: Decision) -> None:
        self.duplicate_bytes += d.size
        kept = d.duplicate_of or "?"
        group = self.groups.get(kept)
        if group is None:
            if len(self.groups) >= DUP_GROUPS:
                return
            group = self.groups[kept] = DuplicateGroup(kept, d.hash)
            group.kept_dest = self.placed_memory.get(kept)
        group.count += 1
        group.bytes += d.size
        if len(group.members) < DUP_MEMBERS:
            group.members.append(Entry(d.rel, d.reason, d.dest, d.hash, d.size))

    def resolve(self, dest_of_hash: Callable[[str], str | None] | None) -> None:
        """Find the placed copy of every listed group whose kept copy the stream did not show."""
        self.placed_memory.clear()
        if dest_of_hash is None:
            return
        for group in self.groups.values():
            if group.kept_dest is None and group.hash:
                group.kept_dest = dest_of_hash(group.hash)

    def count(self, status: Status) -> int:
        return self.counts.get(status, 0)

    @property
    def placed(self) -> int:
        return self.count(Status.PLACED)

    @property
    def listed_duplicates(self) -> int:
        return sum(g.count for g in self.groups.values())


def aggregate(decisions: Iterable[Decision], thumbs: Iterable[str] = ()) -> Aggregate:
    """``thumbs``: the content hashes that have a thumbnail (for the year view)."""
    agg = Aggregate(thumbs=frozenset(thumbs))
    add = agg.add
    for decision in decisions:
        add(decision)
    return agg
