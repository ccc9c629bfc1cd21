"""End to end in a real browser: the HTML report offline, the notebooks live in JupyterLab.

Offline report (uses the shared ``ci_report`` run from conftest):
1. no page loads anything from the network (no http(s) src/href);
2. every plotly chart draws in headless chromium with networking disabled;
3. a screenshot of the first chapter shows coloured chart ink, not a blank page.

Live JupyterLab: each notebook runs from the Run menu in a private server, its charts
and widgets render, and moving an explorer's slider redraws the explorer's chart.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from browser import (
    ROOT,
    chromium_missing,
    count_class,
    dump_dom,
    external_urls,
    jupyter_lab,
    png_stats,
    read_png,
    run_in_lab,
    screenshot,
    set_slider,
    wait_for,
    widget_chart_ticks,
)

needs_chromium = pytest.mark.skipif(
    chromium_missing() is not None, reason=chromium_missing() or "chromium present"
)
CHART_INK = 0.01  # share of strongly coloured pixels a drawn chart page has at least


@pytest.fixture(scope="session")
def report_pages(ci_report) -> list[Path]:
    """index.html first, then the chapter pages of the shared CI report run."""
    reports, _ = ci_report
    folder = reports / "ci"
    chapters = sorted(p for p in folder.glob("[0-9][0-9]_*.html"))
    assert chapters, f"no chapter pages in {folder}"
    return [folder / "index.html", *chapters]


# ----------------------------------------------------------------------------- helpers' own tests
def _encode_png(pixels: np.ndarray, filters: list[int]) -> bytes:
    """A minimal PNG encoder that applies the given filter type to each row."""
    height, width, channels = pixels.shape
    rows = pixels.reshape(height, width * channels).astype(np.int64)
    raw = bytearray()
    for y, kind in enumerate(filters):
        row = rows[y]
        prev = rows[y - 1] if y else np.zeros_like(row)
        left = np.concatenate([np.zeros(channels, np.int64), row[:-channels]])
        upleft = np.concatenate([np.zeros(channels, np.int64), prev[:-channels]])
        if kind == 0:
            pred = np.zeros_like(row)
        elif kind == 1:
            pred = left
        elif kind == 2:
            pred = prev
        elif kind == 3:
            pred = (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        raw.append(kind)
        raw += ((row - pred) % 256).astype(np.uint8).tobytes()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("channels", [3, 4])
def test_read_png_undoes_every_filter(tmp_path, channels):
    rng = np.random.default_rng(channels)
    pixels = rng.integers(0, 256, size=(10, 7, channels), dtype=np.uint8)
    path = tmp_path / "x.png"
    path.write_bytes(_encode_png(pixels, [0, 1, 2, 3, 4, 4, 3, 2, 1, 0]))
    np.testing.assert_array_equal(read_png(path), pixels)


def test_png_stats_tells_ink_from_blank(tmp_path):
    blank = np.full((20, 20, 3), 255, dtype=np.uint8)
    (tmp_path / "blank.png").write_bytes(_encode_png(blank, [1] * 20))
    inked = blank.copy()
    inked[:5, :8] = (99, 110, 250)  # a plotly-blue bar over 40 of 400 pixels
    inked[10, :] = (60, 60, 60)  # grey text-like line: not ink
    (tmp_path / "ink.png").write_bytes(_encode_png(inked, [4] * 20))
    assert png_stats(tmp_path / "blank.png").colours == 1
    assert png_stats(tmp_path / "blank.png").saturated == 0
    stats = png_stats(tmp_path / "ink.png")
    assert (stats.colours, stats.saturated) == (3, 0.1)


def test_external_urls_lists_only_remote_references():
    page = (
        '<link href="style.css"><script src="https://cdn.example/x.js"></script>'
        '<img src="//cdn.example/a.png"><a href="#top">top</a><a href="02.html">next</a>'
        "<script>var s = '<script src=\"https://in.a.string/\"></script>';</script>"
    )
    assert external_urls(page) == [
        "<script src=https://cdn.example/x.js>",
        "<img src=//cdn.example/a.png>",
    ]


@pytest.mark.slow
@needs_chromium
def test_offline_browser_really_is_offline(tmp_path):
    """The control: a chart that needs a CDN stays blank, an inlined one draws."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=[1, 2, 3], y=[3, 1, 2]))
    fig.write_html(tmp_path / "cdn.html", include_plotlyjs="cdn")
    fig.write_html(tmp_path / "inline.html", include_plotlyjs=True)
    assert count_class(dump_dom(tmp_path / "cdn.html"), "main-svg") == 0
    assert count_class(dump_dom(tmp_path / "inline.html"), "main-svg") >= 1
    blank = png_stats(screenshot(tmp_path / "cdn.html", tmp_path / "cdn.png", 800, 600))
    drawn = png_stats(screenshot(tmp_path / "inline.html", tmp_path / "inline.png", 800, 600))
    assert blank.saturated == 0
    assert drawn.saturated > CHART_INK


