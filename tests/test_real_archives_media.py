"""Videos and the less common still formats as camera cards and phone backups hold them: each
file gets its own date, status and reason, and is placed byte for byte."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from test_formats import FFMPEG, by_source


def _mux(path: Path, *args: str, seconds: str = "1") -> None:
    """A real video from ffmpeg's test source (noise, so that it has some size)."""
    assert FFMPEG is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    source = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-vf", "noise=alls=60:allf=t"]
    command = [FFMPEG, "-v", "error", "-y", *source, "-t", seconds, *args, str(path)]
    subprocess.run(command, check=True)


def _with_idit(avi: bytes, stamp: bytes) -> bytes:
    """An AVI with the ``IDIT`` chunk old Canon, Nikon, Casio and Fujifilm compacts write (the
    camera's local time, ``MON MAR 03 10:11:12 2008``) at the end of its ``hdrl`` list."""
    data = bytearray(avi)
    at = data.index(b"LIST")
    assert data[at + 8 : at + 12] == b"hdrl"
    size = struct.unpack("<I", data[at + 4 : at + 8])[0]
    payload = stamp + b"\n\x00"
    chunk = b"IDIT" + struct.pack("<I", len(payload)) + payload
    data[at + 8 + size : at + 8 + size] = chunk
    data[at + 4 : at + 8] = struct.pack("<I", size + len(chunk))
    data[4:8] = struct.pack("<I", struct.unpack("<I", data[4:8])[0] + len(chunk))
    return bytes(data)


def test_a_fujifilm_hif_is_taken_as_a_heif_photo(tmp_path: Path, corpus: Path, organize) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src" / "DCIM" / "100_FUJI"
    src.mkdir(parents=True)
    data = (corpus / "formats" / "IMG_2927.HEIC").read_bytes()
    (src / "DSCF0001.HIF").write_bytes(data)
    code, report = organize(tmp_path / "src", tmp_path / "out")
    line = by_source(report)["DCIM/100_FUJI/DSCF0001.HIF"]
    assert code == 0 and line["status"] == "placed", line
    assert (line["year"], line["date_source"]) == (2020, "exif")
    assert not line["rotated"] and not line["compressed"]
    assert (tmp_path / "out" / line["dest"]).read_bytes() == data
