"""The OData v4 surface BC speaks: query options, paging, JSON with exact decimals, errors."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal, TypeAlias

from starlette.responses import Response

from .entities import ODataRow, WireEntity

JsonValue: TypeAlias = str | int | bool | Decimal | Sequence["JsonValue"] | Mapping[str, "JsonValue"] | None
MEDIA_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
SUPPORTED_OPTIONS = frozenset({"$filter", "$top", "$skip", "$select", "$skiptoken"})
_FILTER = re.compile(
    r"^\s*(?P<prop>\w+)\s+(?P<op>gt|ge)\s+"
    r"(?P<at>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,7}))?Z\s*$"
)
_MAX_PAGE_SIZE = re.compile(r"(?:^|[,;\s])odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


class BcApiError(Exception):
    """An error BC answers with `{"error": {"code", "message"}}` and an HTTP status."""

    def __init__(
        self, status_code: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code, self.code, self.message = status_code, code, message
        self.headers = dict(headers or {})

    def to_response(self) -> Response:
        """BC's error body; messages end with a correlation id, as BC's do."""
        message = f"{self.message}  CorrelationId:  {uuid.uuid4()}."
        body = {"error": {"code": self.code, "message": message}}
        return json_response(body, self.status_code, self.headers)


class GarbledAnswerError(BcApiError):
    """A 200 that is not BC's JSON: what a misconfigured proxy or captive portal answers."""

    def __init__(self) -> None:
        super().__init__(200, "Garbage", "not JSON")

    def to_response(self) -> Response:
        """An HTML page where JSON was expected."""
        return Response(
            "<html><body>Service temporarily unavailable</body></html>", 200, media_type="text/html"
        )


def bad_request(message: str) -> BcApiError:
    """A 400 for a request BC would refuse to parse."""
    return BcApiError(400, "BadRequest", message)


@dataclass(frozen=True)
class ChangedSince:
    """`$filter=<watermark> gt|ge <date-time>`: the one filter form the simulator knows."""

    op: Literal["gt", "ge"]
    instant: datetime

    def admits(self, entity: ODataRow) -> bool:
        """Whether the entity changed after (or at, for `ge`) the instant."""
        value = entity.watermark_value()
        return value > self.instant if self.op == "gt" else value >= self.instant


@dataclass(frozen=True)
class Query:
    """The query options of a collection request, validated against the entity type."""

    changed_since: ChangedSince | None = None
    top: int | None = None
    skip: int = 0
    select: tuple[str, ...] | None = None
    after: tuple[datetime, str] | None = None  # from $skiptoken: the last row already sent


def parse_query(params: Mapping[str, str], model: type[ODataRow]) -> Query:
    """Validate the query options; an unknown or unsupported `$` option is a 400."""
    unsupported = sorted(k for k in params if k.startswith("$") and k not in SUPPORTED_OPTIONS)
    if unsupported:
        raise bad_request(f"The simulator does not support the query option {unsupported[0]}.")
    raw_filter = params.get("$filter")
    return Query(
        changed_since=None if raw_filter is None else parse_filter(raw_filter, model),
        top=_non_negative(params, "$top"),
        skip=_non_negative(params, "$skip") or 0,
        select=None if "$select" not in params else parse_select(params["$select"], model),
        after=None if "$skiptoken" not in params else _parse_skiptoken(params["$skiptoken"]),
    )


def parse_filter(text: str, model: type[ODataRow]) -> ChangedSince:
    """Parse `<watermark> gt|ge YYYY-MM-DDTHH:MM:SS[.f]Z`; anything else is a 400."""
    if model.watermark is None:
        raise bad_request(f"The simulator cannot apply the $filter '{text}' to {model.entity_type}.")
    match = _FILTER.match(text)
    watermark = _property_name(model, model.watermark)
    if match is None or match["prop"] != watermark:
        raise bad_request(
            f"The simulator cannot parse the $filter '{text}': it supports only "
            f"'{watermark} gt|ge <UTC date-time ending in Z>'."
        )
    micros = (match["frac"] or "").ljust(6, "0")[:6]
    try:
        at = datetime.fromisoformat(f"{match['at']}.{micros}").replace(tzinfo=UTC)
    except ValueError as error:
        raise bad_request(f"Invalid date-time in $filter '{text}'.") from error
    op: Literal["gt", "ge"] = "gt" if match["op"] == "gt" else "ge"
    return ChangedSince(op, at)