# ----------------------------------------------------------------------------- offline HTML report
@pytest.mark.slow
def test_report_pages_fetch_nothing_from_the_network(report_pages):
    found = {
        page.name: urls
        for page in report_pages
        if (urls := external_urls(page.read_text(encoding="utf-8")))
    }
    listing = "\n".join(
        f"  {name}: {url} (x{urls.count(url)})"
        for name, urls in found.items()
        for url in dict.fromkeys(urls)
    )
    assert not found, f"report pages reference the network (blank or slow offline):\n{listing}"


@pytest.mark.slow
@needs_chromium
def test_report_charts_draw_offline(report_pages):
    charts_seen = 0
    for page in report_pages:
        dom = dump_dom(page)
        placeholders = count_class(dom, "plotly-graph-div")
        drawn = count_class(dom, "js-plotly-plot")  # plotly.js adds it when it draws
        assert drawn == placeholders, f"{page.name}: {drawn} of {placeholders} charts drew"
        assert count_class(dom, "main-svg") >= placeholders, page.name
        charts_seen += placeholders
    assert charts_seen >= len(report_pages) - 1, "expected at least one chart per chapter"


@pytest.mark.slow
@needs_chromium
def test_first_chapter_screenshot_shows_charts(report_pages, tmp_path):
    first_chapter = report_pages[1]
    png = screenshot(first_chapter, tmp_path / "chapter.png", width=1280, height=8000)
    stats = png_stats(png)
    assert (stats.width, stats.height) == (1280, 8000)
    assert stats.colours > 50
    assert stats.saturated > CHART_INK, (
        f"{first_chapter.name}: only {stats.saturated:.2%} coloured pixels; charts blank?"
    )


# ----------------------------------------------------------------------------- live JupyterLab
def _bins_change(driver) -> list[str]:
    wait_for(lambda: widget_chart_ticks(driver), 60, "the explorer's charts")
    bins = 4
    if set_slider(driver, "Bins", bins) == str(bins):  # already there: move elsewhere
        bins = 3
        set_slider(driver, "Bins", bins)
    expected = [str(s) for s in range(1, bins + 1)]
    return wait_for(
        lambda: (ticks := (widget_chart_ticks(driver) or [[]])[0]) == expected and ticks,
        120,
        f"the score chart to redraw with {bins} scores",
    )


def _k_changes(driver) -> int:
    k = 3
    if set_slider(driver, "k (clusters)", k) == str(k):  # already there: move elsewhere
        k = 2
        set_slider(driver, "k (clusters)", k)
    wait_for(
        lambda: (
            f"Cluster profiles, k = {k}" in driver.execute_script("return document.body.innerText")
        ),
        180,
        f"the cluster profiles for k = {k}",
    )
    return k


LAB_NOTEBOOKS = {"01_explore_rfv.ipynb": _bins_change, "02_segments.ipynb": _k_changes}


@pytest.fixture(scope="module")
def lab():
    with jupyter_lab(ROOT) as server:
        yield server


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("name", list(LAB_NOTEBOOKS))
def test_notebook_runs_live_in_jupyterlab(lab, name, tmp_path):
    notebook = ROOT / "notebooks" / name
    if not notebook.exists():
        pytest.skip(f"{notebook} not written yet")
    before = hashlib.sha256(notebook.read_bytes()).hexdigest()
    run = run_in_lab(
        lab,
        f"notebooks/{name}",
        timeout=300,
        screenshot_to=tmp_path / "lab.png",
        then=LAB_NOTEBOOKS[name],
    )
    assert not run.tracebacks, "\n\n".join(run.tracebacks)
    assert run.plotly_charts >= 1, run
    assert run.widgets >= 1 and run.sliders >= 1, run
    assert run.widget_charts >= 1, f"the explorer's charts did not draw: {run}"
    assert run.then, "moving the slider did not update the explorer"
    assert hashlib.sha256(notebook.read_bytes()).hexdigest() == before, "notebook was modified"
