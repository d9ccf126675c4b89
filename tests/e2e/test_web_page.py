"""The accountant's web page in a real headless Chromium: sign in, see the rows, nothing of others."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, Stack
from tests.e2e.conftest import OUTSIDER, signed_in
from tests.e2e.test_overdue_sales_end_to_end import company_today_iso, open_invoices

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
    form = page.locator("#sign-in")
    await form.get_by_label("Work email").fill(email)
    await form.get_by_label("Password").fill(password)
    await form.get_by_role("button", name="Sign in").click()


async def signed_in_with_rows(page: Page, stack: Stack) -> Locator:
    await sign_in(page, stack, SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD)
    rows = page.locator("#rows tr")
    await expect(rows.first).to_be_visible(timeout=30_000)
    return rows


async def open_row_menu(page: Page, company_name: str) -> Locator:
    await page.get_by_role("button", name=f"Actions for {company_name}").click()
    return page.locator(".menu:visible")


async def test_accountant_signs_in_and_sees_a_row_per_company(page: Page, stack: Stack) -> None:
    await sign_in(page, stack, SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD)
    await expect(page.get_by_text(f"Signed in as {SAMPLE_ACCOUNTANT}")).to_be_visible()
    await expect(page.locator("#sign-in")).to_be_hidden()
    rows = page.locator("#rows tr")
    await expect(rows).to_have_count(4, timeout=30_000)
    await expect(page.locator("#rows")).to_contain_text("synced")
    overdue = page.locator("#rows td.unfavourable")
    await expect(overdue.first).to_contain_text("Overdue:")
    link = rows.first.get_by_role("link")
    assert await link.get_attribute("target") == "_blank"


async def test_wrong_password_says_so_and_shows_no_rows(page: Page, stack: Stack) -> None:
    await sign_in(page, stack, SAMPLE_ACCOUNTANT, "not-the-password")
    await expect(page.locator("#sign-in-error")).to_have_text("Unknown email or wrong password.")
    await expect(page.locator("#dashboard")).to_be_hidden()


async def test_accountant_of_another_firm_sees_no_rows(page: Page, stack: Stack) -> None:
    await sign_in(page, stack, *OUTSIDER)
    await expect(page.locator("#status")).to_contain_text("No companies yet")
    await expect(page.locator("#rows tr")).to_have_count(0)


async def dashboard_reads_while_idle(page: Page, stack: Stack, seconds: float) -> int:
    """Sign in as the accountant with no companies (so nothing of theirs changes), then count the
    page's dashboard reads over `seconds` after its first."""
    reads: list[str] = []
    page.on(
        "request", lambda request: reads.append(request.url) if "/api/v1/dashboard" in request.url else None
    )
    await sign_in(page, stack, *OUTSIDER)
    await expect(page.locator("#status")).to_contain_text("No companies yet")
    first = len(reads)
    await page.wait_for_timeout(seconds * 1000)
    return len(reads) - first


async def test_with_its_event_stream_open_an_idle_dashboard_reads_nothing(page: Page, stack: Stack) -> None:
    # A job that finished before the page opened: the stream lists it, and it must not reload the rows.
    api = await signed_in(stack.gateway_url, *OUTSIDER)
    try:
        earlier = await api.post("/api/v1/refresh", json={"scope": "all"})
    finally:
        await api.aclose()
    assert earlier.json()["state"] == "finished"  # nothing granted: nothing to wait for
    streams: list[str] = []
    page.on(
        "request", lambda request: streams.append(request.url) if "/api/v1/stream" in request.url else None
    )

    assert await dashboard_reads_while_idle(page, stack, seconds=7) == 0
    assert streams, "the page opened its event stream"


async def test_without_its_event_stream_the_dashboard_reloads_on_a_timer(page: Page, stack: Stack) -> None:
    await page.route("**/api/v1/stream", lambda route: route.abort())

    assert await dashboard_reads_while_idle(page, stack, seconds=7) >= 1


