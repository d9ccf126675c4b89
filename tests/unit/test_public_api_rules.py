"""The public API's small rules: firms, identical refresh requests, which outcomes answer a job,
and which connections sync runs."""

from __future__ import annotations

from datetime import UTC, datetime

from services.gateway.progress import outcomes_of
from services.gateway.refresh_jobs import correlation_id, job_of, request_key
from services.gateway.routes.access import firm
from services.sync.connections import merged
from services.sync.settings import ClientConnection
from shared.events import CompanySyncFailed, CompanySyncSucceeded, encode_event
from shared.ids import CompanyId
from tests.builders import company_discovered

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def connection(client_id: str, *granted: str, zone: str = "UTC") -> ClientConnection:
    return ClientConnection(
        client_id=client_id,
        client_name="Contoso",
        tenant="t",
        oauth_client_id="app",
        oauth_client_secret="s",
        time_zone=zone,
        granted_to=granted,
    )


def test_a_firm_is_the_domain_of_the_work_email_in_any_case() -> None:
    assert firm("Ann@Firm.Example") == firm("bob@firm.example") == "firm.example"
    assert firm("eve@rival.example") != firm("bob@firm.example")


def test_identical_requests_share_a_key_whatever_the_order_of_ids() -> None:
    assert request_key("selected", ["b", "a"]) == request_key("selected", ["a", "b"])
    assert request_key("selected", ["a"]) != request_key("company", ["a"])
    assert request_key("all", ["a", "b"]) != request_key("all", ["a"])


def test_only_outcomes_carrying_a_refresh_correlation_answer_a_job() -> None:
    job = "j1"
    company = CompanyId("c1")
    ours = CompanySyncSucceeded(company_id=company, seq=2, synced_at=NOW, correlation_id=correlation_id(job))
    failed = CompanySyncFailed(
        company_id=company, seq=3, failed_at=NOW, reason="token rejected", correlation_id=correlation_id(job)
    )
    polled = CompanySyncSucceeded(company_id=company, seq=4, synced_at=NOW)
    other = company_discovered(company, 5)
    outcomes = outcomes_of([encode_event(e) for e in (ours, failed, polled, other)] + [b"poison"])
    assert [(o.job_id, o.company_id, o.failed, o.error) for o in outcomes] == [
        (job, company, False, None),
        (job, company, True, "token rejected"),
    ]
    assert job_of(correlation_id("abc")) == "abc"
    assert job_of("client:abc") is None


def test_settings_connections_keep_their_configuration_and_gain_registered_grantees() -> None:
    configured = [connection("t1/production", "ann@firm.example", zone="Europe/London")]
    stored = [connection("t1/production", "bob@firm.example"), connection("t2/production", "cy@firm.example")]
    result = {c.client_id: c for c in merged(configured, stored)}
    assert result["t1/production"].time_zone == "Europe/London"
    assert result["t1/production"].granted_to == ("ann@firm.example", "bob@firm.example")
    assert result["t2/production"].granted_to == ("cy@firm.example",)
