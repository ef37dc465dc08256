"""@obs.trace() on functions, methods, coroutines, generators and async generators."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest
from conftest import root_span, span_named


def test_nested_calls_become_one_trace_with_a_span_tree(obs, ingest):
    @obs.trace(agent_id="support-bot")
    def answer(question, style="short"):
        docs = search(question)
        return "answer to %s using %d docs" % (question, len(docs))

    @obs.trace(kind="retrieval")
    def search(query):
        return [rank(query)]

    @obs.trace(kind="tool", name="ranker")
    def rank(query):
        return {"doc": 1}

    assert answer("why?") == "answer to why? using 1 docs"
    assert obs.flush(5)
    t = ingest.only_trace()
    assert t["agent_id"] == "support-bot"
    assert t["name"].endswith("answer")
    assert t["status"] == "success"
    assert json.loads(t["input"]) == {"question": "why?"}
    assert t["output"] == "answer to why? using 1 docs"
    assert t["end_time"] >= t["timestamp"]
    assert len(t["spans"]) == 3

    root = root_span(t)
    search_span = span_named(t, search.__qualname__)
    ranker = span_named(t, "ranker")
    assert root["kind"] == "agent" and "parent_span_id" not in root
    assert search_span["kind"] == "retrieval" and search_span["parent_span_id"] == root["span_id"]
    assert ranker["kind"] == "tool" and ranker["parent_span_id"] == search_span["span_id"]
    assert json.loads(search_span["output"]) == [{"doc": 1}]
    for s in t["spans"]:
        assert len(s["span_id"]) == 32 and s["end_time"] >= s["start_time"]
        assert s["latency_ms"] >= 0
    assert len(t["trace_id"]) == 32 and t["trace_id"][12] == "4"  # a UUID4 in hex


def test_exception_marks_error_and_is_reraised_unchanged(obs, ingest):
    class Boom(Exception):
        pass

    err = Boom("tool broke")

    @obs.trace(kind="tool")
    def tool():
        raise err

    @obs.trace()
    def agent():
        try:
            tool()
        except Boom:
            pass
        raise ValueError("agent failed")

    with pytest.raises(ValueError, match="agent failed"):
        agent()
    with pytest.raises(Boom) as caught:
        tool()  # a failing root on its own
    assert caught.value is err
    assert obs.flush(5)

    traces = list(ingest.traces().values())
    assert len(traces) == 2
    agent_trace = next(t for t in traces if len(t["spans"]) == 2)
    assert agent_trace["status"] == "error"
    assert agent_trace["error_type"] == "ValueError"
    assert "agent failed" in agent_trace["error_message"]
    tool_span = next(s for s in agent_trace["spans"] if s["kind"] == "tool")
    assert tool_span["status"] == "error" and tool_span["status_message"] == "Boom: tool broke"
    solo = next(t for t in traces if len(t["spans"]) == 1)
    assert solo["status"] == "error" and solo["error_type"] == "Boom"


def test_timeout_errors_are_recorded_as_timeout(obs, ingest):
    @obs.trace()
    async def slow():
        await asyncio.wait_for(asyncio.sleep(1), timeout=0.01)

    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(slow())
    obs.flush(5)
    assert ingest.only_trace()["status"] == "timeout"


def test_async_functions_and_concurrent_tasks(obs, ingest):
    @obs.trace(kind="tool")
    async def fetch(i):
        await asyncio.sleep(0.01 * (3 - i))
        return i

    @obs.trace(agent_id="async-agent")
    async def agent():
        results = await asyncio.gather(*(fetch(i) for i in range(3)))
        task = asyncio.create_task(fetch(9))  # tasks copy the context: still a child
        return sum(results) + await task

    async def main():
        # Two concurrent roots must not see each other's spans.
        return await asyncio.gather(agent(), agent())

    assert asyncio.run(main()) == [12, 12]
    assert obs.flush(5)
    traces = list(ingest.traces().values())
    assert len(traces) == 2
    for t in traces:
        root = root_span(t)
        children = [s for s in t["spans"] if s is not root]
        assert len(children) == 4
        assert all(s["parent_span_id"] == root["span_id"] for s in children)
        assert t["output"] == "12"
    assert inspect.iscoroutinefunction(agent)


def test_generator_span_covers_iteration_and_collects_output(obs, ingest):
    @obs.trace(kind="tool")
    def step(x):
        return x

    @obs.trace(kind="llm")
    def stream_tokens(n):
        for i in range(n):
            step(i)  # runs inside the generator: child of its span
            yield "tok%d " % i
        return "done"

    @obs.trace()
    def agent():
        out = []
        gen = stream_tokens(3)
        for tok in gen:
            out.append(tok)
            step("consumer")  # runs in the consumer: child of the agent, not the generator
        return "".join(out)

    assert agent() == "tok0 tok1 tok2 "
    assert inspect.isgeneratorfunction(stream_tokens)
    obs.flush(5)
    t = ingest.only_trace()
    root = root_span(t)
    gen_span = next(s for s in t["spans"] if s["kind"] == "llm")
    assert gen_span["output"] == "tok0 tok1 tok2 "
    assert gen_span["parent_span_id"] == root["span_id"]
    steps = [s for s in t["spans"] if s["kind"] == "tool"]
    assert len(steps) == 6
    inner = [s for s in steps if s["parent_span_id"] == gen_span["span_id"]]
    outer = [s for s in steps if s["parent_span_id"] == root["span_id"]]
    assert len(inner) == 3 and len(outer) == 3
    assert all(s["output"] == "consumer" for s in outer)  # strings are kept as they are


def test_generator_send_throw_close_and_return_value(obs, ingest):
    @obs.trace()
    def echo():
        total = 0
        while True:
            try:
                got = yield total
            except KeyError:
                total = -1
                continue
            if got is None:
                return total
            total += got

    gen = echo()
    assert next(gen) == 0
    assert gen.send(5) == 5
    assert gen.throw(KeyError()) == -1
    with pytest.raises(StopIteration) as stop:
        gen.send(None)
    assert stop.value.value == -1

    @obs.trace(name="endless")
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    g = endless()
    assert [next(g) for _ in range(3)] == [0, 1, 2]
    g.close()  # closed early: the span still ends, as a success

    @obs.trace(name="failing")
    def failing():
        yield 1
        raise RuntimeError("mid-stream")

    with pytest.raises(RuntimeError):
        list(failing())
    obs.flush(5)
    traces = {root_span(t)["name"]: t for t in ingest.traces().values()}
    assert traces["endless"]["status"] == "success"
    assert json.loads(root_span(traces["endless"])["output"]) == [0, 1, 2]
    assert traces["failing"]["status"] == "error"
    assert len(traces) == 3


def test_async_generator(obs, ingest):
    @obs.trace(kind="tool")
    async def lookup(x):
        return x * 2

    @obs.trace(kind="llm")
    async def chunks(n):
        for i in range(n):
            yield await lookup(i)

    @obs.trace()
    async def agent():
        got = [c async for c in chunks(3)]
        agen = chunks(5)
        first = await agen.__anext__()
        await agen.aclose()
        return got + [first]

    assert asyncio.run(agent()) == [0, 2, 4, 0]
    assert inspect.isasyncgenfunction(chunks)
    obs.flush(5)
    t = ingest.only_trace()
    gens = [s for s in t["spans"] if s["kind"] == "llm"]
    assert len(gens) == 2
    full = next(s for s in gens if s["output"] == "[0,2,4]")
    assert len([s for s in t["spans"] if s.get("parent_span_id") == full["span_id"]]) == 3
    assert all(s["status"] == "success" for s in t["spans"])


def test_bare_decorator_methods_and_metadata(obs, ingest):
    class Agent:
        @obs.trace
        def run(self, q, *rest, **opts):
            """Docstring kept."""
            return q

        @classmethod
        @obs.trace()
        def build(cls, name):
            return name

    a = Agent()
    assert a.run("q", 1, 2, flag=True) == "q"
    assert Agent.build("x") == "x"
    assert Agent.run.__doc__ == "Docstring kept."
    assert Agent.run.__name__ == "run"
    obs.flush(5)
    inputs = [json.loads(t["input"]) for t in ingest.traces().values()]
    assert {"q": "q", "rest": [1, 2], "flag": True} in inputs  # self is not recorded
    assert {"name": "x"} in inputs


def test_unserializable_values_never_break_the_call(make_obs, ingest):
    obs = make_obs(max_field_length=200)

    class Hostile:
        def __repr__(self):
            raise RuntimeError("no repr")

    cyclic = []
    cyclic.append(cyclic)

    @obs.trace()
    def f(a, b, c, d):
        return Hostile()

    assert isinstance(f(Hostile(), cyclic, b"\x00\xff", "x" * 10_000), Hostile)
    obs.flush(5)
    t = ingest.only_trace()
    assert "unrepresentable Hostile" in t["output"]
    assert len(t["input"]) < 300 and "truncated" in t["input"]


def test_capture_can_be_turned_off(make_obs, ingest):
    obs = make_obs(capture_input=False)

    @obs.trace(capture_output=False)
    def secret(password):
        return "token"

    @obs.trace(capture_input=True)
    def visible(x):
        return x

    secret("hunter2")
    visible(1)
    obs.flush(5)
    by_name = {root_span(t)["name"].split(".")[-1]: t for t in ingest.traces().values()}
    assert "input" not in by_name["secret"] and "output" not in by_name["secret"]
    assert by_name["visible"]["input"] == '{"x":1}'


def test_disabled_and_keyless_clients_pass_calls_through(ingest, monkeypatch, caplog):
    from agent_observability import AgentObservability

    monkeypatch.delenv("AGENTOBS_API_KEY", raising=False)
    off = AgentObservability(api_key="k", base_url=ingest.url, enabled=False)
    keyless = AgentObservability(base_url=ingest.url)
    assert not off.enabled and not keyless.enabled
    assert any("no API key" in r.message for r in caplog.records)
    for o in (off, keyless):
        # f and g run within this iteration, so the loop variable is the client they mean.
        @o.trace()
        def f(x):
            o.set_cost(1.0)  # noqa: B023
            o.score("s", 1)  # noqa: B023
            with o.span("inner") as s:  # noqa: B023
                s.set_output("x")
            return x + 1

        @o.trace()
        async def g():
            return 2

        assert f(1) == 2
        assert asyncio.run(g()) == 2
        with o.trace_context(agent_id="a") as t:
            t.set_output("ignored")
            t.trace.update(user_id="u")
        t.trace.score("late", 1)
        o.current_span().trace.score("x", 1)
        assert o.flush(1) and o.stats() == {}
    assert ingest.requests == []


def test_instrumentation_failure_still_calls_the_function_once(obs, ingest, monkeypatch):
    calls = []

    @obs.trace()
    def f(x):
        calls.append(x)
        return x

    def broken(*a, **k):
        raise RuntimeError("sdk bug")

    monkeypatch.setattr(obs, "_start_span", broken)
    assert f(1) == 1
    assert calls == [1]


def test_sampling(make_obs, ingest):
    none = make_obs(sample_rate=0.0)

    @none.trace()
    def outer():
        none.set_output("x")
        with none.span("manual"):
            return inner()

    @none.trace()
    def inner():
        return none.get_current_trace_id()

    assert outer() is None  # unsampled: nested calls do not start traces of their own
    none.flush(5)
    assert ingest.traces() == {}

    half = make_obs(sample_rate=0.5)

    @half.trace()
    def f():
        return 1

    for _ in range(400):
        f()
    half.flush(5)
    assert 120 < len(ingest.traces()) < 280


def test_name_as_positional_argument(obs, ingest):
    @obs.trace("named-step")
    def f():
        return 1

    assert f() == 1
    obs.flush(5)
    assert root_span(ingest.only_trace())["name"] == "named-step"
