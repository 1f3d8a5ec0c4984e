"""Text for the page: escaped, with control characters made visible, numbers and durations
as people read them, and the relative links from the page to DEST, thumbnails and the report."""

from __future__ import annotations

import html
import os
import urllib.parse
from dataclasses import dataclass

from engine.report.summary import Summary

# text ----------------------------------------------------------------------------------------
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F) if c != 0x09}


def clean(text: object) -> str:
    """Text safe to write as UTF-8: undecodable bytes and control characters as ``\\xNN``."""
    value = str(text)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = value.encode("utf-8", "surrogateescape")  # os.fsdecode's stand-ins
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "backslashreplace")
        value = raw.decode("utf-8", "backslashreplace")
    return value.translate(_CONTROLS)


def esc(text: object) -> str:
    """Text for HTML content or a quoted attribute value."""
    return html.escape(clean(text), quote=True)


def url_path(path: str) -> str:
    """A relative path as a URL: the file's real bytes, percent-encoded."""
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:
        raw = path.encode("utf-8", "backslashreplace")
    return urllib.parse.quote(raw.replace(os.sep.encode(), b"/"), safe="/")


def num(n: int | float) -> str:
    return f"{n:,}" if isinstance(n, int) else f"{n:,.1f}"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def percent(part: int | float, whole: int | float) -> str:
    if not whole:
        return "0 %"
    share = 100 * part / whole
    return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


# links ---------------------------------------------------------------------------------------
@dataclass
class Links:
    """Relative URLs from the page's folder to DEST, the thumbnails and the JSON Lines report."""

    dest: str | None  # URL prefix of DEST, None when placed files are not to be linked
    thumbs_dir: str | None
    thumbs: str | None  # URL prefix of thumbs_dir
    report: str | None  # URL of the JSON Lines report
    report_name: str | None

    @classmethod
    def build(
        cls, path: str, summary: Summary, thumbs_dir: str | None, report: str | None
    ) -> Links:
        here = os.path.dirname(os.path.abspath(path))
        dest: str | None = ".."
        if summary.dry_run:
            dest = None
        elif isinstance(summary.dest, str):
            dest = _relative(summary.dest, here)
        thumbs = _relative(thumbs_dir, here) if thumbs_dir else None
        return cls(
            dest=dest,
            thumbs_dir=thumbs_dir,
            thumbs=thumbs,
            report=_relative(report, here) if report else None,
            report_name=os.path.basename(report) if report else None,
        )

    def placed(self, dest: str | None) -> str | None:
        if self.dest is None or not dest:
            return None
        return f"{self.dest}/{url_path(dest)}" if self.dest else url_path(dest)

    def thumb(self, content_hash: str | None) -> str | None:
        if self.thumbs_dir is None or self.thumbs is None or not content_hash:
            return None
        if not os.path.isfile(os.path.join(self.thumbs_dir, f"{content_hash}.jpg")):
            return None
        name = urllib.parse.quote(f"{content_hash}.jpg")
        return f"{self.thumbs}/{name}" if self.thumbs else name


def _relative(target: str, here: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(target), here)
    except ValueError:  # another drive
        return "file://" + url_path(os.path.abspath(target))
    return "" if rel == "." else url_path(rel)
