"""The five seed guides (/work/shared/seeds: RiteLLM, ChoreoAI, AbstractLLM,
Mirascope, langchain-maritaca), translated to llmio's Python API and run
against llmio-mock. python/SEEDS.md maps each seed capability to the call
and to the test here (or in test_async.py / test_basic.py)."""
import asyncio
import itertools
import json
import threading
import time

import pytest

import llmio
from conftest import MODEL, SECRET, scenario, user

_keys = itertools.count()


def fresh_key():
    """A new X-Mock-Key, so fail-first counters start at zero."""
    return f"seed-{time.time_ns()}-{next(_keys)}"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def default_client(mock, monkeypatch):
    """llmio.completion/acompletion's per-thread client, from the env."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", mock)
    monkeypatch.setattr(llmio, "_local", threading.local())
    yield
    c = getattr(llmio._local, "client", None)
    if c is not None:
        c.close()


# ---------------------------------------------------------------- RiteLLM


def test_ritellm_acompletion_dict_access(default_client):
    async def main():
        messages = [{"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": "Hello!"}]
        return await llmio.acompletion(model="openai/gpt-3.5-turbo",
                                       messages=messages)
    r = run(main())
    assert r["choices"][0]["message"]["content"] == "Hello!" == r.text
    with pytest.raises(KeyError):
        r["no such key"]


def test_ritellm_acompletion_stream(default_client):
    async def main():
        response = await llmio.acompletion(
            model="openai/gpt-3.5-turbo", stream=True,
            messages=[{"role": "user", "content": "a short poem about Python"}])
        text, finish = "", None
        async for chunk in response:
            if chunk.kind == "text":
                text += chunk.text
            elif chunk.kind == "finish":
                finish = chunk.finish_reason
        return text, finish, response.response
    text, finish, final = run(main())
    assert text == "a short poem about Python" == final.text
    assert finish == "stop"
    # and synchronously: completion(stream=True) is a Stream
    s = llmio.completion("openai/gpt-3.5-turbo", user("sync stream"),
                         stream=True)
    assert "".join(d.text for d in s if d.kind == "text") == "sync stream"


def test_ritellm_gather_questions(default_client):
    questions = ["What is Python?", "What is Rust?", "What is async programming?"]

    async def ask_question(q):
        r = await llmio.acompletion(
            model="openai/gpt-3.5-turbo", max_tokens=100,
            messages=[{"role": "system", "content": "You are helpful."},
                      {"role": "user", "content": q}])
        return r["choices"][0]["message"]["content"]

    async def main():
        return await asyncio.gather(*(ask_question(q) for q in questions))
    assert run(main()) == questions


def test_ritellm_streaming_chat_loop_keeps_history(private_mock):
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url)

    async def chat_streaming(messages):
        full = ""
        async for d in c.astream("openai/gpt-3.5-turbo", messages,
                                 temperature=0.7, max_tokens=500):
            if d.kind == "text":
                full += d.text
            if d.kind == "finish" and d.finish_reason == "stop":
                break
        return full

    async def main():
        messages = [{"role": "system", "content": "You are a helpful assistant."}]
        for u in ["Hello! What can you help me with?",
                  "Tell me about async programming in Python.", "Thanks!"]:
            messages.append({"role": "user", "content": u})
            messages.append({"role": "assistant",
                             "content": await chat_streaming(messages)})
        return messages
    with c:
        messages = run(main())
    assert [m["content"] for m in messages[2::2]] == \
        [m["content"] for m in messages[1::2]]
    bodies = private_mock.bodies()
    assert [len(b["messages"]) for b in bodies] == [2, 4, 6]
    assert bodies[0]["temperature"] == 0.7 and bodies[0]["max_tokens"] == 500
    assert bodies[2]["stream"] is True


def test_ritellm_safe_completion_returns_none_on_error(client):
    async def safe_completion(messages, sc):
        try:
            return await client.achat("openai/gpt-3.5-turbo", messages,
                                      headers=scenario(sc))
        except Exception as e:  # the seed's pattern: any error -> None
            assert isinstance(e, llmio.Error) and e.http_status == 400
            return None

    async def main():
        return (await safe_completion(user("ok"), "text=fine"),
                await safe_completion(user("bad"), "status=400"))
    good, bad = run(main())
    assert good.text == "fine" and bad is None


def test_ritellm_sync_loop_and_async_gather_same_answers(client):
    sync = [client.chat("openai/gpt-3.5-turbo", user(f"Question {i}")).text
            for i in range(10)]

    async def main():
        rs = await asyncio.gather(*(
            client.achat("openai/gpt-3.5-turbo", user(f"Question {i}"))
            for i in range(10)))
        return [r.text for r in rs]
    assert run(main()) == sync == [f"Question {i}" for i in range(10)]


def test_choreo_sequential_vs_concurrent(client):
    slow = scenario("ttft=250")

    async def sequential():
        for i in range(4):
            await client.achat(MODEL, user(f"Question {i}"), headers=slow)

    async def concurrent():
        await asyncio.gather(*(client.achat(MODEL, user(f"Question {i}"),
                                            headers=slow) for i in range(4)))
    t0 = time.monotonic()
    run(sequential())
    t_seq = time.monotonic() - t0
    t0 = time.monotonic()
    run(concurrent())
    t_con = time.monotonic() - t0
    print(f"sequential {t_seq:.2f}s, concurrent {t_con:.2f}s")
    assert t_seq >= 4 * 0.25 and t_con < t_seq / 2


# ------------------------------------------- concurrency caps (in the engine)


def test_max_concurrency_caps_connections(private_mock):
    """The seeds' Semaphore(5), done by the engine: Client(max_concurrency=5)
    keeps at most 5 attempts on the wire; 20 requests all complete."""
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url,
                     max_concurrency=5)
    slow = scenario("ttft=150")

    async def main():
        return await asyncio.gather(*(
            c.achat(MODEL, user(f"Question {i}"), headers=slow)
            for i in range(20)))
    t0 = time.monotonic()
    with c:
        rs = run(main())
    elapsed = time.monotonic() - t0
    assert [r.text for r in rs] == [f"Question {i}" for i in range(20)]
    st = private_mock.stats()
    # the stats request itself is one connection
    assert st["peak_connections"] <= 5 + 1, st
    assert elapsed >= 4 * 0.15  # 20 / 5 waves of 150 ms


def test_semaphore_pattern_bounds_in_flight(client):
    """The seeds' own Semaphore pattern works as written."""
    in_flight = peak = 0

    async def main():
        sem = asyncio.Semaphore(5)

        async def limited(q):
            nonlocal in_flight, peak
            async with sem:
                in_flight += 1
                peak = max(peak, in_flight)
                try:
                    return (await client.achat(MODEL, user(q),
                                               headers=scenario("ttft=30"))).text
                finally:
                    in_flight -= 1
        qs = [f"Question {i}" for i in range(20)]
        assert await asyncio.gather(*(limited(q) for q in qs)) == qs
    run(main())
    assert peak == 5


