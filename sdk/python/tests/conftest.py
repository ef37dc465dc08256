"""Shared fixtures: a local fake of the ingestion API that records what the SDK sends."""

from __future__ import annotations

import collections
import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional

import pytest

from agent_observability import AgentObservability

API_KEY = "ao_test_0123456789abcdef0123456789abcdef"


class Recorded:
    def __init__(self, path: str, headers: Dict[str, str], raw: bytes, body: Any, status: int, at: float):
        self.path = path
        self.headers = headers
        self.raw = raw
        self.body = body
        self.status = status
        self.at = at

    @property
    def traces(self) -> List[Dict[str, Any]]:
        if isinstance(self.body, dict):
            return self.body.get("traces", [])
        return self.body or []


class FakeIngest:
    """An HTTP server answering POST /api/v1/traces/batch.

    Answers come from a script (a queue of (status, headers, body) or callables taking the
    parsed body), then default to 202. Requests whose answer was 2xx count as stored.
    """

    def __init__(self) -> None:
        self.requests: List[Recorded] = []
        self.script: "collections.deque[Any]" = collections.deque()
        self.gate: Optional[threading.Event] = None  # when set, requests wait for it
        self.arrivals = 0  # requests received, answered or not
        self.lock = threading.RLock()  # wait_for predicates read under it
        self.changed = threading.Condition(self.lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body are written separately: without this, Nagle's algorithm
                # and delayed ACKs add 40 ms to every answer on a kept-alive connection.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                with fake.changed:
                    fake.arrivals += 1
                    fake.changed.notify_all()
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                data = raw
                if self.headers.get("Content-Encoding") == "gzip":
                    data = gzip.decompress(raw)
                try:
                    body = json.loads(data)
                except ValueError:
                    body = None
                if fake.gate is not None:
                    fake.gate.wait(30)
                with fake.lock:
                    answer = fake.script.popleft() if fake.script else None
                if callable(answer):
                    answer = answer(body)
                if answer is None:
                    items = body.get("traces", []) if isinstance(body, dict) else []
                    answer = (202, {}, {"accepted": len(items), "rejected": 0,
                                        "items": [{"index": i, "trace_id": t.get("trace_id"), "status": 202}
                                                  for i, t in enumerate(items)]})
                status, headers, payload = answer
                rec = Recorded(self.path, dict(self.headers.items()), raw, body, status, time.monotonic())
                # Recorded before answering: once the client has its answer, the test sees it.
                with fake.changed:
                    fake.requests.append(rec)
                    fake.changed.notify_all()
                out = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self.server.shutdown()
        self.server.server_close()

    # -- reading what arrived ---------------------------------------------------------------
    def stored_parts(self) -> List[Dict[str, Any]]:
        with self.lock:
            reqs = list(self.requests)
        out = []
        for r in reqs:
            if 200 <= r.status < 300:
                out.extend(r.traces)
        return out

    def traces(self) -> Dict[str, Dict[str, Any]]:
        """Stored traces by id, parts merged as the server does: later header fields win, spans
        and scores are keyed by id."""
        merged: Dict[str, Dict[str, Any]] = {}
        for part in self.stored_parts():
            tid = part["trace_id"]
            m = merged.setdefault(tid, {"spans_by_id": {}, "scores_by_id": {}})
            for k, v in part.items():
                if k not in ("spans", "scores"):
                    m[k] = v
            for s in part.get("spans", []):
                m["spans_by_id"][s["span_id"]] = s
            for sc in part.get("scores", []):
                m["scores_by_id"][sc.get("score_id") or sc["name"] + sc.get("span_id", "")] = sc
        for m in merged.values():
            m["spans"] = list(m.pop("spans_by_id").values())
            m["scores"] = list(m.pop("scores_by_id").values())
        return merged

    def only_trace(self) -> Dict[str, Any]:
        ts = self.traces()
        assert len(ts) == 1, "expected one trace, got %d: %s" % (len(ts), list(ts))
        return next(iter(ts.values()))

    def wait_for(self, pred: Callable[["FakeIngest"], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not pred(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True


def span_named(trace: Dict[str, Any], name: str) -> Dict[str, Any]:
    found = [s for s in trace["spans"] if s["name"] == name]
    assert len(found) == 1, "expected one span %r, got %r" % (name, [s["name"] for s in trace["spans"]])
    return found[0]


def root_span(trace: Dict[str, Any]) -> Dict[str, Any]:
    roots = [s for s in trace["spans"] if not s.get("parent_span_id")]
    assert len(roots) == 1, roots
    return roots[0]


@pytest.fixture
def ingest():
    fake = FakeIngest()
    yield fake
    fake.close()


@pytest.fixture
def make_obs(ingest):
    """Builds clients against the fake server with fast timings; shuts them down after."""
    made: List[AgentObservability] = []

    def make(**kwargs: Any) -> AgentObservability:
        opts: Dict[str, Any] = dict(api_key=API_KEY, base_url=ingest.url, flush_interval=0.05,
                                    backoff_base=0.01, backoff_max=0.05, shutdown_timeout=5)
        opts.update(kwargs)
        obs = AgentObservability(**opts)
        made.append(obs)
        return obs

    yield make
    for obs in made:
        obs.shutdown(timeout=2)


@pytest.fixture
def obs(make_obs):
    return make_obs()
