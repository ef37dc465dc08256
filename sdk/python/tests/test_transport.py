"""Delivery: batching, compression, the drop policy, retries, Retry-After, flush and shutdown."""

from __future__ import annotations

import email.utils
import gzip
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from conftest import API_KEY, root_span

from agent_observability.transport import HttpSender, Worker, parse_retry_after


def _run_traces(obs, n, name="t"):
    @obs.trace(name=name)
    def f(i):
        return i

    for i in range(n):
        f(i)


def test_batches_by_size_with_gzip_and_bearer_auth(make_obs, ingest):
    obs = make_obs(flush_at=10, flush_interval=30)
    _run_traces(obs, 25)
    # Two full batches go out without waiting for the 30 s interval.
    assert ingest.wait_for(lambda f: len(f.requests) >= 2, 5)
    assert obs.flush(5)
    sizes = [len(r.traces) for r in ingest.requests]
    assert sizes == [10, 10, 5]
    r = ingest.requests[0]
    assert r.path == "/api/v1/traces/batch"
    assert r.headers["Authorization"] == "Bearer " + API_KEY
    assert r.headers["Content-Encoding"] == "gzip" and r.headers["Content-Type"] == "application/json"
    assert json.loads(gzip.decompress(r.raw))["traces"][0]["spans"]
    assert obs.stats()["sent"] == 25 and obs.stats()["batches"] == 3


def test_batches_by_time(make_obs, ingest):
    obs = make_obs(flush_at=100, flush_interval=0.2)
    t0 = time.monotonic()
    _run_traces(obs, 3)
    assert ingest.wait_for(lambda f: len(f.stored_parts()) == 3, 5)
    waited = time.monotonic() - t0
    assert 0.1 < waited < 2, waited
    assert len(ingest.requests) == 1


def test_uncompressed_and_base_url_with_path(ingest):
    from agent_observability import AgentObservability

    obs = AgentObservability(api_key="k", base_url=ingest.url + "/prefix/", gzip=False,
                             flush_interval=0.05)
    _run_traces(obs, 1)
    obs.shutdown(5)
    r = ingest.requests[0]
    assert r.path == "/prefix/api/v1/traces/batch" and "Content-Encoding" not in r.headers


def test_wait_for_commit_asks_for_the_store(ingest, monkeypatch):
    from agent_observability import AgentObservability

    obs = AgentObservability(api_key="k", base_url=ingest.url, flush_interval=0.05, wait_for_commit=True)
    _run_traces(obs, 1)
    obs.shutdown(5)
    monkeypatch.setenv("AGENTOBS_WAIT_FOR_COMMIT", "true")
    env = AgentObservability(api_key="k", base_url=ingest.url, flush_interval=0.05)
    _run_traces(env, 1)
    env.shutdown(5)
    assert [r.path for r in ingest.requests] == ["/api/v1/traces/batch?wait=commit"] * 2


def test_full_queue_drops_newest_and_counts(make_obs, ingest, caplog):
    ingest.gate = threading.Event()  # the server hangs: the worker is stuck on its first request
    obs = make_obs(max_queue_size=5, flush_at=1, flush_interval=0.01)
    _run_traces(obs, 1)
    assert ingest.wait_for(lambda f: f.arrivals == 1, 5)  # the worker waits for its answer
    t0 = time.perf_counter()
    _run_traces(obs, 20)
    elapsed = time.perf_counter() - t0
    stats = obs.stats()
    assert stats["queued"] == 5
    assert stats["dropped_queue_full"] == 15 and stats["dropped_spans"] == 15
    assert elapsed < 0.5  # never blocked by the stuck network
    assert sum("send queue full" in r.message for r in caplog.records) == 1
    ingest.gate.set()
    assert obs.flush(5)
    assert obs.stats()["sent"] == 6 and len(ingest.traces()) == 6


