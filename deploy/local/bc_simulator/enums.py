"""BC enum values exactly as they travel on the wire.

BC writes an enum member by its `$metadata` name, in which a space is `_x0020_` and a hyphen
`_x002D_` (`In_x0020_Review`, `Begin_x002D_Total`, `_x0020_` for the blank member). The
documentation tables show the captions instead (`In Review`, `Expired `). The simulator serves
the member names, and for quotes also the documented caption `"Expired "` with its trailing
space, so a client has to normalise both forms. The existing `salesInvoices` keep the caption
form they always had.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

BLANK: Final = "_x0020_"
IN_REVIEW: Final = "In_x0020_Review"

DocumentStatus: TypeAlias = Literal[
    "_x0020_", "Draft", "In_x0020_Review", "Open", "Paid", "Canceled", "Corrective"
]
SalesOrderStatus: TypeAlias = Literal["Draft", "In_x0020_Review", "Open"]
SalesQuoteStatus: TypeAlias = Literal["Draft", "Sent", "Accepted", "Expired_x0020_", "Expired "]
EXPIRED_QUOTE: tuple[SalesQuoteStatus, SalesQuoteStatus] = ("Expired_x0020_", "Expired ")

AccountCategory: TypeAlias = Literal[
    "_x0020_", "Assets", "Liabilities", "Equity", "Income", "Cost_x0020_of_x0020_Goods_x0020_Sold", "Expense"
]
AccountType: TypeAlias = Literal["Posting", "Heading", "Total", "Begin_x002D_Total", "End_x002D_Total"]
GenJournalDocumentType: TypeAlias = Literal[
    "_x0020_",
    "Payment",
    "Invoice",
    "Credit_x0020_Memo",
    "Finance_x0020_Charge_x0020_Memo",
    "Reminder",
    "Refund",
]
VendorBlocked: TypeAlias = Literal["_x0020_", "Payment", "All"]
TaskPriority: TypeAlias = Literal["_x0020_", "Low", "Normal", "High"]

# Which statuses mean a document is posted and counts in the books.
RECOGNISED = frozenset({"Open", "Paid", "Corrective"})
