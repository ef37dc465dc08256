"""Events: deployments, config changes, incidents and custom markers (POST /api/v1/events).

They mark the Impact page's timeline and split its figures before and after a deployment.
An event is sent at once, not batched: they are rare, and a deployment script wants to know
it arrived. Every event carries an id chosen here, so a retry after a lost answer replaces
rather than duplicates it.
"""

from __future__ import annotations

import datetime
import json
import logging
import random
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Dict, Mapping, Optional

from ._version import __version__
from .transport import parse_retry_after

__all__ = ["EVENT_TYPES", "send_event"]

logger = logging.getLogger("agent_observability")

EVENTS_PATH = "/api/v1/events"
EVENT_TYPES = ("deployment", "config_change", "incident", "custom")
SEVERITIES = ("info", "low", "medium", "high", "critical")


def _timestamp(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.isoformat()
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(float(value), tz=datetime.timezone.utc).isoformat()
    return str(value)


def send_event(base_url: str, api_key: str, type: str, title: str, *, agent_id: Optional[str] = None,
               version: Optional[str] = None, description: Optional[str] = None,
               severity: Optional[str] = None, metadata: Optional[Mapping[str, Any]] = None,
               timestamp: Any = None, event_id: Optional[str] = None, timeout: float = 10.0,
               max_retries: int = 3, backoff_base: float = 0.5, backoff_max: float = 30.0
               ) -> Optional[Dict[str, Any]]:
    """POST one event and return it as stored, or None when it could not be sent (logged).

    Throttling (429) and server errors (5xx) are retried with backoff, honouring Retry-After;
    a rejected event (4xx) is not, and its problem is logged with the offending field.
    """
    if type not in EVENT_TYPES:
        logger.error("agentobs: event type must be one of %s, got %r", ", ".join(EVENT_TYPES), type)
        return None
    body: Dict[str, Any] = {"id": event_id or str(uuid.uuid4()), "type": type, "title": title}
    for key, value in (("agent_id", agent_id), ("version", version), ("description", description),
                       ("severity", severity), ("timestamp", _timestamp(timestamp))):
        if value is not None:
            body[key] = value
    if metadata is not None:
        body["metadata"] = dict(metadata)
    data = json.dumps(body, default=str).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "Authorization": "Bearer " + api_key, "User-Agent": "agent-observability-python/" + __version__}
    url = base_url.rstrip("/") + EVENTS_PATH
    for attempt in range(max_retries + 1):
        retry_after: Optional[float] = None
        try:
            req = urllib.request.Request(url, data=data, headers=headers, method="POST")
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")[:500]
            if err.code != 429 and err.code < 500:
                logger.error("agentobs: event %r rejected (%d): %s", title, err.code, detail)
                return None
            retry_after = parse_retry_after(err.headers.get("Retry-After") if err.headers else None)
            logger.debug("agentobs: event %r: status %d, retrying", title, err.code)
        except (OSError, ValueError) as err:
            logger.debug("agentobs: event %r: %s, retrying", title, err)
        if attempt == max_retries:
            break
        delay = retry_after if retry_after is not None else min(backoff_max, backoff_base * 2 ** attempt)
        time.sleep(delay * (1 if retry_after is not None else random.uniform(0.5, 1.0)))
    logger.error("agentobs: event %r could not be sent after %d attempts", title, max_retries + 1)
    return None
