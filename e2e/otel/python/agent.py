"""An agent run traced with the OpenTelemetry Python SDK and sent to agentobs over OTLP.

    python agent.py VARIANT

VARIANT is one of
  http          manual GenAI spans (semconv v1.37.0), opentelemetry-exporter-otlp-proto-http
  grpc          the same, opentelemetry-exporter-otlp-proto-grpc
  openinference spans made by openinference-instrumentation-openai around a real openai
                client call to a local fake OpenAI server, exported over OTLP/HTTP
  openllmetry   the same with OpenLLMetry's opentelemetry-instrumentation-openai

The exporters are configured by the standard environment variables only
(OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, ...), as a user would. The
program prints one JSON line: {"variant": ..., "trace_id": ...}.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

QUESTION = "What is the weather in Paris?"
ANSWER = "It is 14 degrees and raining in Paris."


def exporter(kind: str):
    if kind == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter()


def manual_run(tracer: trace.Tracer, variant: str) -> str:
    """agent -> chat (GenAI attributes) -> tool, as the GenAI conventions describe them."""
    with tracer.start_as_current_span(
        "invoke_agent weather-agent",
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "weather-agent",
            "gen_ai.conversation.id": f"py-{variant}-conv",
            "user.id": "py-user",
        },
    ) as agent:
        with tracer.start_as_current_span(
            "chat gpt-4o-mini",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 200,
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": QUESTION}]}]
                ),
                "gen_ai.output.messages": json.dumps(
                    [{"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1",
                      "name": "get_weather", "arguments": {"city": "Paris"}}]}]
                ),
            },
        ):
            time.sleep(0.01)
        with tracer.start_as_current_span(
            "execute_tool get_weather",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "get_weather",
                "gen_ai.tool.call.id": "call_1",
                "gen_ai.tool.call.arguments": '{"city": "Paris"}',
                "gen_ai.tool.call.result": '{"temperature_c": 14}',
            },
        ):
            time.sleep(0.005)
        return format(agent.get_span_context().trace_id, "032x")


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers chat completions like OpenAI does, with usage, so instrumentors see a real call."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        req = json.loads(self.rfile.read(length) or b"{}")
        body = json.dumps({
            "id": "chatcmpl-e2e",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.get("model", "gpt-4o-mini") + "-2024-07-18",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": ANSWER}}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 9, "total_tokens": 51},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def instrumented_run(tracer: trace.Tracer, provider: TracerProvider, variant: str) -> str:
    """A real openai client call, traced by a third-party instrumentor, under an agent span."""
    if variant == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor
    else:
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        import openai

        client = openai.OpenAI(base_url=f"http://127.0.0.1:{server.server_port}/v1", api_key="sk-e2e")
        attrs = ({"openinference.span.kind": "AGENT", "agent.name": "py-" + variant}
                 if variant == "openinference" else
                 {"traceloop.span.kind": "workflow", "traceloop.workflow.name": "py-" + variant})
        with tracer.start_as_current_span("agent run", attributes=attrs) as agent:
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": "You answer briefly."},
                          {"role": "user", "content": QUESTION}],
            )
            return format(agent.get_span_context().trace_id, "032x")
    finally:
        server.shutdown()


def main() -> int:
    variant = sys.argv[1] if len(sys.argv) > 1 else "http"
    resource = Resource.create({"service.name": f"e2e-python-{variant}"})
    provider = TracerProvider(resource=resource)
    kind = "grpc" if variant == "grpc" else "http"
    # The manual runs export span by span, as each ends (children before their root, in
    # separate requests); the instrumented ones batch.
    processor = SimpleSpanProcessor if variant in ("http", "grpc") else BatchSpanProcessor
    provider.add_span_processor(processor(exporter(kind)))
    tracer = provider.get_tracer("agentobs-e2e", "1.0.0")
    if variant in ("http", "grpc"):
        trace_id = manual_run(tracer, variant)
    else:
        trace_id = instrumented_run(tracer, provider, variant)
    provider.force_flush()
    provider.shutdown()
    print(json.dumps({"variant": "python-" + variant, "trace_id": trace_id}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
