"""What a resume pays to find the files an earlier run placed whose copy in DEST is gone
(``engine.store.dest_view.lost_copies``): the camera photos of the shared corpus organized, the
journal's rows copied under c001/, c002/... until there are about ``ROWS`` (DEST given a hard
link for each copied row's file), then, with nothing missing, the time of the journal's done
rows alone (what every resume reads), of ``lost_copies`` (DEST listed a folder at a time), and
of an ``lstat`` of every placed file instead; then the same with one file in a hundred deleted.
The page cache is warm (the best of three). The corpus spreads its photos thinly (about 2.5 a
folder once copied under c001/...); ``--big-folders`` names the copies ``x.jpg.c001`` beside
the originals instead (about 1,000 a folder), as a camera's dump or a year folder holds them.

    .venv/bin/python benchmarks/dest_gone.py [ROWS] [--big-folders]    # default 20000
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.reports import grow  # noqa: E402
from engine.cli import main as imgorg  # noqa: E402
from engine.store.dest_view import lost_copies  # noqa: E402
from engine.store.journal import Journal  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def each_stat(journal: Journal, source: str, dest: str) -> set[str]:
    gone = set()
    for rel, name in journal.placed_copies(source):
        if not os.path.lexists(os.path.join(dest, name)):
            gone.add(rel)
    return gone


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    rows = int(numbers[0]) if numbers else 20_000
    big = "--big-folders" in sys.argv
    with tempfile.TemporaryDirectory(prefix="imgorg-dest-gone-") as scratch:
        src, dest = Path(scratch) / "src", Path(scratch) / "dest"
        shutil.copytree(CORPUS / "camera", src)
        assert imgorg(["organize", str(src), str(dest), "--quiet", "--min-size", "0"]) == 0
        path = str(dest / ".imgorg" / "journal.sqlite")
        grow(path, rows)
        journal = Journal.open(path)
        if big:  # 2008/c001/DCIM/x.jpg -> 2008/DCIM/x.jpg.c001
            text = "CAST(dest AS TEXT)"
            journal.db.execute(
                f"UPDATE files SET dest = CAST(substr({text}, 1, 5) || substr({text}, 11) || '.' "
                f"|| substr({text}, 6, 4) AS BLOB) WHERE substr({text}, 6, 5) GLOB 'c[0-9][0-9][0-9]/'"
            )
        source = str(src)
        placed = list(journal.placed_copies(source))
        for _, name in placed:  # the copied rows' files: c001/... below the year
            target = dest / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                if big:
                    original = dest / name.rsplit(".", 1)[0]
                else:
                    year, _, rest = name.partition("/")
                    original = dest / year / rest.split("/", 1)[1]
                os.link(original, target)
        folders = len({os.path.dirname(name) for _, name in placed})
        print(f"{len(placed)} placed rows in {folders} folders of DEST")
        for label in ("nothing missing", "1 in 100 deleted"):
            if label != "nothing missing":
                for _, name in placed[::100]:
                    (dest / name).unlink()
            done, _ = best_of(3, lambda: journal.done_files(source))
            listed, lost = best_of(3, lambda: lost_copies(journal, source, str(dest)))
            stats, by_stat = best_of(3, lambda: each_stat(journal, source, str(dest)))
            assert lost == by_stat, (len(lost), len(by_stat))  # type: ignore[arg-type]
            per = 1e6 / len(placed)
            print(
                f"{label}: done rows {done:.3f} s; lost_copies {listed:.3f} s "
                f"({listed * per:.1f} us a file, {len(lost)} lost); "  # type: ignore[arg-type]
                f"an lstat each {stats:.3f} s ({stats * per:.1f} us a file)"
            )
        journal.close()


if __name__ == "__main__":
    main()
