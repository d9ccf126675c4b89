"""The shared event envelope: exact money on the wire, strict on what matters, lenient on extras."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from shared.events import SalesInvoiceChanged, decode_event, encode_event
from shared.money import Money
from tests.builders import company_id, sales_invoice_changed


def test_event_round_trip_keeps_amounts_exact() -> None:
    event = sales_invoice_changed(
        company_id(), 1, remaining_amount=Decimal("0.10"), total_amount=Decimal("1E+2")
    )
    decoded = decode_event(encode_event(event))
    assert decoded == event
    assert isinstance(decoded, SalesInvoiceChanged)
    assert decoded.invoice.remaining_amount == Decimal("0.10")


def test_amounts_travel_as_strings_not_floats() -> None:
    wire = json.loads(encode_event(sales_invoice_changed(company_id(), 1, remaining_amount=Decimal("0.1"))))
    assert wire["invoice"]["remaining_amount"] == "0.1"


def test_readers_ignore_unknown_fields() -> None:
    wire = json.loads(encode_event(sales_invoice_changed(company_id(), 2)))
    wire["added_in_a_later_release"] = {"x": 1}
    wire["invoice"]["newField"] = "y"
    assert decode_event(json.dumps(wire).encode()).seq == 2


def test_unknown_schema_version_is_rejected() -> None:
    wire = json.loads(encode_event(sales_invoice_changed(company_id(), 1)))
    wire["schema_version"] = 99
    with pytest.raises(ValidationError, match="schema_version"):
        decode_event(json.dumps(wire).encode())


def test_unknown_event_type_is_rejected() -> None:
    wire = json.loads(encode_event(sales_invoice_changed(company_id(), 1)))
    wire["event_type"] = "nonsense.happened"
    with pytest.raises(ValidationError):
        decode_event(json.dumps(wire).encode())


def test_event_without_company_is_rejected() -> None:
    wire = json.loads(encode_event(sales_invoice_changed(company_id(), 1)))
    del wire["company_id"]
    with pytest.raises(ValidationError, match="company_id"):
        decode_event(json.dumps(wire).encode())


def test_seq_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="seq"):
        sales_invoice_changed(company_id(), 0)


def test_money_refuses_floats() -> None:
    with pytest.raises(ValidationError, match="float"):
        Money.model_validate({"amount": 0.1, "currency": "GBP"})
