"""trace_context, manual spans, setters, scores, and context across threads and tasks."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import root_span, span_named

from agent_observability import propagate


def test_trace_context_carries_trace_fields_output_and_cost(obs, ingest):
    @obs.trace()
    def my_agent_function(user_input):
        return "echo: " + user_input

    with obs.trace_context(agent_id="support-bot", user_id="user123", session_id="s-1",
                           metadata={"session": "abc"}, tags=["prod", "v2"]) as t:
        response = my_agent_function("Hello")
        obs.set_output(response)
        obs.set_cost(0.0023)
        trace_id = obs.get_current_trace_id()
    assert t.trace_id == trace_id
    obs.flush(5)
    tr = ingest.only_trace()
    assert tr["trace_id"] == trace_id
    assert (tr["agent_id"], tr["user_id"], tr["session_id"]) == ("support-bot", "user123", "s-1")
    assert tr["metadata"] == {"session": "abc"} and tr["tags"] == ["prod", "v2"]
    assert tr["output"] == "echo: Hello"
    root = root_span(tr)
    assert root["kind"] == "agent" and root["cost_usd"] == 0.0023  # trace-level cost: on the root
    child = span_named(tr, my_agent_function.__qualname__)
    assert child["parent_span_id"] == root["span_id"] and "cost_usd" not in child


def test_manual_spans_with_model_tokens_cost_and_kinds(obs, ingest):
    with obs.trace_context(agent_id="rag", input={"q": "x"}) as root:
        with obs.span("search", kind="retrieval", input="x") as s:
            s.set_output(["doc1", "doc2"])
            s.set_metadata(index="faq", k=2)
        with obs.span("generate", kind="llm", model="gpt-4o-mini") as llm:
            obs.set_tokens(input=120, output=40, cached_input=20)
            obs.set_cost(0.00004)
            llm.set_attribute("temperature", 0.2)
            obs.set_metadata({"nan": float("nan")})
        manual = obs.span("post-process")  # without `with`: ended by hand
        manual.end(output="ok")
        obs.set_metadata(run="r1")  # at the root: trace metadata
        root.update_trace(tags=["t1"])
    obs.flush(5)
    t = ingest.only_trace()
    assert t["input"] == '{"q":"x"}' and t["metadata"] == {"run": "r1"} and t["tags"] == ["t1"]
    assert t["model"] == "gpt-4o-mini"
    search = span_named(t, "search")
    assert search["kind"] == "retrieval" and search["input"] == "x"
    assert search["output"] == '["doc1","doc2"]'
    assert search["attributes"] == {"index": "faq", "k": 2}
    gen = span_named(t, "generate")
    assert gen["kind"] == "llm" and gen["model"] == "gpt-4o-mini"
    assert (gen["tokens_input"], gen["tokens_output"], gen["tokens_cached_input"]) == (120, 40, 20)
    assert gen["cost_usd"] == 0.00004
    assert gen["attributes"] == {"temperature": 0.2, "nan": None}
    post = span_named(t, "post-process")
    assert post["output"] == "ok" and post["kind"] == "chain"
    assert all(s["parent_span_id"] == root_span(t)["span_id"] for s in (search, gen, post))


def test_span_exception_inside_with_block(obs, ingest):
    try:
        with obs.trace_context(agent_id="a"):
            with obs.span("tool", kind="tool"):
                raise KeyError("missing")
    except KeyError:
        pass
    obs.flush(5)
    t = ingest.only_trace()
    assert t["status"] == "error" and t["error_type"] == "KeyError"
    assert span_named(t, "tool")["status"] == "error"


def test_nesting_across_threads_with_propagate(obs, ingest):
    @obs.trace(kind="tool")
    def work(i):
        return i * i

    @obs.trace(agent_id="threaded")
    def agent():
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(propagate(work), range(4)))
        t = threading.Thread(target=propagate(work), args=(10,))
        t.start()
        t.join()
        return sum(results)

    assert agent() == 14
    obs.flush(5)
    t = ingest.only_trace()
    root = root_span(t)
    assert len(t["spans"]) == 6
    assert all(s["parent_span_id"] == root["span_id"] for s in t["spans"] if s is not root)


def test_threads_without_propagation_start_their_own_traces(obs, ingest):
    @obs.trace()
    def work():
        return obs.get_current_trace_id()

    @obs.trace()
    def agent():
        with ThreadPoolExecutor(1) as pool:
            return obs.get_current_trace_id(), pool.submit(work).result()

    mine, theirs = agent()
    assert mine != theirs
    obs.flush(5)
    assert len(ingest.traces()) == 2


def test_asyncio_tasks_and_to_thread_carry_the_context(obs, ingest):
    @obs.trace(kind="tool")
    def blocking(x):
        return x

    @obs.trace()
    async def agent():
        a = await asyncio.to_thread(blocking, 1)
        b = await asyncio.get_running_loop().run_in_executor(None, propagate(blocking), 2)
        async with obs.span("async-span", kind="retrieval"):
            c = await asyncio.create_task(asyncio.sleep(0, result=3))
        return a + b + c

    assert asyncio.run(agent()) == 6
    obs.flush(5)
    t = ingest.only_trace()
    root = root_span(t)
    assert len(t["spans"]) == 4
    assert all(s["parent_span_id"] == root["span_id"] for s in t["spans"] if s is not root)


def test_setters_outside_a_trace_are_harmless(obs, ingest):
    obs.set_output("x")
    obs.set_cost(1)
    obs.set_tokens(1, 2)
    obs.set_model("m")
    obs.set_metadata(a=1)
    obs.score("s", 1)
    obs.update_trace(user_id="u")
    assert obs.get_current_trace_id() is None and obs.current_trace() is None
    with obs.trace_context(agent_id="a") as t:
        obs.set_cost("not a number")
        obs.set_cost(-1)
        obs.set_tokens(input=-5, output="x")
        obs.score("bad", float("inf"))
        obs.set_status("weird")
    obs.flush(5)
    root = root_span(ingest.only_trace())
    assert "cost_usd" not in root and "tokens_input" not in root
    assert t.ended


def test_scores_on_trace_and_span_also_after_the_end(obs, ingest):
    with obs.trace_context(agent_id="scored") as root:
        obs.score("helpfulness", 0.9, "good")
        with obs.span("answer", kind="llm") as s:
            obs.score("accuracy", 1, on="span", source="eval")
    root.trace.score("thumbs", 1, source="human")  # user feedback after the run
    s.score("late-span-score", 0.5)
    obs.flush(5)
    t = ingest.only_trace()
    scores = {sc["name"]: sc for sc in t["scores"]}
    assert scores["helpfulness"] == {"name": "helpfulness", "value": 0.9, "comment": "good"}
    assert scores["accuracy"]["span_id"] == s.span_id and scores["accuracy"]["source"] == "eval"
    assert scores["thumbs"]["source"] == "human" and "span_id" not in scores["thumbs"]
    assert scores["late-span-score"]["span_id"] == s.span_id
    for part in ingest.stored_parts():
        assert part["spans"], "every part carries at least one span"


def test_child_ending_after_the_root_is_sent_later(obs, ingest):
    release = threading.Event()
    started = threading.Event()

    @obs.trace(kind="tool")
    def background():
        started.set()
        release.wait(5)
        return "late"

    @obs.trace()
    def agent():
        threading.Thread(target=propagate(background)).start()
        started.wait(5)
        return "early"

    agent()
    obs.flush(5)
    assert len(ingest.only_trace()["spans"]) == 1
    release.set()
    assert ingest.wait_for(lambda f: len(f.only_trace()["spans"]) == 2, 5)
    t = ingest.only_trace()
    assert t["output"] == "early" and t["end_time"]  # the late part repeats the final header
    assert span_named(t, background.__qualname__)["output"] == "late"


def test_long_trace_is_sent_in_parts(make_obs, ingest):
    obs = make_obs(max_spans_per_part=10)

    @obs.trace(kind="tool")
    def step(i):
        return i

    with obs.trace_context(agent_id="long") as root:
        for i in range(35):
            step(i)
        # Sent while still running (parts queued together are merged into one item).
        assert ingest.wait_for(lambda f: sum(len(p["spans"]) for p in f.stored_parts()) == 30, 5)
        assert all("end_time" not in p for p in ingest.stored_parts())
    obs.flush(5)
    t = ingest.only_trace()
    assert len(t["spans"]) == 36 and t["end_time"]
    assert root_span(t)["span_id"] == root.span_id


def test_nested_trace_context_becomes_a_child_and_updates_the_trace(obs, ingest):
    with obs.trace_context(agent_id="outer"):
        with obs.trace_context(agent_id="sub-agent", user_id="u9", tags=["x"]) as sub:
            assert not sub.is_root
    obs.flush(5)
    t = ingest.only_trace()
    assert t["agent_id"] == "outer" and t["user_id"] == "u9" and t["tags"] == ["x"]
    assert span_named(t, "sub-agent")["kind"] == "agent"
