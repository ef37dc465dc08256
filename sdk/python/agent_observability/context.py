"""The current span, carried by a ContextVar so it follows asyncio tasks and copied contexts."""

from __future__ import annotations

import contextvars
import functools
from typing import Any, Callable, Optional, TypeVar

__all__ = ["current_span_var", "propagate"]

# Holds a models.Span, a models.NoopSpan (inside an unsampled trace) or None (no trace).
current_span_var: contextvars.ContextVar[Optional[Any]] = contextvars.ContextVar(
    "agent_observability_current_span", default=None
)

F = TypeVar("F", bound=Callable[..., Any])


def propagate(fn: F) -> F:
    """Wrap fn so that it runs in the context current now, whichever thread later calls it.

    asyncio tasks and ``asyncio.to_thread`` carry the context by themselves; plain threads and
    ``ThreadPoolExecutor.submit`` do not, so spans started there would begin new traces::

        pool.submit(propagate(search), query)      # search() becomes a child span
        threading.Thread(target=propagate(work)).start()
    """
    ctx = contextvars.copy_context()

    @functools.wraps(fn)
    def run_in_context(*args: Any, **kwargs: Any) -> Any:
        # A copy per call: one Context cannot be entered by two threads at once.
        return ctx.copy().run(fn, *args, **kwargs)

    return run_in_context  # type: ignore[return-value]
