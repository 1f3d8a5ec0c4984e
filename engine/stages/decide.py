"""The single decision-maker: duplicates and destination names, settled deterministically.

A worker's result waits here until every file that could share its content (same size) has
arrived, so the kept copy does not depend on which worker finished first; a verdict then waits
until every file that could want the same name (same name below the year folder) is settled, so
suffixes are handed out in source-path order.

A duplicate photo's companions are judged on their own bytes: one identical to a file already
kept is a duplicate with its photo; any other travels with the kept copy (see ``Adoptee``).
A file standing alone (a RAW or a video with no photo, with or without sidecars of its own)
that repeats a sound photo's RAW or video is a duplicate of it: a family is kept whole. Such a
file also waits for every RAW or video of its size to arrive, so this too is settled whatever
the order of results, and is handed out after the RAW or video's own decision: a duplicate only
of bytes placed. Its sidecars are judged as a duplicate photo's companions are, once every RAW
or video with its bytes is decided (``CopyGroup``): a duplicate of a file those families placed,
else placed with the kept RAW or video.

DEST and the files placed before are seen only through a ``DestView``
(engine/store/dest_view.py): the decisions are pure, given the view's answers. The names
handed out are claimed there; nothing calls back in here once decisions are handed out.
"""

from __future__ import annotations

import array
import dataclasses
import datetime as dt
import functools
import itertools
import operator
import os
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import xxhash

from engine.formats.kinds import (
    MOTION_VIDEO_EXTENSIONS,
    RAW_EXTENSIONS,
    SIDECAR_EXTENSIONS,
    VIDEO_EXTENSIONS,
    extension,
)
from engine.policy.actions import Action, choose
from engine.policy.companions import companion_name, family_growth, family_names
from engine.policy.identical import identical_groups, keeper_order
from engine.policy.keeper import Rank, hidden_or_trash, why_ranked
from engine.policy.naming import (
    NAME_MAX,
    PATH_MAX,
    UTF8_MAX,
    DestNames,
    Layout,
    LayoutSpec,
    dated_destination,
    layout_part,
    path_key,
    visible,
    with_suffix,
)
from engine.records import (
    Analysis,
    Candidate,
    Companion,
    CompanionResult,
    Decision,
    Status,
    noted,
)
from engine.stages.tidy import tidied
from engine.store import fsops
from engine.store.dest_view import DestView, Slot
from engine.store.dest_view import name_key as dest_name_key
from engine.store.journal import LeftCopy, Placed, PlacedPhoto
from engine.store.keyset import KeySet


@dataclass(frozen=True, slots=True)
class Folders:
    layout: LayoutSpec
    corrupted: str
    nodate: str
    duplicates: str
    tidy: Mapping[str, str] = field(default_factory=dict)  # engine.stages.tidy.folder_map
    rename: str | None = None  # a file name template (--rename)
    names: DestNames | None = None  # what DEST's filesystem refuses in a name; None: nothing
    # The part of ``below_year`` above the file name, by source folder (the last few thousand)
    _above: dict[str, str] = field(default_factory=dict, init=False, compare=False, repr=False)

    def below_year(self, rel: str) -> str:
        """The part of a placed file's destination below the year (or no-date) folder."""
        folder, sep, name = rel.rpartition(os.sep)
        above = self._above.get(folder)
        if above is None:
            if len(self._above) >= _FOLDERS_HELD:
                self._above.clear()
            # The files of one folder differ only by their own name, which the tidying and the
            # layout keep as it is once it is not hidden (a name "_" never is).
            above = layout_part(tidied(f"{folder}{sep}_", self.tidy), self.layout)[:-1]
            self._above[folder] = above
        return above + visible(name)


_FOLDERS_HELD = 4096


@dataclass(frozen=True, slots=True)
class Adoptee:
    """A companion of a duplicate photo whose own bytes are unique: it is placed with the kept
    copy (``keeper``), beside it when its name there is free, else on its own."""

    item: CompanionResult
    photo: str  # the duplicate photo it came with
    keeper: str  # the kept photo, as the report names it
    keeper_dest: str | None  # where an earlier run placed the kept photo; None: kept in this run


# A file waiting for its name: its family, its base name, the bytes its companions add, and
# why that name is not its own (None: it is).
_Waiting = tuple[Decision, list[Decision], str, int, str | None]


def name_key(rel: str, folders: Folders) -> int:
    """Files whose destinations could collide share this key: the same stem below the year
    folder (a family's members differ only after the stem), as a 64-bit digest, so a run of a
    million files holds a million numbers, not strings. Names from a rename template without
    ``{name}`` could collide whatever their source names: they all share one key."""
    stem = _name_stem(rel, folders)
    return 0 if stem is None else _stem_key(stem)


def _name_stem(rel: str, folders: Folders) -> str | None:
    if folders.rename and "{name" not in folders.rename:
        return None
    below = folders.below_year(rel)
    if folders.names is not None:  # names that DEST makes one are one name
        below = folders.names.adapted(below)
    stem, ext = _split_extension(below)
    if ext.lower() in MOTION_VIDEO_EXTENSIONS:  # x.MP: named like the video of x.MP.jpg
        stem = below
    if stem.isascii():  # no other Unicode form to fold
        return stem.lower()
    return unicodedata.normalize("NFC", stem).casefold()


def _split_extension(path: str) -> tuple[str, str]:
    """``os.path.splitext``, without its cost for each of a million paths."""
    dot = path.rfind(".")
    start = path.rfind(os.sep) + 1
    if dot > start and path[start:dot].lstrip("."):
        return path[:dot], path[dot:]
    return path, ""


def _stem_key(stem: str) -> int:
    return xxhash.xxh3_64_intdigest(stem.encode("utf-8", "surrogateescape"))


def _unsuffixed(stem: str) -> str | None:
    """The stem ``stem`` would be given a suffix of, as ``naming.with_suffix`` makes them
    (``img_1`` of ``img_1_2``; no 0 first), or None."""
    base, _, number = stem.rpartition("_")
    if base and "\n" not in base and number[:1] in _NONZERO and number.isdecimal():
        return base
    return None


_NONZERO = frozenset("123456789")


def name_groups(rels: Iterable[str], folders: Folders) -> tuple[dict[int, int], dict[int, int]]:
    """How many files share each name key used more than once (``shared_keys``); and the keys
    that join another's group: a name a suffix given to another could equal (``IMG_1_1`` when
    there is an ``IMG_1``, whose second file would be named ``IMG_1_1``). Settled together, such
    names are handed out in source-path order like any others."""
    keys = array.array("Q")
    suffixed, prefixes = array.array("Q"), array.array("Q")
    for rel in rels:
        stem = _name_stem(rel, folders)
        if stem is None:
            keys.append(0)
            continue
        key = _stem_key(stem)
        keys.append(key)
        base = _unsuffixed(stem)
        if base is not None:
            suffixed.append(key)
            prefixes.append(_stem_key(base))
    present = _present(prefixes, keys)
    parent = {
        key: prefix for key, prefix in zip(suffixed, prefixes, strict=True) if prefix in present
    }
    del present, suffixed, prefixes
    aliases = {}
    for key in parent:
        root = key
        while root in parent:  # each step a shorter stem: no loop, bar a 64-bit collision
            root = parent[root]
            if root == key:
                break
        aliases[key] = root
    return shared_keys((aliases.get(k, k) for k in keys) if aliases else keys), aliases


def _present(wanted: array.array[int], keys: array.array[int]) -> set[int] | KeySet:
    """Those of ``wanted`` that are among ``keys``; a camera's names share a few prefixes
    (``dsc`` of ``dsc_1234``), looked for in one pass, but where they are many, all ``keys``
    are held as a ``KeySet`` (8 bytes each, half full) instead."""
    distinct: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        distinct.update(wanted[start : start + _CHUNK])
        if len(distinct) > len(keys) // 8:
            return KeySet(keys)
    return distinct.intersection(keys)


_CHUNK = 1 << 14


def shared_keys(keys: Iterable[int]) -> dict[int, int]:
    """How many of ``keys`` there are of each value that occurs more than once (a million
    files, most of them with a name of their own, make a few entries, not a million)."""
    ordered = sorted(keys)
    shared: dict[int, int] = {}
    for key in itertools.compress(
        ordered, map(operator.eq, ordered, itertools.islice(ordered, 1, None))
    ):
        shared[key] = shared.get(key, 1) + 1
    return shared