def test_max_queued_refuses_with_state_error(mock):
    c = llmio.Client(api_key=SECRET, base_url=mock, max_concurrency=1,
                     max_queued=2)
    slow = scenario("ttft=2000")
    fs = [c.submit(MODEL, user("x"), headers=slow) for _ in range(3)]
    with pytest.raises(llmio.StateError, match="queue full"):
        c.submit(MODEL, user("x"), headers=slow)
    # cancelling a queued request frees its place at once
    assert fs[2].cancel()
    c.step()
    f = c.submit(MODEL, user("fits"), headers=slow)
    c.close()
    for x in fs + [f]:
        assert x.done()
    with pytest.raises(llmio.InvalidError, match="max_concurrency"):
        llmio.Client(max_concurrency=-1)


# ---------------------------------------------------------------- ChoreoAI


def test_choreo_async_with_and_create_task(mock):
    async def process_question(c, q):
        r = await c.achat("gpt-4", [{"role": "user", "content": q}])
        return r.choices[0].text

    async def main():
        async with llmio.Client(api_key=SECRET, base_url=mock) as c:
            qs = ["What is machine learning?", "What is deep learning?",
                  "What is neural networks?"]
            tasks = [asyncio.create_task(process_question(c, q)) for q in qs]
            assert await asyncio.gather(*tasks) == qs
            stream = await c.achat("gpt-4", user("Write a haiku"), stream=True)
            text = "".join([d.text async for d in stream if d.kind == "text"])
            assert text == "Write a haiku"
        return c
    assert run(main()).closed


