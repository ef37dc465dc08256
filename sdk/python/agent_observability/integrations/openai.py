"""Tracing for the official ``openai`` client: ``client = wrap_openai(OpenAI())``.

Each call of ``chat.completions.create`` (and ``parse``), ``responses.create``,
``embeddings.create`` and ``completions.create`` becomes an ``llm`` (or ``embedding``) span
with the model, token usage (cached input tokens included, so the server can price it),
latency, input, output and errors. Streams are wrapped so that the span ends when the
stream is exhausted or closed, with the text and usage gathered from the chunks.

The wrapper patches the given client instance only and reads results with ``getattr``, so it
does not need ``openai`` to be imported and tolerates versions it has not seen: whatever
cannot be read is left out, the call itself is never changed.
"""

from __future__ import annotations

import inspect
import logging
import time
from typing import Any, Callable, Dict, List, Optional

from ..serialize import serialize

__all__ = ["wrap_openai"]

logger = logging.getLogger("agent_observability")

_PROVIDER = "openai"
_REQUEST_ATTRS = (
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "max_output_tokens", "n",
    "seed", "stop", "presence_penalty", "frequency_penalty", "reasoning_effort", "tool_choice",
    "service_tier", "user", "dimensions", "encoding_format",
)
_WRAPPED = "_agentobs_wrapped"


def wrap_openai(client: Any, obs: Any = None, *, stream_usage: bool = False,
                capture_input: Optional[bool] = None, capture_output: Optional[bool] = None) -> Any:
    """Instrument an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` client in place and return it.

    ``obs`` is the AgentObservability to record with (default: the last one created).
    ``stream_usage=True`` adds ``stream_options={"include_usage": True}`` to chat streams that
    do not set it, so that their tokens are known; it is off by default because it adds a
    final chunk without choices, which code reading ``chunk.choices[0]`` may not expect.
    Calls made inside a trace become child spans; outside one, each call is its own trace.
    """
    try:
        if obs is None:
            from ..client import get_client

            obs = get_client()
        if getattr(client, _WRAPPED, False):
            return client
        opts = _Options(obs, stream_usage, capture_input, capture_output)
        targets = (
            (("chat", "completions"), "create", _Chat, "openai.chat.completions"),
            (("chat", "completions"), "parse", _Chat, "openai.chat.completions.parse"),
            (("beta", "chat", "completions"), "parse", _Chat, "openai.chat.completions.parse"),
            (("responses",), "create", _Responses, "openai.responses"),
            (("responses",), "parse", _Responses, "openai.responses.parse"),
            (("embeddings",), "create", _Embeddings, "openai.embeddings"),
            (("completions",), "create", _Completions, "openai.completions"),
        )
        for path, method, kind, name in targets:
            _patch(client, path, method, kind, name, opts)
        try:
            setattr(client, _WRAPPED, True)
        except Exception:
            pass
    except Exception:
        logger.warning("agentobs: wrap_openai failed; the client runs untraced", exc_info=True)
    return client


class _Options:
    __slots__ = ("obs", "stream_usage", "capture_input", "capture_output")

    def __init__(self, obs: Any, stream_usage: bool, capture_input: Optional[bool],
                 capture_output: Optional[bool]) -> None:
        self.obs = obs
        self.stream_usage = stream_usage
        self.capture_input = capture_input
        self.capture_output = capture_output

    def cap_in(self) -> bool:
        return self.capture_input if self.capture_input is not None else self.obs._capture_input

    def cap_out(self) -> bool:
        return self.capture_output if self.capture_output is not None else self.obs._capture_output


def _patch(client: Any, path: tuple, method: str, handler: Any, name: str, opts: _Options) -> None:
    resource = client
    try:
        for attr in path:
            resource = getattr(resource, attr)
        original = getattr(resource, method)
    except Exception:
        return  # this client version has no such resource
    if not callable(original) or getattr(original, _WRAPPED, False):
        return
    is_async = inspect.iscoroutinefunction(inspect.unwrap(original)) or \
        type(resource).__name__.startswith("Async")
    wrapper = _make_async(original, handler, name, opts) if is_async else \
        _make_sync(original, handler, name, opts)
    setattr(wrapper, _WRAPPED, True)
    try:
        wrapper.__doc__ = original.__doc__
        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    except Exception:
        pass
    setattr(resource, method, wrapper)


