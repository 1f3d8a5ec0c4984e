"""Near-duplicates (issue #15): resized, re-encoded, converted and messenger copies of a photo.

``signature`` computes a small perceptual fingerprint per image (in the workers), ``index``
finds candidate pairs among a million of them, ``verify`` keeps false pairs (bursts, other
shots of the same scene) out, ``groups`` joins pairs into groups and lets dates flow inside a
group, ``keeper`` ranks a group's members, ``store`` keeps signatures in the journal and
``command`` is ``imgorg similar DEST``.
"""