class Coordinator:
    def __init__(
        self,
        source: str,
        dest: str,
        view: DestView,
        candidates: list[Candidate],
        folders: Folders,
        move: bool,
        link: Action | None = None,
        followers: Mapping[str, PlacedPhoto] | None = None,
        restore_missing: bool = False,
        moved: Mapping[str, str] | None = None,
    ) -> None:
        self.source, self.dest, self.view = source, dest, view
        # A file this SOURCE had placed whose copy is gone from DEST is placed there again
        self.restore_missing = restore_missing
        self.left_out = 0  # without it: files decided again whose copy is gone, left out
        self.moved_back = 0  # a move run's files a copy run placed, their copy gone: placed again
        # with it: the copies an earlier run placed that the user moved within DEST since (their
        # name -> where they are now), which stand for their files
        self.moved = dict(moved or {})
        # Sidecars that appeared beside a photo an earlier run placed (and took out of SOURCE):
        # each follows that photo, decided alone as it arrives.
        self.followers = dict(followers or {})
        if self.followers:
            candidates = [c for c in candidates if c.rel not in self.followers]
        self.folders, self.move = folders, move  # move: sources leave SOURCE
        self.link = link  # a link mode: every placed file is this kind of link to its source
        self.size_left = Counter(c.size for c in candidates)
        self.size_wait: dict[int, list[Analysis]] = defaultdict(list)
        self.name_left, self.name_alias = name_groups((c.rel for c in candidates), folders)
        self.loose = LooseCopies(candidates)
        self._suffix_from: dict[tuple[str, int], int] = {}  # see _first_suffix
        self.name_wait: dict[int, list[Decision]] = defaultdict(list)
        self.companions: dict[str, list[CompanionResult]] = {}
        self.alone: dict[str, list[Analysis]] = defaultdict(list)  # see _standing_alone
        self.alone_rels: set[str] = set()  # their paths
        self.twins: dict[str, str] = {}  # companion of a duplicate -> the kept file it repeats
        self.adopted: dict[str, list[Adoptee]] = defaultdict(list)  # by the photo placing them
        # A duplicate photo waits for the kept copy that adopts its companions, so that both
        # reach the placer together: moved away first, it would leave an orphan sidecar behind.
        self.adopter: dict[str, str] = {}  # duplicate photo -> the kept copy adopting
        self.held: dict[str, list[Decision]] = defaultdict(list)  # by that kept copy
        # A file standing alone called a duplicate of a RAW or video (see ``LooseCopies``) is
        # handed out once that file's own decision is: only then is it known to be placed.
        self.carried_by: dict[str, CarriedCopy] = {}  # file standing alone -> what it repeats
        self.carrier_outcomes: dict[str, Outcome] = {}  # by the RAW or video's path
        # Such files are handed out together, by their bytes, once every RAW or video with them
        # is decided (see ``CopyGroup``), their sidecars held apart meanwhile; and where the
        # files of the families of those RAW files and videos (``LooseCopies.kin``) hold their
        # bytes, as they are handed out.
        self.sided: dict[str, CopyGroup] = {}
        self.riders: dict[str, list[Decision]] = {}
        self.kin_held: dict[str, HeldAt] = {}

    @property
    def waiting(self) -> int:
        return (
            sum(map(len, self.size_wait.values()))
            + sum(map(len, self.name_wait.values()))
            + sum(map(len, self.adopted.values()))
            + sum(map(len, self.held.values()))
            + self.loose.waiting
            + sum(len(group.named) for group in self.sided.values())
            + sum(map(len, self.riders.values()))
        )

    def accept(self, analysis: Analysis) -> list[Decision]:
        """Take one worker result; return every decision it completes, destinations chosen."""
        photo = self.followers.pop(analysis.rel, None)
        if photo is not None:
            return [self._follow(analysis, photo)]
        ready: list[Decision] = []
        for members in self.loose.arrived(analysis):
            ready.extend(self._forward(self._settle_identical(members)))
        size = analysis.size
        self.size_wait[size].append(analysis)
        self.size_left[size] -= 1
        if self.size_left[size] > 0:
            return self._through_carriers(ready)
        del self.size_left[size]
        group = self.size_wait.pop(size)
        self.companions.update((a.rel, a.companions) for a in group if a.companions)
        ready.extend(self._forward(self._deduplicate(group)))
        return self._through_carriers(ready)

    def _through_carriers(self, named: list[Decision]) -> list[Decision]:
        """``named`` less the copies of a RAW or video whose own decision is still to come, plus
        those whose RAW or video is decided now, each confirmed against that decision."""
        ready: list[Decision] = []
        for decision in named:
            carried = self.carried_by.get(decision.rel)
            if carried is not None:
                copies = self.sided[decision.hash or ""]
                copies.named.append(decision)
                ready.extend(self._when_all_in(copies))
                continue
            ready.append(decision)
            if decision.rel in self.loose.carrying:
                outcome = Outcome(
                    decision.status, decision.dest, decision.duplicate_of, decision.reason
                )
                self.carrier_outcomes[decision.rel] = outcome
                group = self.sided.get(decision.hash or "")
                if group is not None:
                    ready.extend(self._when_all_in(group))
        return ready

    def _when_all_in(self, group: CopyGroup) -> list[Decision]:
        """``group``'s copies once each is named and every RAW or video with their bytes is
        decided (where the files of those families hold their bytes is then known: they are
        handed out with them); until then, none."""
        decided = self.carrier_outcomes
        if len(group.named) < group.size or not all(
            carrier.rel in decided for carrier in self.loose.seen[group.hash]
        ):
            return []
        del self.sided[group.hash]
        return self._confirmed_group(group)

    def _confirmed_group(self, group: CopyGroup) -> list[Decision]:
        """The copies of one RAW or video standing alone, with their sidecars, in source-path
        order, now that every RAW or video with their bytes is decided: each a duplicate of
        the one of those DEST holds (``_kept_carrier``), else the first in keeper order placed
        with its sidecars (``_confirmed``) and the others its duplicates; of their sidecars,
        one whose bytes the kept family holds is a duplicate too, any other goes with the kept
        RAW or video."""
        carried = self._kept_carrier(group)
        outcome = self.carrier_outcomes[carried.rel]
        beside = self._kept_at(outcome, group.hash)
        held = self._held_kin(group.hash, outcome.duplicate_of or carried.rel)
        ready: list[Decision] = []
        kept: Decision | None = None  # the copy placed where the RAW or video is not
        for copy in self._kept_first(group):
            riders = self.riders.pop(copy.rel, [])
            if kept is not None:  # a copy of the copy placed
                del self.carried_by[copy.rel]
                copy.duplicate_of = kept.rel
                copy.reason = f"identical to {kept.rel}, placed as {carried.rel} is not"
            else:
                if carried is not group.carried:  # it repeats the one DEST holds
                    copy.duplicate_of = carried.rel
                    copy.reason = f"identical to {carried.rel}, {carried.with_photo}"
                confirmed = self._confirmed(copy, carried, outcome)
                if confirmed[0] is not copy:  # placed, its sidecars with it
                    ready.extend(confirmed)
                    if confirmed[0].status is Status.PLACED:
                        kept, beside = confirmed[0], confirmed[0].dest
                        held += self._held_family(copy, confirmed[1:])
                    continue
            items = {item.rel: item for item in copy.found.companions}
            adopted, staying = [], []
            for rider in riders:
                item = items.get(rider.rel)
                if rider.status is not Status.DUPLICATE or item is None or item.hash is None:
                    staying.append(rider)  # unread: an error, with its photo
                    continue
                twin = self._held_twin(item, held, group.hash)
                if twin is not None:
                    rider.duplicate_of = twin
                    rider.reason = f"identical to {twin}, like its photo"
                    staying.append(rider)
                    continue
                keeper = copy.duplicate_of or carried.rel
                adoptee = Adoptee(item, copy.rel, keeper, beside)
                adopted.append(self._adopt(adoptee, copy, beside))
                held.append((item, HeldAt(item.rel, (os.path.join(self.source, item.rel),))))
            ready += [*adopted, copy, *staying]
        return ready

    def _kept_carrier(self, group: CopyGroup) -> CarriedCopy:
        """The RAW or video with ``group``'s bytes they are copies of: the one they were found
        to repeat, or where DEST does not hold that one (its name too long), the first after it
        in source-path order that DEST holds, its bytes compared."""
        carriers = sorted(self.loose.seen[group.hash], key=lambda c: path_key(c.rel))
        mine = os.path.join(self.source, group.ranked[0])
        for carrier in carriers[carriers.index(group.carried) :]:
            outcome = self.carrier_outcomes[carrier.rel]
            held = outcome.status is Status.PLACED or (
                outcome.status is Status.DUPLICATE and self._placed(outcome.duplicate_of)
            )
            if held and (
                carrier is group.carried or self._first_same(mine, self._carrier_paths(carrier))
            ):
                return carrier
        return group.carried

    def _placed(self, kept: str | None) -> bool:
        """Whether the RAW or video ``kept`` (a duplicate's, by this run or an earlier) is placed:
        a duplicate of one DEST did not take (its name too long) holds bytes DEST has not."""
        outcome = self.carrier_outcomes.get(kept or "")
        return kept is not None and (outcome is None or outcome.status is Status.PLACED)

    def _kept_first(self, group: CopyGroup) -> list[Decision]:
        """``group``'s copies in source-path order, but the first of them in keeper order
        first: the one placed if the RAW or video they repeat is not."""
        named = sorted(group.named, key=lambda d: path_key(d.rel))
        first = next((d for d in named if d.rel == group.ranked[0]), None)
        return named if first is None else [first, *(d for d in named if d is not first)]

    def _held_family(
        self, copy: Decision, family: list[Decision]
    ) -> list[tuple[CompanionResult, HeldAt]]:
        """The sidecars of ``copy``, placed with it (``family``), with where their bytes are."""
        items = {item.rel: item for item in copy.found.companions}
        held = []
        for decision in family:
            item = items.get(decision.rel)
            at = None if item is None else _held_at(decision, self.source, self.dest)
            if item is not None and at is not None:
                held.append((item, at))
        return held

    def _kept_at(self, outcome: Outcome, content_hash: str) -> str | None:
        """Where in DEST the RAW or video that copies repeat is kept: the one they were found
        to repeat (``outcome``), or the one it is a duplicate of; None where not known."""
        if outcome.status is Status.PLACED:
            return outcome.dest
        kept = self.carrier_outcomes.get(outcome.duplicate_of or "")
        if kept is not None and kept.status is Status.PLACED:
            return kept.dest
        earlier, held = self._kept_copy(content_hash)
        return earlier.dest if earlier is not None and held else None

    def _held_kin(self, content_hash: str, kept: str) -> list[tuple[CompanionResult, HeldAt]]:
        """The files of the families of the RAW files and videos with these bytes, each with
        where its bytes are held (those placed, or duplicates of a file placed): the family of
        the one ``kept`` first, then the others in source-path order."""
        carriers = sorted(
            self.loose.seen[content_hash], key=lambda c: (c.rel != kept, path_key(c.rel))
        )
        held = []
        for carrier in carriers:
            for item in carrier.kin:
                at = self.kin_held.get(item.rel)
                # a duplicate of a file of these families DEST did not take holds nothing
                if at is not None and (at.name in self.kin_held or at.name not in self.loose.kin):
                    held.append((item, at))
        return held

    def _held_twin(
        self, item: CompanionResult, held: list[tuple[CompanionResult, HeldAt]], carried: str
    ) -> str | None:
        """The placed file a copy's sidecar ``item`` repeats byte for byte: one of ``held``,
        else (``_twin``) one an earlier run placed travelling with the RAW or video with the
        bytes ``carried`` it kept; None if none."""
        mine = os.path.join(self.source, item.rel)
        for other, at in held:  # its paths: where it was read, then where it went
            if other.hash == item.hash and self._first_same(mine, at.paths):
                return at.name
        kept, _ = self._kept_copy(carried, earlier_runs_only=True)
        return self._twin(item, [], kept)

    def _confirmed(self, copy: Decision, carried: CarriedCopy, outcome: Outcome) -> list[Decision]:
        """``copy``, a duplicate of the RAW or video ``carried``, now that its decision
        (``outcome``) is made: still a duplicate where those bytes are placed, else placed."""
        del self.carried_by[copy.rel]
        if outcome.status is Status.PLACED:
            return [copy]
        if outcome.status is Status.DUPLICATE and self._placed(outcome.duplicate_of):
            copy.duplicate_of = outcome.duplicate_of
            copy.reason = (
                f"identical to {outcome.duplicate_of}, as is {carried.rel}, {carried.with_photo}"
            )
            return [copy]
        alone = Decision.from_analysis(copy.found, Status.PLACED)
        alone.reason = None
        alone.note = f"identical to {carried.rel}, which is not placed ({outcome.reason})"
        if copy.found.companions:  # named with it as a duplicate's: named again with it
            self.companions[copy.rel] = copy.found.companions
        return self._name([alone])

    def _forward(self, verdicts: list[Decision]) -> list[Decision]:
        """Name the verdicts no other file can want the name of any more; keep the rest."""
        ready: list[Decision] = []
        for verdict in verdicts:
            key = name_key(verdict.rel, self.folders)
            key = self.name_alias.get(key, key)
            left = self.name_left.get(key, 1) - 1
            if left:
                self.name_left[key] = left
                self.name_wait[key].append(verdict)
                continue
            self.name_left.pop(key, None)
            ready.extend(self._name([*self.name_wait.pop(key, []), verdict]))
        return ready

    # duplicates -------------------------------------------------------------
    def _deduplicate(self, group: list[Analysis]) -> list[Decision]:
        verdicts = [self._unsound(a) for a in group if a.status != Status.PLACED]
        ranks: dict[str, Rank] = {}  # the keeper order's, kept for the reasons
        for members in identical_groups(group, ranks):
            if not self.loose.wait(members):
                verdicts.extend(self._settle_identical(members, ranks=ranks))
        return verdicts

    def _settle_identical(
        self,
        members: list[Analysis],
        lost: Placed | None = None,
        ranks: Mapping[str, Rank] | None = None,
    ) -> list[Decision]:
        """``lost``: the file an earlier run placed with these bytes, which are nowhere now;
        ``ranks``: the members' places in the keeper order, where they were worked out."""
        assert members[0].hash is not None
        earlier = None
        again_after = lost  # decided again: the earlier copy compared was not these bytes
        if lost is None:
            earlier, held = self._kept_copy(members[0].hash)
            if earlier is not None and not held:
                earlier, lost = None, earlier
        if earlier is None and self.link is Action.SYMLINK:
            earlier = self._own_link(members)
            if earlier is None and again_after is None:
                earlier = self._link_to_these_bytes(members[0].rel, members[0].hash)
            lost = None if earlier is not None else lost
        verdicts: list[Decision] = []
        rest = members
        keeper: Analysis | None = None
        carried = self._carried(members) if earlier is None else None
        if carried is not None:
            return self._carried_copies(members, carried)
        if earlier is None:
            keeper = members[0]
            verdicts.append(Decision.from_analysis(keeper, Status.PLACED))
            if lost is not None:
                verdicts[0].note = _placed_again(_placed_name(lost, self.source))
            rest = members[1:]
            keeper_paths = [os.path.join(self.source, keeper.rel)] if rest else []
            keeper_name = keeper.rel
        else:
            keeper_paths = earlier.readable_at(self.dest)
            keeper_name = _placed_name(earlier, self.source)
        for member in rest:
            if (
                earlier is not None
                and earlier.source_root == self.source
                and earlier.rel == member.rel
            ):
                again = self._released_or_new(member) if self.move else None
                if again is None:
                    again = Decision.from_analysis(member, Status.PLACED)
                    again.dest = earlier.dest
                    if self._in_dest(earlier):
                        again.note = noted(
                            "already placed by an earlier run", self._moved(earlier.dest)
                        )
                    elif not (self.restore_missing or self.move):  # culled from DEST, maybe
                        again.note = _left_out(earlier.dest)
                        self.left_out += 1
                    else:  # nor is any other copy of it (_kept_copy): placed there again
                        again.action = self._action(again)
                        again.note = noted(again.note, _gone(earlier.dest))
                    self._as_linked(again)
                verdicts.append(again)
                continue
            if _worker_proved(member, keeper, earlier):
                verdict = _duplicate(member, keeper_name)
            else:
                # an earlier run's source name may hold another file since, its copy in DEST
                # may have been edited: other bytes at either prove nothing
                reused = keeper_paths if earlier is not None else None
                rewritten = (
                    (os.path.join(self.dest, earlier.dest), earlier.out_hash)
                    if earlier is not None and earlier.transformed
                    else None
                )
                verdict = self._compare(member, keeper_paths, keeper_name, reused, rewritten)
                if earlier is not None and verdict.note == _placed_again(keeper_name):
                    # its bytes are nowhere else: one of the group is placed, the rest repeat it
                    return self._settle_identical(members, lost=earlier, ranks=ranks)
            if keeper is not None and verdict.status is Status.DUPLICATE:
                rule = why_ranked(_rank(keeper, ranks), _rank(member, ranks))
                verdict.reason = f"{verdict.reason}; that copy is kept because {rule}"
            verdicts.append(verdict)
        self._sort_companions(verdicts, keeper, keeper_name, earlier)
        return verdicts

    def _unsound(self, found: Analysis) -> Decision:
        """A file not placed as a sound photo; a move run releases a damaged one a copy run
        set aside."""
        if self.move and found.status is Status.CORRUPT:
            released = self._released_or_new(found)
            if released is not None:
                return released
        decision = Decision.from_analysis(found, found.status)
        if found.status is Status.CORRUPT:
            self._set_aside_before(decision)
        return decision

    def _set_aside_before(self, decision: Decision) -> None:
        """A damaged file an earlier run set aside from these very bytes at a name DEST holds
        still (its copy, its hard link, in a symlink run its link): it stays there, its new
        sidecar beside it, as a sound photo decided again keeps its copy."""
        earlier = None if self.move else self.view.own_set_aside(decision.rel)
        if earlier is None:
            return
        name, digest, linked = earlier
        if digest != decision.hash:
            return
        if linked:
            here = self.link is Action.SYMLINK and self.view.exists(os.path.join(self.dest, name))
        else:  # a link view's file is no copy of its bytes
            here = self._holds_its_bytes(decision, name)
        if here:
            decision.dest = name
            decision.note = noted(decision.note, "already set aside by an earlier run")
            if linked:
                decision.action = Action.LINKED

    # releases -----------------------------------------------------------------
    def _released_or_new(self, found: Analysis) -> Decision | None:
        """A move run's verdict on a file an earlier run placed from these very bytes and left
        in SOURCE (a copy run): its source is released when DEST's copy is there as placed (its
        bytes are checked before the source goes, engine/stages/release.py); it is placed again
        at that name when the copy is gone, and anew when it was changed in DEST. None: no
        such copy."""
        left = None if found.hash is None else self.view.left_copy(found.rel, found.hash)
        if left is None:
            return None
        decision = Decision.from_analysis(found, found.status)
        placed = f"{left.dest}, which run {left.run_id} placed"
        present = self.view.present(left.dest, left.bytes_out)
        now = self._refiled(left, present)
        if now is not None:
            release(decision, now)
        elif present is None:
            decision.dest = left.dest
            decision.action = self._action(decision)
            decision.note = f"its copy {placed}, is gone from DEST: placed there again"
            self.moved_back += 1
        else:
            decision.note = f"its copy {placed}, was changed in DEST since: placed anew"
        return decision

    def _follow(self, found: Analysis, photo: PlacedPhoto) -> Decision:
        """A sidecar that appeared beside a photo an earlier run placed: beside that photo in
        DEST under the photo's name (a suffix if that name is taken), or released like any
        file a copy run placed."""
        decision = Decision(
            found.rel,
            Status.PLACED,
            size=found.size,
            mtime_ns=found.mtime_ns,
            year=photo.year,
            date=photo.date,
            date_source=photo.date_source,
            hash=found.hash,
            out_hash=found.hash,
            bytes_out=found.size,
            companion_of=photo.rel,
            ino=found.ino,
            ctime_ns=found.ctime_ns,
            copied=found.copied,
        )
        if found.status in (Status.ERROR, Status.SKIPPED) or found.hash is None:
            decision.status, decision.reason = Status.ERROR, found.reason or "could not be read"
            return decision
        left = self.view.left_copy(found.rel, found.hash) if self.move else None
        if left is not None and self.view.present(left.dest, left.bytes_out):
            release(decision, left)
            return decision
        at = self.moved.get(photo.dest, photo.dest)  # where the user moved it within DEST
        refiled = f", where it is no more: it is at {at} now" if at != photo.dest else ""
        decision.note = (
            f"its photo {photo.rel} was placed at {photo.dest} by run {photo.run_id}{refiled}; "
            "this file appeared beside it since and follows it"
        )
        folder, name = os.path.split(at)
        own = companion_name(name, os.path.basename(photo.rel), os.path.basename(found.rel))
        own, renamed = self._for_dest(own)
        decision.note = noted(decision.note, renamed)
        base = os.path.join(folder, own)
        for n in itertools.count():
            target = with_suffix(base, n)
            too_long = self._too_long(target)
            if too_long:
                decision.status, decision.reason = Status.ERROR, too_long
                return decision
            slot = self.view.slot(target, found.hash, found.size)
            if slot is Slot.TAKEN:
                continue
            self._settle_at(decision, target, slot)
            return decision
        raise AssertionError("unreachable")

    def _released_with(self, member: Decision) -> bool:
        """Whether a companion of a photo kept where an earlier run placed it is released: that
        run placed it from these bytes and left it in SOURCE, and its copy is there."""
        left = None if member.hash is None else self._left_in_dest(member.rel, member.hash)
        if left is None:
            return False
        release(member, left)
        return True

    def _placed_back(self, member: Decision) -> bool:
        """Whether a companion a copy run placed from these bytes and left in SOURCE, its copy
        gone from DEST since (not moved within it), is placed again at that name by this move
        run, as a photo is (``_released_or_new``)."""
        left = None if member.hash is None else self.view.left_copy(member.rel, member.hash)
        if left is None or left.dest in self.moved:
            return False
        if self.view.present(left.dest, left.bytes_out) is not None:
            return False
        member.dest = left.dest
        member.action = self._action(member)
        member.note = (
            f"its copy {left.dest}, which run {left.run_id} placed, is gone from DEST: "
            "placed there again"
        )
        self.moved_back += 1
        return True

    def _left_in_dest(self, rel: str, content_hash: str) -> LeftCopy | None:
        """The copy an earlier run placed of this very file (path and bytes) and left in
        SOURCE, still in DEST: what a move run releases the file against."""
        left = self.view.left_copy(rel, content_hash)
        return (
            None
            if left is None
            else self._refiled(left, self.view.present(left.dest, left.bytes_out))
        )

    def _refiled(self, left: LeftCopy, present: bool | None) -> LeftCopy | None:
        """``left`` where it is now: at its name (``present``), else where the user moved it
        within DEST (found under its name with its bytes); None when it is neither."""
        if present:
            return left
        now = self.moved.get(left.dest) if present is None else None
        return None if now is None else dataclasses.replace(left, dest=now)

    def _carried(self, members: list[Analysis]) -> CarriedCopy | None:
        """The RAW or video of a sound photo that ``members`` repeat byte for byte, if any."""
        if any(m.rel in self.alone_rels for m in members):
            return None  # placed alone like the RAW of a sound photo: not a copy of another
        rels = {m.rel for m in members}
        carriers = [c for c in self.loose.carriers(members) if c.rel not in rels]
        if not carriers:
            return None
        mine = os.path.join(self.source, members[0].rel)
        for carried in carriers:
            if self._first_same(mine, self._carrier_paths(carried)):
                return carried
        return None

    def _carrier_paths(self, carried: CarriedCopy) -> list[str]:
        """Where a RAW or video's bytes are: in SOURCE, then (moved since) where it was placed."""
        paths = [os.path.join(self.source, carried.rel)]
        outcome = self.carrier_outcomes.get(carried.rel)
        if outcome is not None and outcome.dest is not None:
            paths.append(os.path.join(self.dest, outcome.dest))
        return paths

    def _carried_copies(self, members: list[Analysis], carried: CarriedCopy) -> list[Decision]:
        """Files standing alone, each the same bytes as a sound photo's RAW or video."""
        paths = self._carrier_paths(carried)
        first = members[0]  # compared already (``_carried``)
        verdicts = [
            _duplicate(member, carried.rel)
            if member is first or _worker_proved(member, first, None)
            else self._compare(member, paths, carried.rel)
            for member in members
        ]
        copies = [verdict.rel for verdict in verdicts if verdict.status is Status.DUPLICATE]
        for verdict in verdicts:
            if verdict.status is Status.DUPLICATE:
                verdict.reason = f"{verdict.reason}, {carried.with_photo}"
                self.carried_by[verdict.rel] = carried
        if copies:
            assert first.hash is not None
            self.sided[first.hash] = CopyGroup(carried, first.hash, len(copies), copies)
        return verdicts

    def _sort_companions(
        self,
        verdicts: list[Decision],
        keeper: Analysis | None,
        keeper_name: str,
        earlier: Placed | None,
    ) -> None:
        """Split each duplicate photo's companions: those whose bytes the kept copy's family
        (or an earlier run) already holds stay duplicates with their photo; the others are
        adopted by the kept copy, in keeper order, so a second identical one is a duplicate."""
        kin: list[CompanionResult] = [
            item
            for item in (keeper.companions if keeper is not None else [])
            if item.hash is not None and item.error is None
        ]
        for verdict in verdicts:
            items = self.companions.get(verdict.rel)
            if verdict.status is not Status.DUPLICATE or not items:
                continue
            staying = []
            for item in items:
                if item.alone is not None:  # a video cut short: set aside, not adopted
                    staying.append(item)
                    continue
                twin = None if item.error or item.hash is None else self._twin(item, kin, earlier)
                if item.error or item.hash is None or twin is not None:
                    if twin is not None:
                        self.twins[item.rel] = twin
                    staying.append(item)
                    continue
                kin.append(item)
                owner = keeper.rel if keeper is not None else verdict.rel
                dest = None if keeper is not None or earlier is None else earlier.dest
                self.adopted[owner].append(Adoptee(item, verdict.rel, keeper_name, dest))
                if owner != verdict.rel:
                    self.adopter[verdict.rel] = owner
            if staying:
                self.companions[verdict.rel] = staying
            else:
                del self.companions[verdict.rel]

    def _twin(
        self, item: CompanionResult, kin: list[CompanionResult], kept: Placed | None
    ) -> str | None:
        """The placed file ``item`` repeats byte for byte, if any: one of ``kin`` (files in this
        run) or a file an earlier run placed; for a sidecar, one travelling with ``kept``, the
        photo an earlier run kept (the same edit of another photo, as a batch edit gives it, is
        no copy of it). Unproven means unique. What the worker that read ``item`` compared
        (``twin_of``, ``same_as_placed``) is not read again."""
        mine = os.path.join(self.source, item.rel)
        for other in kin:
            if other.hash != item.hash:
                continue
            proven = item.twin_of is not None and item.twin_of == other.twin_of
            if proven or self._same(mine, os.path.join(self.source, other.rel)):
                return other.rel
        assert item.hash is not None
        if self._own_place(item.rel, item.hash) is not None:
            return None  # adopted by an earlier run, whose copy stands for it (_adopt)
        if self.move and self._left_in_dest(item.rel, item.hash) is not None:
            return None  # adopted by a copy run: released against that copy (_adopt)
        sidecar = extension(item.rel) in SIDECAR_EXTENSIONS
        if sidecar:
            earlier = self._travelling_with(kept, item.hash)
        else:
            earlier, _held = self._kept_copy(item.hash, earlier_runs_only=True)
        itself = earlier is not None and (earlier.source_root, earlier.rel) == (
            self.source,
            item.rel,
        )
        if self.move and itself:
            return None  # this very file, its copy gone from DEST or changed: placed (_adopt)
        if earlier is None:
            linked = self._link_to_these_bytes(item.rel, item.hash)
            if linked is not None and sidecar and not self._linked_beside(linked, kept):
                linked = None
            return None if linked is None else _placed_name(linked, self.source)
        if item.same_as_placed is not None and item.same_as_placed == earlier.dest:
            return _placed_name(earlier, self.source)
        source, *_ = paths = earlier.readable_at(self.dest)
        for path in paths:
            same = self._same(mine, path)
            if same is None or (not same and path == source):  # gone, or its name reused
                continue
            return _placed_name(earlier, self.source) if same else None
        return None

    def _travelling_with(self, kept: Placed | None, content_hash: str) -> Placed | None:
        """A file with these bytes an earlier run placed travelling with ``kept``, if any."""
        return None if kept is None else self.view.placed_beside(content_hash, kept)

    def _linked_beside(self, linked: Placed, kept: Placed | None) -> bool:
        """Whether ``linked``, a file of SOURCE an earlier symlink run linked, travels with
        ``kept``."""
        if kept is None or kept.source_root != self.source:
            return False
        placed = self.view.companions_placed(kept.rel, os.path.dirname(kept.dest))
        return any(rel == linked.rel for rel, _ in placed)

    def _compare(
        self,
        member: Analysis,
        keeper_paths: list[str],
        keeper_name: str,
        reused: list[str] | None = None,
        rewritten: tuple[str, str | None] | None = None,
    ) -> Decision:
        """``member`` against the first of ``keeper_paths`` that still exists; other bytes at
        ``reused`` (an earlier run's source path, since taken by another file, or its copy in
        DEST, edited since) prove nothing.
        With none left, a ``rewritten`` copy in DEST (re-encoded or turned: its path and the
        bytes the run wrote there) stands for them while it holds what the run wrote (one the
        user edited since is theirs, as an edited copy that was never rewritten is); without
        one, ``member`` holds the only copy of its bytes and is placed."""
        mine = os.path.join(self.source, member.rel)
        for path in keeper_paths:
            try:
                same = self.view.same_bytes(mine, path)
            except OSError as exc:
                failed = Decision.from_analysis(member, Status.ERROR)
                failed.reason = f"cannot compare with its identical twin: {exc.strerror}"
                return failed
            if same is None or (not same and reused is not None and path in reused):
                continue
            if not same:
                distinct = Decision.from_analysis(member, Status.PLACED)
                distinct.note = f"same hash as {keeper_name} but different bytes"
                return distinct
            break
        else:
            if keeper_paths and rewritten is not None and self._as_written(*rewritten):
                twin = Decision.from_analysis(member, Status.DUPLICATE)
                twin.duplicate_of = keeper_name
                copy = os.path.relpath(rewritten[0], self.dest)
                twin.reason = (
                    f"identical to {keeper_name} (128-bit hash; its original is no longer there, "
                    f"its re-encoded or turned copy {copy} is)"
                )
                return twin
            if keeper_paths:  # its bytes are nowhere else any more: this copy is kept
                again = Decision.from_analysis(member, Status.PLACED)
                again.note = _placed_again(keeper_name)
                return again
        return _duplicate(member, keeper_name)

    def _as_written(self, path: str, written: str | None) -> bool:
        """Whether DEST's file at ``path`` holds the bytes a run wrote there (``written``;
        None, from a journal that did not say: whatever it holds)."""
        if written is None:
            return self.view.exists(path)
        return fsops.holds(path, written)

    def earlier_copy(self, content_hash: str) -> str | None:
        """How a duplicate's report names the file an earlier run placed with these bytes, which
        answers for this run's copies of them; None where no earlier run's copy holds them."""
        earlier, held = self._kept_copy(content_hash)
        return _placed_name(earlier, self.source) if earlier is not None and held else None

    def _kept_copy(
        self, content_hash: str, earlier_runs_only: bool = False
    ) -> tuple[Placed | None, bool]:
        """The file an earlier run placed with these bytes that answers for them, and whether
        it still holds them somewhere: the first whose copy DEST still holds, else the first
        whose source is still there (a name on a card may have been reused since: bytes that
        differ there are settled when compared), else the first, held nowhere."""
        find = functools.partial(self.view.placed_with_hash, content_hash, earlier_runs_only)
        in_dest = find(self._in_dest)
        if in_dest is None or self._in_dest(in_dest):
            return in_dest, in_dest is not None
        there = find(self._source_there)
        return there, there is not None and self._source_there(there)

    def _own_link(self, members: list[Analysis]) -> Placed | None:
        """In a symlink run, the link an earlier run made to one of ``members``' very file (its
        path, its bytes): it answers for them as a copy does in the other modes, so a photo
        decided again (a sidecar appeared beside it, its file touched) keeps its one link."""
        if self.link is not Action.SYMLINK:
            return None
        for member in members:
            link = self.view.own_link(member.rel)
            if link is not None and link[1] == member.hash:
                return Placed(
                    source_root=self.source,
                    rel=member.rel,
                    dest=link[0],
                    date_source=member.date_source,
                    transformed=False,  # a link shows the source's own bytes
                    state="done",
                )
        return None

    def _link_to_these_bytes(self, rel: str, content_hash: str) -> Placed | None:
        """In a symlink run, the link an earlier run made to another file of this SOURCE with
        the bytes of ``rel``, still in DEST, its target holding them still: it answers for
        them as a hard link does in a hardlink run (``rel`` and its identical copies are its
        duplicates, their new sidecars go beside it), as that run's copies of them were."""
        if self.link is not Action.SYMLINK:
            return None
        mine = os.path.join(self.source, rel)
        for placed in self.view.links_with_hash(content_hash):
            target = os.path.join(self.source, placed.rel)
            if placed.rel == rel:
                continue  # its own link: no copy of it (_own_link, _adopt)
            if self._in_dest(placed) and self._same(mine, target):
                return placed
        return None

    def _as_linked(self, decision: Decision) -> None:
        """``decision``, found as an earlier run left it, stays at ``dest``: where that was a
        symbolic link to its very file, journaled as that link (LINKED), never as bytes DEST
        holds (a later copy run copies the file, a move run leaves it in SOURCE)."""
        if self._linked_at(decision, decision.dest) and not decision.action.touches_dest:
            decision.action = Action.LINKED

    def _linked_at(self, decision: Decision, path: str | None) -> bool:
        """Whether ``path`` is the name where an earlier symlink run linked ``decision``'s very
        source file (whatever its bytes now: the link shows them)."""
        if self.link is not Action.SYMLINK or path is None:
            return False
        link = self.view.own_link(decision.rel)
        return link is not None and link[0] == path

    def _still_linked(self, decision: Decision, path: str) -> bool:
        """Whether ``path`` is where an earlier symlink run linked ``decision``'s very source
        file, the link still in DEST: it shows that file whatever its bytes now."""
        return self._linked_at(decision, path) and self.view.exists(os.path.join(self.dest, path))

    def _own_place(self, rel: str, content_hash: str) -> str | None:
        """The name below DEST where an earlier run placed this very file (path and bytes),
        still there, where it answers for the file in this run: not in a move run (which
        releases what a copy run placed), nor a symbolic link outside a symlink run."""
        if self.move:
            return None
        own = self.view.own_copy(rel, content_hash)
        if own is None or not self.view.exists(os.path.join(self.dest, own)):
            return None
        if self.link is not Action.SYMLINK and self.view.own_link(rel) is not None:
            return None
        return own

    def _in_dest(self, earlier: Placed) -> bool:
        return earlier.dest in self.moved or self.view.exists(os.path.join(self.dest, earlier.dest))

    def _moved(self, name: str) -> str | None:
        now = self.moved.get(name)
        return None if now is None else f"its copy {name} is at {now} in DEST now (moved there)"

    def _source_there(self, earlier: Placed) -> bool:
        return self.view.exists(os.path.join(earlier.source_root, earlier.rel))

    # names ------------------------------------------------------------------
    def _name(self, group: list[Decision]) -> list[Decision]:
        """Names for a group of files that could want the same ones, in source-path order:
        first each file's own name, then the names DEST's filesystem made of theirs (so that
        ``12_30.jpg`` keeps its name rather than lose it to ``12:30.jpg`` on an exFAT disk),
        then those of files in a hidden path or a trash (so that ``IMG_1.jpg`` keeps its name
        rather than lose it to Android's ``.trashed-1700000000-IMG_1.jpg``), then suffixes for
        those whose name was taken (so that ``z/IMG_1_1.jpg`` keeps its name rather than lose it
        to ``y/IMG_1.jpg``'s suffix)."""
        named: list[Decision] = []
        adapted: list[_Waiting] = []
        hidden: list[_Waiting] = []
        suffixed: list[_Waiting] = []
        contested = len(group) > 1
        if contested:
            group = sorted(group, key=lambda d: path_key(d.rel))
        for decision in group:  # grows by the files of a family that stand alone
            family = self._family(decision)
            group.extend(self._standing_alone(decision))
            base = self._base(decision)
            if decision.dest is not None:  # already placed by an earlier run
                self._place(decision, family, decision.dest, main_fixed=True)
            elif base is not None:
                base, renamed = self._for_dest(base)
                reserve = (
                    family_growth(_name_of(decision), [_name_of(m) for m in family])
                    if family
                    else 0
                )
                if contested and hidden_or_trash(decision.rel):
                    hidden.append((decision, family, base, reserve, renamed))
                    continue
                if renamed is not None:
                    adapted.append((decision, family, base, reserve, renamed))
                    continue
                if not self._place(decision, family, with_suffix(base, 0, reserve)):
                    suffixed.append((decision, family, base, reserve, renamed))
                    continue
            named += self._handed_out(decision, family)
        for decision, family, base, reserve, renamed in itertools.chain(adapted, hidden):
            if not self._place(decision, family, with_suffix(base, 0, reserve), renamed):
                suffixed.append((decision, family, base, reserve, renamed))
                continue
            named += self._handed_out(decision, family)
        for decision, family, base, reserve, renamed in suffixed:
            for n in itertools.count(self._first_suffix(base, reserve)):
                if self._place(decision, family, with_suffix(base, n, reserve), renamed):
                    break
            named += self._handed_out(decision, family)
        return named

    def _first_suffix(self, base: str, reserve: int) -> int:
        """The first suffix of ``base`` worth trying: those below are held for good (by the
        journal or this run), for any file. Kept per name, so the n-th copy of one name (a
        camera's IMG_0001.JPG from 5,000 cards, a flat layout) does not try the n-1 before it."""
        key = (base, reserve)
        n = self._suffix_from.get(key, 1)
        while self.view.held(with_suffix(base, n, reserve)):
            n += 1
        self._suffix_from[key] = n
        return n

    def _handed_out(self, decision: Decision, family: list[Decision]) -> list[Decision]:
        """A named file with its family, the companions it adopts and the duplicates that
        waited for it; none while the kept copy adopting its companions is still unnamed."""
        if family and decision.rel in self.carried_by:  # a RAW or video's copy: held with it
            self.riders[decision.rel] = family
            return [decision]
        adopter = self.adopter.pop(decision.rel, None)
        if adopter is not None and adopter in self.adopted:
            self.held[adopter] += [decision, *family]
            return []
        out = [decision, *family]
        for adoptee in self.adopted.pop(decision.rel, []):
            out.append(self._adopt(adoptee, decision, adoptee.keeper_dest or decision.dest))
        out.extend(self.held.pop(decision.rel, []))
        if self.loose.kin:
            self._note_kin(out)
        return out

    def _note_kin(self, decisions: list[Decision]) -> None:
        """Where the bytes of those of ``decisions`` in the family of a RAW or video that files
        standing alone with sidecars may repeat are held (``_held_kin``)."""
        for decision in decisions:
            if decision.rel in self.loose.kin:
                at = _held_at(decision, self.source, self.dest)
                if at is not None:
                    self.kin_held[decision.rel] = at

    def _adopt(self, adoptee: Adoptee, placer: Decision, kept_dest: str | None) -> Decision:
        """Place a unique companion of a duplicate photo: beside the kept copy (at
        ``kept_dest``) under its stem, or, where that name is taken (or not known), on its own
        like a photo of the kept copy's year. ``placer`` is the kept copy, or (when an earlier
        run kept it, or it is a RAW or video travelling with a photo) the duplicate."""
        item = adoptee.item
        decision = _rider(item, placer, Status.PLACED, adoptee.keeper)
        decision.note = (
            f"its photo {adoptee.photo} is a copy of {adoptee.keeper}; "
            "this file is not, so it goes with the kept copy"
        )
        own = None if item.hash is None else self._own_place(item.rel, item.hash)
        if own is not None:  # adopted by an earlier run: it stays there
            decision.dest = own
            decision.note = noted(decision.note, "already placed by an earlier run")
            self._as_linked(decision)
            return decision
        if self.move and (self._released_with(decision) or self._placed_back(decision)):
            return decision
        wanted = []
        if kept_dest is not None:
            folder, name = os.path.split(kept_dest)
            own = companion_name(name, os.path.basename(adoptee.photo), os.path.basename(item.rel))
            if len(os.fsencode(own)) <= NAME_MAX:
                wanted.append(self._for_dest(os.path.join(folder, own)))
        year = str(placer.year) if placer.year else self.folders.nodate
        base, renamed = self._for_dest(os.path.join(year, self.folders.below_year(item.rel)))
        own_names = ((with_suffix(base, n), renamed) for n in itertools.count())
        for target, note in itertools.chain(wanted, own_names):
            slot = self.view.slot(target, item.hash, item.size)
            if slot is Slot.TAKEN:
                continue
            decision.note = noted(decision.note, note)
            self._settle_at(decision, target, slot)
            break
        return decision

    def _settle_at(self, decision: Decision, target: str, slot: Slot) -> None:
        """Give ``decision`` the free (or identical) name ``target``."""
        decision.dest = target
        if slot is Slot.IDENTICAL:
            self._identical_at(decision)
        else:
            decision.action = self._action(decision)
            self.view.claim(target)

    def _identical_at(self, decision: Decision) -> None:
        """``decision``'s name in DEST already holds the bytes it would write: nothing is
        written; a move takes the source out of SOURCE (a release: once that file is checked
        to hold those bytes, engine/stages/release.py), as if this run had placed it there."""
        said = IDENTICAL_THERE
        if self.move:
            transformed = decision.out_hash is not None and decision.out_hash != decision.hash
            decision.action = Action.RELEASE_KEPT if transformed else Action.RELEASE
            decision.staged = None
            said += "; released by this run once that file was checked to hold them"
        decision.note = noted(decision.note, said)

    def _family(self, main: Decision) -> list[Decision]:
        """Decisions for the files that travel with ``main``: they share its fate. A
        RAW or video a worker analysed on its own waits for ``_standing_alone``."""
        family = []
        for item in self.companions.pop(main.rel, []):
            if item.alone is not None:
                self.alone[main.rel].append(item.alone)
                self.alone_rels.add(item.rel)
                continue
            member = _rider(item, main, main.status, main.rel)
            member.duplicate_of = self.twins.pop(item.rel, main.duplicate_of)
            if item.error:
                member.status, member.reason = Status.ERROR, item.error
            elif main.status is Status.DUPLICATE:
                member.reason = f"identical to {member.duplicate_of}, like its photo"
            elif main.status is not Status.PLACED:
                member.reason = f"travels with {main.rel}: {main.reason}"
            family.append(member)
        return family

    def _standing_alone(self, main: Decision) -> list[Decision]:
        """The RAW files and videos of ``main``'s family a worker analysed on their own, each
        now a file standing alone: a sound one beside a corrupt photo is placed, dated by its
        own metadata, with its own sidecars, and settled against what earlier runs placed
        (released by a move after a copy run, a duplicate of a copy placed from elsewhere); a
        video cut short beside a sound photo is set aside."""
        placed = []
        for found in self.alone.pop(main.rel, []):
            if found.companions:
                self.companions[found.rel] = found.companions
            if found.status is not Status.PLACED:  # a video cut short beside a sound photo
                placed.append(self._unsound(found))
            elif found.hash is None:
                placed.append(Decision.from_analysis(found, found.status))
            else:
                placed.extend(self._settle_identical([found]))
        return placed

    def _place(
        self,
        main: Decision,
        family: list[Decision],
        target: str,
        renamed: str | None = None,
        main_fixed: bool = False,
    ) -> bool:
        """Give ``main`` the name ``target`` and its family the matching names, if all are
        free (or already hold identical bytes); False when any is taken. ``renamed``: why
        ``target`` is not the name it would have on a filesystem taking every name."""
        if not family and not main_fixed:
            return self._place_alone(main, target, renamed)
        members = [m for m in family if m.status is not Status.ERROR]
        if main_fixed and self.move:  # released, or placed again where a copy run put it
            members = [m for m in members if not self._released_with(m)]
        wanted = [] if main_fixed else [(main, target, renamed)]
        wanted += self._family_paths(main, members, target, renamed, main_fixed)
        too_long = None if main_fixed else self._too_long(target)
        if too_long:  # so would every suffixed name be
            for decision, _, _ in wanted:
                decision.status, decision.reason = Status.ERROR, too_long
            return True
        slots = [self.view.slot(path, d.out_hash, d.bytes_out) for d, path, _ in wanted]
        owned = [
            self._own_copy_at(d, path) if slot is Slot.TAKEN else None
            for (d, path, _), slot in zip(wanted, slots, strict=True)
        ]
        # a name the journal holds for this very file, whose copy there is gone: its own again
        reclaimed = [own is False for own in owned]
        slots = [Slot.FREE if again else slot for slot, again in zip(slots, reclaimed, strict=True)]
        linked = [
            slot is Slot.TAKEN and self._still_linked(d, path)
            for (d, path, _), slot in zip(wanted, slots, strict=True)
        ]
        if not main_fixed and any(
            slot is Slot.TAKEN and not link for slot, link in zip(slots, linked, strict=True)
        ):
            return False
        for (decision, path, note), slot, own, link in zip(
            wanted, slots, owned, linked, strict=True
        ):
            again = own is False
            too_long = self._too_long(path)
            if too_long:
                decision.status, decision.reason = Status.ERROR, too_long
                continue
            if again and self._own_name_again(decision, path):
                self._as_linked(decision)
                continue
            if link or (slot is Slot.TAKEN and main_fixed and self._linked_at(decision, path)):
                # its own link, to the file edited in SOURCE since: the link shows the edit
                decision.dest = path
                decision.note = noted(decision.note, "already placed by an earlier run")
                self._as_linked(decision)
                continue
            if slot is Slot.TAKEN and self._holds_its_bytes(decision, path):
                slot = Slot.IDENTICAL  # placed there by an earlier run, touched since
            if slot is Slot.TAKEN and main_fixed and own:
                decision.dest = path  # edited in DEST since, or its name spelled otherwise
                decision.note = noted(decision.note, "already placed by an earlier run")
                self._as_linked(decision)
                continue
            if slot is Slot.TAKEN and main_fixed and main.action.removes_source:
                # Its photo released (or placed again) under its name: it follows with a
                # suffix rather than stay in SOURCE without it.
                path, slot = self._free_beside(decision, path)
                too_long = self._too_long(path)
                if too_long:
                    decision.status, decision.reason = Status.ERROR, too_long
                    continue
            if slot is Slot.TAKEN:
                decision.status, decision.reason = Status.ERROR, f"its name {path} is taken"
                continue
            decision.note = noted(decision.note, note)
            self._settle_at(decision, path, slot)
        return True

    def _own_name_again(self, decision: Decision, path: str) -> bool:
        """``path`` is a name the journal holds for ``decision``'s very file, whose copy there
        is gone: True when that settles it (the user moved the copy within DEST; or, without
        --restore-missing, it is left out as culled, maybe); else it is placed there again,
        noted so."""
        if path in self.moved:
            decision.dest = path
            decision.note = noted(decision.note, self._moved(path) or "")
            return True
        if not self.restore_missing:
            decision.dest, decision.note = path, noted(decision.note, _left_out(path))
            self.left_out += 1
            return True
        decision.note = noted(decision.note, _gone(path))
        return False

    def _place_alone(self, main: Decision, target: str, renamed: str | None) -> bool:
        """``_place`` for a file that travels alone to a name of its choosing (most files): the
        same outcome, without the family's bookkeeping."""
        too_long = self._too_long(target)
        if too_long:  # so would every suffixed name be
            main.status, main.reason = Status.ERROR, too_long
            return True
        slot = self.view.slot(target, main.out_hash, main.bytes_out)
        if slot is Slot.TAKEN and self._still_linked(main, target):
            main.dest = target  # its own link, to the file edited in SOURCE since
            main.note = noted(main.note, "already placed by an earlier run")
            self._as_linked(main)
            return True
        if slot is Slot.TAKEN:
            if self._own_copy_at(main, target) is not False:
                return False
            if self._own_name_again(main, target):
                self._as_linked(main)
                return True
            slot = Slot.FREE
        main.note = noted(main.note, renamed)
        self._settle_at(main, target, slot)
        return True

    def _family_paths(
        self,
        main: Decision,
        members: list[Decision],
        target: str,
        renamed: str | None,
        main_fixed: bool = False,
    ) -> list[tuple[Decision, str, str | None]]:
        """Each of ``members``' names in DEST beside its photo's ``target``, and its note: why
        it is not the name it would have on a filesystem taking every name, or why it takes a
        suffix (``_apart``). Beside a photo an earlier run placed, its companions that run
        placed there (not ``members``: done) keep their names."""
        if not members:
            return []
        folder, name = os.path.split(target)
        owns = family_names(name, os.path.basename(main.rel), [_name_of(m) for m in members])
        paths, notes, adapted = [], [], []
        for own_name in owns:
            own_name, own_renamed = self._for_dest(own_name)
            paths.append(os.path.join(folder, own_name))
            notes.append(noted(renamed, own_renamed))
            adapted.append(own_renamed is not None)
        held = main_fixed and any(self.view.held(path) for path in paths)  # no I/O
        placed = self._placed_beside(main, members, folder) if held else {}
        apart = _apart(target, paths, adapted, placed)
        for i, (path, keeper) in apart.items():
            if not isinstance(keeper, str):  # placed by an earlier run: its path already
                keeper = (main if keeper is None else members[keeper]).rel
            notes[i] = noted(notes[i], _one_name(paths[i], keeper))
            paths[i] = path
        return list(zip(members, paths, notes, strict=True))

    def _placed_beside(
        self, main: Decision, members: list[Decision], folder: str
    ) -> dict[str, str]:
        """The names in ``folder`` of DEST that earlier runs gave the companions of ``main``
        other than ``members`` (one placed before a run was killed, a sidecar placed before
        another appeared beside it), still there: name -> its path below SOURCE."""
        rels = {m.rel for m in members}
        return {
            dest: rel
            for rel, dest in self.view.companions_placed(main.rel, folder)
            if rel not in rels and self.view.exists(os.path.join(self.dest, dest))
        }

    def _for_dest(self, path: str) -> tuple[str, str | None]:
        """``path`` as DEST's filesystem takes it, and why it differs (None if it does not)."""
        names = self.folders.names
        if names is None:
            return path, None
        adapted = names.adapted(path)
        return (path, None) if adapted == path else (adapted, names.why(path))

    def _own_copy_at(self, decision: Decision, path: str) -> bool | None:
        """Whether DEST holds a file at ``path``, in some spelling, when it is the name an
        earlier run placed ``decision``'s very file at (same path, same bytes): its copy,
        whatever the user did to it since (a sidecar Lightroom wrote a rating to, a folder
        renamed in case), or, when it holds nothing now, a name the journal holds for that
        file alone. None when ``path`` is not that file's own name."""
        if decision.hash is None or self.move:
            return None
        if self.view.own_copy(decision.rel, decision.hash) != path:
            return None
        return self.view.exists(os.path.join(self.dest, path))

    def _free_beside(self, decision: Decision, path: str) -> tuple[str, Slot]:
        """The first suffixed name of ``path`` that is free or holds ``decision``'s bytes."""
        for n in itertools.count(1):
            target = with_suffix(path, n)
            slot = self.view.slot(target, decision.out_hash, decision.bytes_out)
            if slot is not Slot.TAKEN:
                return target, slot
        raise AssertionError("unreachable")

    def _too_long(self, path: str) -> str | None:
        """Why ``path`` (below DEST) cannot be written: a whole path, or that of the temporary
        file beside it, longer than PATH_MAX."""
        if (len(self.dest) + 1 + len(path)) * UTF8_MAX + _TEMP_NAME_MAX < PATH_MAX:
            return None  # short whatever its characters: no need to encode it
        final = os.path.join(self.dest, path)
        length = len(os.fsencode(final))
        if length + _TEMP_NAME_MAX < PATH_MAX:
            return None
        length = max(length, len(os.fsencode(fsops.temp_name(final))))
        if length < PATH_MAX:
            return None
        return f"its destination {path} would be a path of {length} bytes, more than {PATH_MAX - 1}"

    def _holds_its_bytes(self, decision: Decision, path: str) -> bool:
        """Whether the file at ``path`` in DEST holds exactly ``decision``'s source bytes."""
        if decision.out_hash != decision.hash:
            return False
        mine = os.path.join(self.source, decision.rel)
        try:
            return bool(self.view.same_bytes(mine, os.path.join(self.dest, path)))
        except OSError:
            return False

    def _base(self, decision: Decision) -> str | None:
        folders = self.folders
        if decision.status is Status.PLACED:
            if decision.year and decision.date:
                when = dt.datetime.fromisoformat(decision.date)
                if isinstance(folders.layout, Layout) and not folders.rename:
                    # dated_destination's, made of below_year's part kept per source folder
                    return f"{when.year}{os.sep}{folders.below_year(decision.rel)}"
                return dated_destination(
                    tidied(decision.rel, folders.tidy),
                    when,
                    decision.camera,
                    folders.layout,
                    folders.rename,
                )
            return os.path.join(folders.nodate, folders.below_year(decision.rel))
        if decision.status is Status.CORRUPT:
            return os.path.join(folders.corrupted, visible(decision.rel))
        if decision.status is Status.DUPLICATE and self.move:
            return os.path.join(folders.duplicates, visible(decision.rel))
        return None

    def _action(self, decision: Decision) -> Action:
        return choose(self.move, bool(decision.staged), self.view.same_device, self.link)

    def _first_same(self, mine: str, paths: Iterable[str]) -> bool | None:
        """Whether the first of ``paths`` still there holds ``mine``'s bytes (``_same``); None
        when none is."""
        for path in paths:
            same = self._same(mine, path)
            if same is not None:
                return same
        return None

    def _same(self, mine: str, theirs: str) -> bool | None:
        """Whether two files hold the same bytes; None when ``theirs`` is gone. A file that
        cannot be read counts as different: only proven copies are duplicates."""
        try:
            return self.view.same_bytes(mine, theirs)
        except OSError:
            return False