def test_choreo_concurrent_streaming(client):
    async def stream_response(q):
        out = []
        async for d in client.astream("gpt-4", user(q),
                                      headers=scenario("tps=20")):
            if d.kind == "text":
                out.append((time.monotonic(), d.text))
        return out

    async def main():
        qs = ["What is async programming?", "What is concurrency?",
              "What is parallelism?"]
        outs = await asyncio.gather(*(stream_response(q) for q in qs))
        return qs, outs
    qs, outs = run(main())
    assert ["".join(t for _, t in o) for o in outs] == qs
    # interleaved, not one after the other: every stream started before
    # any other finished
    firsts = [o[0][0] for o in outs]
    lasts = [o[-1][0] for o in outs]
    assert max(firsts) < min(lasts)


def test_choreo_handle_individual_errors_and_return_exceptions(client):
    async def safe_chat(q, sc):
        try:
            r = await client.achat("gpt-4", user(q), headers=scenario(sc))
            return {"question": q, "answer": r.text}
        except llmio.Error as e:
            return {"question": q, "error": str(e), "status": e.http_status}

    async def main():
        rs = await asyncio.gather(
            safe_chat("What is Python?", "text=snake"),
            safe_chat("What is JavaScript?", "status=401"),
            safe_chat("What is Rust?", "status=404"))
        xs = await asyncio.gather(*(
            client.achat("gpt-4", user(f"Question {i}"),
                         headers=scenario("status=403") if i == 1 else None)
            for i in range(3)), return_exceptions=True)
        return rs, xs
    rs, xs = run(main())
    assert rs[0] == {"question": "What is Python?", "answer": "snake"}
    assert rs[1]["status"] == 401 and rs[2]["status"] == 404
    assert SECRET not in rs[1]["error"]
    assert xs[0].text == "Question 0" and xs[2].text == "Question 2"
    assert isinstance(xs[1], llmio.Error) and xs[1].http_status == 403


def test_choreo_worker_queue(client):
    async def worker(queue, results):
        while True:
            q = await queue.get()
            if q is None:
                queue.task_done()
                break
            try:
                r = await client.achat("gpt-4", user(q))
                results.append({"question": q, "answer": r.text})
            except llmio.Error as e:
                results.append({"question": q, "error": str(e)})
            finally:
                if q is not None:
                    queue.task_done()

    async def main():
        queue, results = asyncio.Queue(), []
        workers = [asyncio.create_task(worker(queue, results))
                   for _ in range(5)]
        for i in range(20):
            await queue.put(f"Question {i}")
        await queue.join()
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
        return results
    results = run(main())
    assert sorted(r["answer"] for r in results) == \
        sorted(f"Question {i}" for i in range(20))


