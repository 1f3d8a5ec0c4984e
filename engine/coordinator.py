"""The single decision-maker: duplicates and destination names, settled deterministically.

A worker's result waits here until every file that could share its content (same size) has
arrived, so the kept copy does not depend on which worker finished first; a verdict then waits
until every file that could want the same name (same name below the year folder) is settled, so
suffixes are handed out in source-path order.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter, defaultdict
from dataclasses import dataclass

from engine import fsops
from engine.dedupe import identical_groups
from engine.journal import Journal, Placed
from engine.naming import Layout, destination, layout_part, path_key, with_suffix
from engine.records import Analysis, Candidate, Decision, Status
from engine.settings import Mode


@dataclass(frozen=True, slots=True)
class Folders:
    layout: Layout
    corrupted: str
    nodate: str
    duplicates: str


def name_key(rel: str, layout: Layout) -> str:
    return layout_part(rel, layout).casefold()


class Coordinator:
    def __init__(
        self,
        source: str,
        dest: str,
        journal: Journal,
        candidates: list[Candidate],
        folders: Folders,
        mode: Mode,
    ) -> None:
        self.source, self.dest, self.journal = source, dest, journal
        self.folders, self.mode = folders, mode
        self.size_left = Counter(c.size for c in candidates)
        self.size_wait: dict[int, list[Analysis]] = defaultdict(list)
        self.name_left = Counter(name_key(c.rel, folders.layout) for c in candidates)
        self.name_wait: dict[str, list[Decision]] = defaultdict(list)
        self.claimed: set[str] = set()
        self._same_device = fsops.same_device(source, dest) if os.path.isdir(dest) else False

    @property
    def waiting(self) -> int:
        return sum(map(len, self.size_wait.values())) + sum(map(len, self.name_wait.values()))

    def accept(self, analysis: Analysis) -> list[Decision]:
        """Take one worker result; return every decision it completes, destinations chosen."""
        ready: list[Decision] = []
        size = analysis.size
        self.size_wait[size].append(analysis)
        self.size_left[size] -= 1
        if self.size_left[size] > 0:
            return ready
        del self.size_left[size]
        for verdict in self._deduplicate(self.size_wait.pop(size)):
            key = name_key(verdict.rel, self.folders.layout)
            self.name_wait[key].append(verdict)
            self.name_left[key] -= 1
            if self.name_left[key] == 0:
                del self.name_left[key]
                ready.extend(self._name(self.name_wait.pop(key)))
        return ready

    def forget_claims(self) -> None:
        """Names already written to the journal need not be remembered here."""
        self.claimed.clear()

    # duplicates -------------------------------------------------------------
    def _deduplicate(self, group: list[Analysis]) -> list[Decision]:
        verdicts = [Decision.from_analysis(a, a.status) for a in group if a.status != Status.PLACED]
        for members in identical_groups(group):
            verdicts.extend(self._settle_identical(members))
        return verdicts

    def _settle_identical(self, members: list[Analysis]) -> list[Decision]:
        assert members[0].hash is not None
        earlier = self.journal.placed_with_hash(members[0].hash)
        verdicts: list[Decision] = []
        rest = members
        if earlier is None:
            keeper = members[0]
            verdicts.append(Decision.from_analysis(keeper, Status.PLACED))
            rest = members[1:]
            keeper_paths = [os.path.join(self.source, keeper.rel)]
            keeper_name = keeper.rel
        else:
            keeper_paths = self._paths_of(earlier)
            keeper_name = (
                earlier.rel
                if earlier.source_root == self.source
                else os.path.join(earlier.source_root, earlier.rel)
            )
        for member in rest:
            if (
                earlier is not None
                and earlier.source_root == self.source
                and earlier.rel == member.rel
            ):
                again = Decision.from_analysis(member, Status.PLACED)
                again.dest, again.note = earlier.dest, "already placed by an earlier run"
                verdicts.append(again)
                continue
            verdicts.append(self._compare(member, keeper_paths, keeper_name))
        return verdicts

    def _paths_of(self, earlier: Placed) -> list[str]:
        """Where the bytes of an earlier placed file can still be read, best first."""
        paths = [os.path.join(earlier.source_root, earlier.rel)]
        if not earlier.transformed:
            paths.append(os.path.join(self.dest, earlier.dest))
        return paths

    def _compare(self, member: Analysis, keeper_paths: list[str], keeper_name: str) -> Decision:
        mine = os.path.join(self.source, member.rel)
        for path in keeper_paths:
            try:
                same = fsops.same_bytes(mine, path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                failed = Decision.from_analysis(member, Status.ERROR)
                failed.reason = f"cannot compare with its identical twin: {exc.strerror}"
                return failed
            if not same:
                distinct = Decision.from_analysis(member, Status.PLACED)
                distinct.note = f"same hash as {keeper_name} but different bytes"
                return distinct
            break
        else:
            if keeper_paths:
                twin = Decision.from_analysis(member, Status.DUPLICATE)
                twin.duplicate_of = keeper_name
                twin.reason = (
                    f"identical to {keeper_name} (128-bit hash; its original is no longer there)"
                )
                return twin
        twin = Decision.from_analysis(member, Status.DUPLICATE)
        twin.duplicate_of = keeper_name
        twin.reason = f"identical to {keeper_name}"
        return twin

    # names ------------------------------------------------------------------
    def _name(self, group: list[Decision]) -> list[Decision]:
        for decision in sorted(group, key=lambda d: path_key(d.rel)):
            base = self._base(decision)
            if base is None or decision.dest is not None:
                continue
            decision.dest, adopted = self._free_name(base, decision.out_hash)
            if adopted:
                decision.note = "an identical file was already at its destination"
            else:
                decision.action = self._action(decision)
        return group

    def _base(self, decision: Decision) -> str | None:
        folders = self.folders
        if decision.status is Status.PLACED:
            folder = str(decision.year) if decision.year else folders.nodate
            return destination(folder, decision.rel, folders.layout)
        if decision.status is Status.CORRUPT:
            return os.path.join(folders.corrupted, decision.rel)
        if decision.status is Status.DUPLICATE and self.mode is Mode.MOVE:
            return os.path.join(folders.duplicates, decision.rel)
        return None

    def _action(self, decision: Decision) -> str:
        if self.mode is Mode.COPY:
            return "staged" if decision.staged else "copy"
        if decision.staged:
            return "move-staged"
        return "move-rename" if self._same_device else "move-copy"

    def _free_name(self, base: str, content: str | None) -> tuple[str, bool]:
        """The first free name from ``base`` on; True when an identical file already holds it."""
        for n in itertools.count():
            candidate = with_suffix(base, n)
            if candidate in self.claimed or self.journal.dest_taken(candidate):
                continue
            full = os.path.join(self.dest, candidate)
            if os.path.lexists(full):
                if content and os.path.isfile(full) and fsops.hash_file(full) == content:
                    return candidate, True
                continue
            self.claimed.add(candidate)
            return candidate, False
        raise AssertionError("unreachable")
