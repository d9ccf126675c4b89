"""The accountant's web page in a real headless Chromium: sign in, see the rows, nothing of others."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, Stack
from tests.e2e.conftest import OUTSIDER

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def sign_in(page: Page, stack: Stack, email: str, password: str) -> None:
    await page.goto(f"{stack.gateway_url}/")
    await page.get_by_label("Work email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def test_accountant_signs_in_and_sees_a_row_per_company(page: Page, stack: Stack) -> None:
    await sign_in(page, stack, SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD)
    await expect(page.get_by_text(f"Signed in as {SAMPLE_ACCOUNTANT}")).to_be_visible()
    await expect(page.get_by_role("button", name="Sign in")).to_be_hidden()
    rows = page.locator("#rows tr")
    await expect(rows).to_have_count(4, timeout=30_000)
    await expect(page.locator("#rows")).to_contain_text("synced")
    overdue = page.locator("#rows td.unfavourable")
    await expect(overdue.first).to_contain_text("Overdue:")
    link = rows.first.get_by_role("link")
    assert await link.get_attribute("target") == "_blank"


async def test_wrong_password_says_so_and_shows_no_rows(page: Page, stack: Stack) -> None:
    await sign_in(page, stack, SAMPLE_ACCOUNTANT, "not-the-password")
    await expect(page.get_by_role("alert")).to_have_text("Unknown email or wrong password.")
    await expect(page.locator("#dashboard")).to_be_hidden()


async def test_accountant_of_another_firm_sees_no_rows(page: Page, stack: Stack) -> None:
    await sign_in(page, stack, *OUTSIDER)
    await expect(page.locator("#status")).to_contain_text("No companies yet")
    await expect(page.locator("#rows tr")).to_have_count(0)


async def test_company_details_show_cash_forecast_and_overdue_invoices_linking_to_the_client_system(
    page: Page, stack: Stack
) -> None:
    await sign_in(page, stack, SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD)
    await expect(page.locator("#rows tr")).to_have_count(4, timeout=30_000)
    await page.locator("#rows tr").first.get_by_role("button", name="Details").click()
    details = page.locator("#details")
    await expect(details).to_be_visible()
    await expect(details.get_by_role("heading", name="13-week cash-flow forecast")).to_be_visible()
    await expect(details.get_by_role("img").first).to_have_attribute(
        "aria-label", re.compile("cash forecast over 13 weeks")
    )
    overdue_link = details.get_by_role("table", name="Overdue sales invoices").get_by_role("link").first
    await expect(overdue_link).to_have_attribute("target", "_blank")
    assert "filter=" in (await overdue_link.get_attribute("href") or "")
    await details.get_by_role("button", name="Close details").click()
    await expect(details).to_be_hidden()