def test_choreo_retry_with_backoff_is_the_engines(mock):
    """The seed's hand-written retry loop becomes the client's policy:
    transient 503s are retried with jittered backoff (seeded here), and
    each attempt is reported to on_attempt."""
    seen = []
    c = llmio.Client(api_key=SECRET, base_url=mock, max_attempts=3,
                     retry_base_delay=0.05, retry_max_delay=0.2,
                     retry_seed=7, on_attempt=seen.append)

    async def main():
        return await c.achat(MODEL, user("Hello"), headers={
            "X-Mock-Scenario": "fail-first=2;status=503",
            "X-Mock-Key": fresh_key()})
    with c:
        r = run(main())
    assert r.text == "Hello"
    assert [(a.attempt, a.status, a.http_status) for a in seen] == \
        [(1, "E_OVERLOADED", 503), (2, "E_OVERLOADED", 503), (3, "OK", 200)]
    assert all(a.future is seen[0].future for a in seen)
    assert [a.why for a in seen] == ["backoff", "backoff", "ok"]
    assert all(0 <= a.delay <= 0.2 for a in seen[:2]) and seen[2].delay is None
    assert isinstance(seen[0], llmio.AttemptInfo)


def test_retry_exhausted_error_carries_attempts(client):
    client.set_retry(max_attempts=2, base_delay=0.01, max_delay=0.02)
    assert client.retry["max_attempts"] == 2
    with pytest.raises(llmio.ServerError) as ei:
        client.chat(MODEL, user("x"), headers={
            "X-Mock-Scenario": "fail-first=5;status=500",
            "X-Mock-Key": fresh_key()})
    assert ei.value.attempts == 2 and ei.value.http_status == 500


def test_retry_after_honoured_and_too_long_hint_reported(mock):
    seen = []
    c = llmio.Client(api_key=SECRET, base_url=mock, on_attempt=seen.append,
                     max_retry_after=1)
    t0 = time.monotonic()
    r = c.chat(MODEL, user("after"), headers={
        "X-Mock-Scenario": "fail-first=1;status=429;retry-after-ms=300",
        "X-Mock-Key": fresh_key()})
    assert r.text == "after" and time.monotonic() - t0 >= 0.29
    assert seen[0].why == "retry-after-ms" and seen[0].delay == 0.3
    # a hint above max_retry_after is not waited out: typed error at once
    t0 = time.monotonic()
    with pytest.raises(llmio.RateLimitError) as ei:
        c.chat(MODEL, user("x"), headers={
            "X-Mock-Scenario": "fail-first=1;status=429;retry-after=30",
            "X-Mock-Key": fresh_key()})
    assert time.monotonic() - t0 < 5
    assert ei.value.retry_after == 30.0 and ei.value.attempts == 1
    c.close()


def test_on_attempt_exception_does_not_break_request(mock, monkeypatch):
    import sys
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    def bad(info):
        raise RuntimeError("hook failed")
    c = llmio.Client(api_key=SECRET, base_url=mock, on_attempt=bad)
    assert c.chat(MODEL, user("still fine")).text == "still fine"
    assert [str(u.exc_value) for u in reported] == ["hook failed"]
    c.on_attempt = None
    assert c.on_attempt is None
    c.close()


# -------------------------------------------------------------- AbstractLLM


def test_abstractllm_generate_async_prompt_and_system(private_mock):
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url)

    async def main():
        r = await c.achat("openai/gpt-4", "Explain quantum computing briefly.")
        r2 = await c.achat("openai/gpt-4", "Explain neural networks.",
                           system="You are terse.")
        prompts = ["Write a haiku about mountains.", "Explain rockets.",
                   "A short joke about programming."]
        rs = await asyncio.gather(*(c.achat("openai/gpt-4", p) for p in prompts))
        return r, r2, prompts, rs
    with c:
        r, r2, prompts, rs = run(main())
    assert r.text == "Explain quantum computing briefly."
    assert [x.text for x in rs] == prompts
    b = private_mock.bodies()
    assert b[0]["messages"] == [{"role": "user",
                                 "content": "Explain quantum computing briefly."}]
    assert b[1]["messages"][0] == {"role": "system", "content": "You are terse."}


