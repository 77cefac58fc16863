"""llmio: async client for LLM APIs (OpenAI, Anthropic, Gemini, Ollama).

A thin binding over the llmio C library: one engine drives every request;
each request completes exactly once with a Response or a typed llmio.Error.

    import llmio
    c = llmio.Client()
    r = c.chat("openai/gpt-4o-mini", [{"role": "user", "content": "hi"}])
    print(r.text)

    r = await c.achat(...)                      # asyncio
    async for d in c.astream(...): print(d.text or "", end="")
"""
from collections import deque as _deque
import threading as _threading

from . import _llmio
from ._llmio import (  # noqa: F401  (re-exported)
    Future, Response, ToolCall, Delta, Usage, Choice, AttemptInfo, Error,
    ERRORS, LLMIOTimeoutError, c_version, status_names,
    shared_rate_limit_unlink,
)

for _t in (Future, Response, ToolCall, Delta):
    try:
        _t.__module__ = "llmio"
    except (AttributeError, TypeError):
        pass

# Exception classes generated from the C status table (InvalidError,
# RateLimitError, TimeoutError, AuthError, ...).
globals().update({cls.__name__: cls for cls in ERRORS.values()})

__version__ = c_version
__all__ = ["Client", "Future", "Response", "ToolCall", "Delta", "Usage",
           "Choice", "AttemptInfo", "Stream", "AsyncStream", "Session",
           "Error", "LLMIOTimeoutError", "completion", "acompletion",
           "function_tool", "shared_rate_limit_unlink", "embedding",
           "aembedding"] + \
    sorted(cls.__name__ for cls in ERRORS.values())


