"""SDK -> API -> store: the built agentobs binary, fed by the SDK, read back through the query API.

The binary comes from AGENTOBS_BIN (default: <repository>/bin/agentobs, built by `make build`).
When it is missing these tests fail, unless AGENTOBS_SKIP_INTEGRATION=1 says to skip them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from test_examples import run_example

from agent_observability import AgentObservability, propagate

REPO = Path(__file__).resolve().parents[3]
KEY = "ao_test_0123456789abcdef0123456789abcdef"


class Server:
    def __init__(self, url: str, proc: subprocess.Popen, log: Path) -> None:
        self.url = url
        self.proc = proc
        self.log = log

    def get(self, path: str, key: str = KEY) -> Any:
        req = urllib.request.Request(self.url + path, headers={"Authorization": "Bearer " + key})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)

    def committed(self) -> None:
        """Waits until the server's store has everything it acknowledged (a 202 means
        durable in its write-ahead log; the store follows a moment later)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with urllib.request.urlopen(self.url + "/ready", timeout=5) as resp:
                ing = json.load(resp).get("ingestion") or {}
            if not ing.get("commit_lag_records") and not ing.get("replaying"):
                return
            time.sleep(0.02)

    def trace(self, trace_id: str, want_spans: int = 0) -> Dict[str, Any]:
        """GET a trace once the store caught up; waits briefly for spans that arrived in
        later requests."""
        self.committed()
        deadline = time.monotonic() + 10
        while True:
            try:
                t = self.get("/api/v1/traces/" + trace_id)
                if _count(t["spans"]) >= want_spans:
                    return t
            except urllib.error.HTTPError as err:
                if err.code != 404 or time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                return t
            time.sleep(0.1)

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def _count(spans: List[Dict[str, Any]]) -> int:
    return sum(1 + _count(s.get("children") or []) for s in spans)