def _start(handler: Any, name: str, opts: _Options, kwargs: Dict[str, Any]) -> Any:
    """Open the span of one call; returns (span, handler instance) or (None, None)."""
    try:
        obs = opts.obs
        if not obs._active:
            return None, None
        span = obs._start_span(name, handler.kind)
        if span._noop:
            return None, None
        h = handler(span, opts)
        h.request(kwargs)
        return span, h
    except Exception:
        logger.debug("agentobs: openai span start failed", exc_info=True)
        return None, None


def _make_sync(original: Callable[..., Any], handler: Any, name: str, opts: _Options) -> Callable[..., Any]:
    def traced(*args: Any, **kwargs: Any) -> Any:
        span, h = _start(handler, name, opts, kwargs)
        if h is None:
            return original(*args, **kwargs)
        if kwargs.get("stream") is True and opts.stream_usage and handler is _Chat:
            kwargs = _with_usage(kwargs)
        try:
            result = original(*args, **kwargs)
        except BaseException as exc:
            h.fail(exc)
            raise
        if kwargs.get("stream") is True and _is_stream(result):
            return _SyncStream(result, h)
        h.finish(result)
        return result

    return traced


def _make_async(original: Callable[..., Any], handler: Any, name: str, opts: _Options) -> Callable[..., Any]:
    async def traced(*args: Any, **kwargs: Any) -> Any:
        span, h = _start(handler, name, opts, kwargs)
        if h is None:
            return await original(*args, **kwargs)
        if kwargs.get("stream") is True and opts.stream_usage and handler is _Chat:
            kwargs = _with_usage(kwargs)
        try:
            result = await original(*args, **kwargs)
        except BaseException as exc:
            h.fail(exc)
            raise
        if kwargs.get("stream") is True and _is_stream(result):
            return _AsyncStream(result, h)
        h.finish(result)
        return result

    return traced


