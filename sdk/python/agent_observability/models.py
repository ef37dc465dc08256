"""Traces, spans and scores, and how they are written on the wire (the ingestion API's TraceInput).

A Trace is one run of an agent; its root Span is the outermost observed call, and every nested
observed call is a child Span. Spans are plain objects with __slots__: creating and ending one is
on the hot path of every decorated call, so the work there is kept to a few attribute writes.
Everything the API needs as text (timestamps, JSON) is produced later by the background worker.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from random import getrandbits
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .context import current_span_var
from .serialize import clean_for_json, serialize, to_json_object, truncate

if TYPE_CHECKING:  # pragma: no cover
    from .client import AgentObservability

__all__ = ["Span", "Trace", "NoopSpan", "SPAN_KINDS", "STATUSES", "new_id"]

logger = logging.getLogger("agent_observability")

SPAN_KINDS = frozenset(("agent", "llm", "tool", "retrieval", "chain", "embedding", "guardrail", "event"))
STATUSES = frozenset(("success", "error", "timeout"))
SCORE_SOURCES = frozenset(("api", "human", "eval"))

# API field limits (docs/ingestion.md); values are cut to fit instead of being rejected.
_ID_MAX = 256
_NAME_MAX = 1024
_MESSAGE_MAX = 32_768
_TAG_MAX = 128
_TAGS_MAX = 64
_PROVIDER_MAX = 64

_V4_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_V4_BITS = (0x4000 << 64) | (0x8000 << 48)


def new_id() -> str:
    """A random UUID4 as 32 hex digits; several times cheaper than uuid.uuid4().hex."""
    return "%032x" % ((getrandbits(128) & _V4_MASK) | _V4_BITS)


_second_prefix: Tuple[int, str] = (-1, "")


def rfc3339(ts: float) -> str:
    """UTC time with microseconds, e.g. 2026-11-25T10:00:00.123456Z."""
    global _second_prefix
    secs = int(ts)
    micros = int((ts - secs) * 1_000_000)
    if micros >= 1_000_000:  # float rounding at the edge of a second
        secs, micros = secs + 1, 0
    # The worker formats thousands of times a second: reuse the formatted second. The cache is
    # one tuple, replaced whole, so concurrent callers never see a mismatched pair.
    cached = _second_prefix
    if cached[0] != secs:
        cached = (secs, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)))
        _second_prefix = cached
    return cached[1] + ".%06dZ" % micros


def _cut(s: Any, limit: int) -> Optional[str]:
    if s is None:
        return None
    if not isinstance(s, str):
        s = str(s)
    return s[:limit]


def _nonneg_int(v: Any) -> Optional[int]:
    if v is None or isinstance(v, bool):
        return None
    try:
        i = int(v)
    except (TypeError, ValueError):
        return None
    return i if i >= 0 else None


def _status_of(exc: BaseException) -> str:
    import asyncio

    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timeout"
    return "error"


def _exc_message(exc: BaseException) -> str:
    try:
        msg = str(exc)
    except Exception:
        msg = ""
    name = type(exc).__name__
    return truncate("%s: %s" % (name, msg) if msg else name, _MESSAGE_MAX)


def _safe(method):
    """Public methods of spans and traces never raise into the application."""

    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception:
            logger.debug("agentobs: %s failed", method.__name__, exc_info=True)
            return None

    wrapper.__name__ = method.__name__
    wrapper.__qualname__ = method.__qualname__
    wrapper.__doc__ = method.__doc__
    return wrapper


class Span:
    """One observed step of a trace. Also a (sync and async) context manager that makes it current.

    Obtained from ``obs.span(...)``, ``obs.trace_context(...)`` or ``obs.current_span()``.
    Setters on a span that has ended are ignored.
    """

    __slots__ = (
        "trace", "span_id", "parent_span_id", "name", "kind", "start_perf", "end_perf", "status",
        "status_message", "model", "model_provider", "tokens_input", "tokens_output",
        "tokens_cached_input", "tokens_total", "cost_usd", "input", "output", "attributes",
        "_output_set", "_ended", "_token", "_times", "__weakref__",
    )

    _noop = False

    def __init__(self, trace: "Trace", parent_span_id: Optional[str], name: str, kind: str,
                 span_id: Optional[str] = None) -> None:
        self.trace = trace
        self.span_id = span_id or new_id()
        self.parent_span_id = parent_span_id
        self.name = name
        self.kind = kind
        self.start_perf = time.perf_counter()
        self.end_perf: Optional[float] = None
        self.status = "success"
        self.status_message: Optional[str] = None
        self.model: Optional[str] = None
        self.model_provider: Optional[str] = None
        self.tokens_input: Optional[int] = None
        self.tokens_output: Optional[int] = None
        self.tokens_cached_input: Optional[int] = None
        self.tokens_total: Optional[int] = None
        self.cost_usd: Optional[float] = None
        self.input: Optional[str] = None
        self.output: Optional[str] = None
        self.attributes: Optional[Dict[str, Any]] = None
        self._output_set = False
        self._ended = False
        self._token: Any = None
        self._times: Optional[Tuple[str, Optional[str]]] = None

    # -- identity ---------------------------------------------------------------------------
    @property
    def trace_id(self) -> str:
        return self.trace.trace_id

    @property
    def is_root(self) -> bool:
        return self.trace.root is self

    @property
    def ended(self) -> bool:
        return self._ended

    def __repr__(self) -> str:
        return "<Span %s %r kind=%s trace=%s>" % (self.span_id, self.name, self.kind, self.trace.trace_id)

    # -- setters ----------------------------------------------------------------------------
    def _live(self, what: str) -> bool:
        if self._ended:
            logger.debug("agentobs: %s on ended span %s ignored", what, self.span_id)
            return False
        return True

    @_safe
    def set_input(self, value: Any) -> None:
        if self._live("set_input"):
            self.input = serialize(value, self.trace.client._max_field_length)

    @_safe
    def set_output(self, value: Any) -> None:
        """Set the output; a decorated function's return value no longer overwrites it."""
        if self._live("set_output"):
            self.output = serialize(value, self.trace.client._max_field_length)
            self._output_set = True

    @_safe
    def set_model(self, model: str, provider: Optional[str] = None) -> None:
        if not self._live("set_model") or not model:
            return
        self.model = _cut(model, _ID_MAX)
        if provider:
            self.model_provider = _cut(provider, _PROVIDER_MAX)
        t = self.trace
        if t.model is None:
            t.model = self.model
            t.model_provider = self.model_provider

    @_safe
    def set_tokens(self, input: Optional[int] = None, output: Optional[int] = None, *,
                   cached_input: Optional[int] = None, total: Optional[int] = None) -> None:
        """Token usage of this step; values that are not integers >= 0 are ignored."""
        if not self._live("set_tokens"):
            return
        for attr, v in (("tokens_input", input), ("tokens_output", output),
                        ("tokens_cached_input", cached_input), ("tokens_total", total)):
            n = _nonneg_int(v)
            if n is not None:
                setattr(self, attr, n)

    @_safe
    def set_cost(self, usd: float) -> None:
        """Cost in US dollars; when never set, the server prices known models from the tokens."""
        if not self._live("set_cost"):
            return
        v = float(usd)
        if math.isfinite(v) and v >= 0:
            self.cost_usd = v
        else:
            logger.warning("agentobs: set_cost(%r) ignored: must be a finite number >= 0", usd)

    @_safe
    def set_metadata(self, metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        """Merge keys into this span's attributes (the trace's metadata for the root span)."""
        if not self._live("set_metadata"):
            return
        new = to_json_object(metadata) if metadata is not None else {}
        if kwargs:
            new.update(to_json_object(kwargs))
        if not new:
            return
        if self.trace.root is self:
            self.trace._merge_metadata(new)
        else:
            self.attributes = {**(self.attributes or {}), **new}

    @_safe
    def set_attribute(self, key: str, value: Any) -> None:
        """One attribute on this span (also on the root span, unlike set_metadata)."""
        if self._live("set_attribute"):
            self.attributes = {**(self.attributes or {}), str(key): clean_for_json(value)}

    @_safe
    def set_status(self, status: str, message: Optional[str] = None) -> None:
        if not self._live("set_status"):
            return
        if status not in STATUSES:
            logger.warning("agentobs: status %r ignored: must be one of success, error, timeout", status)
            return
        self.status = status
        if message is not None:
            self.status_message = truncate(str(message), _MESSAGE_MAX)
        if self.trace.root is self:
            self.trace.status = status
            if message is not None and status != "success":
                self.trace.error_message = self.status_message

    @_safe
    def record_exception(self, exc: BaseException) -> None:
        """Mark the span failed with exc (status error, or timeout for timeouts)."""
        if self._live("record_exception"):
            self._record_exception(exc)

    def _record_exception(self, exc: BaseException) -> None:
        self.status = _status_of(exc)
        self.status_message = _exc_message(exc)
        t = self.trace
        if t.root is self:
            t.status = self.status
            t.error_type = _cut(type(exc).__name__, _ID_MAX)
            t.error_message = self.status_message

    @_safe
    def score(self, name: str, value: float, comment: Optional[str] = None, *,
              source: Optional[str] = None, score_id: Optional[str] = None) -> None:
        """Score this span (a score on the root span is a score on the trace)."""
        span_id = None if self.trace.root is self else self.span_id
        self.trace._add_score(name, value, comment, source, score_id, span_id)

    @_safe
    def update_trace(self, **fields: Any) -> None:
        """Shortcut for ``span.trace.update(...)``."""
        self.trace.update(**fields)

    # -- lifecycle --------------------------------------------------------------------------
    @_safe
    def end(self, output: Any = None, *, error: Optional[BaseException] = None) -> None:
        """End the span (for spans not used with ``with``); later calls are ignored."""
        if self._ended:
            return
        if error is not None:
            self._record_exception(error)
        if output is not None:
            self.set_output(output)
        self._end()

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        self.end_perf = time.perf_counter()
        t = self.trace
        if t.root is self:
            t._root_ended()
        else:
            t._child_ended(self)

    def __enter__(self) -> "Span":
        try:
            self._token = current_span_var.set(self)
        except Exception:  # pragma: no cover - ContextVar.set does not fail in practice
            self._token = None
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            token, self._token = self._token, None
            if token is not None:
                try:
                    current_span_var.reset(token)
                except ValueError:
                    # Exited in another context than the one it entered (a generator resumed
                    # elsewhere, another task): that context is not ours to change.
                    pass
            if exc is not None and not self._ended:
                self._record_exception(exc)
            self._end()
        except Exception:
            logger.debug("agentobs: ending span failed", exc_info=True)

    async def __aenter__(self) -> "Span":
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    # -- wire -------------------------------------------------------------------------------
    def wire_times(self) -> Tuple[str, Optional[str]]:
        """(start_time, end_time) as RFC 3339, computed once an ended span is asked."""
        times = self._times
        if times is None:
            t = self.trace
            end = self.end_perf
            times = (rfc3339(t.wall0 + (self.start_perf - t.perf0)),
                     None if end is None else rfc3339(t.wall0 + (end - t.perf0)))
            if end is not None:
                self._times = times
        return times

    def to_wire(self) -> Dict[str, Any]:
        start, end = self.wire_times()
        d: Dict[str, Any] = {
            "span_id": self.span_id,
            "name": _cut(self.name, _NAME_MAX) or "span",
            "kind": self.kind,
            "start_time": start,
            "status": self.status,
        }
        if self.parent_span_id:
            d["parent_span_id"] = self.parent_span_id
        if end is not None:
            d["end_time"] = end
            d["latency_ms"] = max(0, int((self.end_perf - self.start_perf) * 1000))  # type: ignore[operator]
        if self.status_message:
            d["status_message"] = self.status_message
        if self.model:
            d["model"] = self.model
        if self.model_provider:
            d["model_provider"] = self.model_provider
        if self.tokens_input is not None:
            d["tokens_input"] = self.tokens_input
        if self.tokens_output is not None:
            d["tokens_output"] = self.tokens_output
        if self.tokens_cached_input is not None:
            d["tokens_cached_input"] = self.tokens_cached_input
        if self.tokens_total is not None:
            d["tokens_total"] = self.tokens_total
        if self.cost_usd is not None:
            d["cost_usd"] = self.cost_usd
        if self.input is not None:
            d["input"] = self.input
        if self.output is not None:
            d["output"] = self.output
        if self.attributes:
            d["attributes"] = self.attributes
        return d



# A part of a trace for the worker: (trace, spans, scores, header snapshot or None for final).
Part = Tuple["Trace", List["Span"], List[Dict[str, Any]], Optional[Dict[str, Any]]]


class Trace:
    """One run of an agent: its root span, its identity (agent, user, session) and its scores."""

    __slots__ = (
        "client", "trace_id", "agent_id", "name", "user_id", "session_id", "metadata", "tags",
        "input", "output", "status", "error_type", "error_message", "model", "model_provider",
        "wall0", "perf0", "root", "_lock", "_spans", "_scores", "_ended", "__weakref__",
    )

    def __init__(self, client: "AgentObservability", agent_id: str, name: Optional[str],
                 trace_id: Optional[str] = None) -> None:
        self.client = client
        self.trace_id = trace_id or new_id()
        self.agent_id = agent_id
        self.name = name
        self.user_id: Optional[str] = None
        self.session_id: Optional[str] = None
        self.metadata: Optional[Dict[str, Any]] = None
        self.tags: Optional[List[str]] = None
        self.input: Optional[str] = None
        self.output: Optional[str] = None
        self.status = "success"
        self.error_type: Optional[str] = None
        self.error_message: Optional[str] = None
        self.model: Optional[str] = None
        self.model_provider: Optional[str] = None
        # One wall-clock reading per trace; every span time derives from the monotonic clock,
        # so that no span ends before it starts whatever the system clock does.
        self.wall0 = time.time()
        self.perf0 = time.perf_counter()
        self.root: Optional[Span] = None
        self._lock = threading.Lock()
        self._spans: List[Span] = []
        self._scores: List[Dict[str, Any]] = []
        self._ended = False

    def __repr__(self) -> str:
        return "<Trace %s agent=%r>" % (self.trace_id, self.agent_id)

    @property
    def ended(self) -> bool:
        return self._ended

    @_safe
    def update(self, *, name: Optional[str] = None, user_id: Optional[str] = None,
               session_id: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None,
               tags: Optional[List[str]] = None, input: Any = None, output: Any = None,
               agent_id: Optional[str] = None) -> None:
        """Set trace-level fields; metadata is merged and tags are added."""
        if self._ended:
            logger.debug("agentobs: update on ended trace %s ignored", self.trace_id)
            return
        if name is not None:
            self.name = _cut(name, _NAME_MAX)
        if agent_id:
            self.agent_id = agent_id[:_ID_MAX] if isinstance(agent_id, str) else str(agent_id)
        if user_id is not None:
            self.user_id = _cut(user_id, _ID_MAX)
        if session_id is not None:
            self.session_id = _cut(session_id, _ID_MAX)
        if metadata:
            self._merge_metadata(to_json_object(metadata))
        if tags:
            self.add_tags(tags)
        limit = self.client._max_field_length
        if input is not None:
            self.input = serialize(input, limit)
        if output is not None:
            self.output = serialize(output, limit)

    @_safe
    def add_tags(self, tags: Any) -> None:
        if isinstance(tags, str):
            tags = [tags]
        merged = list(self.tags or [])
        for tag in tags:
            tag = _cut(tag, _TAG_MAX)
            if tag and tag not in merged and len(merged) < _TAGS_MAX:
                merged.append(tag)
        self.tags = merged

    def _merge_metadata(self, new: Dict[str, Any]) -> None:
        # Replaced, never mutated: the worker may be reading the previous dict.
        self.metadata = {**(self.metadata or {}), **new}

    @_safe
    def score(self, name: str, value: float, comment: Optional[str] = None, *,
              source: Optional[str] = None, score_id: Optional[str] = None,
              span_id: Optional[str] = None) -> None:
        """Score the trace (or one of its spans with span_id); also allowed after it ended."""
        self._add_score(name, value, comment, source, score_id, span_id)

    def _add_score(self, name: Any, value: Any, comment: Any, source: Any, score_id: Any,
                   span_id: Any) -> None:
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = float("nan")
        if not name or not math.isfinite(v):
            logger.warning("agentobs: score %r=%r ignored: needs a name and a finite number", name, value)
            return
        s: Dict[str, Any] = {"name": _cut(name, _ID_MAX), "value": v}
        if span_id:
            s["span_id"] = _cut(span_id, _ID_MAX)
        if comment is not None:
            s["comment"] = truncate(str(comment), _MESSAGE_MAX)
        if source is not None:
            if source in SCORE_SOURCES:
                s["source"] = source
            else:
                logger.warning("agentobs: score source %r ignored: must be api, human or eval", source)
        if score_id:
            s["score_id"] = _cut(score_id, _ID_MAX)
        with self._lock:
            if not self._ended:
                self._scores.append(s)
                return
        # The trace was already sent: send the score with the root span again (a part without
        # spans would be read by the server as a flat trace).
        if self.root is not None:
            self.client._enqueue((self, [self.root], [s], None))

    # -- span bookkeeping (called from Span._end) ---------------------------------------------
    def _child_ended(self, span: Span) -> None:
        header = None
        with self._lock:
            if not self._ended:
                self._spans.append(span)
                if len(self._spans) < self.client._max_spans_per_part:
                    return
                # A long-running trace is sent in parts; the server merges its spans.
                spans, self._spans = self._spans, []
                scores, self._scores = self._scores, []
                header = self.header(final=False)
            else:
                # Ended after the root (a thread or task that outlived it): sent on its own.
                spans, scores = [span], []
        self.client._enqueue((self, spans, scores, header))

    def _root_ended(self) -> None:
        with self._lock:
            self._ended = True
            spans, self._spans = self._spans, []
            scores, self._scores = self._scores, []
        spans.append(self.root)  # type: ignore[arg-type]
        self.client._enqueue((self, spans, scores, None))

    # -- wire -------------------------------------------------------------------------------
    def header(self, final: bool = True) -> Dict[str, Any]:
        """The TraceInput fields other than spans and scores."""
        root = self.root
        start, end = root.wire_times() if root is not None else (rfc3339(self.wall0), None)
        d: Dict[str, Any] = {
            "trace_id": _cut(self.trace_id, _ID_MAX),
            "agent_id": _cut(self.agent_id, _ID_MAX) or "default",
            "timestamp": start,
            "status": self.status,
        }
        if self.name:
            d["name"] = _cut(self.name, _NAME_MAX)
        if final and end is not None:
            d["end_time"] = end
            d["latency_ms"] = max(0, int((root.end_perf - root.start_perf) * 1000))  # type: ignore[union-attr,operator]
        if self.user_id:
            d["user_id"] = self.user_id
        if self.session_id:
            d["session_id"] = self.session_id
        inp = self.input if self.input is not None else (root.input if root else None)
        out = self.output if self.output is not None else (root.output if root else None)
        if inp is not None:
            d["input"] = inp
        if out is not None:
            d["output"] = out
        if self.error_type:
            d["error_type"] = self.error_type
        if self.error_message:
            d["error_message"] = self.error_message
        if self.model:
            d["model"] = self.model
        if self.model_provider:
            d["model_provider"] = self.model_provider
        if self.metadata:
            d["metadata"] = self.metadata
        if self.tags:
            d["tags"] = self.tags
        return d


class _NoopTrace(Trace):
    """The trace of a NoopSpan: accepts every call, records nothing."""

    __slots__ = ()
    trace_id = ""  # type: ignore[assignment]
    agent_id = ""  # type: ignore[assignment]
    root = None
    ended = True  # type: ignore[assignment]
    _ended = True

    def __init__(self) -> None:  # no state of its own
        pass

    def _noop_call(self, *args: Any, **kwargs: Any) -> None:
        return None

    update = add_tags = score = _noop_call

    def __repr__(self) -> str:
        return "<NoopTrace>"


NOOP_TRACE = _NoopTrace()


class NoopSpan(Span):
    """Stands in for a span when tracing is disabled or the trace was not sampled.

    It accepts every call and records nothing. Entering it still marks the context, so that
    nested calls of an unsampled trace are not recorded as new traces. It is a Span for type
    checkers, so that code written against spans needs no special case.
    """

    __slots__ = ()
    _noop = True
    trace_id = ""  # type: ignore[assignment]
    span_id = ""  # type: ignore[assignment]
    parent_span_id = None
    name = ""  # type: ignore[assignment]
    kind = "chain"  # type: ignore[assignment]
    is_root = False  # type: ignore[assignment]
    ended = True  # type: ignore[assignment]
    trace = NOOP_TRACE  # type: ignore[assignment]
    input = output = model = model_provider = status_message = None
    attributes = None
    _output_set = False
    _ended = True

    def __init__(self) -> None:
        self._token = None

    def _noop_call(self, *args: Any, **kwargs: Any) -> None:
        return None

    set_input = set_output = set_model = set_tokens = set_cost = set_metadata = _noop_call  # type: ignore[assignment]
    set_attribute = set_status = record_exception = score = update_trace = end = _noop_call  # type: ignore[assignment]
    _end = _record_exception = _noop_call  # type: ignore[assignment]

    def __enter__(self) -> "NoopSpan":  # type: ignore[override]
        self._token = current_span_var.set(NOOP_SPAN)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        token, self._token = self._token, None
        if token is not None:
            try:
                current_span_var.reset(token)
            except ValueError:
                pass

    async def __aenter__(self) -> "NoopSpan":  # type: ignore[override]
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return "<NoopSpan>"


NOOP_SPAN = NoopSpan()
