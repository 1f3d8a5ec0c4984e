"""Date readers, one module per source (``DateSource``); each gives a date or None and never
chooses between sources (``engine/policy/date_precedence.py`` does):

``original`` (an edited copy's original), ``exif`` (DateTimeOriginal/DateTimeDigitized, and IFD0
DateTime as ``exif-modified``: one EXIF block gives both), ``raw`` (the EXIF in RAW files),
``video`` (the container), ``xmp`` (in the file or a sidecar), ``iptc``, ``takeout`` (Google
Takeout JSON), ``filename``, ``exiftool`` (maker notes, legacy containers), ``folder``,
``mtime``. Helpers: ``parse`` (EXIF date text, valid years), ``timezone`` (local time and
``tz_source``).
"""
