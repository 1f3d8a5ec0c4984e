"""Dates only exiftool reads (maker notes such as Reconyx's, Olympus PictureInfo, Canon CIFF/CRW,
odd containers), asked of one long-lived ``exiftool -stay_open True -@ -`` per worker process,
started on first use, a whole batch of files at a time."""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import datetime as dt
import json
import os
import re
import select
import shutil
import signal
import subprocess

from engine.dates.parse import parse_exif_datetime
from engine.dates.timezone import parse_offset, utc_only, with_offset

_TAGS = ("DateTimeOriginal", "CreateDate", "DateCreated", "DateTimeCreated", "ModifyDate")
_ARGS = ("-j", "-G", "-m", "-fast", "-charset", "filename=utf8", "-api", "LargeFileSupport=1")
_READY = b"{ready}"
BATCH_SECONDS = 120.0  # a batch exiftool has not answered by then is given up


def available() -> bool:
    return shutil.which("exiftool") is not None


def pick_date(tags: dict[str, object]) -> dt.datetime | None:
    """The best date of one file's ``exiftool -j -G`` object: the first of ``_TAGS`` in any
    group but File (file-system times); QuickTime's own dates are UTC."""
    for name in _TAGS:
        for key, value in tags.items():
            group, _, tag = key.rpartition(":")
            if tag != name or group == "File":
                continue
            when = parse_exif_datetime(value)
            if when is None:
                continue
            if group == "QuickTime":
                return utc_only(when)
            zone = _ZONE.match(str(value)[19:])
            if zone is not None and zone.group(1) == "Z":
                return utc_only(when)
            return with_offset(when, parse_offset(zone.group(1)) if zone else None)
    return None


# What may follow a date's seconds: a fraction, then the zone (``.253+01:00``, ``Z``).
_ZONE = re.compile(r"(?:\.\d+)?\s*(Z|[+-]\d{1,2}:?\d{2})")


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """In the child, before exec: a parent killed outright (SIGKILL, a crash) takes exiftool
    with it, instead of leaving it waiting on a pipe nobody will write to again."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class ExifTool:
    """One ``exiftool -stay_open`` process; closed at exit."""

    def __init__(self, executable: str = "exiftool") -> None:
        self.executable = executable
        self.process: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [self.executable, "-stay_open", "True", "-@", "-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        return self.process

    def dates(self, paths: list[str]) -> dict[str, dt.datetime | None]:
        """The date exiftool finds in each file (None where it finds none). Paths exiftool's
        argument file cannot carry (a line break in the name) are left out."""
        usable = [p for p in paths if "\n" not in p and "\r" not in p]
        if not usable:
            return {}
        lines = [*_ARGS, *(f"-{tag}" for tag in _TAGS), *usable, "-execute", ""]
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write("\n".join(lines).encode("utf-8", "surrogateescape"))
            process.stdin.flush()
            answer = self._read_until_ready(process)
        except (OSError, TimeoutError):
            self.close(kill=True)
            return {}
        try:
            objects = json.loads(answer) if answer.strip() else []
        except ValueError:
            return {}
        shown = _shown_names(usable)
        found: dict[str, dt.datetime | None] = {}
        for entry in objects if isinstance(objects, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("SourceFile"), str):
                path = shown.get(entry["SourceFile"])
                if path is not None:
                    found[path] = pick_date(entry)
        return found

    def _read_until_ready(self, process: subprocess.Popen[bytes]) -> bytes:
        assert process.stdout is not None
        fd = process.stdout.fileno()
        chunks = bytearray()
        deadline = _now() + BATCH_SECONDS
        while True:
            end = chunks.rfind(_READY)
            if end >= 0 and chunks[end + len(_READY) :].strip() == b"":
                return bytes(chunks[:end])
            left = deadline - _now()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("exiftool did not answer")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise OSError("exiftool stopped")
            chunks += chunk

    def close(self, kill: bool = False) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            if kill:
                process.kill()
            else:
                assert process.stdin is not None
                process.stdin.write(b"-stay_open\nFalse\n")
                process.stdin.close()
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()


def _shown_names(paths: list[str]) -> dict[str, str]:
    """Each path by the name exiftool's JSON gives it (a byte that is not UTF-8 there reads
    '?'), where that name is no other path's."""
    shown: dict[str, str | None] = {}
    for path in paths:
        name = os.fsencode(path).decode("utf-8", "replace").replace("\ufffd", "?")
        shown[name] = None if name in shown else path
    return {name: path for name, path in shown.items() if path is not None}


def _now() -> float:
    import time

    return time.monotonic()


_shared: ExifTool | None = None


def shared() -> ExifTool | None:
    """This process's exiftool, started on first use; None where exiftool is not installed."""
    global _shared
    if _shared is None:
        if not available():
            return None
        _shared = ExifTool()
        atexit.register(_shared.close)
    return _shared
