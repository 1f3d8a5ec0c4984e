"""Atheris fuzz target: whatever bytes a file holds and whatever its name, the metadata, date
(EXIF, XMP, IPTC) and structure parsers answer without raising.

    .venv/bin/python tests/fuzz_metadata.py -max_total_time=600 [CORPUS_DIR ...]
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from engine.dates.exif import read_exif_facts
    from engine.dates.filename import date_from_filename, filename_date
    from engine.dates.iptc import iptc_date
    from engine.dates.parse import parse_exif_datetime
    from engine.dates.video import parse_loci
    from engine.dates.xmp import xmp_date
    from engine.formats import exif_edit, jpeg, png


def one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    name = provider.ConsumeUnicodeNoSurrogates(64)
    date_from_filename(name)
    parse_exif_datetime(name)
    body = provider.ConsumeBytes(provider.remaining_bytes())
    for blob in (body, b"\xff\xd8" + body, png.SIGNATURE + body):
        structure = jpeg.check_jpeg(blob)
        if structure.exif:
            read_exif_facts(structure.exif)
            exif_edit.replace_thumbnail(structure.exif, body[:64])
        if structure.xmp:
            xmp_date(structure.xmp)
        png.check_png(blob)
    read_exif_facts(body)
    xmp_date(body)
    iptc_date({(2, 55): body[:8], (2, 60): body[8:19]})
    exif_edit.patch_exif(body, orientation=1, size=(10, 20), drop_thumbnail=True)
    exif_edit.read_orientation(body)
    exif_edit.pixel_dimensions(body)
    exif_edit.xmp_orientation(body)
    parse_loci(body)
    exif_edit.thumbnail(body)
    exif_edit.replace_thumbnail(body, body[:64])
    filename_date(name)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
