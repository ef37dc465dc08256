"""agent-observability: the Python SDK of agentobs, observability for LLM agents.

    from agent_observability import AgentObservability

    obs = AgentObservability(api_key="...")     # or AGENTOBS_API_KEY / AGENTOBS_BASE_URL

    @obs.trace()
    def answer(question: str) -> str:
        ...
"""

from typing import Any

from ._version import __version__
from .client import AgentObservability, get_client
from .context import propagate
from .models import NoopSpan, Span, Trace

__all__ = [
    "AgentObservability",
    "NoopSpan",
    "Span",
    "Trace",
    "get_client",
    "propagate",
    "wrap_openai",
    "__version__",
]


def wrap_openai(client: Any, **options: Any) -> Any:
    """Record the calls of an ``openai`` client as llm spans; see
    ``agent_observability.integrations.openai.wrap_openai``."""
    from .integrations.openai import wrap_openai as _wrap

    return _wrap(client, **options)
