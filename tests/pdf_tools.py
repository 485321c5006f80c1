"""Workbooks to PDF with LibreOffice, and what the pages hold (poppler's pdftotext and
pdftoppm). Without the tools the tests skip, unless CI_REQUIRE_SOFFICE=1 (CI sets it),
when they fail: CI never goes green by skipping."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

TOOLS = ("soffice", "pdftotext", "pdftoppm")


def require_tools() -> dict[str, str]:
    """The paths of soffice, pdftotext and pdftoppm; skip (or fail under CI) without them."""
    found = {name: shutil.which(name) for name in TOOLS}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        message = (f"{', '.join(missing)} not found: install libreoffice-calc-nogui and "
                   "poppler-utils to run the PDF checks")
        if os.environ.get("CI_REQUIRE_SOFFICE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found  # type: ignore[return-value]


def to_pdf(workbooks: list[Path], folder: Path) -> dict[Path, Path]:
    """Convert every workbook with one LibreOffice call; returns workbook -> PDF."""
    tools = require_tools()
    profile = folder / "lo-profile"
    result = subprocess.run(
        [tools["soffice"], "--headless", f"-env:UserInstallation=file://{profile}",
         "--convert-to", "pdf", "--outdir", str(folder), *map(str, workbooks)],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    pdfs = {book: folder / f"{book.stem}.pdf" for book in workbooks}
    for book, pdf in pdfs.items():
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), (book, result.stdout)
    return pdfs


def page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext puts a form feed after every page)."""
    text = subprocess.run([require_tools()["pdftotext"], "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def word_heights(pdf: Path) -> list[list[float]]:
    """Per page, the height in points of every word's box: the printed size of its text."""
    html = subprocess.run([require_tools()["pdftotext"], "-bbox", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([float(low) - float(high) for high, low in
                      re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', page)])
    return pages


def median_word_points(pdf: Path) -> list[float]:
    """The median word height of each page, in points (0 for a page without words)."""
    return [statistics.median(h) if h else 0.0 for h in word_heights(pdf)]


def render_png(pdf: Path, page: int, out: Path, dpi: int = 40) -> Path:
    """Page ``page`` (1-based) as a PNG."""
    subprocess.run([require_tools()["pdftoppm"], "-png", "-r", str(dpi), "-f",
                    str(page), "-l", str(page), "-singlefile", str(pdf), str(out)],
                   check=True, capture_output=True)
    return out.with_suffix(".png")


def png_pixels(path: Path) -> np.ndarray:
    """The grey level of each pixel of an 8-bit grey or RGB, non-interlaced PNG: a
    (height, width) array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3}.get(colour)
    assert depth == 8 and channels is not None and interlace == 0, header
    stride = width * channels
    raw = np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8)
    rows = raw.reshape(height, stride + 1)
    image = np.zeros((height, stride), dtype=np.int32)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        above = image[y - 1] if y else np.zeros(stride, dtype=np.int32)
        if kind == 0:
            image[y] = line
        elif kind == 2:
            image[y] = (line + above) % 256
        else:  # Sub, Average, Paeth depend on the byte to the left: one at a time
            out = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                left = out[x - channels] if x >= channels else 0
                upper_left = above[x - channels] if x >= channels else 0
                if kind == 1:
                    predictor = left
                elif kind == 3:
                    predictor = (left + above[x]) // 2
                else:
                    p = left + above[x] - upper_left
                    pa, pb, pc = abs(p - left), abs(p - above[x]), abs(p - upper_left)
                    predictor = left if pa <= pb and pa <= pc else above[x] if pb <= pc \
                        else upper_left
                out[x] = (line[x] + predictor) % 256
            image[y] = out
    return image.reshape(height, width, channels).mean(axis=2).astype(np.uint8)
