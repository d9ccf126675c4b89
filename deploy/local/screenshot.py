"""`make screenshot`: start the local system, sign in in headless Chromium, photograph the page.

Saves docs/dashboard.png, docs/company-details.png and docs/my-tasks.png.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright, expect

from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, StackOptions, start_stack

DOCS = Path(__file__).resolve().parents[2] / "docs"
OUTPUT = DOCS / "dashboard.png"
DETAILS = DOCS / "company-details.png"
TASKS = DOCS / "my-tasks.png"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


async def capture(gateway_url: str, output: Path) -> None:
    """Sign in as the sample accountant and photograph the dashboard once every row is synced."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=FLAGS
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        await page.goto(f"{gateway_url}/")
        await page.locator("#sign-in").get_by_label("Work email").fill(SAMPLE_ACCOUNTANT)
        await page.locator("#sign-in").get_by_label("Password").fill(SAMPLE_PASSWORD)
        await page.locator("#sign-in").get_by_role("button", name="Sign in").click()
        await expect(page.locator("#rows tr")).to_have_count(6, timeout=30_000)
        output.parent.mkdir(exist_ok=True)
        await page.screenshot(path=str(output), full_page=True)
        name = await page.locator("#rows tr").first.locator("td").nth(2).inner_text()
        await page.get_by_role("button", name=f"Actions for {name}").click()
        await page.locator(".menu:visible").get_by_role("button", name="Details").click()
        await expect(page.get_by_role("heading", name="13-week cash-flow forecast")).to_be_visible()
        await page.locator("#details").screenshot(path=str(DETAILS))
        await page.get_by_role("tab", name="My user tasks").click()
        await expect(page.locator("#task-rows tr").first).to_be_visible(timeout=30_000)
        await page.locator("#tasks").screenshot(path=str(TASKS))
        await browser.close()


def main() -> int:
    """Start, capture, stop."""
    stack = start_stack(Path(tempfile.mkdtemp(prefix="hub-screenshot-")), StackOptions())
    try:
        asyncio.run(capture(stack.gateway_url, OUTPUT))
    finally:
        stack.stop()
    print(f"wrote {OUTPUT} and {DETAILS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
