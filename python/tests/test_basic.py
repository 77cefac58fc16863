import gc
import os
import subprocess
import sys
import time

import pytest

import llmio
from conftest import MODEL, PY_BUILD, ROOT, RSS_CHECKS, SECRET, rss_kb, scenario, user


def test_sync_chat(client):
    r = client.chat(MODEL, user("Hello there"), max_tokens=50, temperature=0.5)
    assert r.text == "Hello there"
    assert r.finish_reason == "stop"
    assert r.usage.completion_tokens == 2
    assert r.model == "gpt-4o-mini"
    assert r.id.startswith("chatcmpl-mock")
    assert r.choices[0].text == "Hello there"
    assert r.to_dict()["choices"][0]["message"]["content"] == "Hello there"
    assert r.message() == {"role": "assistant", "content": "Hello there"}


def test_n_choices_and_stop(client):
    r = client.chat(MODEL, user("one two three four"), n=2, stop=["three"])
    assert len(r.choices) == 2
    assert r.choices[1].text.strip() == "one two"


def test_parts_and_system(client):
    msgs = [{"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "look at"},
                {"type": "image_url",
                 "image_url": {"url": "https://x.test/a.png", "detail": "low"}},
                {"type": "text", "text": "this"}]}]
    assert client.chat(MODEL, msgs).text == "look at this"


def test_typed_errors(client):
    with pytest.raises(llmio.RateLimitError) as ei:
        client.chat(MODEL, user("x"),
                    headers=scenario("status=429;retry-after=2;should-retry=false"))
    e = ei.value
    assert isinstance(e, llmio.Error)
    assert e.http_status == 429
    assert e.retry_after == 2.0
    assert e.provider_code == "rate_limit_exceeded"
    assert e.request_id.startswith("req_mock")
    assert e.status == "E_RATE_LIMIT" and e.retryable
    with pytest.raises(llmio.ServerError) as ei:
        client.chat(MODEL, user("x"), headers=scenario("status=500;should-retry=false"))
    assert ei.value.http_status == 500 and ei.value.retry_after is None
    with pytest.raises(llmio.BadRequestError):
        client.chat(MODEL, user("x"), headers=scenario("status=400"))
    with pytest.raises(llmio.ContextLengthError) as ei:
        client.chat(MODEL, user("one two three"),
                    headers=scenario("max-context=2"))
    assert isinstance(ei.value, llmio.BadRequestError)
    assert ei.value.provider_code == "context_length_exceeded"


def test_error_classes_from_status_table():
    names = llmio.status_names()
    assert names[0] == "OK"
    assert len(llmio.ERRORS) == len(names) - 1
    for name, cls in llmio.ERRORS.items():
        assert issubclass(cls, llmio.Error) and cls.status == name
        assert getattr(llmio, cls.__name__) is cls
    assert issubclass(llmio.TimeoutError, TimeoutError)
    assert issubclass(llmio.InvalidError, ValueError)


def test_api_key_never_shown(mock):
    key = "bad-" + SECRET
    c = llmio.Client(api_key=key, base_url=mock)
    with pytest.raises(llmio.AuthError) as ei:
        c.chat(MODEL, user("x"))
    e = ei.value
    assert e.http_status == 401
    texts = [str(e), repr(e), repr(c), str(c), repr(e.__dict__),
             repr(vars(type(c)))]
    f = c.submit(MODEL, user("y"))
    texts.append(repr(f))
    f.exception()
    texts.append(repr(f.exception()))
    for t in texts:
        assert SECRET not in t, t
    c.close()
    assert SECRET not in repr(c)


def test_invalid_message_names_field(client):
    cases = [
        ([{"role": "user", "content": "a"}, {"content": "b"}],
         "messages[1].role"),
        ([{"role": "wizard", "content": "a"}], "messages[0].role"),
        ([{"role": "user", "content": 5}], "messages[0].content"),
        ([{"role": "user", "content": [{"type": "video"}]}],
         "messages[0].content[0].type"),
        ([{"role": "tool", "content": "r"}], "messages[0].tool_call_id"),
        ([{"role": "user", "content": "a", "colour": 1}], "messages[0]"),
        (["hello"], "messages[0]"),
    ]
    for msgs, field in cases:
        with pytest.raises(llmio.InvalidError) as ei:
            client.chat(MODEL, msgs)
        assert field in str(ei.value), (field, str(ei.value))
    with pytest.raises(llmio.InvalidError) as ei:
        client.chat(MODEL, user("x"), tools=[{"name": "bad name!"}])
    assert "tools[0].name" in str(ei.value)
    with pytest.raises(llmio.InvalidError) as ei:
        client.chat(MODEL, user("x"), temperature=7)
    assert "temperature" in str(ei.value)
    with pytest.raises(ValueError):
        client.chat(MODEL, 42)
    with pytest.raises(TypeError):
        client.chat(MODEL, user("x"), bogus_option=1)


def test_tool_round_trip(client):
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "weather",
        "parameters": {"type": "object",
                       "properties": {"city": {"type": "string"}}}}}]
    msgs = user("weather?")
    r = client.chat(MODEL, msgs, tools=tools, tool_choice="auto",
                    headers=scenario('tool=get_weather:{"city":"Lisbon"}'))
    assert r.finish_reason == "tool_calls"
    (tc,) = r.tool_calls
    assert tc.name == "get_weather" and tc.json() == {"city": "Lisbon"}
    msgs = msgs + [r.message(),
                   {"role": "tool", "tool_call_id": tc.id,
                    "content": {"temp": 21}}]
    r2 = client.chat(MODEL, msgs, tools=tools,
                     headers=scenario('tool=get_weather:{"city":"Lisbon"}'))
    assert r2.finish_reason == "stop"
    assert r2.text == '{"temp": 21}'