_TEMP_NAME_MAX = 64  # bytes: fsops.temp_name's names are shorter
IDENTICAL_THERE = "an identical file was already at its destination"


def release(decision: Decision, left: LeftCopy) -> None:
    """Make ``decision`` the release of its source, whose copy ``left`` an earlier run placed:
    nothing is written; DEST's file is the one that stands for it."""
    decision.dest, decision.staged = left.dest, None
    decision.action = Action.RELEASE_KEPT if left.transformed else Action.RELEASE
    decision.out_hash, decision.bytes_out = left.out_hash, left.bytes_out
    if not left.transformed:
        decision.compressed, decision.rotated, decision.quality = False, False, None
    decision.note = (
        f"released by this run: its copy in DEST is {left.dest} (placed by run {left.run_id})"
    )


def _name_of(decision: Decision) -> str:
    return os.path.basename(decision.rel)


def _apart(
    target: str, paths: list[str], adapted: list[bool], placed: dict[str, str] | None = None
) -> dict[int, tuple[str, int | str | None]]:
    """The companions (by index in ``paths``, their names beside their photo's ``target``)
    whose name DEST holds as one with another of the family's: names that differ only in case,
    or that DEST's filesystem makes one (``IMG_1.xmp `` and ``IMG_1.xmp`` on an exFAT disk,
    which drops a trailing space). Each gets the first name ``_named_after`` its photo none of
    the family has (``IMG_1.jpg.xmp``, then ``IMG_1.jpg_1.xmp``), with the one keeping its name:
    its index, its path below SOURCE when an earlier run placed it (``placed``: its name -> that
    path), None for the photo. A companion whose name was not ``adapted`` keeps its own first."""
    placed = placed or {}
    keys = {dest_name_key(path) for path in [target, *paths, *placed]}
    keeping: dict[int, int | str | None] = {dest_name_key(target): None}
    keeping.update({dest_name_key(name): rel for name, rel in placed.items()})
    apart: dict[int, tuple[str, int | str | None]] = {}
    for i in sorted(range(len(paths)), key=adapted.__getitem__):
        key = dest_name_key(paths[i])
        if key not in keeping:
            keeping[key] = i
            continue
        for n in itertools.count(0):
            other = _named_after(target, paths[i], n)
            if dest_name_key(other) not in keys:
                break
        keys.add(dest_name_key(other))
        apart[i] = (other, keeping[key])
    return apart