class _AioDriver:
    """Drives one client from one asyncio loop: loop.add_reader on the
    client's descriptor plus a timer at the client's next deadline."""

    __slots__ = ("client", "loop", "fd", "reading", "timer", "scheduled")

    def __init__(self, client, loop):
        self.client = client
        self.loop = loop
        self.fd = client.fileno()
        self.reading = False
        self.timer = None
        self.scheduled = False

    def kick(self):
        """Arm the reader and step soon (after a submit or a cancel)."""
        if not self.reading:
            self.loop.add_reader(self.fd, self.drive)
            self.reading = True
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.drive)

    def drive(self):
        self.scheduled = False
        c = self.client
        if c.closed:
            self.detach()
            return
        try:
            c.step()
        finally:
            self.rearm()

    def rearm(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        c = self.client
        if c.closed or c.pending == 0:
            self.detach()
            return
        if not self.reading:
            self.loop.add_reader(self.fd, self.drive)
            self.reading = True
        ms = c.timeout_ms()
        if ms >= 0:
            self.timer = self.loop.call_later(ms / 1000.0, self.drive)

    def detach(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.reading:
            self.reading = False
            if not self.loop.is_closed():
                self.loop.remove_reader(self.fd)


class _StreamState:
    """Shared by a stream's delta callback and its iterator; it does not
    reference the iterator, so dropping the iterator cancels the request."""

    __slots__ = ("queue", "waiter")

    def __init__(self):
        self.queue = _deque()
        self.waiter = None

    def wake(self, *_):
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)

    def on_delta(self, d):
        self.queue.append(d)
        self.wake()


class Stream:
    """Synchronous stream iterator: `for d in client.stream(...)`.
    Leaving the loop early (break, exception) cancels the request when the
    Stream is closed or dropped; use it as a context manager to be sure."""

    def __init__(self, future):
        self.future = future

    def __iter__(self):
        return self

    def __next__(self):
        d = self.future.next()
        if d is None:
            self.future.result()  # raises the request's error, if any
            raise StopIteration
        return d

    @property
    def response(self):
        """The assembled Response once the stream has ended."""
        return self.future.result()

    def close(self):
        self.future.cancel()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AsyncStream:
    """Async stream iterator: `async for d in client.astream(...)`."""

    def __init__(self, client, driver, future, state):
        self._client = client
        self._driver = driver
        self.future = future
        self._state = state

    def __aiter__(self):
        return self

    async def __anext__(self):
        st = self._state
        f = self.future
        while True:
            if st.queue:
                return st.queue.popleft()
            if f.done():
                f.result()
                raise StopAsyncIteration
            st.waiter = self._driver.loop.create_future()
            try:
                await st.waiter
            except BaseException:
                self.close()
                raise
            finally:
                st.waiter = None

    @property
    def response(self):
        return self.future.result()

    def close(self):
        if self.future.cancel():
            self._driver.kick()

    async def aclose(self):
        self.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Client(_llmio.Client):
    __doc__ = _llmio.Client.__doc__

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()

    async def aclose(self):
        """close() for `async with`: pending requests complete cancelled."""
        self.close()

    def _aio(self):
        import asyncio
        loop = asyncio.get_running_loop()
        d = getattr(self, "_aio_driver", None)
        if d is None or d.loop is not loop:
            if d is not None and not d.loop.is_closed():
                d.detach()
            d = _AioDriver(self, loop)
            self._aio_driver = d
        return d

    def stream(self, model, messages, **options):
        """Synchronous stream: an iterator of Delta."""
        return Stream(self.submit(model, messages, stream=True, **options))

    async def achat(self, model, messages, **options):
        """chat() for asyncio: runs on the running loop, no threads.
        Cancelling the awaiting task cancels the request. With
        stream=True it returns an AsyncStream (`async for d in ...`)."""
        if options.get("stream") is True:
            del options["stream"]
            return self.astream(model, messages, **options)
        drv = self._aio()
        f = self.submit(model, messages, **options)
        waiter = drv.loop.create_future()

        def done(_f, waiter=waiter):
            if not waiter.done():
                waiter.set_result(None)
        f.add_done_callback(done)
        drv.kick()
        try:
            await waiter
        except BaseException:
            if f.cancel():
                drv.kick()
            raise
        return f.result()

    def astream(self, model, messages, **options):
        """Async stream: `async for d in client.astream(...)`."""
        drv = self._aio()
        st = _StreamState()
        f = self.submit(model, messages, stream=st.on_delta, **options)
        f.add_done_callback(st.wake)
        drv.kick()
        return AsyncStream(self, drv, f, st)

    def chat_json(self, body, **options):
        """chat() from a request body: an OpenAI Chat Completions body or
        an OpenAI Batch API line, as a dict or JSON text (str or bytes),
        built by the C library (llmio_request_from_jsonl), translated for
        any provider. model= is the model when the body names none;
        other options (timeout=, headers=, temperature=...) apply on top.
        Same as chat(model, None, body=body)."""
        return self.chat(options.pop("model", None), None, body=body,
                         **options)

    async def achat_json(self, body, **options):
        """chat_json() for asyncio (stream=True: an AsyncStream)."""
        return await self.achat(options.pop("model", None), None, body=body,
                                **options)

    def asubmit(self, model, messages, **options):
        """Submit on the running loop; returns an asyncio.Future resolving
        to the Response (cancelling it cancels the request)."""
        import asyncio
        return asyncio.ensure_future(self.achat(model, messages, **options))

    def embedding(self, model, input, **options):
        """Embed INPUT (a str or a list of str): a Response whose
        .embeddings holds one vector per input, in order. Options:
        dimensions, encoding_format ("float"/"base64", decoded either
        way), task_type (Gemini), user, timeout, headers, retries..."""
        return self.chat(model, None, input=input, **options)

    async def aembedding(self, model, input, **options):
        """embedding() for asyncio."""
        return await self.achat(model, None, input=input, **options)

    def as_completed(self, requests, *, model=None, concurrency=None,
                     ordered=False, **options):
        """`async for i, r in client.as_completed(reqs, concurrency=8)`:
        (input index, Response or llmio.Error) as each request ends (in
        input order with ordered=True). REQUESTS is any iterable (a
        generator is pulled lazily) of {"model", "messages", **options}
        dicts, or messages (a str or a list) with model=... Leaving the
        loop early cancels the rest; an exception the iterable raises is
        raised here."""
        from ._extras import as_completed
        return as_completed(self, requests, model, concurrency, ordered,
                            **options)

    async def abatch(self, requests, *, model=None, concurrency=None,
                     return_exceptions=True, **options):
        """Run many requests (any iterable, pulled lazily) as one C batch,
        at most CONCURRENCY at once (None: len(requests), or 64 for an
        iterator); results in input order, a failure's llmio.Error in
        its place (or raised, cancelling the rest, with
        return_exceptions=False). Cancelling the awaiting task cancels
        the whole batch."""
        from ._extras import abatch
        return await abatch(self, requests, model, concurrency,
                            return_exceptions, **options)

    def batch(self, requests, *, model=None, concurrency=None,
              return_exceptions=True, **options):
        """abatch() for synchronous code (the GIL is released while the
        engine waits)."""
        from ._extras import batch
        return batch(self, requests, model, concurrency, return_exceptions,
                     **options)


_local = _threading.local()


def _default_client():
    c = getattr(_local, "client", None)
    if c is None or c.closed:
        c = _local.client = Client()
    return c


def completion(model, messages, stream=False, **options):
    """One-shot chat on a per-thread default client (env configuration).
    stream=True returns a Stream of Delta."""
    c = _default_client()
    if stream is True:
        return c.stream(model, messages, **options)
    return c.chat(model, messages, stream=stream, **options)


async def acompletion(model, messages, **options):
    """Async one-shot chat on a per-thread default client; with
    stream=True the result is an AsyncStream."""
    return await _default_client().achat(model, messages, **options)


def embedding(model, input, **options):
    """Embeddings on the per-thread default client (env configuration)."""
    return _default_client().embedding(model, input, **options)


async def aembedding(model, input, **options):
    """Async embeddings on the per-thread default client."""
    return await _default_client().aembedding(model, input, **options)


def __getattr__(name):
    # Session and function_tool live in _extras, loaded on first use so
    # that `import llmio` stays small.
    if name in ("Session", "function_tool"):
        from . import _extras
        return getattr(_extras, name)
    raise AttributeError(f"module 'llmio' has no attribute {name!r}")
