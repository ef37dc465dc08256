"""Overhead of a decorated call, and whether the worker keeps up with 10,000 traces per second.

    python bench/overhead.py [--seconds 3] [--rate 10000]

The traces go to a local sink (a separate process, so that it does not share our GIL) that
answers 202 to every batch. Reported:
  * the median overhead of a decorated no-op call over a plain call, in microseconds
    (a trace with one span: ids, clock readings, context switch, queueing);
  * the same with arguments and a return value to capture, and for a nested call;
  * the highest rate one thread reaches, and a run paced at --rate calls per second in one
    thread: the queue must stay short, nothing may be dropped, and everything must be sent.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_observability import AgentObservability  # noqa: E402

SINK = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import socket

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def log_message(self, *a):
        pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"""


def per_call_ns(fn, calls: int, repeats: int, *args) -> list:
    out = []
    pc = time.perf_counter_ns
    rng = range(calls)
    for _ in range(repeats):
        t0 = pc()
        for _ in rng:
            fn(*args)
        out.append((pc() - t0) / calls)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rate", type=int, default=10_000)
    ap.add_argument("--max-overhead-us", type=float, default=20.0)
    args = ap.parse_args()

    sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        port = int(sink.stdout.readline())
        base_url = "http://127.0.0.1:%d" % port
        return run(base_url, args)
    finally:
        sink.terminate()
        sink.wait(5)


def run(base_url: str, args) -> int:
    obs = AgentObservability(api_key="bench", base_url=base_url, flush_interval=0.2, max_queue_size=10_000)

    def plain():
        return None

    @obs.trace()
    def traced():
        return None

    def plain_args(question, k=3):
        return question

    @obs.trace()
    def traced_args(question, k=3):
        return question

    @obs.trace(kind="tool")
    def child():
        return None

    @obs.trace()
    def parent():
        child()

    # Warm up (and start the worker).
    for _ in range(2000):
        traced()
    obs.flush(10)

    calls, repeats = 100, 1500
    base = statistics.median(per_call_ns(plain, calls, repeats))
    dec = statistics.median(per_call_ns(traced, calls, repeats))
    obs.flush(30)
    base_a = statistics.median(per_call_ns(plain_args, calls, repeats, "What is the weather?"))
    dec_a = statistics.median(per_call_ns(traced_args, calls, repeats, "What is the weather?"))
    obs.flush(30)
    nested = statistics.median(per_call_ns(parent, calls, 500))
    obs.flush(30)
    overhead_us = (dec - base) / 1000
    print("decorated no-op call: median overhead %.2f us (plain call %.3f us, decorated %.2f us)"
          % (overhead_us, base / 1000, dec / 1000))
    print("decorated call with an argument and a return value: median overhead %.2f us"
          % ((dec_a - base_a) / 1000))
    print("root call with one nested decorated call: %.2f us per trace" % (nested / 1000))

    # Unpaced: as fast as one thread goes (the queue may fill and drop: that is the policy).
    before = obs.stats()
    n = 0
    t0 = time.perf_counter()
    end = t0 + args.seconds
    while time.perf_counter() < end:
        for _ in range(1000):
            traced()
        n += 1000
    elapsed = time.perf_counter() - t0
    obs.flush(60)
    after = obs.stats()
    print("unpaced, one thread: %d calls/s; worker delivered %d traces/s, dropped %d"
          % (n / elapsed, (after["sent"] - before["sent"]) / (time.perf_counter() - t0),
             after["dropped_queue_full"] - before["dropped_queue_full"]))

    # Paced at --rate calls per second in one thread.
    before = obs.stats()
    chunk = max(1, args.rate // 100)
    total = int(args.rate * args.seconds)
    max_queued = 0
    t0 = time.perf_counter()
    done = 0
    while done < total:
        for _ in range(chunk):
            traced()
        done += chunk
        q = len(obs._worker._q)
        if q > max_queued:
            max_queued = q
        delay = t0 + done / args.rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    elapsed = time.perf_counter() - t0
    t_drain = time.perf_counter()
    ok = obs.flush(30)
    drain_ms = (time.perf_counter() - t_drain) * 1000
    after = obs.stats()
    sent = after["sent"] - before["sent"]
    dropped = after["dropped_queue_full"] - before["dropped_queue_full"] + \
        after["dropped_failed"] - before["dropped_failed"]
    rate = done / elapsed
    kept_up = ok and dropped == 0 and sent == done and max_queued < args.rate
    print("paced at %d calls/s in one thread for %.1fs: %d calls/s achieved, %d sent, %d dropped, "
          "max queue %d, drained %.0f ms after the last call -> worker %s"
          % (args.rate, args.seconds, rate, sent, dropped, max_queued, drain_ms,
             "keeps up" if kept_up else "FELL BEHIND"))
    obs.shutdown(10)

    failed = []
    if overhead_us >= args.max_overhead_us:
        failed.append("overhead %.2f us >= %.0f us" % (overhead_us, args.max_overhead_us))
    if not kept_up or rate < args.rate * 0.95:
        failed.append("worker did not keep up with %d calls/s" % args.rate)
    print("RESULT: %s" % ("ok" if not failed else "; ".join(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
