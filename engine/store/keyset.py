"""A set of 64-bit keys (digests) in one flat array: 8 bytes a slot, at most half full, so a
million names cost about 16 MB instead of the 70 MB of a Python set of ints."""

from __future__ import annotations

import array
from collections.abc import Iterable

_FIRST = 1 << 10


class KeySet:
    """Open addressing with linear probing; the keys are digests, so their low bits spread
    well. Slot value 0 means empty; the key 0 itself is kept aside."""

    def __init__(self, keys: Iterable[int] = ()) -> None:
        self._slots = array.array("Q", bytes(8 * _FIRST))
        self._count = 0
        self._zero = False
        for key in keys:
            self.add(key)

    def __len__(self) -> int:
        return self._count + self._zero

    def __contains__(self, key: int) -> bool:
        if not key:
            return self._zero
        slots = self._slots
        mask = len(slots) - 1
        i = key & mask
        while True:
            held = slots[i]
            if held == key:
                return True
            if not held:
                return False
            i = (i + 1) & mask

    def add(self, key: int) -> None:
        if not key:
            self._zero = True
            return
        if 2 * (self._count + 1) > len(self._slots):
            self._grow()
        self._put(self._slots, key)

    def _put(self, slots: array.array[int], key: int) -> None:
        mask = len(slots) - 1
        i = key & mask
        while True:
            held = slots[i]
            if held == key:
                return
            if not held:
                slots[i] = key
                self._count += 1
                return
            i = (i + 1) & mask

    def _grow(self) -> None:
        old, self._slots = self._slots, array.array("Q", bytes(16 * len(self._slots)))
        self._count = 0
        for key in old:
            if key:
                self._put(self._slots, key)
