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
import time
from dataclasses import dataclass, field

from engine.dates.parse import parse_exif_datetime
from engine.dates.timezone import parse_offset, utc_only, with_offset
from engine.dates.video import unset_container_date

_TAGS = (
    *("DateTimeOriginal", "CreateDate", "DateCreated", "DateTimeCreated"),
    "CreationTime",  # PNG's "Creation Time" text
    "ModifyDate",
)
_ARGS = ("-j", "-G", "-m", "-fast", "-charset", "filename=utf8", "-api", "LargeFileSupport=1")
# The line exiftool ends each numbered command's answer with (a name holds no line break, and
# JSON escapes one, so no answer has such a line of its own).
_READY = re.compile(rb"(?m)^\{ready(\d+)\}$")
FILE_SECONDS = 120.0  # a file exiftool has not answered by then is given up; the rest go on
START_SECONDS = 30.0  # and the first file a freshly started exiftool answers gets this more


@dataclass(slots=True)
class Answer:
    """What exiftool found in a batch: each answered file's date (None where it has none), and
    why the files it never answered were given up."""

    dates: dict[str, dt.datetime | None] = field(default_factory=dict)
    given_up: dict[str, str] = field(default_factory=dict)


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
                if unset_container_date(when):
                    continue
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
                [
                    self.executable, "-stay_open", "True", "-@", "-",
                    "-common_args", *_ARGS, *(f"-{tag}" for tag in _TAGS),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
            assert self.process.stdin is not None
            os.set_blocking(self.process.stdin.fileno(), False)
        return self.process

    def dates(self, paths: list[str]) -> dict[str, dt.datetime | None]:
        return self.ask(paths).dates

    def ask(self, paths: list[str]) -> Answer:
        """The date exiftool finds in each file. Each file is its own command, so that one it
        cannot finish in ``FILE_SECONDS`` (or that stops it) is known: exiftool is restarted
        and asked about the files after it. Paths exiftool's argument file cannot carry (a line
        break in the name) are left out."""
        rest = [p for p in paths if "\n" not in p and "\r" not in p]
        answer = Answer()
        while rest:
            answered, failure = self._exchange(rest, answer.dates)
            if failure is None:
                break
            self.close(kill=True)
            answer.given_up[rest[answered]] = failure
            rest = rest[answered + 1 :]
        return answer

    def _exchange(
        self, paths: list[str], found: dict[str, dt.datetime | None]
    ) -> tuple[int, str | None]:
        """Send one command per path and put each answer in ``found`` as it comes: how many
        were answered, and why the next one was not (None when all were). Commands are
        written as exiftool takes them, answers read meanwhile: neither pipe can fill up."""
        lines = [line for n, path in enumerate(paths) for line in (path, f"-execute{n}")]
        pending = memoryview("\n".join([*lines, ""]).encode("utf-8", "surrogateescape"))
        fresh = self.process is None or self.process.poll() is not None
        try:
            process = self._start()
        except OSError as exc:
            return 0, f"exiftool did not start ({exc})"
        assert process.stdin is not None and process.stdout is not None
        into, out = process.stdin.fileno(), process.stdout.fileno()
        chunks = bytearray()
        answered = 0
        deadline = time.monotonic() + FILE_SECONDS + (START_SECONDS if fresh else 0.0)
        while answered < len(paths):
            ready = _READY.search(chunks)
            if ready is not None:
                if int(ready.group(1)) == answered:
                    found[paths[answered]] = _date_of(bytes(chunks[: ready.start()]))
                    answered += 1
                    deadline = time.monotonic() + FILE_SECONDS
                del chunks[: ready.end()]
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return answered, f"exiftool gave no answer within {FILE_SECONDS:g} s"
            try:
                readable, writable, _ = select.select([out], [into] if pending else [], [], left)
                if writable:
                    pending = pending[os.write(into, pending) :]
                if readable:
                    chunk = os.read(out, 1 << 16)
                    if not chunk:
                        return answered, "exiftool stopped while reading it"
                    chunks += chunk
            except OSError:
                return answered, "exiftool stopped while reading it"
        return answered, None

    def close(self, kill: bool = False) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            if kill:
                process.kill()
            else:
                assert process.stdin is not None
                os.set_blocking(process.stdin.fileno(), True)
                process.stdin.write(b"-stay_open\nFalse\n")
                process.stdin.close()
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()


def _date_of(answer: bytes) -> dt.datetime | None:
    """The date in exiftool's JSON answer about one file."""
    try:
        objects = json.loads(answer) if answer.strip() else []
    except ValueError:
        return None
    if isinstance(objects, list) and objects and isinstance(objects[0], dict):
        return pick_date(objects[0])
    return None


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