def _named_after(target: str, path: str, n: int) -> str:
    """The ``n``-th name for a companion (at ``path``) beside its photo's ``target`` other than
    its own: the photo's whole name and the companion's extension (``IMG_1.jpg.xmp``, as
    darktable names a sidecar; ``IMG_1.jpg_1.xmp`` after it). Never a suffix of the stem
    (``IMG_1_1.xmp``): that is the sidecar's name of another photo, ``IMG_1_1.jpg``, which the
    suffixes of this one's name give."""
    extension = os.path.splitext(path)[1]
    named = target + extension
    if len(os.fsencode(os.path.basename(named))) + len(f"_{n}") > NAME_MAX:
        return with_suffix(path, n + 1)  # too long a name: the stem's suffix, as before
    return with_suffix(named, n) if n else named


def _one_name(path: str, keeper: str) -> str:
    return f"its name {path} is one name in DEST with {keeper}'s, so it is named after its photo"


def _rank(member: Analysis, ranks: Mapping[str, Rank] | None) -> Rank:
    known = ranks.get(member.rel) if ranks is not None else None
    return keeper_order(member) if known is None else known


def _placed_name(earlier: Placed, source: str) -> str:
    """An earlier run's placed file as the report names it: by its path below SOURCE when it
    came from this SOURCE, else by its whole path."""
    if earlier.source_root == source:
        return earlier.rel
    return os.path.join(earlier.source_root, earlier.rel)


