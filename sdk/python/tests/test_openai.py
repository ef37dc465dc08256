"""wrap_openai with the real openai package against a local OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json

import pytest

openai = pytest.importorskip("openai")  # in the dev extra; `make test` installs it

from conftest import root_span, span_named  # noqa: E402
from fake_openai import COMPLETION_TOKENS, PROMPT_TOKENS, REPLY, FakeOpenAI  # noqa: E402

from agent_observability import wrap_openai  # noqa: E402

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


@pytest.fixture
def fake_openai():
    srv = FakeOpenAI()
    yield srv
    srv.close()


@pytest.fixture
def client(obs, fake_openai):
    return wrap_openai(openai.OpenAI(api_key="sk-test", base_url=fake_openai.base_url, max_retries=0), obs=obs)


@pytest.fixture
def aclient(obs, fake_openai):
    return wrap_openai(openai.AsyncOpenAI(api_key="sk-test", base_url=fake_openai.base_url, max_retries=0),
                       obs=obs)


def _llm(trace, name="openai.chat.completions"):
    return span_named(trace, name)


def _check_usage(span):
    assert span["kind"] == "llm" and span["model"] == "gpt-4o-mini" and span["model_provider"] == "openai"
    assert span["tokens_input"] == PROMPT_TOKENS and span["tokens_output"] == COMPLETION_TOKENS
    assert span["tokens_cached_input"] == 4 and span["tokens_total"] == PROMPT_TOKENS + COMPLETION_TOKENS
    assert span["status"] == "success" and span["latency_ms"] >= 0


def test_chat_completion_inside_a_trace(obs, ingest, client):
    @obs.trace(agent_id="chat-bot")
    def agent(q):
        r = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2)
        return r.choices[0].message.content

    assert agent("Hi") == REPLY
    obs.flush(5)
    t = ingest.only_trace()
    llm = _llm(t)
    _check_usage(llm)
    assert llm["parent_span_id"] == root_span(t)["span_id"]
    assert json.loads(llm["input"]) == MESSAGES
    assert llm["output"] == REPLY
    attrs = llm["attributes"]
    assert attrs["temperature"] == 0.2 and attrs["finish_reason"] == "stop"
    assert attrs["response_model"] == "gpt-4o-mini-2024-07-18" and attrs["response_id"] == "chatcmpl-fake"
    assert t["model"] == "gpt-4o-mini"


def test_call_outside_a_trace_is_its_own_trace(obs, ingest, client):
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    obs.flush(5)
    t = ingest.only_trace()
    root = root_span(t)
    assert root["kind"] == "llm" and t["output"] == REPLY and t["model"] == "gpt-4o-mini"


def test_tool_calls_are_recorded(obs, ingest, client):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=tools)
    obs.flush(5)
    span = _llm(ingest.only_trace())
    assert json.loads(span["output"]) == {
        "content": None, "tool_calls": [{"name": "get_weather", "arguments": '{"city": "Paris"}'}]}
    assert span["attributes"]["tools"] == ["get_weather"]


def test_streaming_with_usage(obs, ingest, client):
    with obs.trace_context(agent_id="streamer"):
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True,
                                                stream_options={"include_usage": True})
        text = "".join((c.choices[0].delta.content or "") for c in stream if c.choices)
    assert text == REPLY
    obs.flush(5)
    span = _llm(ingest.only_trace())
    _check_usage(span)
    assert span["output"] == REPLY
    assert span["attributes"]["stream"] is True and "time_to_first_token_ms" in span["attributes"]
    assert span["attributes"]["finish_reason"] == "stop"


def test_streaming_usage_option_and_context_manager(obs, ingest, fake_openai):
    c = wrap_openai(openai.OpenAI(api_key="k", base_url=fake_openai.base_url), obs=obs, stream_usage=True)
    with c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:
        first = next(iter(stream))
    assert first.choices[0].delta.role == "assistant"
    assert fake_openai.requests[-1]["body"]["stream_options"] == {"include_usage": True}
    obs.flush(5)
    span = _llm(ingest.only_trace())
    assert span["status"] == "success" and "end_time" in span  # closed early: still ended


def test_streaming_without_usage_has_no_tokens_but_text(obs, ingest, client):
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert [c for c in stream]
    obs.flush(5)
    span = _llm(ingest.only_trace())
    assert span["output"] == REPLY and "tokens_input" not in span


def test_errors_are_recorded_and_reraised(obs, ingest, client):
    with pytest.raises(openai.BadRequestError):
        with obs.trace_context(agent_id="failing"):
            client.chat.completions.create(model="fail-model", messages=MESSAGES)
    obs.flush(5)
    t = ingest.only_trace()
    span = _llm(t)
    assert span["status"] == "error" and "BadRequestError" in span["status_message"]
    assert span["attributes"]["http_status"] == 400
    assert t["status"] == "error"


def test_async_create_and_stream(obs, ingest, aclient):
    @obs.trace(agent_id="async-bot")
    async def agent():
        r = await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        stream = await aclient.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True})
        parts = [c.choices[0].delta.content async for c in stream if c.choices]
        return r.choices[0].message.content, "".join(p or "" for p in parts)

    assert asyncio.run(agent()) == (REPLY, REPLY)
    obs.flush(5)
    t = ingest.only_trace()
    llms = [s for s in t["spans"] if s["kind"] == "llm"]
    assert len(llms) == 2
    for s in llms:
        _check_usage(s)
        assert s["output"] == REPLY and s["parent_span_id"] == root_span(t)["span_id"]


def test_async_error(obs, ingest, aclient):
    async def call():
        await aclient.chat.completions.create(model="fail-model", messages=MESSAGES)

    with pytest.raises(openai.BadRequestError):
        asyncio.run(call())
    obs.flush(5)
    assert root_span(ingest.only_trace())["status"] == "error"


def test_responses_api_plain_and_streamed(obs, ingest, client, aclient):
    r = client.responses.create(model="gpt-4o-mini", input="Hi", instructions="Be brief.")
    assert r.output_text == REPLY
    events = list(client.responses.create(model="gpt-4o-mini", input="Hi", stream=True))
    assert events[-1].type == "response.completed"

    async def astream():
        s = await aclient.responses.create(model="gpt-4o-mini", input="Hi", stream=True)
        return [e async for e in s]

    assert asyncio.run(astream())
    obs.flush(5)
    spans = [root_span(t) for t in ingest.traces().values()]
    assert len(spans) == 3
    for s in spans:
        _check_usage(s)
        assert s["name"] == "openai.responses" and s["output"] == REPLY
        assert s["attributes"]["reasoning_tokens"] == 2
    plain = next(s for s in spans if "stream" not in s["attributes"])
    assert json.loads(plain["input"]) == {"instructions": "Be brief.", "input": "Hi"}


def test_embeddings(obs, ingest, client):
    r = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert len(r.data) == 2
    obs.flush(5)
    span = root_span(ingest.only_trace())
    assert span["kind"] == "embedding" and span["model"] == "text-embedding-3-small"
    assert span["tokens_input"] == 6 and span["output"] == "2 embedding(s) of 3 dimensions"


def test_wrapping_twice_records_once_and_disabled_client_passes_through(obs, ingest, fake_openai):
    c = openai.OpenAI(api_key="k", base_url=fake_openai.base_url)
    assert wrap_openai(wrap_openai(c, obs=obs), obs=obs) is c
    c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    obs.flush(5)
    assert len(ingest.only_trace()["spans"]) == 1

    from agent_observability import AgentObservability

    off = AgentObservability(enabled=False)
    c2 = wrap_openai(openai.OpenAI(api_key="k", base_url=fake_openai.base_url), obs=off)
    assert c2.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices[0].message.content == REPLY
    assert list(c2.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))


def test_raw_response_calls_are_recorded(obs, ingest, client):
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    assert raw.parse().choices[0].message.content == REPLY
    obs.flush(5)
    span = root_span(ingest.only_trace())
    _check_usage(span)
    assert span["output"] == REPLY
