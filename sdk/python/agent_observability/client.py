"""AgentObservability: the SDK's entry point."""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, TypeVar, overload

from .context import current_span_var, propagate
from .decorators import observe
from .events import send_event
from .models import NOOP_SPAN, SPAN_KINDS, NoopSpan, Span, Trace
from .serialize import serialize, to_json_object
from .transport import HttpSender, Worker

__all__ = ["AgentObservability", "get_client"]

logger = logging.getLogger("agent_observability")

DEFAULT_BASE_URL = "http://localhost:8000"

F = TypeVar("F", bound=Callable[..., Any])

_clients: "weakref.WeakSet[AgentObservability]" = weakref.WeakSet()
_default: Optional["AgentObservability"] = None
_default_lock = threading.Lock()


def _env_bool(name: str) -> Optional[bool]:
    v = os.environ.get(name)
    if v is None or v.strip() == "":
        return None
    return v.strip().lower() not in ("0", "false", "no", "off")


def _env_float(name: str) -> Optional[float]:
    v = os.environ.get(name)
    if not v:
        return None
    try:
        return float(v)
    except ValueError:
        logger.warning("agentobs: %s=%r is not a number; ignored", name, v)
        return None


class AgentObservability:
    """Records traces of an LLM agent and sends them to agentobs in the background.

    Every option falls back to an environment variable, then to a default:

    ==================  ========================  ===========================
    argument            environment               default
    ==================  ========================  ===========================
    api_key             AGENTOBS_API_KEY          (none: nothing is sent)
    base_url            AGENTOBS_BASE_URL         http://localhost:8000
    agent_id            AGENTOBS_AGENT_ID         the root function's name
    enabled             AGENTOBS_ENABLED          true
    sample_rate         AGENTOBS_SAMPLE_RATE      1.0 (every trace)
    debug               AGENTOBS_DEBUG            false
    flush_at            AGENTOBS_FLUSH_AT         100 traces per request
    flush_interval      AGENTOBS_FLUSH_INTERVAL   1.0 second
    wait_for_commit     AGENTOBS_WAIT_FOR_COMMIT  false (answered once durable)
    ==================  ========================  ===========================

    The client never raises into the application: a bad option is logged and tracing is
    switched off instead.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        agent_id: Optional[str] = None,
        enabled: Optional[bool] = None,
        sample_rate: Optional[float] = None,
        debug: Optional[bool] = None,
        flush_at: Optional[int] = None,
        flush_interval: Optional[float] = None,
        max_queue_size: int = 10_000,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        timeout: float = 10.0,
        gzip: bool = True,
        capture_input: bool = True,
        capture_output: bool = True,
        max_field_length: int = 100_000,
        max_spans_per_part: int = 500,
        shutdown_timeout: float = 10.0,
        wait_for_commit: Optional[bool] = None,
    ) -> None:
        global _default
        self.api_key = api_key if api_key is not None else os.environ.get("AGENTOBS_API_KEY", "")
        self.base_url = (base_url or os.environ.get("AGENTOBS_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self._agent_id = agent_id or os.environ.get("AGENTOBS_AGENT_ID") or None
        if debug is None:
            debug = bool(_env_bool("AGENTOBS_DEBUG"))
        if debug:
            _enable_debug_logging()
        if enabled is None:
            enabled = _env_bool("AGENTOBS_ENABLED")
            enabled = True if enabled is None else enabled
        if sample_rate is None:
            sample_rate = _env_float("AGENTOBS_SAMPLE_RATE")
        self._sample_rate = 1.0 if sample_rate is None else min(1.0, max(0.0, float(sample_rate)))
        if flush_at is None:
            env_flush_at = _env_float("AGENTOBS_FLUSH_AT")
            flush_at = int(env_flush_at) if env_flush_at else 100
        if flush_interval is None:
            flush_interval = _env_float("AGENTOBS_FLUSH_INTERVAL") or 1.0
        self._capture_input = capture_input
        self._capture_output = capture_output
        # Inputs and outputs may be 1 MiB on the wire: at most 4 bytes a character.
        self._max_field_length = max(100, min(int(max_field_length), 260_000))
        self._max_spans_per_part = max(1, min(int(max_spans_per_part), 1000))
        self._shutdown_timeout = shutdown_timeout
        self._worker: Optional[Worker] = None
        self._active = False

        if not enabled:
            logger.debug("agentobs: disabled")
        elif not self.api_key:
            logger.warning("agentobs: no API key (pass api_key= or set AGENTOBS_API_KEY); "
                           "tracing is off")
        else:
            try:
                if wait_for_commit is None:
                    wait_for_commit = bool(_env_bool("AGENTOBS_WAIT_FOR_COMMIT"))
                sender = HttpSender(self.base_url, self.api_key, timeout=timeout, compress=gzip,
                                    wait_for_commit=wait_for_commit)
                self._worker = Worker(
                    sender, batch_size=flush_at, flush_interval=flush_interval,
                    max_queue_size=max_queue_size, max_retries=max_retries,
                    backoff_base=backoff_base, backoff_max=backoff_max,
                )
                self._active = True
            except Exception as exc:
                logger.error("agentobs: tracing is off: %s", exc)
        _clients.add(self)
        with _default_lock:
            _default = self
        logger.debug("agentobs: client for %s (active=%s, sample_rate=%s)", self.base_url,
                     self._active, self._sample_rate)

    # -- state --------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        """True while traces are recorded and sent."""
        return self._active

    def __repr__(self) -> str:
        return "<AgentObservability %s enabled=%s>" % (self.base_url, self._active)

    # -- instrumentation ----------------------------------------------------------------------
    @overload
    def trace(self, func: F) -> F: ...

    @overload
    def trace(self, func: str, *, kind: Optional[str] = None) -> Callable[[F], F]: ...

    @overload
    def trace(self, func: None = None, *, name: Optional[str] = None, agent_id: Optional[str] = None,
              kind: Optional[str] = None, capture_input: Optional[bool] = None,
              capture_output: Optional[bool] = None, user_id: Optional[str] = None,
              session_id: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None,
              tags: Optional[List[str]] = None) -> Callable[[F], F]: ...

    def trace(self, func: Any = None, *, name: Optional[str] = None,
              agent_id: Optional[str] = None, kind: Optional[str] = None,
              capture_input: Optional[bool] = None, capture_output: Optional[bool] = None,
              user_id: Optional[str] = None, session_id: Optional[str] = None,
              metadata: Optional[Dict[str, Any]] = None,
              tags: Optional[List[str]] = None) -> Any:
        """Decorator: each call becomes a span; the outermost one is the trace.

        Works on functions, methods, coroutines, generators and async generators. Arguments,
        the return value (or what a generator yields), latency and exceptions are recorded;
        exceptions are re-raised unchanged. ``user_id``, ``session_id``, ``metadata`` and
        ``tags`` apply to the enclosing trace; ``agent_id`` names the trace when this call is
        its root. ``kind`` is the span kind (default ``agent`` for the root, ``chain`` when
        nested).
        """
        if isinstance(func, str):  # @obs.trace("name")
            name, func = name or func, None
        kind = _check_kind(kind)
        fields: Dict[str, Any] = {}
        if user_id is not None:
            fields["user_id"] = user_id
        if session_id is not None:
            fields["session_id"] = session_id
        if metadata:
            fields["metadata"] = metadata
        if tags:
            fields["tags"] = tags

        def decorate(fn: F) -> F:
            try:
                return observe(self, fn, name=name, kind=kind, agent_id=agent_id,  # type: ignore[return-value]
                               capture_input=capture_input, capture_output=capture_output,
                               trace_fields=fields)
            except Exception:
                logger.warning("agentobs: cannot decorate %r; it runs untraced", fn, exc_info=True)
                return fn

        if func is not None and callable(func):
            return decorate(func)
        return decorate

    def _start_span(self, name: str, kind: Optional[str], agent_id: Optional[str] = None,
                    trace_id: Optional[str] = None) -> Span:
        parent = current_span_var.get()
        if parent is None:
            if self._sample_rate < 1.0 and random.random() >= self._sample_rate:
                return NOOP_SPAN
            trace = Trace(self, agent_id or self._agent_id or name, name, trace_id)
            span = Span(trace, None, name, kind or "agent")
            trace.root = span
            return span
        if parent._noop:
            return NOOP_SPAN
        return Span(parent.trace, parent.span_id, name, kind or "chain")

    def trace_context(self, agent_id: Optional[str] = None, *, name: Optional[str] = None,
                      user_id: Optional[str] = None, session_id: Optional[str] = None,
                      metadata: Optional[Dict[str, Any]] = None, tags: Optional[List[str]] = None,
                      input: Any = None, trace_id: Optional[str] = None,
                      kind: str = "agent") -> Span:
        """A trace as a ``with`` (or ``async with``) block; yields its root span.

        Inside an existing trace it opens a child span instead and applies user_id, session_id,
        metadata and tags to the enclosing trace.
        """
        try:
            if not self._active:
                return NoopSpan()
            span_name = name or agent_id or self._agent_id or "trace"
            span = self._start_span(span_name, _check_kind(kind) or "agent", agent_id, trace_id)
            if span._noop:
                return NoopSpan()
            span.trace.update(user_id=user_id, session_id=session_id, metadata=metadata, tags=tags,
                              name=name if span.parent_span_id is None else None)
            if input is not None:
                span.input = serialize(input, self._max_field_length)
            return span
        except Exception:
            logger.debug("agentobs: trace_context failed", exc_info=True)
            return NoopSpan()

    def span(self, name: str, *, kind: str = "chain", input: Any = None,
             metadata: Optional[Dict[str, Any]] = None, model: Optional[str] = None) -> Span:
        """A manual span: ``with obs.span("search", kind="retrieval") as s: ...``.

        The span starts now; used without ``with``, end it with ``span.end()``. Outside any
        trace it starts a new trace.
        """
        try:
            if not self._active:
                return NoopSpan()
            span = self._start_span(name, _check_kind(kind) or "chain")
            if span._noop:
                return NoopSpan()
            if input is not None:
                span.input = serialize(input, self._max_field_length)
            if metadata:
                if span.parent_span_id is None:
                    span.trace._merge_metadata(to_json_object(metadata))
                else:
                    span.attributes = to_json_object(metadata)
            if model:
                span.set_model(model)
            return span
        except Exception:
            logger.debug("agentobs: span failed", exc_info=True)
            return NoopSpan()

    # -- the current trace and span -----------------------------------------------------------
    def current_span(self) -> Span:
        """The span of the innermost observed call, or a no-op span outside any trace."""
        span = current_span_var.get()
        return span if span is not None else NOOP_SPAN

    def current_trace(self) -> Optional[Trace]:
        span = current_span_var.get()
        return None if span is None or span._noop else span.trace

    def get_current_trace_id(self) -> Optional[str]:
        span = current_span_var.get()
        return None if span is None or span._noop else span.trace.trace_id

    def get_current_span_id(self) -> Optional[str]:
        span = current_span_var.get()
        return None if span is None or span._noop else span.span_id

    def _current(self, what: str) -> Optional[Span]:
        span = current_span_var.get()
        if span is None:
            logger.debug("agentobs: %s outside a trace ignored", what)
            return None
        return None if span._noop else span

    def set_input(self, value: Any) -> None:
        span = self._current("set_input")
        if span is not None:
            span.set_input(value)

    def set_output(self, value: Any) -> None:
        """Output of the current span (and of the trace when that span is the root)."""
        span = self._current("set_output")
        if span is not None:
            span.set_output(value)

    def set_cost(self, usd: float) -> None:
        """Cost in USD of the current span. When no span in a trace has a cost, the server
        prices known models from their tokens."""
        span = self._current("set_cost")
        if span is not None:
            span.set_cost(usd)

    def set_tokens(self, input: Optional[int] = None, output: Optional[int] = None, *,
                   cached_input: Optional[int] = None, total: Optional[int] = None) -> None:
        span = self._current("set_tokens")
        if span is not None:
            span.set_tokens(input, output, cached_input=cached_input, total=total)

    def set_model(self, model: str, provider: Optional[str] = None) -> None:
        span = self._current("set_model")
        if span is not None:
            span.set_model(model, provider)

    def set_metadata(self, metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        """Merge into the current span's attributes, or the trace's metadata at the root."""
        span = self._current("set_metadata")
        if span is not None:
            span.set_metadata(metadata, **kwargs)

    def set_status(self, status: str, message: Optional[str] = None) -> None:
        span = self._current("set_status")
        if span is not None:
            span.set_status(status, message)

    def update_trace(self, *, name: Optional[str] = None, user_id: Optional[str] = None,
                     session_id: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None,
                     tags: Optional[List[str]] = None, input: Any = None, output: Any = None) -> None:
        """Trace-level fields of the current trace, from anywhere inside it."""
        span = self._current("update_trace")
        if span is not None:
            span.trace.update(name=name, user_id=user_id, session_id=session_id,
                              metadata=metadata, tags=tags, input=input, output=output)

    def score(self, name: str, value: float, comment: Optional[str] = None, *, on: str = "trace",
              source: Optional[str] = None, score_id: Optional[str] = None) -> None:
        """Score the current trace (``on="trace"``) or the current span (``on="span"``)."""
        span = self._current("score")
        if span is None:
            return
        if on == "span":
            span.score(name, value, comment, source=source, score_id=score_id)
        else:
            span.trace.score(name, value, comment, source=source, score_id=score_id)

    propagate = staticmethod(propagate)

    # -- events ---------------------------------------------------------------------------------
    def event(self, type: str, title: str, *, agent_id: Optional[str] = None,
              version: Optional[str] = None, description: Optional[str] = None,
              severity: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None,
              timestamp: Any = None, event_id: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """Record a deployment, config change, incident or custom marker; returns the stored
        event, or None when tracing is off or it could not be sent (logged, never raised)."""
        if not self._active:
            return None
        try:
            return send_event(self.base_url, self.api_key, type, title, agent_id=agent_id or self._agent_id,
                              version=version, description=description, severity=severity,
                              metadata=metadata, timestamp=timestamp, event_id=event_id)
        except Exception:
            logger.error("agentobs: event %r failed", title, exc_info=True)
            return None

    def deployment(self, version: str, *, agent_id: Optional[str] = None, title: Optional[str] = None,
                   **kwargs: Any) -> Optional[Dict[str, Any]]:
        """Mark a deployment of version: the Impact page compares before and after it."""
        return self.event("deployment", title or "deployed %s" % version, agent_id=agent_id,
                          version=version, **kwargs)

    # -- integrations ---------------------------------------------------------------------------
    def wrap_openai(self, client: Any, **options: Any) -> Any:
        """Record every call of an ``openai.OpenAI`` / ``AsyncOpenAI`` client as an llm span."""
        from .integrations.openai import wrap_openai

        return wrap_openai(client, obs=self, **options)

    def langchain_handler(self) -> Any:
        """A LangChain callback handler recording runs as spans (needs langchain-core)."""
        from .integrations.langchain import CallbackHandler

        return CallbackHandler(obs=self)

    # -- delivery -------------------------------------------------------------------------------
    def _enqueue(self, part: Any) -> None:
        w = self._worker
        if w is not None:
            w.enqueue(part)

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Block until every trace ended so far is sent (or given up on); False on timeout."""
        w = self._worker
        if w is None:
            return True
        try:
            return w.flush(timeout)
        except Exception:
            logger.debug("agentobs: flush failed", exc_info=True)
            return False

    def shutdown(self, timeout: Optional[float] = None) -> bool:
        """Send what is queued (waiting up to timeout, default shutdown_timeout) and stop.
        Later calls are not recorded. Also run at interpreter exit."""
        self._active = False
        w = self._worker
        if w is None:
            return True
        try:
            return w.shutdown(self._shutdown_timeout if timeout is None else timeout)
        except Exception:
            logger.debug("agentobs: shutdown failed", exc_info=True)
            return False

    def stats(self) -> Dict[str, int]:
        """Counters of the delivery (in trace parts, a trace usually being one): sent, batches,
        retries, dropped_queue_full, dropped_failed, rejected, dropped_spans, queued."""
        w = self._worker
        if w is None:
            return {}
        return w.stats()

    def __enter__(self) -> "AgentObservability":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    def _after_fork(self) -> None:
        w = self._worker
        if w is not None:
            w._init_runtime()
            sender = w._sender
            if hasattr(sender, "_conn"):
                sender._conn = None  # the parent's socket is not ours


def get_client() -> AgentObservability:
    """The most recently created client, or a new one configured from the environment."""
    global _default
    with _default_lock:
        client = _default
    if client is None:
        client = AgentObservability()
    return client


def _check_kind(kind: Optional[str]) -> Optional[str]:
    if kind is None or kind in SPAN_KINDS:
        return kind
    logger.warning("agentobs: span kind %r is not one of %s; using the default", kind,
                   ", ".join(sorted(SPAN_KINDS)))
    return None


def _enable_debug_logging() -> None:
    logger.setLevel(logging.DEBUG)
    if not any(getattr(h, "_agentobs", False) for h in logger.handlers):
        h = logging.StreamHandler()
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        h._agentobs = True  # type: ignore[attr-defined]
        logger.addHandler(h)


def _shutdown_all() -> None:
    for client in list(_clients):
        try:
            client.shutdown()
        except Exception:
            pass


def _after_fork_all() -> None:
    for client in list(_clients):
        try:
            client._after_fork()
        except Exception:
            pass


atexit.register(_shutdown_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_all)