def parse_select(text: str, model: type[ODataRow]) -> tuple[str, ...]:
    """The selected wire property names, each checked against the entity type."""
    known = {_property_name(model, name) for name in model.model_fields}
    names = tuple(name.strip() for name in text.split(","))
    for name in names:
        if name not in known:
            raise bad_request(
                f"Could not find a property named '{name}' on type 'Microsoft.NAV.{model.entity_type}'."
            )
    return names


def max_page_size(prefer: str | None) -> int | None:
    """The `odata.maxpagesize` a `Prefer` header asks for, if any."""
    match = _MAX_PAGE_SIZE.search(prefer or "")
    return int(match[1]) if match and int(match[1]) > 0 else None


def select_rows(rows: Sequence[ODataRow], query: Query) -> list[ODataRow]:
    """Filtered rows in a stable order: watermark, then id, so watermark paging is exact."""
    admitted = [r for r in rows if query.changed_since is None or query.changed_since.admits(r)]
    admitted.sort(key=ODataRow.order_key)
    if query.after is not None:
        after = query.after
        admitted = [r for r in admitted if r.order_key() > after]
    window = admitted[query.skip :]
    return window if query.top is None else window[: query.top]


def next_page_params(params: Mapping[str, str], query: Query, last: ODataRow, sent: int) -> dict[str, str]:
    """The next page's query: same options, a `$skiptoken` after `last`, `$top` reduced.

    Keyset paging (as BC's own nextLink does) rather than `$skip`: a row changed between two
    page requests moves to the end instead of shifting, and skipping, its neighbours.
    """
    watermark, entity_id = last.order_key()
    token = base64.urlsafe_b64encode(f"{watermark.isoformat()}|{entity_id}".encode()).decode()
    following = {k: v for k, v in params.items() if k != "$skip"} | {"$skiptoken": token}
    if query.top is not None:
        following["$top"] = str(query.top - sent)
    return following


def entity_body(entity: ODataRow, select: Sequence[str] | None = None) -> WireEntity:
    """An entity as BC serializes it: weak ETag first, then the (selected) properties."""
    wire = entity.to_wire()
    chosen = wire if select is None else {name: wire[name] for name in select}
    return {"@odata.etag": etag(entity), **chosen}


def etag(entity: ODataRow) -> str:
    """A weak ETag in BC's shape that changes whenever the entity does."""
    digest = hashlib.sha256(encode_json(entity.to_wire()).encode()).digest()
    digits = str(int.from_bytes(digest[:8], "big"))
    token = base64.b64encode(f"'{len(digits)};{digits};00;'".encode()).decode()
    return f'W/"{token}"'


def encode_json(value: JsonValue) -> str:
    """JSON text in which a Decimal is written with exactly its own digits, never via float."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON form")
        return format(value, "f")
    if isinstance(value, Mapping):
        items = (f"{json.dumps(key)}:{encode_json(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ",".join(encode_json(item) for item in value) + "]"
    return json.dumps(value)


def json_response(
    body: JsonValue, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """An OData JSON response with exact decimals."""
    return Response(
        encode_json(body),
        status_code=status_code,
        headers={"OData-Version": "4.0", **(headers or {})},
        media_type=MEDIA_TYPE,
    )


def _parse_skiptoken(token: str) -> tuple[datetime, str]:
    try:
        watermark, _, entity_id = base64.urlsafe_b64decode(token).decode().partition("|")
        after = datetime.fromisoformat(watermark)
        if after.tzinfo is None:
            raise ValueError("naive date-time")
        if not entity_id:
            raise ValueError("no key")
        return after, entity_id
    except ValueError as error:
        raise bad_request(f"The $skiptoken '{token}' is not valid.") from error


def _property_name(model: type[ODataRow], field: str) -> str:
    alias = model.model_fields[field].alias
    return alias if alias is not None else field


def _non_negative(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if re.fullmatch(r"[0-9]{1,9}", raw.strip()) is None:
        raise bad_request(f"The value '{raw}' of {name} is not a non-negative integer.")
    return int(raw)
