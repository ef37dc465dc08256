"""The LangChain callback handler, with langchain-core's fake chat model."""

from __future__ import annotations

import json
from typing import List

import pytest

pytest.importorskip("langchain_core")  # in the dev extra; `make test` installs it

from conftest import root_span  # noqa: E402
from langchain_core.callbacks import CallbackManagerForRetrieverRun  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeListChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_core.runnables import RunnableLambda  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

from agent_observability.integrations.langchain import CallbackHandler  # noqa: E402


class UsageChatModel(FakeListChatModel):
    """The fake model, answering with usage metadata as real chat models do."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        result = super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        text = result.generations[0].message.content
        msg = AIMessage(content=text, usage_metadata={"input_tokens": 11, "output_tokens": 3,
                                                      "total_tokens": 14})
        return ChatResult(generations=[ChatGeneration(message=msg)])


class Docs(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> List[Document]:
        return [Document(page_content="doc about " + query, metadata={"id": 1})]


@tool
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


def test_chain_llm_tool_and_retriever_become_a_span_tree(obs, ingest):
    handler = CallbackHandler(obs, user_id="u1")
    prompt = ChatPromptTemplate.from_messages([("system", "Answer from {context}"), ("human", "{question}")])
    model = UsageChatModel(responses=["Paris is the capital."])
    retriever = Docs()
    chain = (
        {"context": RunnableLambda(lambda q: retriever.invoke(q)), "question": RunnableLambda(lambda q: q)}
        | prompt | model | StrOutputParser()
    )

    @obs.trace(agent_id="lc-agent")
    def agent(q):
        answer = chain.invoke(q, config={"callbacks": [handler]})
        n = word_count.invoke({"text": answer}, config={"callbacks": [handler]})
        return answer, n

    assert agent("capital of France") == ("Paris is the capital.", 4)
    obs.flush(5)
    t = ingest.only_trace()
    root = root_span(t)
    by_id = {s["span_id"]: s for s in t["spans"]}
    kinds = sorted(s["kind"] for s in t["spans"])
    assert kinds.count("llm") == 1 and kinds.count("tool") == 1 and kinds.count("retrieval") == 1
    llm = next(s for s in t["spans"] if s["kind"] == "llm")
    assert (llm["tokens_input"], llm["tokens_output"], llm["tokens_total"]) == (11, 3, 14)
    assert llm["output"] == "Paris is the capital."
    assert json.loads(llm["input"])[1] == {"role": "human", "content": "capital of France"}
    retrieval = next(s for s in t["spans"] if s["kind"] == "retrieval")
    assert json.loads(retrieval["output"])[0]["page_content"] == "doc about capital of France"
    tool_span = next(s for s in t["spans"] if s["kind"] == "tool")
    assert tool_span["name"] == "word_count" and tool_span["output"] == "4"
    # Every span hangs off the decorated agent: the chain's run, and below it the steps.
    for s in t["spans"]:
        if s is root:
            continue
        node = s
        while node.get("parent_span_id") and node["parent_span_id"] != root["span_id"]:
            node = by_id[node["parent_span_id"]]
        assert node["parent_span_id"] == root["span_id"]


def test_standalone_run_starts_a_trace_and_errors_are_recorded(obs, ingest):
    handler = CallbackHandler(obs, agent_id="lc", session_id="s1")

    def boom(_):
        raise ValueError("chain failed")

    with pytest.raises(ValueError):
        RunnableLambda(boom).invoke("x", config={"callbacks": [handler]})
    obs.flush(5)
    t = ingest.only_trace()
    assert t["agent_id"] == "lc" and t["session_id"] == "s1" and t["status"] == "error"
    assert root_span(t)["status"] == "error"