def _flat(spans: List[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    for s in spans:
        yield s
        yield from _flat(s.get("children") or [])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    if os.environ.get("AGENTOBS_SKIP_INTEGRATION") == "1":
        pytest.skip("AGENTOBS_SKIP_INTEGRATION=1")
    binary = Path(os.environ.get("AGENTOBS_BIN") or REPO / "bin" / "agentobs")
    if not binary.is_file():
        pytest.fail("agentobs binary not found at %s: run `make build` at the repository root, set "
                    "AGENTOBS_BIN, or set AGENTOBS_SKIP_INTEGRATION=1 to skip the integration tests"
                    % binary, pytrace=False)
    tmp = Path(tempfile.mkdtemp(prefix="agentobs-sdk-it-"))
    port = _free_port()
    log = tmp / "server.log"
    env = dict(os.environ, AGENTOBS_INIT_API_KEY=KEY)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(binary), "serve", "--addr", "127.0.0.1:%d" % port, "--data-dir", str(tmp / "data")],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    srv = Server("http://127.0.0.1:%d" % port, proc, log)
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            pytest.fail("agentobs exited with %s while starting:\n%s" % (proc.returncode, srv.log_tail()),
                        pytrace=False)
        try:
            with urllib.request.urlopen(srv.url + "/ready", timeout=1) as resp:
                if resp.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("agentobs not ready within 20 s:\n" + srv.log_tail(), pytrace=False)
        time.sleep(0.1)
    yield srv
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture
def client(server):
    obs = AgentObservability(api_key=KEY, base_url=server.url, flush_interval=0.05, max_retries=3,
                             backoff_base=0.1)
    yield obs
    obs.shutdown(5)


def test_decorated_agent_tree_tokens_and_cost(server, client):
    obs = client

    @obs.trace(kind="retrieval")
    def search(q):
        return ["doc-1", "doc-2"]

    @obs.trace(kind="llm")
    def generate(q, docs):
        obs.set_model("gpt-4o-mini", provider="openai")
        obs.set_tokens(input=1200, output=300)  # no cost: the server prices it
        return "answer"

    @obs.trace(kind="llm", name="judge")
    def judge(answer):
        obs.set_model("gpt-4o-mini")
        obs.set_tokens(input=100, output=10)
        obs.set_cost(0.5)  # an explicit cost is kept as given
        return 0.9

    ids = []

    @obs.trace(agent_id="it-support-bot", user_id="u-1", session_id="s-1", tags=["it"])
    def agent(q):
        ids.append(obs.get_current_trace_id())
        docs = search(q)
        answer = generate(q, docs)
        obs.score("quality", judge(answer), source="eval")
        return answer

    assert agent("How do I reset my password?") == "answer"
    assert obs.flush(10)
    trace_id = ids[0]
    t = server.trace(trace_id, want_spans=4)
    assert t["agent_id"] == "it-support-bot" and t["status"] == "success"
    assert (t["user_id"], t["session_id"], t["tags"]) == ("u-1", "s-1", ["it"])
    assert json.loads(t["input"]) == {"q": "How do I reset my password?"} and t["output"] == "answer"

    assert len(t["spans"]) == 1, "one top-level span"
    root = t["spans"][0]
    assert root["kind"] == "agent" and root["name"].endswith("agent")
    children = {c["name"].split(".")[-1]: c for c in root["children"]}
    assert set(children) == {"search", "generate", "judge"}
    assert children["search"]["kind"] == "retrieval" and children["search"]["output"] == '["doc-1","doc-2"]'
    gen = children["generate"]
    assert (gen["tokens_input"], gen["tokens_output"], gen["tokens_total"]) == (1200, 300, 1500)
    assert gen["model"] == "gpt-4o-mini" and gen["model_provider"] == "openai"
    assert gen["cost_usd"] is not None and gen["cost_usd"] > 0, "priced from the price table"
    assert children["judge"]["cost_usd"] == pytest.approx(0.5)

    # Roll-ups over all spans.
    assert (t["tokens_input"], t["tokens_output"], t["tokens_total"]) == (1300, 310, 1610)
    assert t["cost_usd"] == pytest.approx(0.5 + gen["cost_usd"])
    assert t["span_count"] == 4 and t["error_span_count"] == 0
    assert [s["name"] for s in t["scores"]] == ["quality"] and t["scores"][0]["value"] == 0.9


def test_errors_parts_late_spans_and_late_scores_merge(server, client):
    obs = AgentObservability(api_key=KEY, base_url=server.url, flush_interval=0.05,
                             max_spans_per_part=5)
    release = threading.Event()

    @obs.trace(kind="tool")
    def step(i):
        if i == 3:
            raise RuntimeError("step 3 failed")
        return i

    @obs.trace(kind="tool", name="slow-background")
    def background():
        release.wait(10)
        return "late"

    with obs.trace_context(agent_id="it-parts", metadata={"run": 7}) as root:
        threading.Thread(target=propagate(background)).start()
        for i in range(12):
            try:
                step(i)
            except RuntimeError:
                pass
        obs.set_output("done")
    assert obs.flush(10)
    release.set()  # this span ends after its trace was sent
    time.sleep(0.1)
    root.trace.score("thumbs", 1, source="human", comment="great")
    assert obs.flush(10)
    obs.shutdown(5)

    t = server.trace(root.trace_id, want_spans=14)
    assert _count(t["spans"]) == 14 and t["span_count"] == 14
    assert t["error_span_count"] == 1
    assert t["output"] == "done" and t["metadata"] == {"run": 7}
    flat = {s["name"]: s for s in _flat(t["spans"])}
    assert flat["slow-background"]["output"] == "late"
    failed = [s for s in _flat(t["spans"]) if s["status"] == "error"]
    assert len(failed) == 1 and "step 3 failed" in failed[0]["status_message"]
    assert [(s["name"], s["source"], s["comment"]) for s in t["scores"]] == [("thumbs", "human", "great")]
    assert len(t["spans"]) == 1 and t["spans"][0]["span_id"] == root.span_id


def test_wrap_openai_usage_is_priced(server, client):
    openai = pytest.importorskip("openai")
    from fake_openai import FakeOpenAI

    fake = FakeOpenAI()
    try:
        llm = client.wrap_openai(openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0))
        with client.trace_context(agent_id="it-openai") as root:
            llm.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
            stream = llm.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}],
                                                 stream=True, stream_options={"include_usage": True})
            for _ in stream:
                pass
    finally:
        fake.close()
    assert client.flush(10)
    t = server.trace(root.trace_id, want_spans=3)
    llms = [s for s in _flat(t["spans"]) if s["kind"] == "llm"]
    assert len(llms) == 2
    for s in llms:
        assert (s["tokens_input"], s["tokens_output"], s["tokens_cached_input"]) == (12, 5, 4)
        assert s["cost_usd"] is not None and s["cost_usd"] > 0
        assert s["output"] == "Hello from the fake model."
    assert t["tokens_total"] == 34 and t["model"] == "gpt-4o-mini"


