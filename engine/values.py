"""Dossier data as JSON, dates and decimals included: one codec for the saved instance state and
for the data that crosses into the isolated script process and back.

Plain JSON values are left to orjson's C encoder; only the rare values JSON cannot hold are
written as ``{"$type": ..., "value": ...}``. Sets and tuples come back as lists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson

TAG = "$type"
# Dates and times go through encode_default so they come back as dates, not strings; dictionary
# keys that are not strings are written as strings, as the json module does.
ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def encode_default(value: Any) -> Any:
    """JSON for the values the C encoder cannot handle; called only for those."""
    if isinstance(value, datetime):
        return {TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {TAG: "date", "value": value.isoformat()}
    if isinstance(value, time):
        return {TAG: "time", "value": value.isoformat()}
    if isinstance(value, timedelta):
        return {TAG: "timedelta", "value": value.total_seconds()}
    if isinstance(value, Decimal):
        return {TAG: "decimal", "value": str(value)}
    if isinstance(value, UUID):
        return {TAG: "uuid", "value": str(value)}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot store a value of type {type(value).__name__} in the instance state")


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "timedelta": lambda v: timedelta(seconds=v),
    "decimal": Decimal,
    "uuid": UUID,
}


def decode_tree(value: Any) -> Any:
    if isinstance(value, dict):
        tag = value.get(TAG)
        if tag in _DECODERS:
            return _DECODERS[tag](value["value"])
        return {k: decode_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_tree(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=encode_default, option=ORJSON_OPTIONS)


def loads(raw: bytes) -> Any:
    value = orjson.loads(raw)
    return decode_tree(value) if b'"' + TAG.encode() + b'"' in raw else value