def test_abstractllm_async_session(private_mock):
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url)

    async def main():
        s = llmio.Session(c, "openai/gpt-4",
                          system="You are a helpful assistant.")
        s.add_message("user", "Tell me about black holes.")
        r1 = await s.achat()
        s.add_message("user", "How do they affect time?")
        r2 = await s.achat()
        return s, r1, r2
    with c:
        s, r1, r2 = run(main())
    assert r1.text == "Tell me about black holes."
    assert r2.text == "How do they affect time?"
    assert [m["role"] for m in s.messages] == \
        ["system", "user", "assistant", "user", "assistant"]
    assert len(private_mock.bodies()[1]["messages"]) == 4


def get_weather(location: str) -> str:
    """Get the current weather for a location."""
    return f"The weather in {location} is currently sunny and 72F."


def test_abstractllm_session_runs_python_tools(private_mock):
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url)
    sc = scenario('tool=get_weather:{"location":"San Francisco"}')

    async def main():
        s = llmio.Session(c, "openai/gpt-4", tools=[get_weather],
                          system="You can check the weather.")
        r = await s.achat("What's the weather like in San Francisco?",
                          headers=sc)
        return s, r
    with c:
        s, r = run(main())
    assert r.text == get_weather("San Francisco")
    assert [m["role"] for m in s.messages] == \
        ["system", "user", "assistant", "tool", "assistant"]
    first = private_mock.bodies()[0]
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert first["tools"][0]["function"]["parameters"] == {
        "type": "object", "properties": {"location": {"type": "string"}},
        "required": ["location"]}
    assert first["tools"][0]["function"]["description"].startswith("Get the")


def test_abstractllm_stream_providers_and_error_base_class(mock):
    root = mock[:-len("/v1")]
    c = llmio.Client(api_key={"openai": SECRET, "anthropic": "sk-ant-x",
                              "gemini": "g-key"},
                     base_url={"openai": mock, "anthropic": root,
                               "gemini": root + "/v1beta", "ollama": root})

    async def stream_async(model):
        out = ""
        async for d in c.astream(model, "A short story about a space explorer.",
                                 max_tokens=50):
            out += d.text if d.kind == "text" else ""
        return out

    async def main():
        models = ["openai/gpt-4", "anthropic/claude-3-opus-20240229",
                  "gemini/gemini-2.0-flash", "ollama/llama3"]
        outs = await asyncio.gather(*(stream_async(m) for m in models))
        try:
            await c.achat("openai/gpt-4", "x", headers=scenario("status=500"),
                          timeout=5)
        except llmio.Error as e:  # AbstractLLMError -> llmio.Error
            err = e
        return outs, err
    with c:
        outs, err = run(main())
    assert outs == ["A short story about a space explorer."] * 4
    assert err.http_status == 500 and err.attempts >= 1


def test_abstractllm_connection_pooling(private_mock):
    """One client = one connection pool shared by every request."""
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url)

    async def main():
        for _ in range(4):
            await asyncio.gather(*(c.achat("openai/gpt-4", f"Prompt {i}")
                                   for i in range(5)))
    with c:
        run(main())
    st = private_mock.stats()
    assert st["requests"] == 20
    assert st["accepted"] <= 5 + 1, st  # +1: this stats request


# ---------------------------------------------------------------- Mirascope


def test_mirascope_prompt_functions_parallel(client):
    async def summarize_movie(genre):
        return await client.achat("openai/gpt-4o-mini",
                                  f"Summarize the plot of a {genre} movie")

    async def main():
        genres = ["action", "comedy", "drama", "sci-fi"]
        results = await asyncio.gather(*(summarize_movie(g) for g in genres))
        return genres, results
    genres, results = run(main())
    assert [r.text for r in results] == \
        [f"Summarize the plot of a {g} movie" for g in genres]