def _worker_proved(member: Analysis, keeper: Analysis | None, earlier: Placed | None) -> bool:
    """Whether the worker that read ``member`` compared it byte for byte with the kept copy: a
    file of its batch (``twin_of``) or the file an earlier run placed (``same_as_placed``)."""
    if keeper is not None:
        return keeper.twin_of is not None and member.twin_of == keeper.twin_of
    return earlier is not None and member.same_as_placed == earlier.dest


def _left_out(dest: str) -> str:
    return (
        f"already placed by an earlier run at {dest}, which is gone from DEST since: left out "
        "(--restore-missing places it again)"
    )


def _gone(dest: str) -> str:
    return f"placed again: its earlier copy {dest} is gone from DEST"


def _placed_again(name: str) -> str:
    return (
        f"the same bytes as {name}, which an earlier run placed and which is no longer in "
        "SOURCE or DEST: placed again"
    )


def _duplicate(member: Analysis, keeper_name: str) -> Decision:
    twin = Decision.from_analysis(member, Status.DUPLICATE)
    twin.duplicate_of = keeper_name
    twin.reason = f"identical to {keeper_name}"
    return twin


def _rider(item: CompanionResult, main: Decision, status: Status, photo: str) -> Decision:
    """The decision for a file that travels with ``photo``, dated like ``main``."""
    return Decision(
        item.rel,
        status,
        size=item.size,
        mtime_ns=item.mtime_ns,
        year=main.year,
        date=main.date,
        date_source=main.date_source,
        similar_to=main.similar_to,
        hash=item.hash,
        out_hash=item.hash,
        bytes_out=item.size,
        companion_of=photo,
        ino=item.ino,
        ctime_ns=item.ctime_ns,
        copied=item.copied,
    )


