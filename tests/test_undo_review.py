"""Defects of ``imgorg undo`` an adversarial review found: the mode bits of a photo copied
back to SOURCE, a copy run's undo after a move run's undo gave up, a photo put back on the card
after its release, and the memory an undo of a large journal takes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.reports import grow
from conftest import imgorg, photos_in

# ``imgorg undo ARGS DEST`` in a child process: its exit code, its peak memory (VmHWM, not
# ru_maxrss, which a child inherits from pytest) in MiB, and how many lines it printed.
_PEAK = (
    "import contextlib, io, os, re, sys\n"
    "from engine.cli import main\n"
    "out = io.StringIO()\n"
    "with contextlib.redirect_stdout(out):\n"
    "    code = main(['undo', *sys.argv[2:], sys.argv[1]])\n"
    "status = open('/proc/self/status').read()\n"
    "print(code, int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)\n"
    "sys.stderr.write(out.getvalue()[-300:])\n"
)


def _undo_peak(dest: Path, *flags: str) -> tuple[int, int, str]:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(dest), *flags], capture_output=True, text=True
    )
    code, mib = done.stdout.split()
    return int(code), int(mib), done.stderr


def test_undo_of_a_large_run_reads_its_journal_a_row_at_a_time(
    tmp_path: Path, corpus: Path
) -> None:
    """``imgorg undo`` (and ``--dry-run``) of a run of 120,000 files: its rows are undone one at
    a time as read and the files left in DEST said as found, not all held first (361,000 rows
    took 282 MiB for a dry run, 314 MiB for the undo)."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    for photo in sorted((corpus / "camera").glob("*.jpg"))[:20]:
        shutil.copy2(photo, src / photo.name)
    code, _ = imgorg("organize", str(src), str(dest), "--quiet", "--min-size", "0")
    assert code == 0
    grow(str(dest / ".imgorg" / "journal.sqlite"), 120_000)  # rows of files not in DEST
    code, mib, said = _undo_peak(dest, "--dry-run")
    assert mib < 45, f"undo --dry-run's peak memory: {mib} MiB"
    assert code == 1 and "20 copies would be removed" in said, said
    code, mib, said = _undo_peak(dest)
    assert mib < 75, f"undo's peak memory: {mib} MiB"  # SQLite's page cache is 32 MiB of it
    assert code == 1 and "20 copies were removed" in said, said
    assert "119980 left alone" in said, said
    assert photos_in(dest) == {}