def test_mirascope_async_tool_call(client):
    async def format_book(title: str, author: str) -> str:
        await asyncio.sleep(0.01)  # an async API call
        return f"{title} by {author}"
    tools = [llmio.function_tool(format_book)]

    async def main():
        r = await client.achat(
            "openai/gpt-4o-mini", "Recommend a fantasy book", tools=tools,
            headers=scenario('tool=format_book:{"title":"Dune",'
                             '"author":"Frank Herbert"}'))
        if r.tool_calls and r.tool_calls[0].name == "format_book":
            return await format_book(**r.tool_calls[0].json())
        return r.text
    assert run(main()) == "Dune by Frank Herbert"
    # the Session runs async tool functions by itself
    s = llmio.Session(client, MODEL, tools=[format_book])
    r = run(s.achat("Recommend a fantasy book", headers=scenario(
        'tool=format_book:{"title":"Dune","author":"Frank Herbert"}')))
    assert r.text == "Dune by Frank Herbert"


def test_structured_output_json_schema(private_mock):
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url)
    schema = {"type": "object", "properties": {
        "title": {"type": "string"}, "author": {"type": "string"}},
        "required": ["title", "author"]}
    book = {"title": "Dune", "author": "Frank Herbert"}

    async def main():
        return await c.achat(
            MODEL, "Recommend a fantasy book",
            response_format={"type": "json_schema", "json_schema": {
                "name": "book", "schema": schema, "strict": True}},
            headers=scenario("text=" + json.dumps(book, separators=(",", ":"))))
    with c:
        r = run(main())
    assert json.loads(r.text) == book
    sent = private_mock.bodies()[0]["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["schema"] == schema
    assert sent["json_schema"]["strict"] is True


def test_mirascope_error_handling_and_timeout(client):
    async def main():
        try:
            await client.achat(MODEL, "Explain quantum computing",
                               headers=scenario("status=502;html"))
        except llmio.Error as e:  # openai.APIError -> llmio.Error
            api_error = e
        t0 = time.monotonic()
        with pytest.raises(llmio.TimeoutError):
            await client.achat(MODEL, "slow", timeout=0.3,
                               headers=scenario("ttft=5000"))
        return api_error, time.monotonic() - t0
    e, waited = run(main())
    assert e.http_status == 502 and "<html" not in str(e).lower()[:40]
    assert waited < 3


# ------------------------------------------------------- langchain-maritaca


def test_maritaca_ainvoke_astream_abatch(client):
    async def main():
        r = await client.achat(MODEL, "Hello!")
        chunks = [d.text async for d in client.astream(MODEL, "Tell a story.")
                  if d.kind == "text"]
        questions = [[{"role": "user", "content": "What is 2+2?"}],
                     [{"role": "user", "content": "Capital of Brazil?"}]]
        rs = await client.abatch(questions, model=MODEL)
        return r, chunks, rs
    r, chunks, rs = run(main())
    assert r.text == "Hello!" and "".join(chunks) == "Tell a story."
    assert [x.text for x in rs] == ["What is 2+2?", "Capital of Brazil?"]
    # sync batch
    assert [x.text for x in client.batch(["a", "b"], model=MODEL)] == ["a", "b"]


def test_batch_input_order_errors_in_place_and_concurrency(private_mock):
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url)
    reqs = [{"model": MODEL, "messages": user(f"q{i}"),
             "headers": scenario("status=500;should-retry=false" if i % 7 == 3
                                 else f"ttft={(50 - i) * 3}")}
            for i in range(50)]

    async def main():
        t0 = time.monotonic()
        out = await c.abatch(reqs, concurrency=8)
        order = [i async for i, _ in c.as_completed(reqs[:10], concurrency=3)]
        with pytest.raises(llmio.ServerError):
            await c.abatch(reqs[:5], concurrency=2, return_exceptions=False)
        return out, order, time.monotonic() - t0
    with c:
        out, order, _ = run(main())
        assert c.pending == 0
    for i, r in enumerate(out):
        if i % 7 == 3:
            assert isinstance(r, llmio.ServerError)
        else:
            assert r.text == f"q{i}"
    assert sorted(order) == list(range(10))
    # the mock never saw more than 8 (+ the stats request) connections
    assert private_mock.stats()["peak_connections"] <= 8 + 1


