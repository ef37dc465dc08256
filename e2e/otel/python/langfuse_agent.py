"""An agent run traced with Langfuse's and Phoenix's Python SDKs, pointed at agentobs by
their own environment variables only, as a user switching would do (docs/migrate.md).

    python langfuse_agent.py VARIANT

VARIANT is one of
  langfuse  langfuse 5: @observe with a nested agent, tool and generation with usage,
            propagate_attributes for user and session, create_score (LANGFUSE_BASE_URL,
            LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY)
  phoenix   arize-phoenix-otel over gRPC with OpenInference spans (PHOENIX_COLLECTOR_ENDPOINT,
            PHOENIX_API_KEY, PHOENIX_PROJECT_NAME)

The program prints one JSON line: {"variant": ..., "trace_id": ...}.
"""

from __future__ import annotations

import json
import sys

QUESTION = "What is the weather in Paris?"
ANSWER = "It is 14 degrees and raining in Paris."


def langfuse_run() -> str:
    from langfuse import get_client, observe, propagate_attributes

    langfuse = get_client()

    @observe(as_type="tool")
    def get_weather(city: str) -> dict:
        return {"city": city, "temperature_c": 14}

    @observe(as_type="agent", name="py-weather-agent")
    def weather_agent(question: str) -> str:
        with langfuse.start_as_current_observation(
            as_type="generation", name="chat", model="gpt-4o-mini",
            input=[{"role": "user", "content": question}],
        ) as gen:
            gen.update(output={"role": "assistant", "content": ANSWER},
                       usage_details={"input": 1000, "output": 200})
        get_weather("Paris")
        return ANSWER

    @observe(name="handle-request")
    def handle(question: str) -> tuple[str, str]:
        with propagate_attributes(user_id="py-lf-user", session_id="py-lf-session"):
            answer = weather_agent(question)
        return answer, langfuse.get_current_trace_id()

    _, trace_id = handle(QUESTION)
    langfuse.create_score(trace_id=trace_id, name="helpfulness", value=0.9, comment="good answer")
    langfuse.flush()
    langfuse.shutdown()
    return trace_id


def phoenix_run() -> str:
    from phoenix.otel import register

    provider = register(protocol="grpc", batch=True, verbose=False)
    tracer = provider.get_tracer("agentobs-e2e-phoenix")
    with tracer.start_as_current_span("weather-agent", attributes={
        "openinference.span.kind": "AGENT", "input.value": QUESTION, "output.value": ANSWER,
        "user.id": "py-phoenix-user", "session.id": "py-phoenix-session",
    }) as agent:
        with tracer.start_as_current_span("ChatCompletion", attributes={
            "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini", "llm.provider": "openai",
            "llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": QUESTION,
            "llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": ANSWER,
            "llm.token_count.prompt": 1000, "llm.token_count.completion": 200,
        }):
            pass
        with tracer.start_as_current_span("get_weather", attributes={
            "openinference.span.kind": "TOOL", "tool.name": "get_weather",
            "input.value": '{"city":"Paris"}', "output.value": '{"temperature_c":14}',
        }):
            pass
        trace_id = format(agent.get_span_context().trace_id, "032x")
    provider.force_flush()
    provider.shutdown()
    return trace_id


def main() -> None:
    variant = sys.argv[1]
    trace_id = langfuse_run() if variant == "langfuse" else phoenix_run()
    print(json.dumps({"variant": f"python-{variant}", "trace_id": trace_id}), flush=True)


if __name__ == "__main__":
    main()
