"""Peak memory of ``imgorg undo`` and ``undo --dry-run`` of a large run: 20 camera photos of
the shared corpus organized, the journal's rows copied under c001/, c002/... until it has about
``ROWS`` rows (files not in DEST: each is listed as left alone), then each command in a child
process, its VmHWM (a child's ru_maxrss would be pytest's or this process's) and wall time.

    .venv/bin/python benchmarks/undo_memory.py [ROWS]    # default 361000
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.reports import grow  # noqa: E402
from engine.cli import main as imgorg  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
# The command in a child process, its output to /dev/null (a terminal does not keep it).
_CHILD = (
    "import contextlib, os, re, sys, time\n"
    "from engine.cli import main\n"
    "start = time.perf_counter()\n"
    "with open(os.devnull, 'w') as out, contextlib.redirect_stdout(out):\n"
    "    code = main(['undo', *sys.argv[2:], sys.argv[1]])\n"
    "peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
    "print(code, int(peak) // 1024, f'{time.perf_counter() - start:.1f}')\n"
)


def measure(dest: Path, *flags: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(dest), *flags],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    code, mib, seconds = done.stdout.split()
    return f"exit {code}, peak {mib} MiB, {seconds} s"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 361_000
    with tempfile.TemporaryDirectory(prefix="imgorg-undo-memory-") as work:
        src, dest = Path(work, "src"), Path(work, "dest")
        src.mkdir()
        for photo in sorted((CORPUS / "camera").glob("*.jpg"))[:20]:
            shutil.copy2(photo, src / photo.name)
        assert imgorg(["organize", str(src), str(dest), "--quiet", "--min-size", "0"]) == 0
        grow(str(dest / ".imgorg" / "journal.sqlite"), rows)
        print(f"{rows} rows: undo --dry-run: {measure(dest, '--dry-run')}")
        print(f"{rows} rows: undo: {measure(dest)}")


if __name__ == "__main__":
    main()
