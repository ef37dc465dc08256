"""Async agents: coroutines, concurrent tool calls and streamed answers, all in one trace.

    export AGENTOBS_API_KEY=ao_...    # the key `make run` printed
    python examples/async.py
"""

import asyncio
from typing import AsyncIterator, List

from agent_observability import AgentObservability

obs = AgentObservability()


@obs.trace(kind="retrieval")
async def search(source: str, query: str) -> List[str]:
    await asyncio.sleep(0.02)  # network I/O
    return ["%s: result for %r" % (source, query)]


@obs.trace(kind="llm", name="stream-answer")
async def stream_answer(question: str, context: List[str]) -> AsyncIterator[str]:
    obs.set_model("gpt-4o-mini", provider="openai")
    for word in ("Here", " is", " what", " I", " found."):
        await asyncio.sleep(0.005)
        yield word
    obs.set_tokens(input=40 + len(context) * 10, output=5)


@obs.trace(agent_id="research-agent")
async def research(question: str) -> str:
    # Spans of concurrent tasks are all children of this call: asyncio copies the context.
    results = await asyncio.gather(search("web", question), search("wiki", question),
                                   search("docs", question))
    context = [r for rs in results for r in rs]
    answer = "".join([chunk async for chunk in stream_answer(question, context)])
    obs.update_trace(tags=["async-example"])
    return answer


async def main() -> None:
    # Two agents at once: two separate traces.
    answers = await asyncio.gather(research("What is agentobs?"), research("How do spans nest?"))
    for a in answers:
        print(a)
    # flush() blocks, so run it off the event loop.
    print("flushed:", await asyncio.to_thread(obs.flush, 10), obs.stats())


if __name__ == "__main__":
    asyncio.run(main())
    obs.shutdown()
