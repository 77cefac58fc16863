"""Conversation sessions, tools from Python functions, and batches.

Sessions keep their history in a C llmio_session and run each turn
through Client.achat/astream's waiting code; batches drive one C
llmio_batch (Client._batch). The requests themselves (retries, timeouts,
limits, streaming) are the C library's. inspect loads on first use only.
"""

_JSON_TYPES = {str: "string", int: "integer", float: "number",
               bool: "boolean", list: "array", dict: "object"}


def function_tool(fn, name=None, description=None):
    """A tool schema ({"type": "function", ...}) for a Python function:
    parameters from its signature and annotations (str, int, float, bool,
    list, dict; anything else is a string), description from its
    docstring. Parameters without a default are required."""
    import inspect
    props, required = {}, []
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        props[p.name] = {"type": _JSON_TYPES.get(p.annotation, "string")}
        if p.default is p.empty:
            required.append(p.name)
    params = {"type": "object", "properties": props}
    if required:
        params["required"] = required
    doc = description or inspect.getdoc(fn) or ""
    return {"type": "function", "function": {
        "name": name or fn.__name__, "description": doc.split("\n\n")[0],
        "parameters": params}}


def _split_tools(tools):
    """tools may mix schema dicts and Python callables: callables become
    schemas and are run when the model calls them."""
    schemas, functions = [], {}
    for t in tools or ():
        if callable(t):
            s = function_tool(t)
            functions[s["function"]["name"]] = t
            schemas.append(s)
        else:
            schemas.append(t)
    return schemas, functions


def _client_cls():
    """llmio.Client, imported late (this module is loaded by it)."""
    from . import Client
    return Client


class _Turns:
    """What Client.achat/astream/stream need from a "client" to run one
    session turn: the real client's asyncio driver and a submit() that
    sends the C session's next turn (model and messages are the
    session's own)."""

    __slots__ = ("_client", "_session")

    def __init__(self, client, session):
        self._client = client
        self._session = session

    def _aio(self):
        return self._client._aio()

    def submit(self, _model, _messages, **options):
        return self._session.submit(**options)


class Session:
    """A conversation kept by the C library (llmio_session): the history,
    an optional system prompt and tools.

        s = llmio.Session(client, "openai/gpt-4o-mini",
                          system="You are helpful.", tools=[get_weather])
        r = await s.achat("Weather in Lisbon?")   # runs get_weather itself
        r = await s.achat("And tomorrow?")        # history kept

    Each turn is one C request (system prompt + history); its reply joins
    the history in C when the turn succeeds, so a failed or cancelled turn
    leaves it as it was. tools: schema dicts and/or Python functions (sync
    or async); a call to a function tool is executed and its result sent
    back, up to max_tool_rounds times, before achat()/chat() return the
    final Response. Calls to schema-only tools are returned to the caller
    (finish_reason 'tool_calls'). Every other keyword is a request option
    used on each turn (temperature=..., timeout=...).
    """

    def __init__(self, client, model, system=None, tools=None,
                 max_tool_rounds=8, **options):
        self.client = client
        self.model = model
        from . import _llmio
        self._s = _llmio.Session(client, model)
        if system is not None:
            self._s.set_system(system)
        self.tools, self.functions = _split_tools(tools)
        self.max_tool_rounds = max_tool_rounds
        self.options = options
        self._turns = _Turns(client, self._s)

    @property
    def messages(self):
        """The history as message dicts, the system prompt first (a copy:
        change it with add_message() and clear())."""
        sys = self._s.system
        head = [] if sys is None else [{"role": "system", "content": sys}]
        return head + self._s.messages()

    def add_message(self, role, content, **fields):
        """Append one message (e.g. add_message("user", "hi")); a system
        message sets the system prompt."""
        m = {"role": role, "content": content}
        m.update(fields)
        self._s.add([m])

    def clear(self):
        """Forget the history, keeping the system prompt."""
        self._s.truncate(0)

    def _opts(self, options):
        o = dict(self.options)
        if self.tools:
            o["tools"] = self.tools
        o.update(options)
        return o

    def _pending_calls(self, r):
        """Tool calls of R this session runs itself, else None."""
        if not self.functions or not r.tool_calls:
            return None
        if any(tc.name not in self.functions for tc in r.tool_calls):
            return None
        return r.tool_calls

    def _answer(self, tc, out):
        if not isinstance(out, str):
            import json
            out = json.dumps(out)
        self._s.add_tool_result(tc.id, out)

    async def achat(self, content=None, **options):
        """Send CONTENT (a user message; None sends the history as is)
        and return the assistant's final Response, also kept in the
        history."""
        import inspect
        if content is not None:
            self.add_message("user", content)
        opts = self._opts(options)
        for _ in range(self.max_tool_rounds + 1):
            r = await _client_cls().achat(self._turns, None, None, **opts)
            calls = self._pending_calls(r)
            if calls is None:
                return r
            for tc in calls:
                out = self.functions[tc.name](**tc.json())
                if inspect.isawaitable(out):
                    out = await out
                self._answer(tc, out)
        return r

    def chat(self, content=None, **options):
        """achat() without asyncio (async tool functions are not allowed)."""
        if content is not None:
            self.add_message("user", content)
        opts = self._opts(options)
        for _ in range(self.max_tool_rounds + 1):
            r = self._s.submit(**opts).result()
            calls = self._pending_calls(r)
            if calls is None:
                return r
            for tc in calls:
                self._answer(tc, self.functions[tc.name](**tc.json()))
        return r

    async def astream(self, content=None, **options):
        """Stream the reply (an async iterator of Delta); the assembled
        assistant message joins the history when the stream ends."""
        if content is not None:
            self.add_message("user", content)
        s = _client_cls().astream(self._turns, None, None, **self._opts(options))
        async with s:
            async for d in s:
                yield d


