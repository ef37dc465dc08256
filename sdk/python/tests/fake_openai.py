"""A small OpenAI-compatible HTTP server for tests: chat completions (plain and streamed),
responses (plain and streamed) and embeddings, with deterministic answers and usage.

Run as a script it serves until killed and prints its base URL (used by the examples test).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List

REPLY = "Hello from the fake model."
PROMPT_TOKENS, COMPLETION_TOKENS, CACHED_TOKENS = 12, 5, 4


def _words(text: str) -> List[str]:
    parts = text.split(" ")
    return [p + (" " if i < len(parts) - 1 else "") for i, p in enumerate(parts)]


def _chat_usage() -> Dict[str, Any]:
    return {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
            "prompt_tokens_details": {"cached_tokens": CACHED_TOKENS},
            "completion_tokens_details": {"reasoning_tokens": 0}}


def _responses_usage() -> Dict[str, Any]:
    return {"input_tokens": PROMPT_TOKENS, "output_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
            "input_tokens_details": {"cached_tokens": CACHED_TOKENS},
            "output_tokens_details": {"reasoning_tokens": 2}}


def _response_object(model: str, text: str) -> Dict[str, Any]:
    return {
        "id": "resp_fake", "object": "response", "created_at": int(time.time()), "model": model,
        "status": "completed", "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
        "output": [{"type": "message", "id": "msg_fake", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}]}],
        "usage": _responses_usage(),
    }


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _json(self, status: int, obj: Any) -> None:
                out = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def _sse(self, events: List[Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    self._write_events(events)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client closed the stream early, as some tests do

            def _write_events(self, events: List[Any]) -> None:
                for ev in events:
                    if isinstance(ev, tuple):
                        data = "event: %s\ndata: %s\n\n" % (ev[0], json.dumps(ev[1]))
                    elif isinstance(ev, str):
                        data = "data: %s\n\n" % ev
                    else:
                        data = "data: %s\n\n" % json.dumps(ev)
                    raw = data.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(raw), raw))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                fake.requests.append({"path": self.path, "body": body})
                model = body.get("model", "")
                if "fail" in model:
                    return self._json(400, {"error": {"message": "model %s does not exist" % model,
                                                      "type": "invalid_request_error", "code": "model_not_found"}})
                if self.path.endswith("/chat/completions"):
                    return self._chat(body, model)
                if self.path.endswith("/responses"):
                    return self._responses(body, model)
                if self.path.endswith("/embeddings"):
                    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    return self._json(200, {
                        "object": "list", "model": model,
                        "data": [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]}
                                 for i in range(len(inputs))],
                        "usage": {"prompt_tokens": 3 * len(inputs), "total_tokens": 3 * len(inputs)},
                    })
                self._json(404, {"error": {"message": "unknown path " + self.path}})

            def _chat(self, body: Dict[str, Any], model: str) -> None:
                created = int(time.time())
                base = {"id": "chatcmpl-fake", "created": created, "model": model + "-2024-07-18",
                        "system_fingerprint": "fp_fake"}
                tool_call = None
                if body.get("tools"):
                    name = body["tools"][0]["function"]["name"]
                    tool_call = {"id": "call_1", "type": "function",
                                 "function": {"name": name, "arguments": '{"city": "Paris"}'}}
                if not body.get("stream"):
                    message: Dict[str, Any] = {"role": "assistant", "content": None if tool_call else REPLY}
                    if tool_call:
                        message["tool_calls"] = [tool_call]
                    return self._json(200, dict(base, object="chat.completion", choices=[{
                        "index": 0, "message": message, "logprobs": None,
                        "finish_reason": "tool_calls" if tool_call else "stop"}], usage=_chat_usage()))
                chunk = dict(base, object="chat.completion.chunk")
                events: List[Any] = [dict(chunk, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                                           "finish_reason": None}])]
                for w in _words(REPLY):
                    events.append(dict(chunk, choices=[{"index": 0, "delta": {"content": w}, "finish_reason": None}]))
                events.append(dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
                if (body.get("stream_options") or {}).get("include_usage"):
                    events.append(dict(chunk, choices=[], usage=_chat_usage()))
                events.append("[DONE]")
                self._sse(events)

            def _responses(self, body: Dict[str, Any], model: str) -> None:
                if not body.get("stream"):
                    return self._json(200, _response_object(model, REPLY))
                events: List[Any] = []
                seq = 0
                partial = _response_object(model, "")
                partial["status"] = "in_progress"
                partial["output"] = []
                events.append(("response.created", {"type": "response.created", "response": partial,
                                                     "sequence_number": seq}))
                for w in _words(REPLY):
                    seq += 1
                    events.append(("response.output_text.delta", {
                        "type": "response.output_text.delta", "item_id": "msg_fake", "output_index": 0,
                        "content_index": 0, "delta": w, "logprobs": [], "sequence_number": seq}))
                seq += 1
                events.append(("response.completed", {"type": "response.completed",
                                                      "response": _response_object(model, REPLY),
                                                      "sequence_number": seq}))
                self._sse(events)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return "http://127.0.0.1:%d/v1" % self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    srv = FakeOpenAI()
    print(srv.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sys.exit(0)
