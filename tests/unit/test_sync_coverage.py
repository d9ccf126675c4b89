"""Polls of companies Business Central notifies us about: once every entity set has a live
subscription, a poll asks only the user tasks (no notification covers them); the first poll after a
start, the first after a subscription had to be created, the first after a failed pass, and every
poll of a company with a failing subscription still read everything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import SecretStr

from services.sync.connectors.base import ClientSystemError, RemoteCompany, WebhookSubscription
from services.sync.coverage import POLL_OF_A_COVERED_COMPANY, WebhookCoverage
from services.sync.directory import CompanyDirectory
from services.sync.handlers import SyncContext, sync_company
from services.sync.poller import sync_connection
from services.sync.publishing import Outbox
from services.sync.settings import ClientConnection
from services.sync.subscriptions import ENTITY_SETS, SubscriptionKeeper, keep_all
from tests.builders import NOW
from tests.sync_fakes import InMemorySyncStateStore, MovableClock, RecordingSink, ScriptedConnector

URL = "https://sync.example/webhooks/business-central"
CLIENT = "contoso"


@dataclass
class NotifyingBooks(ScriptedConnector):
    """Scripted books that also keep webhook subscriptions, and count what each poll asked."""

    live: list[WebhookSubscription] = field(default_factory=list)
    refused: set[tuple[str, str]] = field(default_factory=set)
    feeds_asked: dict[str, int] = field(default_factory=dict)
    tasks_asked: dict[str, int] = field(default_factory=dict)

    async def subscriptions(self) -> list[WebhookSubscription]:
        return list(self.live)

    async def subscribe(
        self, company: RemoteCompany, entity_set: str, notification_url: str, client_state: str
    ) -> WebhookSubscription:
        del client_state
        if (company.id, entity_set) in self.refused:
            raise ClientSystemError(f"subscription to {entity_set} refused")
        resource = f"api/v2.0/companies({company.id})/{entity_set}"
        expires = NOW + timedelta(days=3)
        made = WebhookSubscription(f"s{len(self.live)}", resource, notification_url, expires, "e")
        self.live.append(made)
        return made

    async def renew(self, subscription: WebhookSubscription, client_state: str) -> WebhookSubscription:
        del client_state
        return subscription

    def records_changed_since(self, company, feed, since):  # type: ignore[no-untyped-def]
        self.feeds_asked[company.id] = self.feeds_asked.get(company.id, 0) + 1
        return super().records_changed_since(company, feed, since)

    async def user_tasks(self, company: RemoteCompany):  # type: ignore[no-untyped-def]
        self.tasks_asked[company.id] = self.tasks_asked.get(company.id, 0) + 1
        return await super().user_tasks(company)

    def forget_asked(self) -> None:
        self.feeds_asked.clear()
        self.tasks_asked.clear()


def company(number: int) -> RemoteCompany:
    return RemoteCompany(id=f"00000000-0000-0000-0000-00000000000{number}", name=f"C{number}", web_url="")


@dataclass
class Wired:
    books: NotifyingBooks
    ctx: SyncContext
    clock: MovableClock
    directory: CompanyDirectory = field(default_factory=CompanyDirectory)
    coverage: WebhookCoverage = field(default_factory=WebhookCoverage)

    async def keep(self) -> None:
        keeper = SubscriptionKeeper(URL, SecretStr("secret"), timedelta(days=1), self.clock)
        await keep_all(keeper, [self.ctx], self.directory, self.coverage)

    async def poll(self, *, narrow: bool = True) -> None:
        self.books.forget_asked()
        self.clock.advance(timedelta(minutes=5))
        await sync_connection(self.ctx, self.directory.known(CLIENT), narrow=narrow)


def wired(*companies: RemoteCompany) -> Wired:
    books, store, clock = NotifyingBooks(), InMemorySyncStateStore(), MovableClock(NOW)
    for each in companies:
        books.add_company(each)
    connection = ClientConnection(
        client_id=CLIENT, client_name="Contoso", tenant="t", oauth_client_id="hub", oauth_client_secret="s"
    )
    coverage = WebhookCoverage()
    ctx = SyncContext(
        connection,
        books,
        store,
        Outbox(store, RecordingSink()),
        clock,
        timedelta(minutes=1),
        coverage=coverage,
    )
    return Wired(books, ctx, clock, coverage=coverage)


async def test_a_covered_companys_poll_asks_only_its_user_tasks_after_its_one_full_poll() -> None:
    w = wired(company(1))
    await w.poll(narrow=False)  # the first pass after a start reads everything
    await w.keep()  # every subscription created now: one full poll owed

    await w.poll()
    owed = (w.books.feeds_asked.get(company(1).id, 0), w.books.tasks_asked.get(company(1).id, 0))
    await w.poll()
    covered = (w.books.feeds_asked.get(company(1).id, 0), w.books.tasks_asked.get(company(1).id, 0))

    assert owed == (5, 1), "the changes made before the subscriptions existed were never notified"
    assert covered == (0, 1)


async def test_a_company_with_a_refused_subscription_is_polled_whole_and_the_others_are_not() -> None:
    w = wired(company(1), company(2))
    w.books.refused.add((company(2).id, ENTITY_SETS[3]))
    await w.poll(narrow=False)
    await w.keep()
    await w.poll()  # the full polls owed since the subscriptions were created

    await w.poll()

    assert w.books.feeds_asked.get(company(1).id, 0) == 0
    assert w.books.feeds_asked[company(2).id] == 5


async def test_after_a_failed_pass_the_next_poll_of_a_covered_company_reads_everything() -> None:
    w = wired(company(1))
    await w.poll(narrow=False)
    await w.keep()
    await w.poll()  # the full poll owed since the subscriptions were created
    w.books.fail(company(1), ClientSystemError("HTTP 503 from the client's system"))
    await sync_company(w.ctx, company(1), only=frozenset({"salesInvoices"}))  # a notified pass fails
    w.books.heal()

    await w.poll()
    after_the_failure = w.books.feeds_asked.get(company(1).id, 0)
    await w.poll()

    assert after_the_failure == 5
    assert w.books.feeds_asked.get(company(1).id, 0) == 0


async def test_a_keeper_that_cannot_list_the_subscriptions_makes_every_poll_whole_again() -> None:
    coverage = WebhookCoverage()
    coverage.kept(CLIENT, {"a", "b"}, created=())
    assert coverage.poll_only(CLIENT, "a") == POLL_OF_A_COVERED_COMPANY

    coverage.lost(CLIENT)

    assert coverage.poll_only(CLIENT, "a") is None
    assert coverage.poll_only(CLIENT, "b") is None


async def test_a_full_poll_owed_is_taken_once() -> None:
    coverage = WebhookCoverage()
    coverage.kept(CLIENT, {"a"}, created={"a"})

    assert [coverage.poll_only(CLIENT, "a") for _ in range(3)] == [
        None,
        POLL_OF_A_COVERED_COMPANY,
        POLL_OF_A_COVERED_COMPANY,
    ]
