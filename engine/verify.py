"""``imgorg verify DEST``: re-hash what the journal says was written; report what is missing
or changed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from engine import fsops
from engine.journal import Journal


@dataclass
class VerifyResult:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.changed


def verify(dest: str, journal: Journal) -> VerifyResult:
    result = VerifyResult()
    for item in journal.written():
        result.checked += 1
        path = os.path.join(dest, item.dest)
        try:
            actual = fsops.hash_file(path)
        except FileNotFoundError:
            result.missing.append(item.dest)
            continue
        except OSError:
            result.changed.append(item.dest)
            continue
        if actual != item.out_hash:
            result.changed.append(item.dest)
    return result
