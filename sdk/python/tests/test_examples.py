"""Every example runs, against the fake ingestion API (and the fake OpenAI server for advanced.py).

test_integration.py runs them once more against the real server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import API_KEY, root_span
from fake_openai import FakeOpenAI

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, base_url: str, api_key: str = API_KEY, openai_url: str = "") -> str:
    env = dict(os.environ, AGENTOBS_API_KEY=api_key, AGENTOBS_BASE_URL=base_url)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EXAMPLES.parent), env.get("PYTHONPATH")]))
    env.pop("AGENTOBS_ENABLED", None)
    if openai_url:
        env.update(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=openai_url)
    else:
        env.pop("OPENAI_API_KEY", None)
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (name, proc.stdout, proc.stderr)
    assert "WARNING" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def test_examples_are_all_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == ["advanced.py", "async.py", "basic.py"]


def test_basic_example(ingest):
    out = run_example("basic.py", ingest.url)
    assert "flushed: True" in out
    traces = list(ingest.traces().values())
    assert len(traces) == 2
    manual = next(t for t in traces if t.get("user_id") == "user123")
    assert manual["agent_id"] == "support-bot" and manual["session_id"] == "abc"
    assert root_span(manual)["cost_usd"] == 0.0023
    assert manual["scores"][0]["name"] == "helpfulness"
    assert len(manual["spans"]) == 4  # context root, agent, tool, llm
    llm = next(s for s in manual["spans"] if s["kind"] == "llm")
    assert llm["model"] == "gpt-4o-mini" and llm["tokens_output"] == 12


def test_async_example(ingest):
    run_example("async.py", ingest.url)
    traces = list(ingest.traces().values())
    assert len(traces) == 2
    for t in traces:
        assert t["agent_id"] == "research-agent" and t["output"] == "Here is what I found."
        kinds = sorted(s["kind"] for s in t["spans"])
        assert kinds == ["agent", "llm", "retrieval", "retrieval", "retrieval"]
        llm = next(s for s in t["spans"] if s["kind"] == "llm")
        assert llm["tokens_input"] == 70


def test_advanced_example_with_openai(ingest):
    fake = FakeOpenAI()
    try:
        out = run_example("advanced.py", ingest.url, openai_url=fake.base_url)
    finally:
        fake.close()
    assert "Hello from the fake model." in out
    t = ingest.only_trace()
    kinds = {s["kind"] for s in t["spans"]}
    assert kinds == {"agent", "guardrail", "retrieval", "tool", "embedding", "llm", "event"}
    assert t["user_id"] == "user-42" and t["tags"] == ["advanced"]
    errors = [s for s in t["spans"] if s["status"] == "error"]
    assert len(errors) == 1 and "Atlantis" in errors[0]["status_message"]
    llm = next(s for s in t["spans"] if s["kind"] == "llm")
    assert llm["name"] == "openai.chat.completions" and llm["tokens_input"] == 12
    assert {s["name"] for s in t["scores"]} == {"plan_quality", "thumbs_up"}


def test_advanced_example_without_openai(ingest):
    run_example("advanced.py", ingest.url)
    llm = next(s for s in ingest.only_trace()["spans"] if s["kind"] == "llm")
    assert llm["name"] == "simulated-llm" and llm["tokens_cached_input"] == 5
