"""Safe conversion of arbitrary Python values into the strings and JSON the API stores.

Nothing here raises: an application's arguments and return values can be anything
(open files, ORM objects, cycles), and observing them must never break the call.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
from typing import Any, Dict, Optional

__all__ = ["serialize", "to_json_object", "truncate", "clean_for_json"]

_REPR_LIMIT = 2000


def _default(obj: Any) -> Any:
    """json.dumps fallback: turn common non-JSON types into JSON ones, anything else into a repr."""
    try:
        if isinstance(obj, (datetime.datetime, datetime.date, datetime.time)):
            return obj.isoformat()
        if isinstance(obj, enum.Enum):
            return obj.value
        if isinstance(obj, (set, frozenset, tuple)):
            return list(obj)
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return "<%d bytes>" % len(obj)
        if isinstance(obj, BaseException):
            return "%s: %s" % (type(obj).__name__, obj)
        # pydantic v2, then v1: their own JSON view is the one users expect.
        dump = getattr(obj, "model_dump", None)
        if callable(dump) and not isinstance(obj, type):
            return dump(mode="json")
        as_dict = getattr(obj, "dict", None)
        if callable(as_dict) and hasattr(obj, "__fields__") and not isinstance(obj, type):
            return as_dict()
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {f.name: getattr(obj, f.name, None) for f in dataclasses.fields(obj)}
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
    except Exception:
        pass
    return _safe_repr(obj)


def _safe_repr(obj: Any) -> str:
    try:
        r = repr(obj)
    except Exception:
        return "<unrepresentable %s>" % type(obj).__name__
    if len(r) > _REPR_LIMIT:
        r = r[:_REPR_LIMIT] + "..."
    return r


_encoder = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"))


def truncate(s: str, limit: int) -> str:
    """Cut s to limit characters, saying how much was cut."""
    if limit > 0 and len(s) > limit:
        return s[:limit] + "...[truncated %d chars]" % (len(s) - limit)
    return s


def serialize(value: Any, limit: int = 100_000) -> Optional[str]:
    """The string stored as a span's input or output: strings as they are, the rest as JSON.

    Returns None for None. Never raises.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return truncate(value, limit)
    try:
        s = _encoder.encode(value)
    except Exception:
        # Cycles, non-string dict keys...: rebuild the value from JSON types, then encode.
        try:
            s = _encoder.encode(clean_for_json(value))
        except Exception:
            s = _safe_repr(value)
    return truncate(s, limit)


def clean_for_json(obj: Any, depth: int = 0, _path: Optional[set] = None) -> Any:
    """A deep copy of obj made of JSON types only: non-finite floats become None, cycles and
    nesting deeper than 32 become markers, other objects go through the same conversions as
    serialize(). Used for metadata and attributes, which the API stores as JSON objects.
    """
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if depth > 32:
        return "<too deep>"
    if _path is None:
        _path = set()
    if isinstance(obj, (dict, list, tuple, set, frozenset)):
        key = id(obj)
        if key in _path:
            return "<cycle>"
        _path.add(key)
        try:
            if isinstance(obj, dict):
                return {str(k): clean_for_json(v, depth + 1, _path) for k, v in obj.items()}
            return [clean_for_json(v, depth + 1, _path) for v in obj]
        finally:
            _path.discard(key)
    converted = _default(obj)
    if isinstance(converted, str):
        return converted
    if converted is obj:
        return _safe_repr(obj)
    return clean_for_json(converted, depth + 1, _path)


def to_json_object(value: Any) -> Dict[str, Any]:
    """A JSON object (dict) from a user's metadata argument; never raises."""
    try:
        if value is None:
            return {}
        if not isinstance(value, dict):
            return {"value": clean_for_json(value)}
        return clean_for_json(value)
    except Exception:
        return {"value": _safe_repr(value)}
