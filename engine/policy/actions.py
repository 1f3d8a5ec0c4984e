"""What placing a file does, per action: one row of ``BEHAVIOUR`` each.

The placer, recovery, undo, verify and finalize read a file's row here instead of comparing
action names. The journal stores an action as its value (``copy``, ``move-rename``...), the
same strings every earlier release wrote. A new placement mode (a hard link, say) is one
member and one row here, plus its write step in engine/stages/place.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Action(enum.StrEnum):
    NONE = "none"  # nothing written: not placed, or identical bytes already at the name
    COPY = "copy"
    STAGED = "staged"  # copy mode, the re-encoded or rotated output the worker staged
    MOVE_COPY = "move-copy"  # across filesystems: copy, verify, then unlink the source
    MOVE_STAGED = "move-staged"  # the staged output placed; the source kept below DEST
    MOVE_RENAME = "move-rename"  # one filesystem: the source itself is renamed into DEST
    HARDLINK = "hardlink"  # --mode hardlink: a second name for the source's own inode
    SYMLINK = "symlink"  # --mode symlink: a symbolic link to the source's absolute path
    # Nothing written: the symbolic link an earlier run made to this very file is at its name
    # (a symlink run deciding the file again). Like SYMLINK, it holds no bytes of its own.
    LINKED = "linked"
    # A move run taking out of SOURCE a file an earlier run placed and left there (a copy run):
    # nothing is written, DEST's copy is verified, then the source is unlinked (RELEASE) or,
    # when DEST's copy is a re-encode or turned, kept below DEST (RELEASE_KEPT). See
    # engine/stages/release.py.
    RELEASE = "release"
    RELEASE_KEPT = "release-kept"

    @property
    def behaviour(self) -> Behaviour:
        return BEHAVIOUR[self]

    @property
    def writes(self) -> Writes:
        return BEHAVIOUR[self].writes

    @property
    def touches_dest(self) -> bool:
        return BEHAVIOUR[self].writes is not Writes.NOTHING

    @property
    def needs_space(self) -> bool:
        return BEHAVIOUR[self].needs_space

    @property
    def source_after(self) -> SourceAfter:
        return BEHAVIOUR[self].source_after

    @property
    def removes_source(self) -> bool:
        return BEHAVIOUR[self].source_after is not SourceAfter.STAYS

    @property
    def undo(self) -> Undo:
        return BEHAVIOUR[self].undo

    @property
    def keeps_original(self) -> bool:
        return BEHAVIOUR[self].source_after is SourceAfter.KEPT_BELOW_DEST

    @property
    def symbolic(self) -> bool:
        """Whether DEST's name holds a symbolic link to the source (made by this run or, found
        there again, by an earlier one): no bytes of its own, the target's."""
        return self in (Action.SYMLINK, Action.LINKED)

    @property
    def releases(self) -> bool:
        """Whether it takes a source out of SOURCE whose copy an earlier run placed."""
        return BEHAVIOUR[self].undo is Undo.COPY_BACK

    @property
    def changes_anything(self) -> bool:
        """Whether a run that did it has something for undo to reverse."""
        return self.touches_dest or self.removes_source


class Writes(enum.Enum):
    """How the placed bytes reach DEST."""

    NOTHING = "nothing"
    COPY = "copy"  # the source copied to a temporary name, hashed as it goes
    STAGED_FILE = "staged file"  # the worker's output, renamed from the staging folder
    RENAME_SOURCE = "rename of the source"  # the source itself, after a last check
    HARD_LINK = "hard link"  # a link to the source's inode, made at a temporary name
    SYMBOLIC_LINK = "symbolic link"  # a link to the source's path, made at a temporary name


class SourceAfter(enum.Enum):
    """What becomes of the source once its placed copy is durable."""

    STAYS = "stays"
    UNLINKED = "unlinked"  # if still the file analysed (the copy was verified as written)
    KEPT_BELOW_DEST = "kept below DEST"  # DEST/.imgorg/originals/, until ``imgorg finalize``
    RENAMED_AWAY = "renamed away"  # the placing rename took it


class Undo(enum.Enum):
    """How ``imgorg undo`` reverses the placement, the disk permitting."""

    NOTHING = "nothing"  # the bytes were there before the run: not ours to remove
    REMOVE_OR_RETURN = "remove or return"  # drop it when SOURCE holds its bytes, else put back
    RETURN_ORIGINAL = "return the kept original"  # then drop the placed version
    REMOVE_LINK = "remove the link"  # a symbolic link holds no bytes: drop it if still ours
    # The placed file is an earlier run's and stays: the source's bytes go back to SOURCE (its
    # kept original, else a copy of the placed file).
    COPY_BACK = "copy back"


@dataclass(frozen=True, slots=True)
class Behaviour:
    writes: Writes
    needs_space: bool  # DEST must have room for the bytes (checked before each write)
    source_after: SourceAfter
    undo: Undo


BEHAVIOUR: dict[Action, Behaviour] = {
    Action.NONE: Behaviour(Writes.NOTHING, False, SourceAfter.STAYS, Undo.NOTHING),
    Action.COPY: Behaviour(Writes.COPY, True, SourceAfter.STAYS, Undo.REMOVE_OR_RETURN),
    Action.STAGED: Behaviour(Writes.STAGED_FILE, False, SourceAfter.STAYS, Undo.REMOVE_OR_RETURN),
    Action.MOVE_COPY: Behaviour(Writes.COPY, True, SourceAfter.UNLINKED, Undo.REMOVE_OR_RETURN),
    Action.MOVE_STAGED: Behaviour(
        Writes.STAGED_FILE, False, SourceAfter.KEPT_BELOW_DEST, Undo.RETURN_ORIGINAL
    ),
    Action.MOVE_RENAME: Behaviour(
        Writes.RENAME_SOURCE, False, SourceAfter.RENAMED_AWAY, Undo.REMOVE_OR_RETURN
    ),
    # A hard link is the file itself: if SOURCE lost its name meanwhile, undo puts it back.
    Action.HARDLINK: Behaviour(Writes.HARD_LINK, False, SourceAfter.STAYS, Undo.REMOVE_OR_RETURN),
    Action.SYMLINK: Behaviour(Writes.SYMBOLIC_LINK, False, SourceAfter.STAYS, Undo.REMOVE_LINK),
    Action.LINKED: Behaviour(Writes.NOTHING, False, SourceAfter.STAYS, Undo.NOTHING),
    Action.RELEASE: Behaviour(Writes.NOTHING, False, SourceAfter.UNLINKED, Undo.COPY_BACK),
    Action.RELEASE_KEPT: Behaviour(
        Writes.NOTHING, False, SourceAfter.KEPT_BELOW_DEST, Undo.COPY_BACK
    ),
}

REMOVING_SOURCE = tuple(action for action in Action if action.removes_source)
# What an earlier run may have done to a file, for a move run to release its source: its copy
# (or identical bytes found at its name) is in DEST and the source was left where it is. A link
# is not a copy: a symbolic one holds no bytes, a hard one is the source's own inode.
RELEASABLE = (Action.NONE, Action.COPY, Action.STAGED)


def choose(move: bool, staged: bool, same_device: bool, link: Action | None = None) -> Action:
    """The action placing a file: by mode (``link``: the link every file of a link mode gets),
    whether the worker staged new bytes for it, and whether SOURCE and DEST share a
    filesystem."""
    if link is not None:
        return link
    if not move:
        return Action.STAGED if staged else Action.COPY
    if staged:
        return Action.MOVE_STAGED
    return Action.MOVE_RENAME if same_device else Action.MOVE_COPY