async def test_a_new_accountant_signs_up_and_lands_on_an_empty_dashboard(page: Page, stack: Stack) -> None:
    await page.goto(f"{stack.gateway_url}/")
    await page.get_by_role("button", name="Create an account").click()
    form = page.locator("#sign-up")
    await form.get_by_label("Work email").fill("new.accountant@fresh-firm.example")
    await form.get_by_label("Choose a password").fill("a-long-enough-password")
    await form.get_by_role("button", name="Create account").click()
    await expect(page.get_by_text("Signed in as new.accountant@fresh-firm.example")).to_be_visible()
    await expect(page.locator("#status")).to_contain_text("No companies yet")


async def test_company_details_show_cash_forecast_and_overdue_invoices_linking_to_the_client_system(
    page: Page, stack: Stack
) -> None:
    rows = await signed_in_with_rows(page, stack)
    name = await rows.first.locator("td").nth(2).inner_text()
    menu = await open_row_menu(page, name)
    await menu.get_by_role("button", name="Details").click()
    details = page.locator("#details")
    await expect(details).to_be_visible()
    await expect(details.get_by_role("heading", name="13-week cash-flow forecast")).to_be_visible()
    await expect(details.get_by_role("img").first).to_have_attribute(
        "aria-label", re.compile("cash forecast over 13 weeks")
    )
    overdue_link = details.get_by_role("table", name="Overdue sales invoices").get_by_role("link").first
    await expect(overdue_link).to_have_attribute("target", "_blank")
    assert "filter=" in (await overdue_link.get_attribute("href") or "")
    await expect(details.get_by_role("link", name=re.compile("Balance sheet"))).to_have_attribute(
        "href", re.compile(r"/reports/balance-sheet\.xlsx")
    )
    await details.get_by_role("button", name="Close details").click()
    await expect(details).to_be_hidden()


async def test_row_menu_opens_from_the_keyboard_and_links_to_the_client_system(
    page: Page, stack: Stack
) -> None:
    rows = await signed_in_with_rows(page, stack)
    name = await rows.first.locator("td").nth(2).inner_text()
    toggle = page.get_by_role("button", name=f"Actions for {name}")
    await toggle.focus()
    await page.keyboard.press("Enter")
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    go_to = page.get_by_role("link", name=re.compile(f"{re.escape(name)} in the client's system")).last
    await expect(go_to).to_have_attribute("target", "_blank")
    await page.keyboard.press("Escape")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await expect(toggle).to_be_focused()


async def test_column_chooser_adds_and_removes_figure_columns(page: Page, stack: Stack) -> None:
    await signed_in_with_rows(page, stack)
    headers = page.locator("#dashboard-head th")
    await expect(headers.filter(has_text="Cash")).to_have_count(1)
    await page.get_by_text("Columns", exact=True).click()
    await page.locator("#column-chooser").get_by_label("Cash").uncheck()
    await page.locator("#column-chooser").get_by_label("Taxes due").check()
    await expect(headers.filter(has_text="Cash")).to_have_count(0)
    await expect(headers.filter(has_text="Taxes due")).to_have_count(1)
    await expect(page.locator('#rows tr:first-child td[data-column="taxes_due"]')).to_be_visible()
    await expect(page.locator('#rows td[data-column="cash"]')).to_have_count(0)


async def test_filter_by_company_name_narrows_the_rows_and_clearing_restores_them(
    page: Page, stack: Stack
) -> None:
    rows = await signed_in_with_rows(page, stack)
    await expect(rows).to_have_count(4, timeout=30_000)
    name = await rows.nth(2).locator("td").nth(2).inner_text()
    await page.get_by_text("Filters", exact=True).click()
    await page.get_by_label("Company name contains").fill(name)
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(name)
    await page.get_by_role("button", name="Clear filters").click()
    await expect(rows).to_have_count(4)


