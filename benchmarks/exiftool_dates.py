"""What asking exiftool costs: one ``-stay_open`` process answering a batch, against one
process per file (what peers do).

    python -m benchmarks.exiftool_dates PHOTO [--copies 50]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from engine.dates.exiftool import ExifTool


def measure(photo: Path, copies: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n in range(copies):
            path = Path(folder) / f"copy{n}{photo.suffix}"
            shutil.copyfile(photo, path)
            paths.append(str(path))
        tool = ExifTool()
        started = time.perf_counter()
        tool.dates(paths[:1])
        first = time.perf_counter() - started
        started = time.perf_counter()
        found = tool.dates(paths)
        batch = (time.perf_counter() - started) / copies
        tool.close()
        started = time.perf_counter()
        sample = paths[: min(20, copies)]
        for path in sample:
            command = ["exiftool", "-j", "-G", "-fast", "-DateTimeOriginal", path]
            subprocess.run(command, capture_output=True, check=False)
        per_process = (time.perf_counter() - started) / len(sample)
    return {
        "start_and_first_file_ms": first * 1e3,
        "batch_ms_per_file": batch * 1e3,
        "process_per_file_ms": per_process * 1e3,
        "dated": sum(when is not None for when in found.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", type=Path)
    parser.add_argument("--copies", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(measure(args.photo, args.copies), indent=2))


if __name__ == "__main__":
    main()