class HeldAt(NamedTuple):
    """Where a file's bytes are held: the placed file that stands for them (``name``, as the
    report names it) and the paths holding them, in SOURCE and then in DEST."""

    name: str
    paths: tuple[str, ...]


def _held_at(decision: Decision, source: str, dest: str) -> HeldAt | None:
    """Where ``decision``'s bytes are held, now it is decided; None where DEST gets none."""
    paths: tuple[str, ...] = (os.path.join(source, decision.rel),)
    if decision.dest is not None:
        paths += (os.path.join(dest, decision.dest),)
    if decision.status is Status.PLACED:
        return HeldAt(decision.rel, paths)
    if decision.status is Status.DUPLICATE and decision.duplicate_of is not None:
        return HeldAt(decision.duplicate_of, paths)
    return None


@dataclass(slots=True)
class CopyGroup:
    """Files standing alone, several or some with sidecars, each the same bytes as ``carried``:
    handed out together once each is named (``size`` of them) and every RAW or video with these
    bytes is decided, so that their sidecars are settled in source-path order against every
    file those families placed, and (where that RAW or video is not placed) only the first of
    them in keeper order is placed, the others its duplicates, whatever the order the workers
    finish in."""

    carried: CarriedCopy
    hash: str
    size: int
    ranked: list[str]  # their paths, in keeper order
    named: list[Decision] = field(default_factory=list)


