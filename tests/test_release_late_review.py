"""remove_source after 3d89aff (the source read last): a move after a copy on a FUSE exFAT
card, where no ctime shows a write."""

from __future__ import annotations

import os
from pathlib import Path

from test_hunt11 import exfat  # noqa: F401  (a fixture)
from test_hunt11_review import a_card_photo_and_its_copy

from engine.policy.actions import Action
from engine.stages.release import Release, release_sources
from engine.store import fsops


def test_a_card_photo_written_while_its_move_reads_it_last_is_never_unlinked(
    corpus: Path,
    tmp_path: Path,
    exfat: Path,  # noqa: F811
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """A move across filesystems (copy, verify, unlink) resumed after a kill reads a card
    photo's bytes once more before it unlinks it, as FUSE shows no ctime. A camera app writing
    into the part already read (a new date, the mtime moving on) went unseen, and the photo was
    unlinked with its edit; the stat after that read shows it, and the photo stays."""
    card, source, st, moved = a_card_photo_and_its_copy(corpus, tmp_path, exfat, Action.MOVE_COPY)
    dest = tmp_path / "dest"
    reading = fsops.hash_file

    def written_behind_the_read(path: str) -> str | None:
        read = reading(path)
        if Path(path) == source:
            with open(source, "r+b") as handle:  # where the read has been already
                handle.seek(st.st_size - 64)
                handle.write(b"2009:01:01 12:00:00\0")
            os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
        return read

    monkeypatch.setattr(fsops, "hash_file", written_behind_the_read)
    done = release_sources(Release(str(card), str(dest), 1, False, [moved]))

    assert source.exists(), "the edited photo was unlinked"
    assert done.removed == [] and [index for index, _ in done.kept] == [0]
