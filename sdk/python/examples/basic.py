"""Basic use: a decorator on the agent, manual context for a request, output and cost.

Start the server (`make run` at the repository root), then:

    export AGENTOBS_API_KEY=ao_...    # the key `make run` printed; AGENTOBS_BASE_URL defaults to http://localhost:8000
    python examples/basic.py
"""

from agent_observability import AgentObservability

obs = AgentObservability()  # reads AGENTOBS_API_KEY and AGENTOBS_BASE_URL


def call_llm(prompt: str) -> str:
    # Stands in for a real model call; the numbers let the server price the span.
    obs.set_model("gpt-4o-mini", provider="openai")
    obs.set_tokens(input=len(prompt.split()) * 4, output=12)
    return "You said: " + prompt


@obs.trace(kind="llm")
def generate(prompt: str) -> str:
    return call_llm(prompt)


@obs.trace(kind="tool")
def lookup_order(order_id: str) -> dict:
    return {"order_id": order_id, "status": "shipped"}


@obs.trace(agent_id="support-bot")
def my_agent_function(user_input: str) -> str:
    order = lookup_order("A-1001")
    return generate("%s (order %s is %s)" % (user_input, order["order_id"], order["status"]))


def main() -> None:
    # 1. The decorator alone: each call is a trace, nested decorated calls are its spans.
    print(my_agent_function("Where is my order?"))

    # 2. Manual context: who asked, in which session, and what it cost.
    with obs.trace_context(agent_id="support-bot", user_id="user123", session_id="abc",
                           metadata={"channel": "web"}, tags=["example"]) as trace:
        response = my_agent_function("Hello")
        obs.set_output(response)
        obs.set_cost(0.0023)
        obs.score("helpfulness", 0.9, comment="clear answer")
    print("trace", trace.trace_id)

    sent = obs.flush(timeout=10)
    print("flushed:", sent, obs.stats())
    obs.shutdown()


if __name__ == "__main__":
    main()