_BATCH_LINE_KEYS = ("custom_id", "method", "url", "body")


def _job(item, model, options):
    """A batch item -> (model, messages, options)."""
    if isinstance(item, dict) and "body" in item and "messages" not in item:
        # an OpenAI Batch API line (custom_id, method, url, body) as a
        # dict, or {"body": chat body or JSONL text}; other keys: options
        kw = dict(options)
        kw.update((k, v) for k, v in item.items()
                  if k not in _BATCH_LINE_KEYS)
        body = item["body"]
        if not isinstance(body, (str, bytes)):
            body = {k: item[k] for k in _BATCH_LINE_KEYS if k in item}
        kw["body"] = body
        return kw.pop("model", model), None, kw
    if isinstance(item, dict) and "messages" in item:
        kw = dict(options)
        kw.update(item)
        m = kw.pop("model", model)
        msgs = kw.pop("messages")
    else:
        m, msgs, kw = model, item, options
    if m is None:
        raise TypeError("batch item without a model: pass model=... or "
                        "items {'model': ..., 'messages': ...}")
    return m, msgs, kw


# Cap of a batch given as an iterable without len() and no concurrency.
_DEFAULT_CONCURRENCY = 64


def _jobs(requests, model, options):
    """Each item as (model, messages, options), or the exception that
    makes it a bad item (reported in its own slot). An exception the
    iterable itself raises is not caught here: it ends the batch."""
    for item in requests:
        try:
            yield _job(item, model, options)
        except Exception as e:  # noqa: BLE001 - the item's own error
            yield e


def _start(client, requests, model, concurrency, ordered, options,
           on_item, on_done):
    """Start a C batch (llmio_batch) pulling REQUESTS (any iterable) one
    item at a time as slots free up."""
    if not concurrency:
        try:
            concurrency = len(requests) or 1
        except TypeError:
            concurrency = _DEFAULT_CONCURRENCY
    return client._batch(_jobs(requests, model, options),
                         min(concurrency, 1000000), ordered, on_item, on_done)


class _Results:
    """Results by input index; with raise_first, the first failure
    cancels the batch (the rest end cancelled) and is raised later. An
    exception the requests iterable raised is raised instead."""

    __slots__ = ("out", "raise_first", "first", "batch")

    def __init__(self, raise_first):
        self.out = []
        self.raise_first = raise_first
        self.first = None
        self.batch = None

    def on_item(self, i, r):
        if i >= len(self.out):
            self.out.extend([None] * (i + 1 - len(self.out)))
        self.out[i] = r
        if self.raise_first and self.first is None and \
                isinstance(r, BaseException):
            self.first = r
            if self.batch is not None:
                self.batch.cancel()

    def result(self):
        b, self.batch = self.batch, None
        if b.error is not None:
            raise b.error
        if self.first is not None:
            raise self.first
        return self.out


def batch(client, requests, model=None, concurrency=None,
          return_exceptions=True, **options):
    res = _Results(not return_exceptions)
    res.batch = b = _start(client, requests, model, concurrency, False,
                           options, res.on_item, None)
    try:
        b.wait()
    finally:
        b.cancel()  # an interrupted wait: nothing keeps running
    return res.result()


async def abatch(client, requests, model=None, concurrency=None,
                 return_exceptions=True, **options):
    drv = client._aio()
    res = _Results(not return_exceptions)
    waiter = drv.loop.create_future()

    def on_done():
        if not waiter.done():
            waiter.set_result(None)
    res.batch = b = _start(client, requests, model, concurrency, False,
                           options, res.on_item, on_done)
    drv.kick()
    try:
        await waiter
    except BaseException:
        if b.cancel():
            drv.kick()
        raise
    return res.result()


async def as_completed(client, requests, model=None, concurrency=None,
                       ordered=False, **options):
    from . import _StreamState
    drv = client._aio()
    st = _StreamState()
    b = _start(client, requests, model, concurrency, ordered, options,
               lambda i, r: st.on_delta((i, r)), st.wake)
    drv.kick()
    try:
        while True:
            if b.error is not None:
                raise b.error
            if st.queue:
                yield st.queue.popleft()
            elif b.done:
                return
            else:
                st.waiter = drv.loop.create_future()
                try:
                    await st.waiter
                finally:
                    st.waiter = None
    finally:
        if b.cancel():
            drv.kick()
