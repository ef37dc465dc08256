"""client.event(): one POST /api/v1/events per call, retried on throttling and server errors
with the same id, never raised into the application."""

from __future__ import annotations

import datetime
import logging

from agent_observability import AgentObservability


def test_event_posts_once_with_its_fields(obs, ingest):
    ingest.script.append((201, {}, {"id": "e1", "type": "deployment", "title": "deployed v2"}))
    at = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
    got = obs.deployment("v2", agent_id="support-bot", metadata={"commit": "a1b2c3"}, timestamp=at)
    assert got == {"id": "e1", "type": "deployment", "title": "deployed v2"}
    (req,) = ingest.requests
    assert req.path == "/api/v1/events"
    assert req.headers["Authorization"].startswith("Bearer ao_test_")
    body = req.body
    assert body["type"] == "deployment" and body["version"] == "v2" and body["agent_id"] == "support-bot"
    assert body["metadata"] == {"commit": "a1b2c3"}
    assert body["timestamp"] == "2026-11-24T12:00:00+00:00"
    assert len(body["id"]) == 36


def test_event_retries_with_the_same_id_and_honours_retry_after(obs, ingest):
    ingest.script.append((503, {}, {"title": "unavailable"}))
    ingest.script.append((429, {"Retry-After": "0"}, {"title": "slow down"}))
    ingest.script.append((201, {}, {"id": "x"}))
    assert obs.event("incident", "inventory outage", severity="high") == {"id": "x"}
    ids = {r.body["id"] for r in ingest.requests}
    assert len(ingest.requests) == 3 and len(ids) == 1


def test_rejected_event_is_logged_not_raised(obs, ingest, caplog):
    problem = {"title": "invalid event", "errors": [{"field": "title", "detail": "must be 1 to 300 characters"}]}
    ingest.script.append((400, {}, problem))
    with caplog.at_level(logging.ERROR, logger="agent_observability"):
        assert obs.event("custom", "") is None
    assert len(ingest.requests) == 1
    assert "title" in caplog.text
    assert obs.event("party", "not a type") is None
    assert len(ingest.requests) == 1


def test_event_without_key_sends_nothing(ingest):
    off = AgentObservability(api_key="", base_url=ingest.url)
    assert off.event("custom", "marker") is None
    assert ingest.requests == []
