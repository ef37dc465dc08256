"""Advanced use: manual spans of every kind, threads, errors, scores, OpenAI, reading back.

    export AGENTOBS_API_KEY=ao_...    # the key `make run` printed
    export OPENAI_API_KEY=...            # optional: without it the LLM call is simulated
    python examples/advanced.py

It ends by reading the trace back through the query API and printing its span tree.
"""

import json
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

from agent_observability import AgentObservability, propagate

obs = AgentObservability(
    agent_id="travel-planner",
    sample_rate=1.0,  # keep every trace; lower it for busy services
    max_field_length=20_000,  # inputs and outputs are cut beyond this many characters
    wait_for_commit=True,  # flush() returns once the server has stored the spans: read_back sees them
)


def make_llm():
    """The real OpenAI client when a key is set (OPENAI_BASE_URL is honoured), else None."""
    if not os.environ.get("OPENAI_API_KEY"):
        return None
    try:
        import openai
    except ImportError:
        return None
    return obs.wrap_openai(openai.OpenAI())


llm = make_llm()


def ask_llm(question: str) -> str:
    if llm is not None:
        r = llm.chat.completions.create(model="gpt-4o-mini",
                                        messages=[{"role": "user", "content": question}])
        return r.choices[0].message.content or ""
    with obs.span("simulated-llm", kind="llm", input=question, model="gpt-4o-mini") as span:
        span.set_tokens(input=25, output=15, cached_input=5)
        answer = "Visit the old town, then the harbour."
        span.set_output(answer)
        return answer


@obs.trace(kind="tool")
def weather(city: str) -> Dict[str, Any]:
    if city == "Atlantis":
        raise LookupError("no weather station in " + city)
    return {"city": city, "forecast": "sunny"}


def check_weather(cities: List[str]) -> List[Any]:
    # Plain threads do not inherit the context: propagate() carries the current span along.
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(propagate(weather), c) for c in cities]
    out = []
    for f in futures:
        try:
            out.append(f.result())
        except LookupError as exc:  # the span records the error; the agent carries on
            out.append({"error": str(exc)})
    return out


@obs.trace(kind="agent", user_id="user-42", session_id="trip-7", tags=["advanced"])
def plan_trip(request: str) -> str:
    with obs.span("guard-input", kind="guardrail", input=request) as guard:
        guard.set_output({"allowed": True})
    with obs.span("find-places", kind="retrieval", metadata={"index": "places-v2"}) as s:
        places = ["Lisbon", "Porto", "Atlantis"]
        s.set_output(places)
    forecasts = check_weather(places)
    with obs.span("embed-request", kind="embedding", model="text-embedding-3-small") as e:
        e.set_tokens(input=8)
    answer = ask_llm("Plan a trip: %s. Weather: %s" % (request, json.dumps(forecasts)))
    obs.span("plan-ready", kind="event").end()
    obs.score("plan_quality", 0.8, comment="automatic check", source="eval")
    return answer


def read_back(trace_id: str) -> None:
    """Print the stored span tree, as returned by GET /api/v1/traces/{id}."""
    req = urllib.request.Request(obs.base_url + "/api/v1/traces/" + trace_id,
                                 headers={"Authorization": "Bearer " + obs.api_key})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            trace = json.load(resp)
    except Exception as exc:
        print("could not read the trace back:", exc)
        return
    print("stored: status=%s spans=%s tokens=%s cost_usd=%s" % (
        trace["status"], trace["span_count"], trace["tokens_total"], trace["cost_usd"]))

    def show(spans: List[Dict[str, Any]], depth: int) -> None:
        for s in spans:
            print("  " * depth + "- %s [%s] %s" % (s["name"], s["kind"], s["status"]))
            show(s.get("children") or [], depth + 1)

    show(trace["spans"], 1)


def main() -> None:
    with obs.trace_context(agent_id="travel-planner", name="plan-request") as root:
        print(plan_trip("three days in Portugal"))
    obs.flush(timeout=10)
    root.trace.score("thumbs_up", 1, source="human")  # feedback that arrives after the run
    obs.flush(timeout=10)
    print("trace", root.trace_id, obs.stats())
    read_back(root.trace_id)
    obs.shutdown()


if __name__ == "__main__":
    main()
