"""Client.batch / abatch / as_completed over the C batch (llmio_batch)."""
import asyncio
import gc
import time
import weakref

import pytest

import llmio
from conftest import MODEL, RSS_CHECKS, SECRET, rss_kb, scenario, user


def test_sync_batch_order_errors_and_bad_items(client):
    reqs = [{"messages": user(f"q{i}")} for i in range(30)]
    reqs[4] = {"messages": [{"role": "wizard", "content": "x"}]}
    reqs[9] = {"messages": user("x"),
               "headers": scenario("status=404")}
    reqs[12] = {"messages": user("x"), "bogus_option": 1}
    out = client.batch(reqs, model=MODEL, concurrency=4)
    for i, r in enumerate(out):
        if i == 4:
            assert isinstance(r, llmio.InvalidError)
            assert "messages[0].role" in str(r)
        elif i == 9:
            assert isinstance(r, llmio.Error) and r.http_status == 404
        elif i == 12:
            assert isinstance(r, llmio.Error) and "bogus_option" in str(r)
        else:
            assert r.text == f"q{i}", (i, r)
    assert client.batch([], model=MODEL) == []


def test_return_exceptions_false_raises_first_and_cancels_rest(client):
    reqs = [{"messages": user("bad"), "headers": scenario("status=400")}] + \
        [{"messages": user("slow"), "headers": scenario("ttft=5000")}] * 5
    t0 = time.monotonic()
    with pytest.raises(llmio.BadRequestError):
        client.batch(reqs, model=MODEL, concurrency=2,
                     return_exceptions=False)
    assert time.monotonic() - t0 < 3
    assert client.pending == 0


def test_ordered_as_completed_yields_input_order(client):
    # later items finish first; ordered=True still yields 0, 1, 2, ...
    reqs = [{"messages": user(f"o{i}"),
             "headers": scenario(f"ttft={(10 - i) * 30}")} for i in range(10)]

    async def main():
        plain = [i async for i, _ in client.as_completed(reqs, model=MODEL)]
        ordered = [(i, r.text) async for i, r in
                   client.as_completed(reqs, model=MODEL, ordered=True)]
        return plain, ordered
    plain, ordered = asyncio.run(main())
    assert sorted(plain) == list(range(10)) and plain != list(range(10))
    assert ordered == [(i, f"o{i}") for i in range(10)]


def test_cancelling_the_task_cancels_the_whole_batch(client):
    async def main():
        reqs = [user("slow")] * 50
        task = asyncio.ensure_future(client.abatch(
            reqs, model=MODEL, concurrency=10,
            headers=scenario("ttft=5000")))
        await asyncio.sleep(0.2)
        assert client.pending == 10
        t0 = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(300):
            if client.pending == 0:
                break
            await asyncio.sleep(0.01)
        return time.monotonic() - t0
    assert asyncio.run(main()) < 2
    assert client.pending == 0


