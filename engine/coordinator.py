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
from engine.records import Analysis, Candidate, CompanionResult, Decision, Status
from engine.settings import Mode
from engine.sidecars import companion_name


@dataclass(frozen=True, slots=True)
class Folders:
    layout: Layout
    corrupted: str
    nodate: str
    duplicates: str


def name_key(rel: str, layout: Layout) -> str:
    """Files whose destinations could collide share this key: the same stem below the year
    folder (a family's members differ only after the stem)."""
    return os.path.splitext(layout_part(rel, layout))[0].casefold()


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
        self.companions: dict[str, list[CompanionResult]] = {}
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
        group = self.size_wait.pop(size)
        self.companions.update((a.rel, a.companions) for a in group if a.companions)
        for verdict in self._deduplicate(group):
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
        named: list[Decision] = []
        for decision in sorted(group, key=lambda d: path_key(d.rel)):
            family = self._family(decision)
            base = self._base(decision)
            if decision.dest is not None:  # already placed by an earlier run
                self._place(decision, family, decision.dest, main_fixed=True)
            elif base is not None:
                for n in itertools.count():
                    if self._place(decision, family, with_suffix(base, n)):
                        break
            named.append(decision)
            named.extend(family)
        return named

    def _family(self, main: Decision) -> list[Decision]:
        """Decisions for the files that travel with ``main``: they share its fate."""
        family = []
        for item in self.companions.pop(main.rel, []):
            member = Decision(
                rel=item.rel,
                status=main.status,
                size=item.size,
                mtime_ns=item.mtime_ns,
                year=main.year,
                date=main.date,
                date_source=main.date_source,
                hash=item.hash,
                out_hash=item.hash,
                bytes_out=item.size,
                companion_of=main.rel,
                duplicate_of=main.duplicate_of,
                ino=item.ino,
                ctime_ns=item.ctime_ns,
            )
            if item.error:
                member.status, member.reason = Status.ERROR, item.error
            elif main.status is not Status.PLACED:
                member.reason = f"travels with {main.rel}: {main.reason}"
            family.append(member)
        return family

    def _place(
        self, main: Decision, family: list[Decision], target: str, main_fixed: bool = False
    ) -> bool:
        """Give ``main`` the name ``target`` and its family the matching names, if all are
        free (or already hold identical bytes); False when any is taken."""
        folder, name = os.path.split(target)
        members = [m for m in family if m.status is not Status.ERROR]
        wanted = [] if main_fixed else [(main, target)]
        for member in members:
            own = companion_name(name, os.path.basename(main.rel), os.path.basename(member.rel))
            wanted.append((member, os.path.join(folder, own)))
        slots = [self._slot(path, decision.out_hash) for decision, path in wanted]
        if "taken" in slots and not main_fixed:
            return False
        for (decision, path), slot in zip(wanted, slots, strict=True):
            if slot == "taken":
                decision.status, decision.reason = Status.ERROR, f"its name {path} is taken"
                continue
            decision.dest = path
            if slot == "identical":
                decision.note = "an identical file was already at its destination"
            else:
                decision.action = self._action(decision)
                self.claimed.add(path)
        return True

    def _slot(self, path: str, content: str | None) -> str:
        """``free``, ``identical`` (already holds these bytes) or ``taken``."""
        if path in self.claimed or self.journal.dest_taken(path):
            return "taken"
        full = os.path.join(self.dest, path)
        if not os.path.lexists(full):
            return "free"
        if content and os.path.isfile(full) and fsops.hash_file(full) == content:
            return "identical"
        return "taken"

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
