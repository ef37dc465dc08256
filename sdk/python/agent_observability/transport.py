"""Background delivery of traces: a bounded queue, one worker thread, batched gzip POSTs.

The application thread only appends finished trace parts to a deque (a few hundred
nanoseconds); JSON encoding, compression and the network happen on the worker thread.
When the queue is full new parts are dropped and counted rather than letting memory grow.
Failed requests are retried with exponential backoff and jitter; the server deduplicates on
(trace_id, span_id), so a retry after a lost answer never counts anything twice.
"""

from __future__ import annotations

import collections
import email.utils
import gzip
import http.client
import json
import logging
import random
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ._version import __version__
from .models import Part, Span, Trace
from .serialize import clean_for_json

__all__ = ["HttpSender", "Worker", "parse_retry_after"]

logger = logging.getLogger("agent_observability")

BATCH_PATH = "/api/v1/traces/batch"
USER_AGENT = "agent-observability-python/" + __version__
MAX_SPANS_PER_ITEM = 1000  # API limit per TraceInput
MAX_SCORES_PER_ITEM = 100  # API limit per TraceInput
MAX_RETRY_AFTER = 120.0
_RETRYABLE_ITEM = frozenset((408, 429, 500, 502, 503, 504))

Response = Tuple[int, Any, bytes]  # status, headers (a Mapping-like message), body


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        secs = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        secs = when.timestamp() - time.time()
    if secs != secs:  # NaN
        return None
    return min(max(secs, 0.0), MAX_RETRY_AFTER)


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _encode(obj: Any) -> bytes:
    # Lone surrogates (from bytes decoded with surrogateescape) cannot be UTF-8: replace them.
    return _encoder.encode(obj).encode("utf-8", "replace")


class _HTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _no_delay(self.sock)


class _HTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _no_delay(self.sock)


def _no_delay(sock: Any) -> None:
    # Small requests on a kept-alive connection must not wait for delayed ACKs (Nagle).
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except Exception:
        pass


class HttpSender:
    """POSTs batch bodies to the ingestion API over a kept-alive connection.

    http.client is used directly so that the connection is reused between batches; when a proxy
    is configured in the environment the request goes through urllib, which knows proxies.
    """

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0, compress: bool = True,
                 wait_for_commit: bool = False) -> None:
        parts = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http(s) URL, got %r" % base_url)
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path.rstrip("/") + BATCH_PATH
        if wait_for_commit:
            # The server answers once the batch is in its store, not only in its log.
            self._path += "?wait=commit"
        self._url = "%s://%s%s" % (parts.scheme, parts.netloc, self._path)
        self._timeout = timeout
        self._compress = compress
        self._headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": "Bearer " + api_key,
            "User-Agent": USER_AGENT,
        }
        self._conn: Optional[http.client.HTTPConnection] = None
        proxies = urllib.request.getproxies()
        self._use_urllib = bool(proxies.get(self._scheme)) and not urllib.request.proxy_bypass(self._host)

    @property
    def url(self) -> str:
        return self._url

    def _new_conn(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return _HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=ssl.create_default_context()
            )
        return _HTTPConnection(self._host, self._port, timeout=self._timeout)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def post(self, body: bytes) -> Response:
        """Send one body; returns (status, headers, response body). Network errors raise OSError
        or http.client.HTTPException."""
        headers = dict(self._headers)
        if self._compress:
            body = gzip.compress(body, compresslevel=6)
            headers["Content-Encoding"] = "gzip"
        if self._use_urllib:
            return self._post_urllib(body, headers)
        for attempt in (0, 1):
            conn = self._conn
            reused = conn is not None
            if conn is None:
                conn = self._conn = self._new_conn()
            try:
                conn.request("POST", self._path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
                    http.client.BadStatusLine):
                self.close()
                if reused and attempt == 0:
                    # The server closed an idle kept-alive connection: try once on a new one.
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if resp.will_close:
                self.close()
            return resp.status, resp.headers, data
        raise ConnectionError("unreachable")  # pragma: no cover

    def _post_urllib(self, body: bytes, headers: Dict[str, str]) -> Response:
        req = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            try:
                data = err.read()
            except Exception:
                data = b""
            return err.code, err.headers or {}, data


class _Marker:
    """Queued by flush(): set once everything queued before it has been handled."""

    __slots__ = ("event",)

    def __init__(self) -> None:
        self.event = threading.Event()


