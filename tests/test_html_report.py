"""The HTML report: built from a real run's journal, checked in headless Chromium.

The browser tests need Debian's ``chromium`` and the Python ``playwright`` package (driving the
system browser; no ``playwright install``). Without them they are skipped, saying why. Set
``IMGORG_SCREENSHOT=docs/report.png`` to save a screenshot of the shared corpus's report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import random
import shutil
import time
import tracemalloc
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFile

from benchmarks.make_archive import Spec, make_archive
from conftest import read_report, write_photo
from engine.records import DateSource, Decision, Status
from engine.report import html as html_report
from engine.report.html import (
    DUP_GROUPS,
    GALLERY_CARDS,
    Aggregate,
    aggregate,
    clean,
    esc,
    nice_step,
    url_path,
    write_html_report,
    write_run_report,
)
from engine.store.journal import Journal

CHROMIUM = os.environ.get("IMGORG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ODD_NAME = "<b>\"odd\" & 'name' <script>.jpg"
NON_UTF8 = b"Scans/caf\xe9 \xff.jpg"


def tiny_spec(**fields: Any) -> Spec:
    """A generator spec with tiny images (the flag is ``tiny``, formerly ``small_pixels``)."""
    names = {f.name for f in dataclasses.fields(Spec)}
    return Spec(**fields, **{"tiny" if "tiny" in names else "small_pixels": True})


def make_thumbnail(source: Path, thumb: Path) -> None:
    """A small JPEG of what can be decoded (a truncated JPEG shows its top), else grey."""
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        with Image.open(os.fsencode(str(source))) as image:
            image.thumbnail((192, 192))
            image.convert("RGB").save(thumb, "JPEG", quality=80)
    except OSError:
        Image.new("RGB", (160, 120), (150, 150, 150)).save(thumb, "JPEG")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False


# a real run ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A generated archive organized by the real engine, its report page, and what it took."""
    from engine.cli import main

    base = tmp_path_factory.mktemp("html")
    src, dest = base / "src", base / "dest"
    make_archive(str(src), tiny_spec(files=70, seed=11))
    for i in range(5):  # sound photos with no date anywhere
        write_photo(src / f"Scans/scan {i:02d}.jpg", None, seed=100 + i)
    write_photo(src / "Scans" / ODD_NAME, None, seed=120)
    data = write_photo(src / "Scans/tmp.jpg", None, seed=121)
    (src / "Scans/tmp.jpg").rename(os.fsdecode(os.fsencode(str(src)) + b"/" + NON_UTF8))
    for i, size in enumerate([(560, 420), (640, 480), (720, 540), (800, 600)]):
        # large enough to be re-encoded with the flags below, at different qualities
        when = dt.datetime(2016, 3 + i, 4)
        write_photo(src / f"Big/big_{i}.jpg", when, size=size, seed=200 + i, quality=97)
    (src / "Broken").mkdir()
    (src / "Broken/cut.jpg").write_bytes(data[: len(data) // 2])
    (src / "Broken/empty.jpg").write_bytes(b"")
    (src / "Broken/noise.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    jsonl = base / "report.jsonl"
    flags = ["--min-size", "0", "--compress-above", "100KB", "--target-size", "120KB"]
    code = main(["organize", str(src), str(dest), *flags, "--report", str(jsonl), "--quiet"])
    assert code == 0
    report = read_report(jsonl)

    meta = dest / ".imgorg"
    thumbs = meta / "thumbs"
    thumbs.mkdir(exist_ok=True)  # the engine may have made it, and some thumbnails
    wanted = [
        line
        for line in report
        if line["hash"]
        and (line["status"] == "corrupt" or (line["status"] == "placed" and line["year"] is None))
    ]
    for line in wanted[:-1]:
        make_thumbnail(dest / line["dest"], thumbs / f"{line['hash']}.jpg")
    (thumbs / f"{wanted[-1]['hash']}.jpg").unlink(missing_ok=True)  # shown as a placeholder
    made = {line["hash"] for line in wanted[:-1]}

    journal = Journal.open(str(meta / "journal.sqlite"))
    try:
        run_id = journal.last_run()
        assert run_id is not None
        summary = dict(journal.run_info(run_id)["summary"])  # type: ignore[call-overload]
        summary.update(source=str(src), dest=str(dest), mode="copy")
        page = meta / "report.html"
        started = time.perf_counter()
        write_html_report(
            str(page), summary, journal.decisions(run_id, str(src)), str(thumbs), str(jsonl)
        )
        seconds = time.perf_counter() - started
        write_run_report(str(meta / "from-journal.html"), journal, run_id, str(thumbs), str(jsonl))
    finally:
        journal.close()
    return {
        "src": src,
        "dest": dest,
        "page": page,
        "report": report,
        "thumbs": made,
        "seconds": seconds,
        "summary": summary,
    }


def test_page_from_a_real_run(run: dict[str, Any]) -> None:
    page: Path = run["page"]
    text = page.read_text(encoding="utf-8")
    assert run["seconds"] < 5
    assert text.startswith("<!DOCTYPE html>")
    assert 'http-equiv="Content-Security-Policy"' in text
    assert ODD_NAME not in text and esc(ODD_NAME) in text
    assert "caf\\xe9 \\xff.jpg" in text  # undecodable bytes shown, never dropped
    # no reference to anything outside the page but DEST and the thumbnails
    for marker in ('<link rel="stylesheet"', "@import", "url(http", 'src="http', "//cdn"):
        assert marker not in text
    data = json.loads(text.split('id="imgorg-data">', 1)[1].split("</script>", 1)[0])
    lines = run["report"]
    assert data["files"] == len(lines)
    assert data["counts"] == dict(Counter(line["status"] for line in lines)) | {
        s.value: 0 for s in Status if s.value not in {line["status"] for line in lines}
    }
    assert data["bytes_in"] == run["summary"]["bytes_in"]
    assert data["compressed"] == run["summary"]["compressed"] > 0
    # the journal-driven variant says the same
    twin = (page.parent / "from-journal.html").read_text(encoding="utf-8")
    assert twin.split('id="imgorg-data">', 1)[1] == text.split('id="imgorg-data">', 1)[1]


# the browser ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright not installed (pip install playwright)"
    )
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser: Any, path: Path, wait: str = "load") -> tuple[Any, list[str], list[str]]:
    """The page in a fresh tab, with every URL it requested and every console error."""
    tab = browser.new_page(viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(path.as_uri(), wait_until=wait)
    return tab, requests, errors


def values(tab: Any, selector: str, key: str) -> dict[str, int]:
    return tab.eval_on_selector_all(
        selector,
        f"els => Object.fromEntries(els.map(e => [e.dataset[{key!r}], +e.dataset.count]))",
    )


PROBE = """() => new Promise(resolve => {
  const blocked = [];
  document.addEventListener('securitypolicyviolation', e => {
    blocked.push(e.blockedURI);
    if (blocked.length === 2) resolve(blocked.sort());
  });
  const img = new Image();
  img.src = 'http://192.0.2.1/x.png';
  document.body.append(img);
  fetch('http://192.0.2.1/api').catch(() => null);
  setTimeout(() => resolve(blocked.sort()), 3000);
})"""


def test_report_in_chromium(run: dict[str, Any], browser: Any) -> None:
    lines = run["report"]
    tab, requests, errors = open_page(browser, run["page"])
    try:
        # no network: only the page itself and the local thumbnails (and data: URLs)
        assert requests, "no request recorded"
        assert all(u.startswith(("file://", "data:")) for u in requests), requests
        assert not errors, errors

        # totals as shown equal the JSON Lines report
        totals = tab.eval_on_selector_all(
            "#totals [data-total]",
            "els => Object.fromEntries(els.map(e => [e.dataset.total, "
            "[+e.dataset.value, e.querySelector('.v').textContent]]))",
        )
        counts = Counter(line["status"] for line in lines)
        assert totals["files"] == [len(lines), f"{len(lines):,}"]
        for status in Status:
            n = counts.get(status.value, 0)
            assert totals[status.value] == [n, f"{n:,}"], status
        assert totals["bytes_in"][0] == sum(line["bytes_in"] for line in lines)
        assert totals["bytes_out"][0] == sum(line["bytes_out"] for line in lines)

        # photos per year (chart and table) and date sources per year
        placed = [line for line in lines if line["status"] == "placed"]
        per_year = Counter(str(line["year"] or "none") for line in placed)
        chart = values(tab, "#years svg [data-year]", "year")
        assert {k: v for k, v in chart.items() if v} == per_year
        table = tab.eval_on_selector_all(
            "#years tr[data-year]",
            "els => Object.fromEntries(els.map(e => [e.dataset.year, "
            "+e.cells[1].textContent.replace(/,/g, '')]))",
        )
        assert table == per_year
        parts = tab.eval_on_selector_all(
            "#dates [data-source-year] [data-part]",
            "els => els.map(e => [e.parentNode.dataset.sourceYear, e.dataset.part, "
            "+e.dataset.count])",
        )
        sources = Counter((str(line["year"] or "none"), line["date_source"]) for line in placed)
        assert {(y, s): n for y, s, n in parts} == sources
        qualities = values(tab, "#compression [data-quality]", "quality")
        chosen = Counter(str(line["quality"]) for line in placed if line["quality"] is not None)
        assert {k: v for k, v in qualities.items() if v} == chosen

        # galleries: every corrupt and undated file, thumbnails loaded, placeholders otherwise
        gallery = tab.eval_on_selector_all(
            "[data-gallery]",
            "els => Object.fromEntries(els.map(e => [e.dataset.gallery, "
            "[+e.dataset.total, e.querySelectorAll('.card').length]]))",
        )
        undated = sum(1 for line in placed if line["year"] is None)
        assert gallery["corrupt"] == [counts["corrupt"], counts["corrupt"]]
        assert gallery["undated"] == [undated, undated]
        assert "errors" not in gallery
        images = tab.eval_on_selector_all(
            "img[data-thumb]", "els => els.map(e => [e.complete, e.naturalWidth, e.src])"
        )
        assert len(images) >= len(run["thumbs"]) > 0
        assert all(done and width > 0 for done, width, _ in images), images
        shown = {Path(urllib.parse.urlparse(src).path).stem for _, _, src in images}
        assert shown >= run["thumbs"]
        placeholders = tab.eval_on_selector_all(".card [data-placeholder]", "els => els.length")
        assert placeholders == counts["corrupt"] + undated - len(run["thumbs"]) >= 1
        names = tab.eval_on_selector_all(".card .name", "els => els.map(e => e.textContent)")
        assert ODD_NAME in names and "caf\\xe9 \\xff.jpg" in names

        # every link points at a file that exists (placed copies, the JSON Lines report)
        hrefs = tab.eval_on_selector_all("a[href]:not([href^='#'])", "els => els.map(e => e.href)")
        assert len(hrefs) > counts["corrupt"] + undated
        for href in hrefs:
            assert href.startswith("file://"), href
            target = urllib.parse.unquote_to_bytes(urllib.parse.urlparse(href).path)
            assert os.path.isfile(target), href
        duplicates = tab.eval_on_selector_all("#duplicates tr[data-kept]", "els => els.length")
        kept = {line["duplicate_of"] for line in lines if line["status"] == "duplicate"}
        assert duplicates == len(kept) > 0
        assert tab.eval_on_selector_all("#duplicates tr[data-kept] a.open", "els => els.length")

        # and the Content-Security-Policy stops anything that would try, before it is sent
        failed: dict[str, str | None] = {}
        tab.on("requestfailed", lambda r: failed.update({r.url: r.failure}))
        loaded = len(requests)
        blocked = tab.evaluate(PROBE)
        assert blocked == ["http://192.0.2.1/api", "http://192.0.2.1/x.png"], blocked
        tab.wait_for_timeout(200)
        assert all(failed.get(u) == "csp" for u in requests[loaded:]), (requests, failed)

    finally:
        tab.close()


def save_screenshot(tab: Any, path: Path) -> None:
    """The whole page, 1100 pixels wide, as a small 128-colour PNG."""
    tab.set_viewport_size({"width": 1100, "height": 900})
    shot = Image.open(io.BytesIO(tab.screenshot(full_page=True)))
    path.parent.mkdir(parents=True, exist_ok=True)
    shot.convert("RGB").quantize(128, Image.Quantize.MEDIANCUT).save(path, optimize=True)


# DEST as it stands: the shared corpus organized, then organized again (nothing to do) ---------
@pytest.fixture(scope="module")
def rerun(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> dict[str, Any]:
    """The corpus (with a TIFF that makes Pillow warn) organized twice into one DEST; the page
    the engine wrote after the second, no-op run."""
    from test_terminal import tiff_with_a_bad_tag

    from engine.cli import main

    base = tmp_path_factory.mktemp("rerun")
    src, dest = base / "src", base / "dest"
    shutil.copytree(corpus, src)
    (src / "scans").mkdir()
    (src / "scans" / "warned.tif").write_bytes(tiff_with_a_bad_tag())
    reports = []
    for n in (1, 2):
        jsonl = base / f"run{n}.jsonl"
        assert main(["organize", str(src), str(dest), "--report", str(jsonl), "--quiet"]) == 0
        reports.append(read_report(jsonl))
    return {"page": dest / ".imgorg" / "report.html", "first": reports[0], "second": reports[1]}


def test_the_page_describes_dest_after_a_no_op_rerun(rerun: dict[str, Any], browser: Any) -> None:
    first, second = rerun["first"], rerun["second"]
    photos = [line for line in first if line["companion_of"] is None]
    placed = [line for line in photos if line["status"] == "placed"]
    tab, _, errors = open_page(browser, rerun["page"])
    try:
        assert not errors, errors
        # the whole of DEST, not the empty second run
        totals = tab.eval_on_selector_all(
            "#totals [data-total]",
            "els => Object.fromEntries(els.map(e => [e.dataset.total, +e.dataset.value]))",
        )
        assert totals["files"] == len(first)
        assert totals["placed"] == len(placed) > 0
        # and the last run as a section of its own
        last = tab.eval_on_selector("#last-run", "e => [+e.dataset.files, +e.dataset.new]")
        redone = sum(1 for line in second if line["status"] in ("skipped", "ignored"))
        assert last == [len(second), redone]

        # photos per year and date sources: the JSON Lines counts, every source in the legend
        per_year = Counter(str(line["year"] or "none") for line in placed)
        chart = values(tab, "#years svg [data-year]", "year")
        assert {k: v for k, v in chart.items() if v} == per_year
        shown = values(tab, "#dates li[data-legend]", "legend")
        assert set(shown) == {s.value for s in DateSource}
        assert sum(shown.values()) == len(placed)
        assert {k: v for k, v in shown.items() if v} == Counter(
            line["date_source"] for line in placed
        )

        # skipped: one row per reason, not per byte size
        small = [
            line for line in photos if (line["reason"] or "").startswith("smaller than --min-size")
        ]
        assert len({line["bytes_in"] for line in small}) > 1
        rows = tab.eval_on_selector_all(
            "#left tbody tr", "els => els.map(e => [...e.cells].map(c => c.textContent))"
        )
        assert ["smaller than --min-size, no camera date", str(len(small))] in rows
        assert not any(
            r[0].startswith("smaller than --min-size (")
            for r in rows
            if len(r) == 2 and r[1].isdigit()
        )

        # notes are information, apart from problems; undated cards carry no note as a reason
        noted = [line for line in placed if line["note"]]
        notes = values(tab, "#notes tr[data-note]", "note")
        assert sum(notes.values()) == len(noted) > 0
        assert any("tag 33723 had too many entries" in note for note in notes)
        problems = tab.eval_on_selector_all(
            "[data-verdicts=problems] p", "els => els.map(e => e.dataset.verdict)"
        )
        assert set(problems) <= {"bad", "warn"} and problems
        info = tab.eval_on_selector("[data-verdicts=information]", "e => e.textContent")
        assert f"{len(noted)} placed photos carry a note" in info
        assert tab.eval_on_selector_all("#gallery-undated .card .reason", "els => els.length") == 0

        # the year view: a contact sheet per year, thumbnails made by the workers, loaded
        sheets = values(tab, "#year-view [data-sheet]", "sheet")
        assert sheets == {y: n for y, n in per_year.items() if y != "none"}
        pictures = tab.eval_on_selector_all(
            "#year-view [data-sheet]",
            "els => els.map(e => [...e.querySelectorAll('img')].map(i => i.complete && i.naturalWidth > 0))",
        )
        assert all(0 < len(p) <= html_report.SHEET and all(p) for p in pictures), pictures

        if os.environ.get("IMGORG_SCREENSHOT"):
            save_screenshot(tab, Path(os.environ["IMGORG_SCREENSHOT"]))
    finally:
        tab.close()


# a large run ---------------------------------------------------------------------------------
def synthetic(n: int, seed: int = 5) -> Iterator[Decision]:
    """``n`` decisions in path order, as a large messy run would produce them."""
    rng = random.Random(seed)
    kept: list[str] = []
    for i in range(n):
        folder = f"Backup {i % 37}/DCIM/{100 + i % 11}CANON"
        rel = f"{folder}/IMG_{i:07d}.jpg"
        roll = rng.random()
        size = rng.randint(200_000, 9_000_000)
        if roll < 0.48:
            year = rng.randint(1998, 2024)
            when = dt.datetime(year, rng.randint(1, 12), rng.randint(1, 28), 12)
            compressed = size > 6_000_000
            yield Decision(
                rel,
                Status.PLACED,
                size=size,
                dest=f"{year}/{rel}",
                year=year,
                date=when.isoformat(),
                date_source=DateSource.EXIF if roll < 0.4 else DateSource.FILENAME,
                hash=f"{i:032x}",
                bytes_out=size // 2 if compressed else size,
                compressed=compressed,
                quality=rng.randint(70, 94) if compressed else None,
                original_quality=95,
            )
            if len(kept) < 2_000:
                kept.append(rel)
        elif roll < 0.70:  # many undated
            yield Decision(rel, Status.PLACED, size=size, dest=f"NoDate/{rel}", hash=f"{i:032x}")
        elif roll < 0.82 and kept:
            of = kept[rng.randrange(len(kept))]
            yield Decision(rel, Status.DUPLICATE, size=size, duplicate_of=of, reason="identical")
        elif roll < 0.87:
            yield Decision(
                rel, Status.CORRUPT, size=size, dest=f"Corrupted/{rel}", reason="truncated"
            )
        elif roll < 0.92:
            yield Decision(rel, Status.SKIPPED, size=10, reason="smaller than --min-size")
        elif roll < 0.99:
            yield Decision(f"{folder}/.DS_Store", Status.IGNORED, reason="system junk file")
        else:
            yield Decision(rel, Status.ERROR, size=size, reason=f"cannot read: error {i % 7}")


LARGE = 100_000


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The page of a 100,000-file run, and how long writing it took."""
    base = tmp_path_factory.mktemp("large")
    page = base / ".imgorg" / "report.html"
    summary = {"files": LARGE, "seconds": 812.5, "files_per_second": LARGE / 812.5, "workers": 2}
    started = time.perf_counter()
    write_html_report(str(page), summary, synthetic(LARGE), str(base / "thumbs"), None)
    return page, time.perf_counter() - started


def test_large_run_is_small_and_quick_to_write(large: tuple[Path, float]) -> None:
    page, seconds = large
    assert seconds < 10, f"rendering took {seconds:.1f} s"
    size = page.stat().st_size
    assert size < 3_000_000, f"{size:,} bytes"
    text = page.read_text(encoding="utf-8")
    assert text.count('class="card"') <= 3 * GALLERY_CARDS
    assert "see the JSON Lines report" in text


def test_large_run_opens_quickly(large: tuple[Path, float], browser: Any) -> None:
    page, _ = large
    started = time.perf_counter()
    tab, requests, errors = open_page(browser, page, wait="domcontentloaded")
    opening = time.perf_counter() - started
    try:
        assert opening < 15, f"opening took {opening:.1f} s"
        assert all(u.startswith(("file://", "data:")) for u in requests), requests
        assert not errors, errors
        expected = Counter(d.status.value for d in synthetic(LARGE))
        shown = tab.eval_on_selector_all(
            "#totals [data-total]",
            "els => Object.fromEntries(els.map(e => [e.dataset.total, +e.dataset.value]))",
        )
        assert shown["files"] == LARGE
        assert {s: shown[s] for s in expected} == expected
        groups = tab.eval_on_selector_all("#duplicates tr[data-kept]", "els => els.length")
        assert groups == DUP_GROUPS
    finally:
        tab.close()


# pieces --------------------------------------------------------------------------------------
def test_text_is_escaped_and_encodable() -> None:
    weird = os.fsdecode(b"a\xff<b>&\"'\n.jpg")
    assert clean(weird) == "a\\xff<b>&\"'\\x0a.jpg"
    assert esc(weird) == "a\\xff&lt;b&gt;&amp;&quot;&#x27;\\x0a.jpg"
    esc("\ud800 lone surrogate").encode("utf-8")
    assert url_path(weird) == "a%FF%3Cb%3E%26%22%27%0A.jpg"
    assert url_path("2019/a b#1?.jpg") == "2019/a%20b%231%3F.jpg"


def test_tick_steps_are_round() -> None:
    assert [nice_step(p) for p in (1, 7, 40, 950, 123_456)] == [1, 2, 10, 500, 50_000]


def test_aggregate_is_bounded_and_links_duplicates() -> None:
    decisions = list(synthetic(30_000, seed=9))
    agg = aggregate(iter(decisions))
    assert agg.files == 30_000
    assert len(agg.groups) == DUP_GROUPS
    assert all(len(listing.entries) <= listing.limit for listing in (agg.undated, agg.skipped))
    assert agg.undated.total > agg.undated.limit
    assert sum(len(r.counts) for r in agg.reasons.values()) <= 4 * 40
    assert len(agg.placed_memory) <= 20_000
    dest = {d.rel: d.dest for d in decisions}
    resolved = [g for g in agg.groups.values() if g.kept_dest]
    assert resolved and all(dest[g.kept] == g.kept_dest for g in resolved)
    agg.resolve(lambda h: "found/by/hash.jpg")
    assert not agg.placed_memory


def test_memory_does_not_grow_with_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streaming 4 times as many decisions costs no more memory: nothing is kept per file."""
    monkeypatch.setattr(html_report, "PLACED_MEMORY", 2_000)  # full after ~3,000 decisions

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            aggregate(synthetic(n, seed=3))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(15_000), peak(60_000)
    assert large < small + 500_000, (small, large)  # keeping 45,000 more would cost > 10 MB


def test_duplicate_seen_before_its_kept_copy() -> None:
    agg = Aggregate()
    agg.add(Decision("a/copy.jpg", Status.DUPLICATE, size=5, duplicate_of="b/orig.jpg", hash="h"))
    agg.add(Decision("b/orig.jpg", Status.PLACED, size=5, dest="2020/b/orig.jpg", year=2020))
    assert agg.groups["b/orig.jpg"].kept_dest == "2020/b/orig.jpg"


def test_minimal_summary_and_no_decisions(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    write_html_report(str(page), {}, [], None)
    text = page.read_text(encoding="utf-8")
    assert "All 0 files" in text and "Nothing to show" in text
    write_html_report(str(page), {"dry_run": True, "run_id": 3}, [], None, "x.jsonl")
    assert "Dry run" in page.read_text(encoding="utf-8")


def test_year_view_sample_is_spread_by_hash_and_bounded_per_year() -> None:
    import xxhash

    from engine.stages import analyse as worker

    hashes = [xxhash.xxh3_128_hexdigest(str(i).encode()) for i in range(20_000)]
    worker._sampled.clear()
    assert sum(worker.in_sample(h, 2010, 1.0) for h in hashes[:100]) == worker.SAMPLE_PER_YEAR
    worker._sampled.clear()
    taken = [h for i, h in enumerate(hashes) if worker.in_sample(h, 1900 + i % 2000, 0.05)]
    assert 800 < len(taken) < 1200  # about 5 % of 20,000
    worker._sampled.clear()
    again = [h for i, h in enumerate(hashes) if worker.in_sample(h, 1900 + i % 2000, 0.05)]
    assert again == taken  # the same photos on every run
    worker._sampled.clear()
    assert not any(worker.in_sample(h, 2010, 0.0) for h in hashes[:100])