def test_decorated_calls_never_wait_for_a_slow_server(make_obs, ingest):
    ingest.gate = threading.Event()
    obs = make_obs(flush_at=1, flush_interval=0.01)

    @obs.trace()
    def quick():
        return 1

    quick()
    assert ingest.wait_for(lambda f: f.arrivals == 1, 5)
    t0 = time.perf_counter()
    for _ in range(200):
        quick()
    assert time.perf_counter() - t0 < 0.5
    assert obs.flush(0.1) is False  # flush times out instead of hanging
    ingest.gate.set()
    assert obs.flush(5)


def test_retry_honours_retry_after_on_429_and_503(make_obs, ingest):
    ingest.script.extend([
        (429, {"Retry-After": "1"}, {"title": "Too Many Requests"}),
        (503, {"Retry-After": "0"}, {"title": "Unavailable"}),
    ])
    obs = make_obs(backoff_base=5, backoff_max=5)  # backoff far longer than Retry-After
    _run_traces(obs, 2)
    t0 = time.monotonic()
    assert obs.flush(10)
    assert [r.status for r in ingest.requests] == [429, 503, 202]
    gap = ingest.requests[1].at - ingest.requests[0].at
    assert 0.9 <= gap < 2.0, gap  # waited what Retry-After said, not the 5 s backoff
    assert ingest.requests[2].at - ingest.requests[1].at < 1.0
    assert time.monotonic() - t0 < 4
    assert len(ingest.traces()) == 2 and obs.stats()["retries"] == 2
    # The same bytes were sent again: the server deduplicates on ids.
    assert ingest.requests[0].body == ingest.requests[2].body


def test_retry_with_exponential_backoff_on_5xx_then_gives_up(make_obs, ingest, caplog):
    ingest.script.extend([(500, {}, {})] * 4)
    obs = make_obs(max_retries=3, backoff_base=0.05, backoff_max=1)
    _run_traces(obs, 1)
    assert obs.flush(10)
    assert len(ingest.requests) == 4  # first try + 3 retries
    gaps = [b.at - a.at for a, b in zip(ingest.requests, ingest.requests[1:])]
    assert gaps[2] > gaps[0]  # the waits grow
    assert obs.stats()["dropped_failed"] == 1
    assert any("giving up" in r.message for r in caplog.records)


def test_network_errors_are_retried(make_obs, ingest):
    # A port nobody listens on at first; the retry reaches a server started meanwhile.
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    from agent_observability import AgentObservability

    obs = AgentObservability(api_key="k", base_url="http://127.0.0.1:%d" % port, flush_interval=0.01,
                             backoff_base=0.2, backoff_max=0.2, max_retries=20)
    _run_traces(obs, 1)
    time.sleep(0.15)
    from http.server import BaseHTTPRequestHandler, HTTPServer

    got = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=srv.serve_forever, args=(0.02,), daemon=True).start()
    try:
        assert obs.flush(10)
        assert len(got) == 1 and obs.stats()["retries"] >= 1 and obs.stats()["sent"] == 1
    finally:
        obs.shutdown(1)
        srv.shutdown()
        srv.server_close()


def test_400_is_not_retried_and_207_retries_only_retryable_items(make_obs, ingest, caplog):
    problem = {"title": "Invalid trace", "detail": "1 field is invalid",
               "errors": [{"field": "status", "detail": "bad"}]}
    ingest.script.append((400, {}, problem))
    obs = make_obs(flush_at=3, flush_interval=30)
    _run_traces(obs, 3)
    assert obs.flush(5)
    assert len(ingest.requests) == 1 and obs.stats()["rejected"] == 3
    assert any("rejected 3 trace(s) with 400" in r.message and "status: bad" in r.message
               for r in caplog.records)

    def partial(body):
        items = body["traces"]
        return (207, {}, {"accepted": 1, "rejected": 2, "items": [
            {"index": 0, "trace_id": items[0]["trace_id"], "status": 202},
            {"index": 1, "trace_id": items[1]["trace_id"], "status": 400,
             "errors": [{"field": "traces[1].status", "detail": "bad"}]},
            {"index": 2, "trace_id": items[2]["trace_id"], "status": 503},
        ]})

    ingest.script.append(partial)
    _run_traces(obs, 3, name="second")
    assert obs.flush(5)
    assert [len(r.traces) for r in ingest.requests[1:]] == [3, 1]
    assert ingest.requests[2].traces[0] == ingest.requests[1].traces[2]
    stats = obs.stats()
    assert stats["rejected"] == 4 and stats["sent"] == 2