class Worker:
    """Owns the queue and the thread that drains it. Every public method is safe to call from any
    thread and never raises."""

    def __init__(
        self,
        sender: Any,
        *,
        batch_size: int = 100,
        flush_interval: float = 1.0,
        max_queue_size: int = 10_000,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_batch_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self._sender = sender
        self._batch_size = max(1, int(batch_size))
        self._flush_interval = max(0.001, float(flush_interval))
        self._max_queue = max(1, int(max_queue_size))
        self._max_retries = max(0, int(max_retries))
        self._backoff_base = max(0.0, float(backoff_base))
        self._backoff_max = max(0.0, float(backoff_max))
        self._max_batch_bytes = max(1024, int(max_batch_bytes))
        self._init_runtime()

    def _init_runtime(self) -> None:
        # Also called in a forked child, where the parent's thread and locks are gone.
        self._q: "collections.deque[Any]" = collections.deque()
        self._cond = threading.Condition(threading.Lock())
        self._stats_lock = threading.Lock()
        self._interrupt = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._markers = 0
        self._stopping = False
        self._closed = False
        self._deadline: Optional[float] = None
        self._warned: set = set()
        self._stats: Dict[str, int] = dict.fromkeys(
            ("sent", "batches", "retries", "dropped_queue_full", "dropped_failed",
             "rejected", "dropped_spans"), 0
        )

    # -- producer side ----------------------------------------------------------------------
    def enqueue(self, part: Part) -> bool:
        """Queue a trace part; False (and counted) when the queue is full or closed."""
        q = self._q
        if self._closed or len(q) >= self._max_queue:
            self._drop_queue_full(part)
            return False
        q.append(part)
        if self._thread is None:
            self._start()
        if len(q) == self._batch_size:  # a full batch is ready: wake the worker now
            with self._cond:
                self._cond.notify()
        return True

    def _drop_queue_full(self, part: Part) -> None:
        with self._stats_lock:
            self._stats["dropped_queue_full"] += 1
            self._stats["dropped_spans"] += len(part[1])
            first = self._stats["dropped_queue_full"] == 1
        if first:
            logger.warning(
                "agentobs: %s; dropping traces (max_queue_size=%d). Further drops are counted in "
                "obs.stats()", "client shut down" if self._closed else "send queue full", self._max_queue)

    def _start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            t = threading.Thread(target=self._run, name="agentobs-worker", daemon=True)
            self._thread = t
        t.start()

    def pending(self) -> int:
        return sum(1 for x in list(self._q) if not isinstance(x, _Marker))

    def stats(self) -> Dict[str, int]:
        with self._stats_lock:
            s = dict(self._stats)
        s["queued"] = self.pending()
        return s

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Wait until everything queued before this call is sent or given up on."""
        if self._thread is None and not self._q:
            return True
        if self._stopping:  # shut down: nothing will drain the queue any more
            return self.pending() == 0
        marker = _Marker()
        with self._cond:
            self._q.append(marker)
            self._markers += 1
            self._cond.notify()
        if self._thread is None:
            self._start()
        return marker.event.wait(timeout)

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Deliver what is queued within timeout seconds, then stop the thread."""
        if self._closed:
            return True
        self._closed = True
        deadline = time.monotonic() + max(0.0, timeout)
        self._deadline = deadline
        ok = self.flush(max(0.0, deadline - time.monotonic()))
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._interrupt.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(max(0.0, deadline - time.monotonic()) + 0.1)
        try:
            self._sender.close()
        except Exception:
            pass
        return ok

    # -- worker side ------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                with self._cond:
                    if not self._stopping and not self._markers and len(self._q) < self._batch_size:
                        self._cond.wait(self._flush_interval)
                    if self._stopping and not self._q:
                        return
                while self._q:
                    self._drain_once()
                    if not self._markers and not self._stopping and len(self._q) < self._batch_size:
                        break  # a partial batch waits for more, up to flush_interval
            except Exception:  # never let the thread die: later traces still need sending
                logger.debug("agentobs: worker error", exc_info=True)
                time.sleep(0.05)

    def _drain_once(self) -> None:
        parts: List[Part] = []
        markers: List[_Marker] = []
        q = self._q
        while q and len(parts) < self._batch_size:
            x = q.popleft()
            if isinstance(x, _Marker):
                markers.append(x)
                break  # everything before the marker is in this drain
            parts.append(x)
        try:
            if parts:
                self._send_items(self._encode_parts(parts), attempt=0)
        finally:
            for m in markers:
                with self._cond:
                    self._markers -= 1
                m.event.set()

    # -- encoding ---------------------------------------------------------------------------
    def _encode_parts(self, parts: List[Part]) -> List[bytes]:
        # Parts of one trace are merged: one TraceInput per trace per batch when possible.
        merged: Dict[int, List[Any]] = {}
        for trace, spans, scores, header in parts:
            m = merged.get(id(trace))
            if m is None:
                merged[id(trace)] = [trace, list(spans), list(scores), header]
            else:
                m[1].extend(spans)
                m[2].extend(scores)
                if m[3] is not None:
                    m[3] = header  # the final header (None) wins over snapshots
        items: List[bytes] = []
        for trace, spans, scores, header in merged.values():
            try:
                items.extend(self._encode_trace(trace, spans, scores, header))
            except Exception:
                logger.debug("agentobs: cannot encode trace %s", getattr(trace, "trace_id", "?"),
                             exc_info=True)
                self._count("rejected", 1)
        return items

    def _encode_trace(self, trace: Trace, spans: List[Span], scores: List[Dict[str, Any]],
                      header: Optional[Dict[str, Any]]) -> List[bytes]:
        head_d = header if header is not None else trace.header(final=True)
        head = _safe_encode(head_d)
        if len(head) > _JSON_OBJECT_MAX:
            head = _safe_encode(_limit_object(head_d, "metadata"))
        if len(spans) == 1 and not scores:  # the common case: a trace of one call
            e = _safe_encode(spans[0].to_wire())
            if len(e) > _JSON_OBJECT_MAX:
                e = _safe_encode(_limit_object(spans[0].to_wire(), "attributes"))
            return [head[:-1] + b',"spans":[' + e + b"]}"]
        # The same span may be in two parts (the root resent with a late score): keep the last.
        by_id: Dict[str, Span] = {}
        for s in spans:
            by_id[s.span_id] = s
        encoded = []
        for s in by_id.values():
            d = s.to_wire()
            e = _safe_encode(d)
            if len(e) > _JSON_OBJECT_MAX:
                e = _safe_encode(_limit_object(d, "attributes"))
            encoded.append(e)
        limit = max(1024, self._max_batch_bytes - len(head) - 64)
        chunks: List[List[bytes]] = []
        cur: List[bytes] = []
        size = 0
        for e in encoded:
            if cur and (len(cur) >= MAX_SPANS_PER_ITEM or size + len(e) > limit):
                chunks.append(cur)
                cur, size = [], 0
            cur.append(e)
            size += len(e) + 1
        if cur:
            chunks.append(cur)
        score_chunks = [scores[i:i + MAX_SCORES_PER_ITEM] for i in range(0, len(scores), MAX_SCORES_PER_ITEM)]
        out = []
        for i in range(max(len(chunks), len(score_chunks))):
            # Every item carries at least one span: an item without spans would be stored as a
            # flat single-span trace.
            span_chunk = chunks[i] if i < len(chunks) else chunks[-1][-1:]
            body = head[:-1] + b',"spans":[' + b",".join(span_chunk) + b"]"
            if i < len(score_chunks):
                body += b',"scores":' + _safe_encode(score_chunks[i])
            out.append(body + b"}")
        return out

    # -- sending ----------------------------------------------------------------------------
    def _batches(self, items: List[bytes]) -> Iterable[List[bytes]]:
        cur: List[bytes] = []
        size = 0
        for it in items:
            if cur and (len(cur) >= self._batch_size or size + len(it) > self._max_batch_bytes):
                yield cur
                cur, size = [], 0
            cur.append(it)
            size += len(it) + 1
        if cur:
            yield cur

    def _send_items(self, items: List[bytes], attempt: int) -> None:
        for batch in self._batches(items):
            self._send_batch(batch, attempt)

    def _send_batch(self, batch: List[bytes], attempt: int) -> None:
        while batch:
            body = b'{"traces":[' + b",".join(batch) + b"]}"
            headers: Mapping[str, str] = {}
            try:
                status, headers, data = self._sender.post(body)
                error = None
            except Exception as exc:  # network error, timeout, refused connection
                status, data, error = 0, b"", exc
            if 200 <= status < 300 and status != 207:
                self._count("sent", len(batch))
                self._count("batches", 1)
                return
            if status == 207:
                self._count("batches", 1)
                batch = self._handle_multi_status(batch, data)
                if not batch:
                    return
            elif status == 413 and len(batch) > 1:
                half = len(batch) // 2
                self._send_batch(batch[:half], attempt)
                self._send_batch(batch[half:], attempt)
                return
            elif status in (400, 413, 422):
                self._count("rejected", len(batch))
                self._warn_once("rejected-%d" % status,
                                "agentobs: server rejected %d trace(s) with %d: %s",
                                len(batch), status, _problem_detail(data))
                return
            elif status in (401, 403):
                self._count("dropped_failed", len(batch))
                self._warn_once("auth", "agentobs: the API key was refused (%d) by %s; traces are "
                                "dropped. Check AGENTOBS_API_KEY.", status, self._sender.url)
                return
            elif status != 0 and status not in _RETRYABLE_ITEM and status < 500:
                self._count("dropped_failed", len(batch))
                self._warn_once("status-%d" % status, "agentobs: unexpected answer %d from %s: %s",
                                status, self._sender.url, _problem_detail(data))
                return
            # Retryable: network error, 408, 429, 5xx (and the retryable items of a 207).
            attempt += 1
            if attempt > self._max_retries:
                self._count("dropped_failed", len(batch))
                self._warn_once("gave-up", "agentobs: giving up on %d trace(s) after %d retries "
                                "(last: %s)", len(batch), self._max_retries,
                                error if error is not None else status)
                return
            retry_after = parse_retry_after(_header(headers, "Retry-After")) if status else None
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            logger.debug("agentobs: retry %d of %d trace(s) in %.3fs (%s)", attempt, len(batch),
                         delay, error if error is not None else status)
            self._count("retries", 1)
            if not self._sleep(delay):
                self._count("dropped_failed", len(batch))
                logger.warning("agentobs: shutdown timeout reached; %d trace(s) not delivered",
                               len(batch))
                return

    def _handle_multi_status(self, batch: List[bytes], data: bytes) -> List[bytes]:
        """Count a 207's items; return those worth retrying."""
        try:
            answer = json.loads(data.decode("utf-8"))
            items = answer.get("items") or []
        except Exception:
            items = []
        retry: List[bytes] = []
        ok = rejected = 0
        for it in items:
            try:
                idx, st = int(it.get("index")), int(it.get("status"))
            except Exception:
                continue
            if 200 <= st < 300:
                ok += 1
            elif st in _RETRYABLE_ITEM and 0 <= idx < len(batch):
                retry.append(batch[idx])
            else:
                rejected += 1
                logger.debug("agentobs: trace %s rejected: %s", it.get("trace_id"), it.get("errors"))
        if not items:  # unreadable answer: assume the items were handled
            ok = len(batch)
        self._count("sent", ok)
        self._count("rejected", rejected)
        if rejected:
            self._warn_once("rejected-207", "agentobs: server rejected %d trace(s) of a batch "
                            "(enable debug logging for the errors)", rejected)
        return retry

    def _backoff(self, attempt: int) -> float:
        delay = min(self._backoff_max, self._backoff_base * (2 ** (attempt - 1)))
        return delay * (0.5 + random.random() / 2)  # jitter spreads retries of many clients

    def _sleep(self, delay: float) -> bool:
        """Sleep before a retry; False when shutdown's deadline does not leave time for it."""
        end = time.monotonic() + delay
        while True:
            now = time.monotonic()
            deadline = self._deadline
            if deadline is not None and end > deadline:
                return False
            if now >= end:
                return True
            if self._interrupt.is_set():  # shutting down: the event stays set, so sleep plainly
                time.sleep(min(end - now, 0.05))
            else:
                self._interrupt.wait(end - now)

    def _count(self, key: str, n: int) -> None:
        if n:
            with self._stats_lock:
                self._stats[key] += n

    def _warn_once(self, key: str, msg: str, *args: Any) -> None:
        if key in self._warned:
            logger.debug(msg, *args)
        else:
            self._warned.add(key)
            logger.warning(msg, *args)


_JSON_OBJECT_MAX = 64 * 1024 - 256  # API limit of metadata and attributes, with a margin


def _limit_object(d: Dict[str, Any], key: str) -> Dict[str, Any]:
    """d with d[key] replaced by a short preview when its JSON is over the API's limit."""
    value = d.get(key)
    if value is None:
        return d
    enc = _safe_encode(value)
    if len(enc) <= _JSON_OBJECT_MAX:
        return d
    d = dict(d)
    d[key] = {"truncated": True, "size": len(enc), "preview": enc[:4096].decode("utf-8", "ignore")}
    return d


def _safe_encode(obj: Any) -> bytes:
    try:
        return _encode(obj)
    except (ValueError, TypeError):
        return _encode(clean_for_json(obj))


def _header(headers: Any, name: str) -> Optional[str]:
    try:
        return headers.get(name)
    except Exception:
        return None


def _problem_detail(data: bytes) -> str:
    try:
        doc = json.loads(data.decode("utf-8"))
        errors = doc.get("errors") or []
        detail = doc.get("detail") or doc.get("title") or ""
        if errors:
            first = errors[0]
            if isinstance(first, dict) and "errors" in first:  # batch problem: per item
                first = (first.get("errors") or [{}])[0]
            detail += " (%s: %s)" % (first.get("field"), first.get("detail"))
        return detail or data[:200].decode("utf-8", "replace")
    except Exception:
        return data[:200].decode("utf-8", "replace")