def test_as_completed_break_cancels_the_rest(client):
    async def main():
        reqs = [user("fast")] + [user("slow")] * 5
        hdr = [None] + [scenario("ttft=5000")] * 5
        items = [{"messages": m, "headers": h} for m, h in zip(reqs, hdr)]
        t0 = time.monotonic()
        async for i, r in client.as_completed(items, model=MODEL):
            assert i == 0 and r.text == "fast"
            break
        for _ in range(300):
            if client.pending == 0:
                break
            await asyncio.sleep(0.01)
        return time.monotonic() - t0
    assert run(main()) < 3
    assert client.pending == 0


def test_maritaca_errors_timeout_and_chat_session(client):
    async def safe_invoke(message, **kw):
        try:
            return (await client.achat(MODEL, message, **kw)).text
        except llmio.TimeoutError:  # httpx.TimeoutException
            return "Timeout"
        except llmio.Error as e:  # httpx.HTTPStatusError
            return f"HTTP error: {e.http_status}"

    class AsyncChatSession:
        def __init__(self):
            self.session = llmio.Session(client, MODEL)

        async def __aenter__(self):
            return self

        async def __aexit__(self, *args):
            self.session.clear()

        async def chat(self, message):
            return (await self.session.achat(message)).text

    async def main():
        a = await safe_invoke("Hello!", headers=scenario("status=503;"
                                                         "should-retry=false"))
        b = await safe_invoke("Hello!", idle_timeout=0.2,
                              headers=scenario("stall-after-events=0"))
        async with AsyncChatSession() as s:
            replies = [await s.chat("Hello!"), await s.chat("How are you?")]
            n = len(s.session.messages)
        return a, b, replies, n, s.session.messages
    a, b, replies, n, after = run(main())
    assert a == "HTTP error: 503" and b == "Timeout"
    assert replies == ["Hello!", "How are you?"] and n == 4 and after == []


def test_session_astream_appends_reply(client):
    s = llmio.Session(client, MODEL, system="be brief")

    async def main():
        return "".join([d.text async for d in s.astream("stream me")
                        if d.kind == "text"])
    assert run(main()) == "stream me"
    assert s.messages[-1] == {"role": "assistant", "content": "stream me"}
    assert s.chat("sync turn").text == "sync turn"
    assert len(s.messages) == 5


# ------------------------------------------------------------ runtime


def test_gil_released_while_waiting(client):
    """Another Python thread keeps running while chat() waits in C."""
    ticks = 0
    stop = threading.Event()

    def spin():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)
    t = threading.Thread(target=spin)
    t.start()
    try:
        client.chat(MODEL, user("x"), headers=scenario("ttft=400"))
    finally:
        stop.set()
        t.join()
    assert ticks > 50, ticks


def test_import_is_light():
    import os
    import subprocess
    import sys
    from conftest import ROOT
    code = ("import sys, time; t = time.perf_counter(); import llmio; "
            "dt = (time.perf_counter() - t) * 1000; "
            "print(round(dt, 2), 'asyncio' in sys.modules, "
            "'inspect' in sys.modules or 'llmio._extras' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "build" / "python"))
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, check=True)
    ms, has_asyncio, has_inspect = out.stdout.split()
    print(f"import llmio: {ms} ms")
    assert has_asyncio == "False" and has_inspect == "False"
    assert float(ms) < 500  # ~15-30 ms here; generous for a busy machine


