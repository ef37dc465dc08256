"""The ``@obs.trace()`` decorator for functions, coroutines, generators and async generators.

One wrapper per kind of callable, so that the wrapped function keeps its nature
(``inspect.iscoroutinefunction`` and friends still answer the same). The wrapper's own
work never raises: when recording fails, the function is still called exactly once and its
result or exception passes through untouched.
"""

from __future__ import annotations

import functools
import inspect
import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from .context import current_span_var
from .serialize import serialize

if TYPE_CHECKING:  # pragma: no cover
    from .client import AgentObservability
    from .models import Span

__all__ = ["observe"]

logger = logging.getLogger("agent_observability")

_MAX_COLLECTED_ITEMS = 10_000


class _ArgCapture:
    """Turns a call's (args, kwargs) into {parameter name: value}, computed cheaply per call."""

    __slots__ = ("names", "varargs", "skip")

    def __init__(self, func: Callable[..., Any]) -> None:
        self.names: Tuple[str, ...] = ()
        self.varargs: Optional[str] = None
        self.skip: Optional[str] = None
        try:
            sig = inspect.signature(func)
        except (TypeError, ValueError):
            return
        names: List[str] = []
        for p in sig.parameters.values():
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                names.append(p.name)
            elif p.kind == p.VAR_POSITIONAL:
                self.varargs = p.name
        self.names = tuple(names)
        if names and names[0] in ("self", "cls"):
            self.skip = names[0]  # the instance is not an input worth recording

    def __call__(self, args: Tuple[Any, ...], kwargs: Dict[str, Any], limit: int) -> Optional[str]:
        names = self.names
        d: Dict[str, Any] = dict(zip(names, args))
        if len(args) > len(names):
            d[self.varargs or "args"] = list(args[len(names):])
        if kwargs:
            d.update(kwargs)
        if self.skip is not None:
            d.pop(self.skip, None)
        if not d:
            return None
        return serialize(d, limit)


class _Collector:
    """Keeps what a generator yields, to record it as the span's output."""

    __slots__ = ("items", "all_str")

    def __init__(self) -> None:
        self.items: List[Any] = []
        self.all_str = True

    def add(self, item: Any) -> None:
        if len(self.items) < _MAX_COLLECTED_ITEMS:
            self.items.append(item)
            if self.all_str and not isinstance(item, str):
                self.all_str = False

    def value(self) -> Any:
        if not self.items:
            return None
        # Streamed text (LLM tokens) reads best joined.
        return "".join(self.items) if self.all_str else self.items


def observe(
    client: "AgentObservability",
    func: Callable[..., Any],
    *,
    name: Optional[str],
    kind: Optional[str],
    agent_id: Optional[str],
    capture_input: Optional[bool],
    capture_output: Optional[bool],
    trace_fields: Dict[str, Any],
) -> Callable[..., Any]:
    span_name = name or getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or "call"
    capture_args = _ArgCapture(func)

    def begin(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> "Span":
        span = client._start_span(span_name, kind, agent_id)
        if span._noop:
            return span
        if trace_fields:
            span.trace.update(**trace_fields)
        if capture_input if capture_input is not None else client._capture_input:
            span.input = capture_args(args, kwargs, client._max_field_length)
        return span

    def end(span: "Span", result: Any, exc: Optional[BaseException]) -> None:
        if span._noop:
            return
        try:
            if exc is not None:
                span._record_exception(exc)
            elif (result is not None and not span._output_set
                  and (capture_output if capture_output is not None else client._capture_output)):
                span.output = serialize(result, client._max_field_length)
            span._end()
        except Exception:
            logger.debug("agentobs: ending span failed", exc_info=True)

    def detach(token: Any) -> None:
        try:
            current_span_var.reset(token)
        except Exception:
            pass

    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        async def async_gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            span = None
            if client._active:
                try:
                    span = begin(args, kwargs)
                except Exception:
                    logger.debug("agentobs: starting span failed", exc_info=True)
            agen = func(*args, **kwargs)
            collected = _Collector()
            send_value: Any = None
            to_throw: Optional[BaseException] = None
            while True:
                token = current_span_var.set(span) if span is not None else None
                try:
                    if to_throw is not None:
                        exc, to_throw = to_throw, None
                        item = await agen.athrow(exc)
                    else:
                        item = await agen.asend(send_value)
                except StopAsyncIteration:
                    if span is not None:
                        end(span, collected.value(), None)
                    return
                except BaseException as exc:
                    if span is not None:
                        end(span, None, exc)
                    raise
                finally:
                    if token is not None:
                        detach(token)
                if span is not None:
                    collected.add(item)
                try:
                    send_value = yield item
                except GeneratorExit:
                    # Closed early by the consumer: close the wrapped one and end normally.
                    try:
                        await agen.aclose()
                    finally:
                        if span is not None:
                            end(span, collected.value(), None)
                    raise
                except BaseException as exc:
                    to_throw = exc

        return async_gen_wrapper

    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            if not client._active:
                return (yield from func(*args, **kwargs))
            try:
                span = begin(args, kwargs)
            except Exception:
                logger.debug("agentobs: starting span failed", exc_info=True)
                return (yield from func(*args, **kwargs))
            gen = func(*args, **kwargs)
            collected = _Collector()
            send_value: Any = None
            to_throw: Optional[BaseException] = None
            while True:
                # The span is current only while the generator's own code runs, not while the
                # consumer handles an item.
                token = current_span_var.set(span)
                try:
                    if to_throw is not None:
                        exc, to_throw = to_throw, None
                        item = gen.throw(exc)
                    else:
                        item = gen.send(send_value)
                except StopIteration as stop:
                    end(span, collected.value(), None)
                    return stop.value
                except BaseException as exc:
                    end(span, None, exc)
                    raise
                finally:
                    detach(token)
                collected.add(item)
                try:
                    send_value = yield item
                except GeneratorExit:
                    try:
                        gen.close()
                    finally:
                        end(span, collected.value(), None)
                    raise
                except BaseException as exc:
                    to_throw = exc

        return gen_wrapper

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            if not client._active:
                return await func(*args, **kwargs)
            try:
                span = begin(args, kwargs)
                token = current_span_var.set(span)
            except Exception:
                logger.debug("agentobs: starting span failed", exc_info=True)
                return await func(*args, **kwargs)
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                detach(token)
                end(span, None, exc)
                raise
            detach(token)
            end(span, result, None)
            return result

        return async_wrapper

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not client._active:
            return func(*args, **kwargs)
        try:
            span = begin(args, kwargs)
            token = current_span_var.set(span)
        except Exception:
            logger.debug("agentobs: starting span failed", exc_info=True)
            return func(*args, **kwargs)
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            detach(token)
            end(span, None, exc)
            raise
        detach(token)
        end(span, result, None)
        return result

    return wrapper