def test_exactly_once_under_faults(mock):
    """2,000 items, one in five faulted (429, 500, 503, reset, stall):
    every index reported once, transient faults retried to success."""
    c = llmio.Client(api_key=SECRET, base_url=mock, retry_base_delay=0.01,
                     retry_max_delay=0.05, idle_timeout=0.5)
    faults = ["fail-first=1;status=429;retry-after-ms=10",
              "fail-first=1;status=500", "fail-first=1;status=503",
              "fail-first=1;reset", "stall-after-events=0;should-retry=false"]
    reqs = []
    for i in range(2000):
        h = {"X-Mock-Key": f"eo-{time.time_ns()}-{i}"}
        if i % 5 == 0:
            h["X-Mock-Scenario"] = faults[(i // 5) % len(faults)]
        reqs.append({"messages": user(f"m{i}"), "headers": h})
    seen = []

    async def main():
        async for i, r in c.as_completed(reqs, model=MODEL, concurrency=64):
            seen.append((i, r))
    asyncio.run(main())
    assert sorted(i for i, _ in seen) == list(range(2000))
    for i, r in seen:
        stalled = i % 5 == 0 and (i // 5) % len(faults) == 4
        if stalled:
            assert isinstance(r, llmio.TimeoutError), (i, r)
        else:
            assert r.text == f"m{i}", (i, r)
    assert c.pending == 0
    c.close()


def test_batch_object_freed_while_its_results_live(client):
    """Each result owns its C future (detached from the batch), so the
    batch goes as soon as it is done (results dropped free their futures:
    see the generator memory test)."""
    refs = []
    orig = client._batch

    def spy(*a):
        b = orig(*a)
        refs.append(weakref.ref(b))
        return b
    client._batch = spy
    out = client.batch(["a", "b"], model=MODEL)
    gc.collect()
    assert refs[0]() is None
    assert [r.text for r in out] == ["a", "b"]
    assert out[1].to_dict()["choices"][0]["message"]["content"] == "b"


def test_batch_progress_and_closed_client(mock):
    c = llmio.Client(api_key=SECRET, base_url=mock)
    done = []
    b = c._batch([(MODEL, user(f"p{i}"), {}) for i in range(5)], 2, False,
                 lambda i, r: done.append(i), None)
    assert b.wait(10) and b.done
    p = b.progress()
    assert p == {"total": 5, "taken": 5, "reported": 5, "ok": 5, "failed": 0,
                 "in_flight": 0}
    assert sorted(done) == list(range(5))
    with pytest.raises(llmio.InvalidError, match="concurrency"):
        c._batch([(MODEL, "x", {})], 0 - 1 + 2_000_000, False, None, None)
    # closing the client reports every item (cancelled)
    got = []
    b = c._batch([(MODEL, "x", {"headers": scenario("ttft=5000")})] * 3, 3,
                 False, lambda i, r: got.append(type(r)), None)
    c.step()
    c.close()
    assert got == [llmio.CancelledError] * 3 and b.done
    # dropping a running batch cancels it (no callback reaches Python)
    c2 = llmio.Client(api_key=SECRET, base_url=mock)
    b = c2._batch([(MODEL, "x", {"headers": scenario("ttft=5000")})] * 3, 3,
                  False, lambda i, r: got.append(i), None)
    c2.step()
    assert c2.pending == 3
    del b
    gc.collect()
    c2.run(5)
    assert c2.pending == 0 and len(got) == 3
    c2.close()
    with pytest.raises(llmio.StateError):
        c.batch(["x"], model=MODEL)


def test_generator_is_pulled_lazily_and_memory_stays_bounded(client):
    """2,000 prompts of 64 kB from a generator (128 MB if materialised):
    items are pulled only as slots free up, so at most CONCURRENCY exist
    at once and RSS grows by far less than the prompts' total."""
    n, size, conc = 2000, 64 * 1024, 16
    live = {"pulled": 0, "max_ahead": 0}
    seen = []

    def prompts():
        for i in range(n):
            live["pulled"] += 1
            live["max_ahead"] = max(live["max_ahead"],
                                    live["pulled"] - len(seen))
            yield {"messages": user(f"{i:05d}" + "p" * size)}

    client.batch(["warm"] * 50, model=MODEL, concurrency=conc)
    gc.collect()
    before = rss_kb()

    async def main():
        async for i, r in client.as_completed(
                prompts(), model=MODEL, concurrency=conc,
                headers=scenario("text=ok")):
            seen.append(i)
    asyncio.run(main())
    grown = rss_kb() - before
    print(f"RSS growth over a 2000 x 64 kB generator: {grown} kB")
    assert sorted(seen) == list(range(n))
    # 128 MB materialised; ~14 MB with every item's future kept in C
    assert grown < 10_000 or not RSS_CHECKS
    # pulled ahead of what was consumed: the slots in flight, plus what
    # one loop turn reported before the consumer ran
    assert live["max_ahead"] <= 4 * conc, live
    # batch(): input order from a generator too
    out = client.batch((f"g{i}" for i in range(300)), model=MODEL,
                       concurrency=conc)
    assert [r.text for r in out] == [f"g{i}" for i in range(300)]
    assert client.pending == 0


def test_generator_exception_surfaces_and_cancels_the_rest(client):
    def gen(k, slow=False):
        for i in range(k):
            yield {"messages": user(f"i{i}"),
                   "headers": scenario("ttft=5000" if slow else "ttft=0")}
        raise ValueError("the prompt source broke")

    t0 = time.monotonic()
    with pytest.raises(ValueError, match="prompt source broke") as ei:
        client.batch(gen(4, slow=True), model=MODEL, concurrency=8)
    assert time.monotonic() - t0 < 3  # in-flight items were cancelled
    assert any(f.name == "gen" for f in
               __import__("traceback").extract_tb(ei.value.__traceback__))
    assert client.pending == 0
    with pytest.raises(ValueError):
        client.batch(gen(0), model=MODEL)

    async def main():
        with pytest.raises(ValueError, match="prompt source broke"):
            await client.abatch(gen(3), model=MODEL, concurrency=2)
        got = []
        with pytest.raises(ValueError, match="prompt source broke"):
            async for i, r in client.as_completed(gen(6, slow=True),
                                                  model=MODEL, concurrency=3):
                got.append(i)
        assert client.pending == 0
    asyncio.run(main())
    assert client.pending == 0


def test_bad_generator_items_fail_in_their_own_slot(client):
    def gen():
        yield "fine"
        yield {"messages": user("no model")}         # dict without model
        yield {"model": MODEL, "messages": user("m")}
        yield 42                                       # not messages
        yield {"model": MODEL, "messages": [{"role": "wizard"}]}
        yield "last"
    out = client.batch(gen(), concurrency=2)
    assert isinstance(out[0], llmio.InvalidError)     # no model=... given
    assert "without a model" in str(out[1])
    assert isinstance(out[1], llmio.InvalidError)
    assert out[2].text == "m"
    assert isinstance(out[3], llmio.InvalidError)
    assert isinstance(out[4], llmio.InvalidError) and "role" in str(out[4])
    assert isinstance(out[5], llmio.InvalidError)
    out = client.batch(gen(), model=MODEL, concurrency=2)
    assert [type(r).__name__ for r in out] == [
        "Response", "Response", "Response", "InvalidError", "InvalidError",
        "Response"]


def test_on_attempt_of_a_batch_item_has_no_future(mock):
    """A batch item's C user pointer is the batch's, not a Future's: the
    hook gets future=None for it (it used to get the Batch object)."""
    infos = []
    c = llmio.Client(api_key=SECRET, base_url=mock, on_attempt=infos.append)
    out = c.batch(["a", "b"], model=MODEL)
    assert [r.text for r in out] == ["a", "b"]
    assert len(infos) == 2
    assert all(i.future is None and i.status == "OK" for i in infos)
    f = c.submit(MODEL, user("x"))
    f.result()
    assert infos[-1].future is f
    c.close()