def test_maritaca_and_azure_model_strings(private_mock):
    """langchain-maritaca's ChatMaritaca: the maritaca/ provider row; Azure
    OpenAI deployments: azure/<deployment> with its api_version option."""
    root = private_mock.root
    c = llmio.Client(api_key={"maritaca": SECRET, "azure": SECRET},
                     base_url={"maritaca": private_mock.url, "azure": root},
                     provider_options={"azure": {
                         "api_version": "2025-01-01-preview"}})

    async def main():
        a = await c.achat("maritaca/sabia-3", "Olá!")
        b = await c.achat("azure/gpt4o-prod", "hello azure")
        s = "".join([d.text async for d in c.astream("maritaca/sabia-3",
                                                     "Conte uma história.")
                     if d.kind == "text"])
        return a, b, s
    with c:
        a, b, s = run(main())
    assert (a.text, b.text, s) == ("Olá!", "hello azure", "Conte uma história.")
    e = private_mock.entries()
    assert e[0]["path"] == "/v1/chat/completions"
    assert e[0]["body"]["model"] == "sabia-3"
    assert e[1]["path"] == "/openai/deployments/gpt4o-prod/chat/completions"
    assert e[1]["query"] == "api-version=2025-01-01-preview"
    assert e[1]["headers"]["api-key"] == "***"


def test_structured_output_other_providers(private_mock):
    """The same response_format on gemini/ and ollama/ (their own schema
    fields); anthropic/ has no JSON mode: a typed UnsupportedError."""
    root = private_mock.root
    c = llmio.Client(api_key={"anthropic": "sk-ant", "gemini": "g-key"},
                     base_url={"anthropic": root, "gemini": root + "/v1beta",
                               "ollama": root})
    schema = {"type": "object", "properties": {"title": {"type": "string"}},
              "required": ["title"]}
    rf = {"type": "json_schema", "json_schema": {"name": "b", "schema": schema}}
    sc = scenario('text={"title":"Dune"}')
    with c:
        for m in ("gemini/gemini-2.0-flash", "ollama/llama3"):
            r = c.chat(m, "book?", response_format=rf, headers=sc)
            assert json.loads(r.text) == {"title": "Dune"}
        with pytest.raises(llmio.UnsupportedError, match="response_format"):
            c.chat("anthropic/claude-3-5-haiku-latest", "book?",
                   response_format=rf, max_tokens=20)
    gem, oll = private_mock.bodies()
    assert gem["generationConfig"]["responseJsonSchema"] == schema
    assert gem["generationConfig"]["responseMimeType"] == "application/json"
    assert oll["format"] == schema


def test_gemini3_tool_round_trip_keeps_thought_signature(mock):
    """Gemini 3 signs its function calls and rejects a history without the
    signature: ToolCall.signature / to_dict() / r.message() carry it."""
    root = mock[:-len("/v1")]
    c = llmio.Client(api_key={"gemini": "g-key"},
                     base_url={"gemini": root + "/v1beta"})
    model = "gemini/gemini-3-pro-preview"
    sc = scenario('tool=get_weather:{"location":"Lisbon"}')
    with c:
        s = llmio.Session(c, model, tools=[get_weather])
        r = s.chat("Weather in Lisbon?", headers=sc)
        assert get_weather("Lisbon") in r.text  # gemini echoes {"result": ...}
        call = s.messages[1]["tool_calls"][0]
        assert call["signature"]
        # streamed: the signature arrives on a fragment and in the response
        st = c.stream(model, "Weather?", tools=[llmio.function_tool(
            get_weather)], headers=sc)
        sigs = [d.signature for d in st if d.kind == "tool_call" and
                d.signature]
        assert sigs and st.response.tool_calls[0].signature == sigs[0]
        # without the signature the mock answers like Gemini 3: 400
        bad = [m if m["role"] != "assistant" else
               {**m, "tool_calls": [{k: v for k, v in tc.items()
                                     if k != "signature"}
                                    for tc in m["tool_calls"]]}
               for m in s.messages[:3]]
        with pytest.raises(llmio.BadRequestError):
            c.chat(model, bad, headers=sc)