def _with_usage(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    so = kwargs.get("stream_options")
    if isinstance(so, dict) and "include_usage" in so:
        return kwargs
    kwargs = dict(kwargs)
    kwargs["stream_options"] = {**(so if isinstance(so, dict) else {}), "include_usage": True}
    return kwargs


def _is_stream(result: Any) -> bool:
    return hasattr(result, "__iter__") or hasattr(result, "__aiter__")


def _get(obj: Any, *names: str) -> Any:
    """obj.a.b... where any step may be missing (or a dict, as in raw JSON)."""
    for n in names:
        if obj is None:
            return None
        if isinstance(obj, dict):
            obj = obj.get(n)
        else:
            obj = getattr(obj, n, None)
    return obj


# -- per-endpoint handlers --------------------------------------------------------------------

class _Handler:
    """Reads one call's request and result into its span. Errors here are swallowed."""

    kind = "llm"

    def __init__(self, span: Any, opts: _Options) -> None:
        self.span = span
        self.opts = opts
        self.request_model: Optional[str] = None
        self.started = time.perf_counter()
        self.first_chunk: Optional[float] = None
        self.done = False

    # request ---------------------------------------------------------------------------------
    def request(self, kwargs: Dict[str, Any]) -> None:
        model = kwargs.get("model")
        if isinstance(model, str):
            self.request_model = model
            self.span.set_model(model, _PROVIDER)
        if self.opts.cap_in():
            value = self.input_of(kwargs)
            if value is not None:
                self.span.input = serialize(value, self.opts.obs._max_field_length)
        attrs = {k: kwargs[k] for k in _REQUEST_ATTRS if k in kwargs and _plain(kwargs[k])}
        tools = kwargs.get("tools")
        if isinstance(tools, (list, tuple)) and tools:
            attrs["tools"] = [_tool_name(t) for t in tools][:64]
        if kwargs.get("stream") is True:
            attrs["stream"] = True
        for k, v in attrs.items():  # span attributes, also when this span is a trace's root
            self.span.set_attribute(k, v)

    def input_of(self, kwargs: Dict[str, Any]) -> Any:
        return None

    # result ----------------------------------------------------------------------------------
    def finish(self, result: Any) -> None:
        try:
            if type(result).__name__ == "LegacyAPIResponse":
                # with_raw_response: its body is already read, and parse() caches its result.
                result = result.parse()
            self.read_result(result)
        except Exception:
            logger.debug("agentobs: reading the openai result failed", exc_info=True)
        self._end()

    def fail(self, exc: BaseException) -> None:
        try:
            status = getattr(exc, "status_code", None)
            if isinstance(status, int):
                self.span.set_attribute("http_status", status)
            self.span.record_exception(exc)
        except Exception:
            pass
        self._end()

    def _end(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.span.end()
        except Exception:
            pass

    def read_result(self, result: Any) -> None:
        pass

    def usage(self, usage: Any) -> None:
        if usage is None:
            return
        tin = _get(usage, "prompt_tokens")
        if tin is None:
            tin = _get(usage, "input_tokens")
        tout = _get(usage, "completion_tokens")
        if tout is None:
            tout = _get(usage, "output_tokens")
        cached = _get(usage, "prompt_tokens_details", "cached_tokens")
        if cached is None:
            cached = _get(usage, "input_tokens_details", "cached_tokens")
        self.span.set_tokens(tin, tout, cached_input=cached, total=_get(usage, "total_tokens"))
        reasoning = _get(usage, "completion_tokens_details", "reasoning_tokens")
        if reasoning is None:
            reasoning = _get(usage, "output_tokens_details", "reasoning_tokens")
        if reasoning:
            self.span.set_attribute("reasoning_tokens", reasoning)

    def response_meta(self, result: Any) -> None:
        model = _get(result, "model")
        if isinstance(model, str) and model:
            if not self.request_model:
                self.span.set_model(model, _PROVIDER)
            elif model != self.request_model:
                # The answer names the dated snapshot; the request's name is the priced one.
                self.span.set_attribute("response_model", model)
        rid = _get(result, "id")
        if isinstance(rid, str):
            self.span.set_attribute("response_id", rid)

    def set_output(self, value: Any) -> None:
        if value is not None and self.opts.cap_out():
            self.span.output = serialize(value, self.opts.obs._max_field_length)

    # streams ---------------------------------------------------------------------------------
    def chunk(self, chunk: Any) -> None:
        pass

    def stream_done(self) -> None:
        pass

    def on_chunk(self, chunk: Any) -> None:
        if self.first_chunk is None:
            self.first_chunk = time.perf_counter()
            self.span.set_attribute("time_to_first_token_ms",
                                    int((self.first_chunk - self.started) * 1000))
        try:
            self.chunk(chunk)
        except Exception:
            logger.debug("agentobs: reading an openai chunk failed", exc_info=True)

    def end_stream(self, exc: Optional[BaseException]) -> None:
        if self.done:
            return
        if exc is not None:
            try:
                self.stream_done()
            except Exception:
                pass
            self.fail(exc)
            return
        try:
            self.stream_done()
        except Exception:
            logger.debug("agentobs: reading an openai stream failed", exc_info=True)
        self._end()


class _Chat(_Handler):
    def __init__(self, span: Any, opts: _Options) -> None:
        super().__init__(span, opts)
        self.text: List[str] = []
        self.tool_calls: Dict[int, Dict[str, str]] = {}
        self.finish_reason: Optional[str] = None
        self.meta_read = False

    def input_of(self, kwargs: Dict[str, Any]) -> Any:
        return kwargs.get("messages")

    def read_result(self, result: Any) -> None:
        self.response_meta(result)
        self.usage(_get(result, "usage"))
        choices = _get(result, "choices") or []
        outputs = []
        for choice in choices:
            outputs.append(_message_output(_get(choice, "message")))
            fr = _get(choice, "finish_reason")
            if fr and self.finish_reason is None:
                self.finish_reason = fr
        if self.finish_reason:
            self.span.set_attribute("finish_reason", self.finish_reason)
        if outputs:
            self.set_output(outputs[0] if len(outputs) == 1 else outputs)

    def chunk(self, chunk: Any) -> None:
        if not self.meta_read:
            self.meta_read = True
            self.response_meta(chunk)
        usage = _get(chunk, "usage")
        if usage is not None:
            self.usage(usage)
        for choice in _get(chunk, "choices") or []:
            if (_get(choice, "index") or 0) != 0:
                continue
            delta = _get(choice, "delta")
            content = _get(delta, "content")
            if isinstance(content, str):
                self.text.append(content)
            for tc in _get(delta, "tool_calls") or []:
                slot = self.tool_calls.setdefault(_get(tc, "index") or 0, {"name": "", "arguments": ""})
                fn = _get(tc, "function")
                if _get(fn, "name"):
                    slot["name"] += _get(fn, "name")
                if _get(fn, "arguments"):
                    slot["arguments"] += _get(fn, "arguments")
            fr = _get(choice, "finish_reason")
            if fr:
                self.finish_reason = fr

    def stream_done(self) -> None:
        if self.finish_reason:
            self.span.set_attribute("finish_reason", self.finish_reason)
        if self.tool_calls:
            self.set_output({"content": "".join(self.text) or None,
                             "tool_calls": [self.tool_calls[k] for k in sorted(self.tool_calls)]})
        elif self.text:
            self.set_output("".join(self.text))


def _message_output(message: Any) -> Any:
    if message is None:
        return None
    content = _get(message, "content")
    calls = _get(message, "tool_calls")
    if calls:
        return {
            "content": content,
            "tool_calls": [{"name": _get(c, "function", "name"), "arguments": _get(c, "function", "arguments")}
                           for c in calls],
        }
    refusal = _get(message, "refusal")
    if content is None and refusal:
        return {"refusal": refusal}
    return content


class _Responses(_Handler):
    def __init__(self, span: Any, opts: _Options) -> None:
        super().__init__(span, opts)
        self.text: List[str] = []
        self.final: Any = None

    def input_of(self, kwargs: Dict[str, Any]) -> Any:
        inp = kwargs.get("input")
        instructions = kwargs.get("instructions")
        if instructions:
            return {"instructions": instructions, "input": inp}
        return inp

    def read_result(self, result: Any) -> None:
        self.response_meta(result)
        self.usage(_get(result, "usage"))
        status = _get(result, "status")
        if isinstance(status, str):
            self.span.set_attribute("response_status", status)
        err = _get(result, "error")
        if err is not None and status == "failed":
            self.span.set_status("error", str(_get(err, "message") or err))
        text = None
        try:
            text = result.output_text  # a property of the SDK's Response
        except Exception:
            pass
        if not text:
            text = _responses_text(_get(result, "output"))
        self.set_output(text)

    def chunk(self, event: Any) -> None:
        etype = _get(event, "type")
        if etype == "response.output_text.delta":
            delta = _get(event, "delta")
            if isinstance(delta, str):
                self.text.append(delta)
        elif etype in ("response.completed", "response.incomplete", "response.failed"):
            self.final = _get(event, "response")

    def stream_done(self) -> None:
        if self.final is not None:
            self.response_meta(self.final)
            self.usage(_get(self.final, "usage"))
            status = _get(self.final, "status")
            if isinstance(status, str):
                self.span.set_attribute("response_status", status)
            if status == "failed":
                self.span.set_status("error", str(_get(self.final, "error", "message") or "failed"))
        if self.text:
            self.set_output("".join(self.text))
        elif self.final is not None:
            self.set_output(_responses_text(_get(self.final, "output")))


def _responses_text(output: Any) -> Optional[str]:
    parts = []
    for item in output or []:
        for c in _get(item, "content") or []:
            t = _get(c, "text")
            if isinstance(t, str):
                parts.append(t)
    return "".join(parts) or None


class _Embeddings(_Handler):
    kind = "embedding"

    def input_of(self, kwargs: Dict[str, Any]) -> Any:
        return kwargs.get("input")

    def read_result(self, result: Any) -> None:
        self.response_meta(result)
        self.usage(_get(result, "usage"))
        data = _get(result, "data") or []
        dims = None
        if data:
            emb = _get(data[0], "embedding")
            if isinstance(emb, (list, tuple)):
                dims = len(emb)
        self.span.set_attribute("embeddings", len(data))
        if dims:
            self.span.set_attribute("dimensions", dims)
        self.set_output("%d embedding(s)%s" % (len(data), " of %d dimensions" % dims if dims else ""))


class _Completions(_Handler):
    def __init__(self, span: Any, opts: _Options) -> None:
        super().__init__(span, opts)
        self.text: List[str] = []

    def input_of(self, kwargs: Dict[str, Any]) -> Any:
        return kwargs.get("prompt")

    def read_result(self, result: Any) -> None:
        self.response_meta(result)
        self.usage(_get(result, "usage"))
        choices = _get(result, "choices") or []
        if choices:
            self.set_output(_get(choices[0], "text"))

    def chunk(self, chunk: Any) -> None:
        if _get(chunk, "usage") is not None:
            self.usage(_get(chunk, "usage"))
        for choice in _get(chunk, "choices") or []:
            if (_get(choice, "index") or 0) == 0 and isinstance(_get(choice, "text"), str):
                self.text.append(_get(choice, "text"))

    def stream_done(self) -> None:
        if self.text:
            self.set_output("".join(self.text))


def _plain(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool, list, tuple, dict))


def _tool_name(tool: Any) -> Any:
    name = _get(tool, "function", "name") or _get(tool, "name") or _get(tool, "type")
    return name if isinstance(name, str) else "tool"


# -- stream proxies ---------------------------------------------------------------------------

class _SyncStream:
    """Passes a stream's chunks through unchanged, recording them; ends the span at the end."""

    def __init__(self, stream: Any, handler: _Handler) -> None:
        self._stream = stream
        self._handler = handler
        self._iter: Any = None

    def __iter__(self) -> "_SyncStream":
        return self

    def __next__(self) -> Any:
        if self._iter is None:
            self._iter = iter(self._stream)
        try:
            chunk = next(self._iter)
        except StopIteration:
            self._handler.end_stream(None)
            raise
        except BaseException as exc:
            self._handler.end_stream(exc)
            raise
        self._handler.on_chunk(chunk)
        return chunk

    def __enter__(self) -> "_SyncStream":
        enter = getattr(self._stream, "__enter__", None)
        if enter is not None:
            enter()
        return self

    def __exit__(self, *exc: Any) -> Any:
        try:
            exit_ = getattr(self._stream, "__exit__", None)
            return exit_(*exc) if exit_ is not None else None
        finally:
            self._handler.end_stream(exc[1] if len(exc) > 1 else None)

    def close(self) -> None:
        try:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()
        finally:
            self._handler.end_stream(None)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # also avoids recursion when __init__ did not finish
            raise AttributeError(name)
        return getattr(self._stream, name)

    def __del__(self) -> None:
        try:
            self._handler.end_stream(None)  # abandoned half-read: record what was seen
        except Exception:
            pass


class _AsyncStream:
    def __init__(self, stream: Any, handler: _Handler) -> None:
        self._stream = stream
        self._handler = handler
        self._iter: Any = None

    def __aiter__(self) -> "_AsyncStream":
        return self

    async def __anext__(self) -> Any:
        if self._iter is None:
            self._iter = self._stream.__aiter__()
        try:
            chunk = await self._iter.__anext__()
        except StopAsyncIteration:
            self._handler.end_stream(None)
            raise
        except BaseException as exc:
            self._handler.end_stream(exc)
            raise
        self._handler.on_chunk(chunk)
        return chunk

    async def __aenter__(self) -> "_AsyncStream":
        enter = getattr(self._stream, "__aenter__", None)
        if enter is not None:
            await enter()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            exit_ = getattr(self._stream, "__aexit__", None)
            return (await exit_(*exc)) if exit_ is not None else None
        finally:
            self._handler.end_stream(exc[1] if len(exc) > 1 else None)

    async def close(self) -> None:
        try:
            close = getattr(self._stream, "close", None)
            if close is not None:
                res = close()
                if inspect.isawaitable(res):
                    await res
        finally:
            self._handler.end_stream(None)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # also avoids recursion when __init__ did not finish
            raise AttributeError(name)
        return getattr(self._stream, name)

    def __del__(self) -> None:
        try:
            self._handler.end_stream(None)
        except Exception:
            pass
