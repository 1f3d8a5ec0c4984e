"""engine/store/keyset.py: the compact set of 64-bit keys the coordinator's view of DEST holds
(a name or content digest per file of a million-file run) answers like a Python set."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.store.keyset import KeySet

KEYS = st.integers(min_value=0, max_value=2**64 - 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(KEYS, max_size=3000), st.lists(KEYS, max_size=200))
def test_answers_like_a_set(added: list[int], asked: list[int]) -> None:
    keys = KeySet(added[: len(added) // 2])
    for key in added[len(added) // 2 :]:
        keys.add(key)
    reference = set(added)
    assert len(keys) == len(reference)
    for key in [*added, *asked, 0]:
        assert (key in keys) == (key in reference)


def test_keys_that_share_their_low_bits_all_stay_findable() -> None:
    """Linear probing past a run of collisions, through several growths."""
    colliding = [(i << 40) | 7 for i in range(1, 5000)]
    keys = KeySet(colliding)
    assert all(k in keys for k in colliding)
    assert (5000 << 40) | 7 not in keys
    assert len(keys) == len(colliding)
