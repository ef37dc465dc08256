"""A LangChain callback handler that records chains, LLM calls, tools and retrievers as spans.

    from agent_observability.integrations.langchain import CallbackHandler

    handler = CallbackHandler(obs)
    chain.invoke({"question": "..."}, config={"callbacks": [handler]})

Needs ``langchain-core`` (``pip install "agent-observability[langchain]"``). A top-level run
started inside a decorated function or ``trace_context`` becomes a child of that span;
otherwise it starts its own trace.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional
from uuid import UUID

try:
    from langchain_core.callbacks import BaseCallbackHandler
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "agent_observability.integrations.langchain needs langchain-core: "
        'pip install "agent-observability[langchain]"'
    ) from exc

from ..models import Span
from ..serialize import serialize

__all__ = ["CallbackHandler"]

logger = logging.getLogger("agent_observability")


def _name(serialized: Any, kwargs: Dict[str, Any], default: str) -> str:
    name = kwargs.get("name")
    if isinstance(name, str) and name:
        return name
    if isinstance(serialized, dict):
        if serialized.get("name"):
            return str(serialized["name"])
        ident = serialized.get("id")
        if isinstance(ident, list) and ident:
            return str(ident[-1])
    return default


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


class CallbackHandler(BaseCallbackHandler):
    """Maps LangChain runs to agentobs spans (kinds chain, llm, tool, retrieval)."""

    raise_error = False  # a tracing failure must never fail the chain
    run_inline = True  # keep the caller's context, so the current span is visible

    def __init__(self, obs: Any = None, *, agent_id: Optional[str] = None,
                 user_id: Optional[str] = None, session_id: Optional[str] = None,
                 metadata: Optional[Dict[str, Any]] = None, tags: Optional[List[str]] = None) -> None:
        super().__init__()
        if obs is None:
            from ..client import get_client

            obs = get_client()
        self._obs = obs
        self._agent_id = agent_id
        self._trace_fields = {k: v for k, v in (("user_id", user_id), ("session_id", session_id),
                                                  ("metadata", metadata), ("tags", tags)) if v}
        self._runs: Dict[UUID, Span] = {}
        self._lock = threading.Lock()

    # -- bookkeeping ----------------------------------------------------------------------------
    def _start(self, run_id: UUID, parent_run_id: Optional[UUID], name: str, kind: Optional[str],
               input: Any, metadata: Optional[Dict[str, Any]] = None) -> Optional[Span]:
        try:
            obs = self._obs
            if not obs._active:
                return None
            with self._lock:
                parent = self._runs.get(parent_run_id) if parent_run_id is not None else None
            if parent is not None:
                span: Any = Span(parent.trace, parent.span_id, name, kind or "chain")
            else:
                span = obs._start_span(name, kind, self._agent_id)
                if span._noop:
                    return None
                if span.parent_span_id is None and self._trace_fields:
                    span.trace.update(**self._trace_fields)
            if input is not None and obs._capture_input:
                span.input = serialize(input, obs._max_field_length)
            if metadata:
                attrs = {k: v for k, v in metadata.items() if not k.startswith("ls_")}
                if attrs:
                    span.set_attribute("metadata", attrs)
            with self._lock:
                self._runs[run_id] = span
            return span
        except Exception:
            logger.debug("agentobs: langchain run start failed", exc_info=True)
            return None

    def _end(self, run_id: UUID, output: Any = None, error: Optional[BaseException] = None) -> None:
        try:
            with self._lock:
                span = self._runs.pop(run_id, None)
            if span is None:
                return
            if error is not None:
                span.record_exception(error)
            elif output is not None and self._obs._capture_output and not span._output_set:
                span.output = serialize(output, self._obs._max_field_length)
            span.end()
        except Exception:
            logger.debug("agentobs: langchain run end failed", exc_info=True)

    # -- chains ---------------------------------------------------------------------------------
    def on_chain_start(self, serialized: Dict[str, Any], inputs: Dict[str, Any], *, run_id: UUID,
                       parent_run_id: Optional[UUID] = None, tags: Optional[List[str]] = None,
                       metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _name(serialized, kwargs, "chain"), None, inputs, metadata)

    def on_chain_end(self, outputs: Dict[str, Any], *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, outputs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # -- LLMs -----------------------------------------------------------------------------------
    def _llm_start(self, serialized: Any, input: Any, run_id: UUID, parent_run_id: Optional[UUID],
                   metadata: Optional[Dict[str, Any]], kwargs: Dict[str, Any]) -> None:
        span = self._start(run_id, parent_run_id, _name(serialized, kwargs, "llm"), "llm", input, metadata)
        if span is None:
            return
        try:
            params = kwargs.get("invocation_params") or {}
            model = (params.get("model") or params.get("model_name") or
                     (metadata or {}).get("ls_model_name"))
            provider = (metadata or {}).get("ls_provider")
            if model:
                span.set_model(str(model), str(provider) if provider else None)
            for key in ("temperature", "max_tokens", "top_p"):
                if params.get(key) is not None:
                    span.set_attribute(key, params[key])
        except Exception:
            logger.debug("agentobs: langchain llm params failed", exc_info=True)

    def on_llm_start(self, serialized: Dict[str, Any], prompts: List[str], *, run_id: UUID,
                     parent_run_id: Optional[UUID] = None, tags: Optional[List[str]] = None,
                     metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        self._llm_start(serialized, prompts[0] if len(prompts) == 1 else prompts, run_id,
                        parent_run_id, metadata, kwargs)

    def on_chat_model_start(self, serialized: Dict[str, Any], messages: List[List[Any]], *,
                            run_id: UUID, parent_run_id: Optional[UUID] = None,
                            tags: Optional[List[str]] = None,
                            metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        try:
            msgs = [[{"role": _get(m, "type"), "content": _get(m, "content")} for m in batch]
                    for batch in messages]
            value: Any = msgs[0] if len(msgs) == 1 else msgs
        except Exception:
            value = messages
        self._llm_start(serialized, value, run_id, parent_run_id, metadata, kwargs)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        try:
            with self._lock:
                span = self._runs.get(run_id)
            if span is not None:
                self._read_llm_result(span, response)
        except Exception:
            logger.debug("agentobs: langchain llm result failed", exc_info=True)
        output = None
        try:
            gen = response.generations[0][0]
            msg = _get(gen, "message")
            output = _get(msg, "content") if msg is not None else _get(gen, "text")
        except Exception:
            pass
        self._end(run_id, output)

    @staticmethod
    def _read_llm_result(span: Span, response: Any) -> None:
        llm_output = _get(response, "llm_output") or {}
        usage = llm_output.get("token_usage") or llm_output.get("usage") if isinstance(llm_output, dict) else None
        if usage:
            span.set_tokens(_get(usage, "prompt_tokens") or _get(usage, "input_tokens"),
                            _get(usage, "completion_tokens") or _get(usage, "output_tokens"),
                            total=_get(usage, "total_tokens"))
        else:
            try:
                msg = _get(response.generations[0][0], "message")
            except Exception:
                msg = None
            meta = _get(msg, "usage_metadata")
            if meta:
                details = _get(meta, "input_token_details") or {}
                span.set_tokens(_get(meta, "input_tokens"), _get(meta, "output_tokens"),
                                cached_input=_get(details, "cache_read"),
                                total=_get(meta, "total_tokens"))
        model = isinstance(llm_output, dict) and (llm_output.get("model_name") or llm_output.get("model"))
        if model and not span.model:
            span.set_model(str(model))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # -- tools and retrievers -------------------------------------------------------------------
    def on_tool_start(self, serialized: Dict[str, Any], input_str: str, *, run_id: UUID,
                      parent_run_id: Optional[UUID] = None, tags: Optional[List[str]] = None,
                      metadata: Optional[Dict[str, Any]] = None,
                      inputs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _name(serialized, kwargs, "tool"), "tool",
                    inputs if inputs is not None else input_str, metadata)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, _get(output, "content") if hasattr(output, "content") else output)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    def on_retriever_start(self, serialized: Dict[str, Any], query: str, *, run_id: UUID,
                           parent_run_id: Optional[UUID] = None, tags: Optional[List[str]] = None,
                           metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _name(serialized, kwargs, "retriever"), "retrieval",
                    query, metadata)

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        try:
            docs = [{"page_content": _get(d, "page_content"), "metadata": _get(d, "metadata")}
                    for d in documents]
        except Exception:
            docs = documents
        self._end(run_id, docs)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)