def test_sync_stream(client):
    s = client.stream(MODEL, user("a b c d"))
    text = "".join(d.text for d in s if d.kind == "text")
    assert text == "a b c d"
    assert s.response.text == "a b c d"


def test_sync_stream_break_cancels(client):
    with client.stream(MODEL, user("x"),
                       headers=scenario("lorem=200;tps=50")) as s:
        for d in s:
            if d.kind == "text":
                break
    with pytest.raises(llmio.CancelledError):
        s.response
    assert client.pending == 0


def test_stream_callback_exception_stops_stream(client):
    seen = []

    def cb(d):
        seen.append(d)
        if d.kind == "text":
            raise KeyError("stop here")

    f = client.submit(MODEL, user("x"), stream=cb,
                      headers=scenario("lorem=1000;tps=100"))
    t0 = time.monotonic()
    with pytest.raises(KeyError, match="stop here"):
        f.result(timeout=10)
    assert time.monotonic() - t0 < 3  # the whole stream would take 10 s
    assert sum(d.kind == "text" for d in seen) == 1
    assert f.status == "E_ABORTED"
    assert client.pending == 0


def test_timeout(client):
    t0 = time.monotonic()
    with pytest.raises(llmio.TimeoutError) as ei:
        client.chat(MODEL, user("a b c d e"), stream=None,
                    idle_timeout=0.3,
                    headers=scenario("stall-after-events=0"))
    assert isinstance(ei.value, TimeoutError)
    assert time.monotonic() - t0 < 5
    s = client.stream(MODEL, user("a b c d e"), idle_timeout=0.3,
                      headers=scenario("stall-after-events=2"))
    got = []
    with pytest.raises(llmio.TimeoutError):
        for d in s:
            got.append(d.text)
    assert "a" in got


def test_result_timeout_and_cancel(client):
    f = client.submit(MODEL, user("x"), headers=scenario("ttft=3000"))
    with pytest.raises(TimeoutError):
        f.result(timeout=0.1)
    assert not f.done() and f.status == "PENDING"
    assert f.cancel()
    assert f.wait(5)
    assert f.cancelled() and f.status == "E_CANCELLED"
    with pytest.raises(llmio.CancelledError):
        f.result()


def test_done_callback_exactly_once(client):
    calls = []
    fs = [client.submit(MODEL, user(f"q{i}")) for i in range(20)]
    for f in fs:
        f.add_done_callback(lambda f: calls.append(f))
    client.run(10)
    assert len(calls) == 20 and len(set(map(id, calls))) == 20
    late = []
    fs[0].add_done_callback(late.append)  # already done: runs now
    assert late == [fs[0]]


def test_close_with_pending_futures(mock):
    c = llmio.Client(api_key=SECRET, base_url=mock)
    calls = []
    fs = [c.submit(MODEL, user("x"), headers=scenario("ttft=5000"))
          for _ in range(5)]
    for f in fs:
        f.add_done_callback(calls.append)
    c.close()
    assert len(calls) == 5
    for f in fs:
        assert f.done()
        with pytest.raises(llmio.CancelledError):
            f.result()
    with pytest.raises(llmio.StateError):
        c.submit(MODEL, user("x"))
    del c
    gc.collect()
    assert fs[0].client.closed


def test_drop_future_before_completion(mock):
    c = llmio.Client(api_key=SECRET, base_url=mock)
    f = c.submit(MODEL, user("x"), headers=scenario("ttft=5000"))
    assert c.pending == 1
    del f
    gc.collect()
    t0 = time.monotonic()
    c.run(5)
    assert c.pending == 0 and time.monotonic() - t0 < 3
    # client dropped while a stream future (with a cycle) is alive
    f = c.submit(MODEL, user("x"), stream=lambda d: None)
    del c
    gc.collect()
    assert f.result(timeout=5).text == "x"
    del f
    gc.collect()


def test_no_leak_10k_requests(client):
    msgs = user("leak check")
    for _ in range(1000):
        client.chat(MODEL, msgs)
    gc.collect()
    before = rss_kb()
    for i in range(10000):
        if i % 2:
            r = client.chat(MODEL, msgs)
            assert r.text == "leak check"
        else:
            f = client.submit(MODEL, msgs, stream=True)
            while f.next() is not None:
                pass
    gc.collect()
    grown = rss_kb() - before
    print(f"RSS growth over 10k requests: {grown} kB")
    assert grown < 8000 or not RSS_CHECKS


def test_import_time():
    code = ("import time; t=time.perf_counter(); import llmio; "
            "print(round((time.perf_counter()-t)*1000, 2))")
    env = dict(os.environ, PYTHONPATH=PY_BUILD)
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, check=True)
    print(f"import llmio: {out.stdout.strip()} ms")
    assert float(out.stdout) > 0


def test_other_thread_while_driven(client):
    import threading
    f1 = client.submit(MODEL, user("slow"), headers=scenario("ttft=600"))
    f2 = client.submit(MODEL, user("dropped"), headers=scenario("ttft=5000"))
    res = {}
    t = threading.Thread(target=lambda: res.setdefault("r", f1.result()))
    t.start()
    time.sleep(0.15)
    try:
        client.chat(MODEL, user("x"))  # usually refused: thread B drives
    except llmio.StateError as e:
        assert "another thread" in str(e)
    del f2  # freed by the driving thread, not here
    gc.collect()
    t.join(10)
    assert res["r"].text == "slow"
    client.run(5)
    assert client.pending == 0