def test_401_warns_once_and_is_not_retried(make_obs, ingest, caplog):
    ingest.script.extend([(401, {}, {"title": "Unauthorized"})] * 2)
    obs = make_obs(flush_at=1)
    _run_traces(obs, 1)
    obs.flush(5)
    _run_traces(obs, 1)
    obs.flush(5)
    assert len(ingest.requests) == 2
    warnings = [r for r in caplog.records if "API key was refused" in r.message]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_413_splits_the_batch(make_obs, ingest):
    ingest.script.append((413, {}, {"title": "Too large"}))
    obs = make_obs(flush_at=4, flush_interval=30)
    _run_traces(obs, 4)
    assert obs.flush(5)
    assert [len(r.traces) for r in ingest.requests] == [4, 2, 2]
    assert len(ingest.traces()) == 4


def test_shutdown_flushes_and_later_calls_are_not_recorded(make_obs, ingest):
    obs = make_obs(flush_interval=60)
    _run_traces(obs, 7)
    assert ingest.requests == []
    t0 = time.monotonic()
    assert obs.shutdown(5)
    assert time.monotonic() - t0 < 2
    assert len(ingest.traces()) == 7
    assert not obs.enabled
    _run_traces(obs, 1)
    assert obs.flush(1) and len(ingest.traces()) == 7
    assert obs.shutdown()  # twice is fine


def test_shutdown_gives_up_within_its_timeout(make_obs, ingest):
    ingest.script.extend([(503, {"Retry-After": "30"}, {})] * 5)
    obs = make_obs(max_retries=10)
    _run_traces(obs, 2)
    time.sleep(0.3)  # first attempt made, now waiting 30 s
    t0 = time.monotonic()
    assert obs.shutdown(0.5) is False
    assert time.monotonic() - t0 < 1.5
    assert obs.stats()["dropped_failed"] == 2


def test_flush_at_interpreter_exit(ingest, tmp_path):
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent("""
        from agent_observability import AgentObservability
        obs = AgentObservability(flush_interval=60)  # from the environment

        @obs.trace(agent_id="exiting")
        def main():
            return "bye"

        main()
        # no flush(), no shutdown(): the atexit hook sends the trace
    """))
    env = dict(os.environ, AGENTOBS_API_KEY=API_KEY, AGENTOBS_BASE_URL=ingest.url,
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, str(script)], check=True, env=env, timeout=30)
    assert ingest.only_trace()["agent_id"] == "exiting"


def test_large_traces_are_split_into_items_under_the_byte_limit(ingest):
    from agent_observability import AgentObservability

    obs = AgentObservability(api_key="k", base_url=ingest.url, flush_interval=0.01,
                             max_spans_per_part=1000)
    obs._worker._max_batch_bytes = 64 * 1024
    with obs.trace_context(agent_id="big") as root:
        for i in range(30):
            with obs.span("s%d" % i) as s:
                s.set_output("x" * 10_000)
        root.score("q", 1)
    obs.shutdown(5)
    assert all(len(r.raw) and len(gzip.decompress(r.raw)) <= 64 * 1024 + 1024 for r in ingest.requests)
    t = ingest.only_trace()
    assert len(t["spans"]) == 31 and len(t["scores"]) == 1
    assert len(ingest.stored_parts()) > 3


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("100000") == 120.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= parse_retry_after(later) <= 11