def test_examples_against_the_server(server):
    for name in ("basic.py", "async.py"):
        run_example(name, server.url, api_key=KEY)
    out = run_example("advanced.py", server.url, api_key=KEY)
    # One weather call fails on purpose: the server marks a trace with a failed span as error.
    assert "stored: status=error spans=10" in out, out
    assert "- plan-request [agent] success" in out and "- weather [tool] error" in out


def test_wrong_key_is_reported_not_raised(server, caplog):
    obs = AgentObservability(api_key="ao_wrong_key", base_url=server.url, flush_interval=0.05)

    @obs.trace()
    def f():
        return 1

    assert f() == 1
    obs.flush(10)
    assert obs.stats()["dropped_failed"] == 1
    assert any("API key was refused" in r.message for r in caplog.records)
    obs.shutdown(1)


def test_oversized_and_odd_values_are_fitted_to_the_api_limits(server, client):
    obs = AgentObservability(api_key=KEY, base_url=server.url, flush_interval=0.05,
                             max_field_length=10_000_000)
    with obs.trace_context(agent_id="a" * 300, name="n" * 2000, user_id="u" * 300,
                           metadata={"big": "m" * 100_000, "nan": float("nan")},
                           tags=["t%d" % i for i in range(100)] + ["x" * 200]) as root:
        obs.set_input("i" * 2_000_000)
        with obs.span("s" * 2000, kind="tool") as s:
            s.set_metadata(huge=["v" * 1000] * 100, inf=float("inf"))
            s.set_output("\ud800 lone surrogate and emoji \U0001F600")
            s.set_status("error", "e" * 100_000)
        obs.score("q" * 300, 1.0, "c" * 100_000)
    assert obs.flush(10)
    stats = obs.stats()
    obs.shutdown(5)
    assert stats["rejected"] == 0 and stats["sent"] == 1, stats
    t = server.trace(root.trace_id, want_spans=2)
    assert len(t["agent_id"]) == 256 and len(t["tags"]) == 64
    assert t["metadata"]["truncated"] is True
    assert 250_000 < len(t["input"]) < 270_000 and "truncated" in t["input"]
    child = t["spans"][0]["children"][0]
    assert child["attributes"]["truncated"] is True and child["status"] == "error"
    assert "emoji" in child["output"]


def test_deployment_marker_reaches_the_events_api(server, client):
    ev = client.deployment("v7", agent_id="sdk-agent", metadata={"commit": "c0ffee"})
    assert ev is not None and ev["version"] == "v7" and ev["metadata"] == {"commit": "c0ffee"}
    events = server.get("/api/v1/events?type=deployment")["events"]
    assert [e["id"] for e in events] == [ev["id"]]
    assert events[0]["agent_id"] == "sdk-agent"
    # The same id again replaces the event rather than adding one.
    client.event("deployment", "v7 again", event_id=ev["id"], version="v7")
    events = server.get("/api/v1/events?type=deployment")["events"]
    assert [e["title"] for e in events] == ["v7 again"]