async def test_sorting_by_a_column_header_orders_the_rows(page: Page, stack: Stack) -> None:
    rows = await signed_in_with_rows(page, stack)
    await expect(rows).to_have_count(4, timeout=30_000)
    names = [await row.locator("td").nth(2).inner_text() for row in await rows.all()]
    await page.get_by_role("button", name="Sort by Company").click()
    header = page.locator("#dashboard-head th", has_text="Company")
    await expect(header).to_have_attribute("aria-sort", "ascending")
    companies = rows.locator("td:nth-child(3)")
    await expect(companies).to_have_text(sorted(names))
    await page.get_by_role("button", name=re.compile("Sort by Company, descending")).click()
    await expect(header).to_have_attribute("aria-sort", "descending")
    await expect(companies).to_have_text(sorted(names, reverse=True))


async def test_saved_view_becomes_the_default_and_opens_first_next_time(page: Page, stack: Stack) -> None:
    rows = await signed_in_with_rows(page, stack)
    await expect(rows).to_have_count(4, timeout=30_000)
    await page.get_by_text("Columns", exact=True).click()
    await page.locator("#column-chooser").get_by_label("Open sales documents").check()
    await page.locator("#column-chooser").get_by_label("Cash").uncheck()
    await page.get_by_label("Save current as").fill("Month-end")
    await page.get_by_role("button", name="Save view").click()
    await expect(page.locator("#views-status")).to_contain_text("Saved the view")
    await page.get_by_role("button", name="Set as default").click()
    await expect(page.locator("#views-status")).to_contain_text("opens first")
    await page.reload()
    await expect(page.locator("#view")).to_have_value(re.compile(".+"))
    await expect(page.locator("#view option:checked")).to_have_text("Month-end (default)")
    headers = page.locator("#dashboard-head th")
    await expect(headers.filter(has_text="Open sales documents")).to_have_count(1)
    await expect(headers.filter(has_text="Cash")).to_have_count(0)
    await page.get_by_role("button", name="Delete view").click()
    await expect(page.locator("#views-status")).to_contain_text("Deleted the view")


async def test_refresh_all_shows_progress_until_every_company_is_done(page: Page, stack: Stack) -> None:
    rows = await signed_in_with_rows(page, stack)
    await expect(rows).to_have_count(4, timeout=30_000)
    await page.get_by_role("button", name="Refresh all").click()
    progress = page.locator("#refresh-progress progress").first
    await expect(progress).to_be_visible()
    await expect(page.locator("#refresh-progress .job-text").first).to_contain_text(
        "finished", timeout=30_000
    )
    await expect(page.locator("#refresh-progress .job-text").first).to_contain_text(
        "4 done, 0 failed, 0 pending"
    )
    assert await progress.get_attribute("max") == await progress.evaluate("p => String(p.value)")


async def test_a_changed_figure_updates_its_row_in_place_without_losing_focus(
    page: Page, stack: Stack, simulator: httpx.AsyncClient
) -> None:
    rows = await signed_in_with_rows(page, stack)
    await expect(rows).to_have_count(4, timeout=30_000)
    company = (await simulator.get("/companies")).json()[1]
    cid = company["companyId"]
    row = page.locator(f'#rows tr[data-company-id="{cid}"]')
    toggle = row.get_by_role("button", name=re.compile("Actions for"))
    await toggle.focus()
    overdue = row.locator('td[data-column="overdue_sales"]')
    before = await overdue.inner_text()
    today = company_today_iso(company)
    current = next(i for i in await open_invoices(company) if i["dueDate"] >= today)
    made = await simulator.post(f"/companies/{cid}/salesInvoices/{current['id']}/make-overdue")
    made.raise_for_status()
    await expect(overdue).not_to_have_text(before, timeout=30_000)
    await expect(toggle).to_be_focused()


