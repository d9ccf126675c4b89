"""Typed ids, so a company id is never passed where an accountant id belongs."""

from __future__ import annotations

from typing import NewType

CompanyId = NewType("CompanyId", str)
AccountantId = NewType("AccountantId", str)
"""An accountant is identified by their work email, lower-cased."""


def accountant_id(email: str) -> AccountantId:
    """The accountant id for a work email: trimmed and lower-cased."""
    return AccountantId(email.strip().lower())
