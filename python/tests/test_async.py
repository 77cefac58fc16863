import asyncio
import gc
import time

import pytest

import llmio
from conftest import MODEL, scenario, user


def run(coro):
    return asyncio.run(coro)


def test_achat(client):
    async def main():
        return await client.achat(MODEL, user("async hello"))
    r = run(main())
    assert r.text == "async hello"
    assert client.pending == 0


def test_gather_200(client):
    done = []

    async def one(i):
        r = await client.achat(MODEL, user(f"req {i}"))
        done.append(i)
        return r.text

    async def main():
        return await asyncio.gather(*(one(i) for i in range(200)))
    texts = run(main())
    assert texts == [f"req {i}" for i in range(200)]
    assert sorted(done) == list(range(200))
    assert client.pending == 0


def test_gather_with_faults(client):
    def hdr(i):
        if i % 5 == 1:
            return scenario("status=429;retry-after=3;should-retry=false")
        if i % 5 == 3:
            return scenario("status=500;should-retry=false")
        return None

    async def main():
        return await asyncio.gather(
            *(client.achat(MODEL, user(f"m{i}"), headers=hdr(i))
              for i in range(20)),
            return_exceptions=True)
    out = run(main())
    for i, r in enumerate(out):
        if i % 5 == 1:
            assert isinstance(r, llmio.RateLimitError), r
            assert r.http_status == 429 and r.retry_after == 3.0
            assert r.request_id
        elif i % 5 == 3:
            assert isinstance(r, llmio.ServerError), r
            assert r.http_status == 500
        else:
            assert r.text == f"m{i}"


def assemble(deltas):
    text, calls = "", {}
    for d in deltas:
        if d.kind == "text":
            text += d.text
        elif d.kind == "tool_call":
            c = calls.setdefault(d.tool_index, {"id": None, "name": None,
                                                "arguments": ""})
            if d.tool_id:
                c["id"] = d.tool_id
            if d.tool_name:
                c["name"] = d.tool_name
            c["arguments"] += d.text or ""
    return text, [calls[k] for k in sorted(calls)]


def test_astream_text_and_tools_match_non_stream(client):
    tools = [{"type": "function", "function": {"name": "get_weather",
                                               "parameters": {"type": "object"}}}]
    tool_sc = scenario('tool=get_weather:{"city":"Lisbon","days":[1,2,3]};'
                       'tool=get_weather:{"city":"Porto"}')

    async def main():
        out = []
        for kw in ({}, {"tools": tools, "headers": tool_sc}):
            ref = await client.achat(MODEL, user("the quick brown fox"), **kw)
            s = client.astream(MODEL, user("the quick brown fox"), **kw)
            deltas = [d async for d in s]
            out.append((ref, deltas, s.response))
        return out
    (ref, deltas, resp), (tref, tdeltas, tresp) = run(main())
    text, _ = assemble(deltas)
    assert text == ref.text == resp.text == "the quick brown fox"
    assert deltas[-1].kind == "usage" and deltas[-1].usage.total_tokens > 0
    _, calls = assemble(tdeltas)
    want = [{"id": c.id, "name": c.name, "arguments": c.arguments}
            for c in tref.tool_calls]
    assert len(want) == 2
    # ids are per request (call_mockN_I): compare shape and arguments
    assert [(c["name"], c["arguments"]) for c in calls] == \
        [(c["name"], c["arguments"]) for c in want]
    assert [(c.name, c.arguments) for c in tresp.tool_calls] == \
        [(c["name"], c["arguments"]) for c in want]
    assert [c["id"] for c in calls] == [c.id for c in tresp.tool_calls]
    assert tresp.finish_reason == "tool_calls"


def test_async_timeout(client):
    async def main():
        t0 = time.monotonic()
        with pytest.raises(llmio.TimeoutError):
            await client.achat(MODEL, user("a b c"), idle_timeout=0.3,
                               headers=scenario("stall-after-events=0"))
        assert time.monotonic() - t0 < 5
        # asyncio.wait_for around achat cancels the C request
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(
                client.achat(MODEL, user("x"), headers=scenario("ttft=5000")),
                0.2)
        for _ in range(300):
            if client.pending == 0:
                break
            await asyncio.sleep(0.01)
        assert client.pending == 0
    run(main())


def test_cancel_task_cancels_c_future(client):
    async def main():
        task = asyncio.ensure_future(
            client.achat(MODEL, user("x"), headers=scenario("ttft=5000")))
        await asyncio.sleep(0.1)
        assert client.pending == 1
        t0 = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(300):
            if client.pending == 0:
                break
            await asyncio.sleep(0.01)
        assert client.pending == 0
        assert time.monotonic() - t0 < 3  # ttft is 5 s
    run(main())


def test_exception_in_async_iteration_stops_stream(client):
    async def main():
        n = 0
        with pytest.raises(RuntimeError, match="consumer failed"):
            async for d in client.astream(MODEL, user("x"),
                                          headers=scenario("lorem=300;tps=100")):
                if d.kind == "text":
                    n += 1
                    if n == 2:
                        raise RuntimeError("consumer failed")
        gc.collect()
        for _ in range(300):
            if client.pending == 0:
                break
            await asyncio.sleep(0.01)
        assert client.pending == 0
    run(main())


def test_astream_error_mid_stream(client):
    async def main():
        got = []
        with pytest.raises(llmio.Error) as ei:
            async for d in client.astream(
                    MODEL, user("a b c d e f"),
                    headers=scenario("error-after-events=2")):
                got.append(d)
        return got, ei.value
    got, e = run(main())
    assert sum(d.kind == "text" for d in got) == 2
    assert e.status in ("E_SERVER", "E_PROTOCOL", "E_HTTP")


def test_semaphore_pattern_and_new_loops(client):
    sem_limit = 10

    async def main():
        sem = asyncio.Semaphore(sem_limit)

        async def one(i):
            async with sem:
                return (await client.achat(MODEL, user(f"s{i}"))).text
        return await asyncio.gather(*(one(i) for i in range(50)))
    # the same client on two successive loops
    assert run(main()) == [f"s{i}" for i in range(50)]
    assert run(main()) == [f"s{i}" for i in range(50)]


def test_acompletion_default_client(mock, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", mock)
    import threading
    llmio._local = threading.local()

    async def main():
        return await llmio.acompletion(MODEL, user("env hi"))
    assert run(main()).text == "env hi"
    assert llmio.completion(MODEL, user("sync env")).text == "sync env"


@pytest.mark.parametrize("model", ["anthropic/claude-3-5-haiku-latest",
                                   "gemini/gemini-2.0-flash",
                                   "ollama/llama3"])
def test_other_providers(mock, model):
    root = mock[:-len("/v1")]
    c = llmio.Client(
        api_key={"anthropic": "sk-ant-x", "gemini": "g-key"},
        base_url={"anthropic": root, "gemini": root + "/v1beta",
                  "ollama": root})

    async def main():
        async with c:
            r = await c.achat(model, user("hello provider"), max_tokens=20)
            s = c.astream(model, user("hello provider"), max_tokens=20)
            async with s:
                text = "".join([d.text async for d in s if d.kind == "text"])
            return r, text, s.response
    r, text, sr = run(main())
    assert r.text == text == sr.text == "hello provider"
    assert r.finish_reason == "stop" and r.usage.completion_tokens == 2
    assert c.closed