async def test_my_tasks_lists_a_new_overdue_task_and_completing_it_removes_it(
    page: Page, stack: Stack
) -> None:
    await signed_in_with_rows(page, stack)
    await page.get_by_role("tab", name="My user tasks").click()
    await page.get_by_text("New task", exact=True).click()
    form = page.locator("#new-task")
    await expect(form.get_by_label("Company").locator("option").first).to_be_attached(timeout=10_000)
    title = "Chase the VAT return paperwork"
    await form.get_by_label("Title").fill(title)
    await form.get_by_label("Due date").fill((date.today() - timedelta(days=3)).isoformat())
    await form.get_by_role("button", name="Create task").click()
    task = page.locator("#task-rows tr", has_text=title)
    await expect(task).to_be_visible(timeout=30_000)
    await expect(task).to_contain_text("Overdue:")
    await task.get_by_role("button", name=f"Complete “{title}”").click()
    await expect(task).to_have_count(0, timeout=30_000)


WIDER_THAN_THE_WINDOW = """() => [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth)
    .filter((e) => getComputedStyle(e).position === "absolute" || !e.closest(".table-wrap"))
    .map((e) => `${e.tagName}#${e.id}.${e.className}`)"""


async def test_the_dashboard_fits_a_tablet_without_scrolling_the_page_sideways(
    browser: Browser, stack: Stack
) -> None:
    context = await browser.new_context(viewport={"width": 768, "height": 1024})
    try:
        page = await context.new_page()
        rows = await signed_in_with_rows(page, stack)
        await expect(rows).to_have_count(4, timeout=30_000)
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        wide = await page.evaluate(WIDER_THAN_THE_WINDOW)
        assert overflow <= 0, f"the page is {overflow}px wider than a tablet because of {wide}"
        await expect(page.get_by_role("button", name="Refresh all")).to_be_in_viewport()
    finally:
        await context.close()


async def test_adding_a_client_shows_why_a_wrong_secret_fails_then_its_companies_appear(
    page: Page, stack: Stack, simulator: httpx.AsyncClient
) -> None:
    company = (await simulator.get("/companies")).json()[-1]
    await page.goto(f"{stack.gateway_url}/")
    await page.get_by_role("button", name="Create an account").click()
    form = page.locator("#sign-up")
    await form.get_by_label("Work email").fill("partner@client-adder.example")
    await form.get_by_label("Choose a password").fill("a-long-enough-password")
    await form.get_by_role("button", name="Create account").click()
    await expect(page.locator("#status")).to_contain_text("No companies yet")
    await page.get_by_role("button", name="Add a client").click()
    dialog = page.get_by_role("dialog", name="Add a client")
    await dialog.get_by_label("Client name").fill("Wrong secret Ltd")
    await dialog.get_by_label("Tenant ID").fill(company["tenantId"])
    await dialog.get_by_label("Environment").fill(company["environment"])
    await dialog.get_by_label("Application (client) ID").fill("accountant-hub")
    await dialog.get_by_label("Client secret").fill("not-the-secret")
    await dialog.get_by_role("button", name="Connect").click()
    await expect(dialog.locator("#client-list")).to_contain_text("Wrong secret Ltd", timeout=15_000)
    await expect(dialog.locator("#client-list li.error")).to_contain_text("not connected:", timeout=30_000)
    await dialog.get_by_label("Client name").fill(company["tenantName"])
    await dialog.get_by_label("Tenant ID").fill(company["tenantId"])
    await dialog.get_by_label("Environment").fill(company["environment"])
    await dialog.get_by_label("Application (client) ID").fill("accountant-hub")
    await dialog.get_by_label("Client secret").fill("local-secret")
    await dialog.get_by_role("button", name="Connect").click()
    await expect(dialog.locator("#client-list")).to_contain_text("connected, 2 companies", timeout=30_000)
    await dialog.get_by_role("button", name="Close").click()
    await expect(page.locator("#rows tr")).to_have_count(2, timeout=30_000)
