"""A simulator company's workbook prints (LibreOffice headless) one page per statement, in the right
orientation: what `make report-pictures` puts in the README."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from deploy.local.report_pictures import TODAY, simulator_books, to_pdf, to_png, write_sample
from services.gateway.reports.periods import default_period_end

pytestmark = pytest.mark.integration
PORTRAIT, LANDSCAPE = "portrait", "landscape"
EXPECTED = [PORTRAIT, PORTRAIT, PORTRAIT, LANDSCAPE, LANDSCAPE, LANDSCAPE]


def orientation(png: Path) -> str:
    width, height = struct.unpack(">II", png.read_bytes()[16:24])
    return LANDSCAPE if width > height else PORTRAIT


def test_each_statement_prints_on_one_page_in_its_orientation(tmp_path: Path) -> None:
    books = simulator_books()
    workbook = write_sample(tmp_path / "financial-statements.xlsx", books, default_period_end(TODAY))

    pages = to_png(to_pdf(workbook, tmp_path), tmp_path, resolution=20)

    assert [orientation(page) for page in pages] == EXPECTED