def test_worker_survives_a_failing_sender():
    class Exploding:
        url = "x"

        def __init__(self):
            self.calls = 0

        def post(self, body):
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("unexpected")
            return 202, {}, b"{}"

        def close(self):
            pass

    from agent_observability import AgentObservability

    sender = Exploding()
    obs = AgentObservability(api_key="k", base_url="http://127.0.0.1:9", flush_interval=0.01,
                             backoff_base=0.01)
    obs._worker._sender = sender
    _run_traces(obs, 1)
    assert obs.flush(5)
    assert sender.calls == 2 and obs.stats()["sent"] == 1
    obs.shutdown(1)


def test_sender_rejects_bad_urls_and_client_turns_off(caplog):
    with pytest.raises(ValueError):
        HttpSender("ftp://x", "k")
    from agent_observability import AgentObservability

    obs = AgentObservability(api_key="k", base_url="not a url")
    assert not obs.enabled
    assert any("tracing is off" in r.message for r in caplog.records)


def test_worker_counts_are_thread_safe(ingest):
    sender = HttpSender(ingest.url, "k")
    w = Worker(sender, batch_size=50, flush_interval=0.01, max_queue_size=100_000)
    from agent_observability import AgentObservability

    obs = AgentObservability(api_key="k", base_url=ingest.url)
    obs._worker = w

    @obs.trace()
    def f():
        return None

    threads = [threading.Thread(target=lambda: [f() for _ in range(500)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.flush(10)
    assert w.stats()["sent"] == 2000 and len(ingest.traces()) == 2000
    w.shutdown(1)


def test_environment_configuration(ingest, monkeypatch):
    from agent_observability import AgentObservability

    monkeypatch.setenv("AGENTOBS_API_KEY", "env-key")
    monkeypatch.setenv("AGENTOBS_BASE_URL", ingest.url)
    monkeypatch.setenv("AGENTOBS_AGENT_ID", "env-agent")
    monkeypatch.setenv("AGENTOBS_SAMPLE_RATE", "1")
    monkeypatch.setenv("AGENTOBS_FLUSH_INTERVAL", "0.05")
    obs = AgentObservability()
    _run_traces(obs, 1)
    assert obs.flush(5)
    assert ingest.requests[0].headers["Authorization"] == "Bearer env-key"
    assert ingest.only_trace()["agent_id"] == "env-agent"
    obs.shutdown(1)
    monkeypatch.setenv("AGENTOBS_ENABLED", "false")
    assert not AgentObservability().enabled
    monkeypatch.setenv("AGENTOBS_ENABLED", "1")
    monkeypatch.setenv("AGENTOBS_SAMPLE_RATE", "0")
    assert AgentObservability()._sample_rate == 0.0


def test_debug_logging(make_obs, ingest, capfd):
    import logging as _logging

    logger = _logging.getLogger("agent_observability")
    level, handlers = logger.level, list(logger.handlers)
    try:
        ingest.script.append((503, {"Retry-After": "0"}, {}))
        obs = make_obs(debug=True)
        _run_traces(obs, 1)
        assert obs.flush(5)
        err = capfd.readouterr().err
        assert "retry 1 of 1 trace(s)" in err and "DEBUG" in err
    finally:
        logger.setLevel(level)
        logger.handlers[:] = handlers


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_has_its_own_queue_and_worker(make_obs, ingest):
    obs = make_obs(flush_interval=60)
    _run_traces(obs, 1, name="parent")  # queued, not sent before the fork
    pid = os.fork()
    if pid == 0:  # child: must not send the parent's trace, must send its own
        code = 1
        try:
            _run_traces(obs, 1, name="child")
            code = 0 if obs.flush(5) and obs.stats()["sent"] == 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert obs.flush(5)
    names = sorted(root_span(t)["name"] for t in ingest.traces().values())
    assert names == ["child", "parent"]
