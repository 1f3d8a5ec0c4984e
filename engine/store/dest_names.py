"""What DEST's filesystem refuses in a name: found once per run by creating, in DEST's own
``.imgorg`` folder, one short-lived file per character Windows refuses (a probe, since a FUSE
filesystem's type says nothing of its rules), or, for a dry run that writes nothing, told by
the type of the filesystem. engine/policy/naming.py's ``DestNames`` adapts names to it."""

from __future__ import annotations

import contextlib
import errno
import os
import re

from engine.policy.naming import FAT_REFUSES, DestNames
from engine.store.fsops import TEMP_PREFIX

CONTROL = "".join(map(chr, range(1, 32)))
WINDOWS_REFUSES = FAT_REFUSES + CONTROL
# A name's bytes that are no UTF-8 (a Latin-1 name from an old Linux tree), as Python reads them:
# FAT and exFAT keep names in UTF-16, which such a byte cannot be converted to.
UNDECODABLE = "".join(map(chr, range(0xDC80, 0xDD00)))
# One control character stands for all of them, one undecodable byte for all of those: no
# filesystem refuses some and not others.
_PROBED = FAT_REFUSES + "\x01\udce9"
_REFUSAL = (errno.EINVAL, errno.ENOENT, errno.EILSEQ)  # vfat, exfat: EINVAL; exfat-fuse: ENOENT
# Linux's own filesystems take every name but '/' and NUL (a network share or FUSE disk may
# be anything, so it is probed).
_TAKES_EVERY_NAME = frozenset(
    ["ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "ramfs", "f2fs", "zfs", "bcachefs", "jfs"]
)
_WINDOWS_TYPES = {"vfat": "FAT", "msdos": "FAT", "exfat": "exFAT", "fuse.exfat": "exFAT"}


def probe(folder: str, dest: str) -> DestNames | None:
    """What the filesystem holding ``folder`` (DEST's ``.imgorg``) refuses, tried there with
    files created and removed at once; None when it takes every name. A trailing dot some
    drivers drop silently (the kernel's exfat) counts as refused. Linux's own filesystems are
    known to take every name: not probed."""
    mount = _mount_of(folder)
    if mount is not None and mount[0] in _TAKES_EVERY_NAME:
        return None  # nothing to create and remove in DEST on every run
    _sweep(folder)
    token = os.urandom(4).hex()
    if not _takes(folder, f"{TEMP_PREFIX}{token}-plain-"):
        return None  # not even a plain name: nothing to tell (the run meets that trouble)
    refused = "".join(c for c in _PROBED if not _takes(folder, f"{TEMP_PREFIX}{token}-{c}-"))
    if "\x01" in refused:
        refused += CONTROL
    if "\udce9" in refused:
        refused += UNDECODABLE
    dotted = f"{TEMP_PREFIX}{token}-dot."
    drops_dot = not _takes(folder, dotted, keeps_name=True)
    if not refused and not drops_dot:
        return None
    return DestNames(filesystem_name(dest), frozenset(refused), windows=True)


def guess(dest: str) -> DestNames | None:
    """``probe``'s answer foretold by the type of DEST's filesystem (FAT, exFAT), for a dry
    run; None for any other (NTFS through ntfs-3g takes every name)."""
    name = filesystem_name(dest)
    if name not in _WINDOWS_TYPES.values():
        return None
    return DestNames(name, frozenset(WINDOWS_REFUSES + UNDECODABLE), windows=True)


# A probe's file, left by a run killed while probing (a dot some drivers drop, dropped).
_PROBE_FILE = re.compile(re.escape(TEMP_PREFIX) + r"[0-9a-f]{8}-(?:plain-|dot\.?|.-)\Z", re.S)


def _sweep(folder: str) -> None:
    """Remove the probe files a killed run left in ``folder`` (the run holds DEST's lock)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if _PROBE_FILE.match(name):
            with contextlib.suppress(OSError):  # a file the run cannot remove is no matter
                os.unlink(os.path.join(folder, name))


def _takes(folder: str, name: str, keeps_name: bool = False) -> bool:
    path = os.path.join(folder, name)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        return exc.errno not in _REFUSAL  # any other trouble is the run's to meet, not this
    try:
        return not keeps_name or name in os.listdir(folder)
    finally:
        os.unlink(path)


def filesystem_name(path: str) -> str:
    """The type of the filesystem holding ``path`` as a person names it: ``exFAT``, ``FAT``,
    ``NTFS``, else the kernel's name for it (``fuseblk``); ``DEST's filesystem`` if unknown."""
    mount = _mount_of(path)
    if mount is None:
        return "DEST's filesystem"
    fstype, device = mount
    if fstype == "fuseblk":  # a FUSE driver of a disk: its boot sector says which
        return _boot_sector_type(device) or fstype
    return _WINDOWS_TYPES.get(fstype) or {"ntfs": "NTFS", "ntfs3": "NTFS"}.get(fstype, fstype)


def _mount_of(path: str) -> tuple[str, str] | None:
    """The type and source of the mount holding ``path`` (or its nearest existing folder)."""
    path = os.path.realpath(path)
    best: tuple[int, str, str] | None = None
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as lines:
            for line in lines:
                fields = line.split()
                if " - " not in line or len(fields) < 5:
                    continue
                point = _unescape(fields[4])
                inside = path == point or path.startswith(point.rstrip("/") + "/")
                if inside and (best is None or len(point) >= best[0]):
                    fstype, device = line.split(" - ", 1)[1].split()[:2]
                    best = (len(point), fstype, _unescape(device))
    except OSError:
        return None
    return None if best is None else (best[1], best[2])


def _unescape(field: str) -> str:
    """A mountinfo field with its octal escapes (``\\040`` for a space) decoded."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _boot_sector_type(device: str) -> str | None:
    try:
        with open(device, "rb") as disk:
            sector = disk.read(512)
    except OSError:
        return None
    if sector[3:11] == b"EXFAT   ":
        return "exFAT"
    if sector[3:11] == b"NTFS    ":
        return "NTFS"
    if sector[82:87] == b"FAT32" or sector[54:59] in (b"FAT12", b"FAT16"):
        return "FAT"
    return None
