"""``imgorg verify DEST``: re-hash what the journal says was written, and the originals it
keeps; report what is missing or changed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from engine.store import fsops
from engine.store.journal import Journal


@dataclass
class VerifyResult:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    originals: int = 0  # kept originals checked
    originals_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.changed


def verify(dest: str, journal: Journal) -> VerifyResult:
    result = VerifyResult()
    for item in journal.written():
        result.checked += 1
        _check(dest, item.dest, item.out_hash, result)
        if item.action.keeps_original and item.original:
            result.originals += 1
            result.originals_bytes += item.size
            _check(dest, item.original, item.hash, result)
    return result


def _check(dest: str, rel: str, content_hash: str | None, result: VerifyResult) -> None:
    try:
        actual = fsops.hash_file(os.path.join(dest, rel))
    except FileNotFoundError:
        result.missing.append(rel)
        return
    except OSError:
        result.changed.append(rel)
        return
    if actual != content_hash:
        result.changed.append(rel)