class Outcome(NamedTuple):
    """What became of a RAW or video that files standing alone may repeat."""

    status: Status
    dest: str | None
    duplicate_of: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class CarriedCopy:
    rel: str  # a RAW or video travelling with a sound photo
    photo: str
    alone: bool = False  # ... or placed alone, beside its corrupt photo
    # The other files of its family, whose bytes a copy's sidecars may repeat (kept only where
    # a file standing alone with sidecars may repeat it)
    kin: tuple[CompanionResult, ...] = field(default=(), compare=False)

    @property
    def with_photo(self) -> str:
        if self.alone:
            return f"placed alone (its photo {self.photo} is corrupt)"
        return f"which travels with {self.photo}"


class LooseCopies:
    """Files standing alone (no companions, or a RAW or video with only its sidecars) whose
    size some photo's RAW or video has: they may repeat it.

    Such a file's identical group waits (``wait``) until every RAW and video of its size has
    arrived with its photo; it is then settled against them (``carriers``). Sizes no such
    companion has cost nothing: most archives hold a few of these, if any."""

    def __init__(self, candidates: list[Candidate]) -> None:
        carried = {m.size for c in candidates for m in c.companions if _movable(m.rel)}
        alone: set[int] = set()
        self.sided: set[int] = set()  # the sizes of those with sidecars
        for c in candidates if carried else ():
            if c.size in carried and _stands_alone(c.rel, c.companions):
                alone.add(c.size)
                if c.companions:
                    self.sided.add(c.size)
        self.left = Counter(
            m.size for c in candidates for m in c.companions if _loose(m, alone)
        )  # still to arrive, by size
        self.owners = {
            c.rel: sizes
            for c in candidates
            if (sizes := [m.size for m in c.companions if _loose(m, alone)])
        }
        self.seen: dict[str, list[CarriedCopy]] = defaultdict(list)  # by content hash
        self.carrying: set[str] = set()  # the paths of those RAW files and videos
        self.kin: set[str] = set()  # ... and of the other files of their families (``sided``)
        self.waiting_groups: dict[int, list[list[Analysis]]] = defaultdict(list)

    @property
    def waiting(self) -> int:
        return sum(len(members) for groups in self.waiting_groups.values() for members in groups)

    def wait(self, members: list[Analysis]) -> bool:
        """Whether this identical group must wait for RAW files or videos still to arrive."""
        size = members[0].size
        if size not in self.left or not all(_stands_alone(m.rel, m.companions) for m in members):
            return False
        self.waiting_groups[size].append(members)
        return True

    def arrived(self, analysis: Analysis) -> list[list[Analysis]]:
        """Note ``analysis``'s RAW and video files; return the groups now free to settle."""
        sizes = self.owners.pop(analysis.rel, None)
        if sizes is None:
            return []
        sound = analysis.status is Status.PLACED  # a sound photo: its family will be kept
        for item in analysis.companions:
            alone = item.alone  # ... or its RAW or video, placed alone
            kept = sound if alone is None else alone.status is Status.PLACED
            if (
                kept
                and item.size in self.left
                and item.hash
                and not item.error
                and _movable(item.rel)
            ):
                kin = _kin(analysis, item) if item.size in self.sided else ()
                carried = CarriedCopy(item.rel, analysis.rel, alone is not None, kin)
                self.seen[item.hash].append(carried)
                self.carrying.add(item.rel)
                self.kin.update(other.rel for other in kin)
        free = []
        for size in sizes:
            self.left[size] -= 1
            if not self.left[size]:
                del self.left[size]
                free.extend(self.waiting_groups.pop(size, []))
        return free

    def carriers(self, members: list[Analysis]) -> list[CarriedCopy]:
        """The RAW files and videos with the hash of ``members`` (files standing alone), in
        source-path order."""
        seen = self.seen.get(members[0].hash) if members[0].hash is not None else None
        if not seen or not all(_stands_alone(m.rel, m.companions) for m in members):
            return []
        return sorted(seen, key=lambda c: path_key(c.rel))


def _movable(rel: str) -> bool:
    """A RAW or a video: a file that could stand alone as well as travel with a photo."""
    return extension(rel) in RAW_EXTENSIONS or extension(rel) in VIDEO_EXTENSIONS


def _stands_alone(rel: str, companions: Sequence[Companion | CompanionResult]) -> bool:
    """Whether a file is a RAW or video's copy standing alone, if its bytes are: no companions,
    or a RAW or video with only its sidecars (a backup's ``IMG_1.CR2`` + ``IMG_1.CR2.xmp``)."""
    return not companions or (_movable(rel) and not any(_movable(c.rel) for c in companions))


def _kin(analysis: Analysis, carried: CompanionResult) -> tuple[CompanionResult, ...]:
    """The files of ``carried``'s family other than it, read sound: its photo's other
    companions, or (placed alone) its own."""
    family = analysis.companions if carried.alone is None else carried.alone.companions
    return tuple(
        item
        for item in family
        if item is not carried and item.hash is not None and not item.error and item.alone is None
    )


def _loose(companion: Companion, alone: set[int]) -> bool:
    return companion.size in alone and _movable(companion.rel)
