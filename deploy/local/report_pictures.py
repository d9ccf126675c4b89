"""`make report-pictures`: a simulator company's financial statements as Excel, printed by LibreOffice.

Builds the workbook from the Business Central simulator's books (read through the connector's own
mapping), converts it to PDF with LibreOffice headless (as a printer would lay the pages out), then
every printed page to PNG with pdftoppm, into docs/reports/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from deploy.local.bc_simulator.books import generate_books
from services.gateway.reports.books import Account, Books, day_movements
from services.gateway.reports.catalog import ALL, statements_for
from services.gateway.reports.periods import default_period_end, report_period
from services.gateway.reports.workbook import WorkbookMeta, write_workbook
from services.sync.connectors import bc_mapping
from services.sync.connectors.base import RemoteCompany

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reports"
TODAY = date(2026, 11, 25)
TIMEOUT = 180


class RenderError(RuntimeError):
    """LibreOffice or pdftoppm is missing or failed."""


def simulator_books(seed: int = 7, today: date = TODAY) -> Books:
    """The first simulated company's chart and G/L entries, mapped as sync maps BC's answers."""
    simulated = next(generate_books(seed, 1, 1, today).companies())
    remote = RemoteCompany(
        id=str(simulated.company.id),
        name=simulated.company.display_name,
        web_url="https://businesscentral.dynamics.com/",
        currency=simulated.locale.currency_code,
    )
    accounts = [bc_mapping.ledger_account(remote, a.to_wire()) for a in simulated.more.accounts]
    entries = [bc_mapping.ledger_entry(e.to_wire()) for e in simulated.more.general_ledger_entries]
    return Books(
        company_name=remote.name,
        currency=remote.currency,
        accounts=tuple(Account(a.number, a.name, a.category, a.sub_category) for a in accounts if a.posting),
        movements=day_movements(
            (e.account_number, e.posting_date, e.debit_amount, e.credit_amount) for e in entries
        ),
    )


def write_sample(path: Path, books: Books, period_end: date) -> Path:
    """The full financial-statements workbook of `books` at `path`."""
    meta = WorkbookMeta(
        books.company_name, f"Year to date {report_period(period_end).current.label}", datetime.now(UTC)
    )
    path.write_bytes(write_workbook(statements_for(ALL, books, period_end), meta))
    return path


def to_pdf(workbook: Path, out_dir: Path) -> Path:
    """Print the workbook to PDF with LibreOffice headless (its own throwaway profile)."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise RenderError("LibreOffice is not installed: run deploy/local/install-system-packages.sh")
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        subprocess.run(
            [office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
             "--outdir", str(out_dir), str(workbook)],
            check=True, capture_output=True, timeout=TIMEOUT,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        raise RenderError(f"LibreOffice could not print {workbook.name}: {error}") from error
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = out_dir / f"{workbook.stem}.pdf"
    if not pdf.exists():
        raise RenderError(f"LibreOffice printed nothing for {workbook.name}")
    return pdf


def to_png(pdf: Path, out_dir: Path, resolution: int = 80) -> list[Path]:
    """Every page of the PDF as PNG (`<stem>-<n>.png`)."""
    if shutil.which("pdftoppm") is None:
        raise RenderError("pdftoppm is not installed: run deploy/local/install-system-packages.sh")
    prefix = out_dir / pdf.stem
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(resolution), str(pdf), str(prefix)], check=True, timeout=TIMEOUT
    )
    return sorted(out_dir.glob(f"{pdf.stem}-*.png"))


def main() -> int:
    """Write docs/reports/financial-statements-<page>.png, one per printed page."""
    DOCS.mkdir(parents=True, exist_ok=True)
    for old in DOCS.glob("financial-statements*"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="report-pictures-") as scratch:
        work = Path(scratch)
        workbook = write_sample(
            work / "financial-statements.xlsx", simulator_books(), default_period_end(TODAY)
        )
        pages = [shutil.copy(page, DOCS / page.name) for page in to_png(to_pdf(workbook, work), work)]
    print(f"{len(pages)} page(s) in {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
