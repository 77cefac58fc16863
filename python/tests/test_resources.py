"""Memory and reference behaviour of the newer Python-level features:
async requests, batches, sessions and the on_attempt hook."""
import asyncio
import gc
import time
import weakref

import llmio
from conftest import MODEL, RSS_CHECKS, SECRET, rss_kb, user


def test_on_attempt_cycle_is_collected(mock):
    c = llmio.Client(api_key=SECRET, base_url=mock)
    c.on_attempt = lambda info, c=c: c  # client -> hook -> client
    assert c.chat(MODEL, user("x")).text == "x"
    ref = weakref.ref(c)
    del c
    gc.collect()
    assert ref() is None


def test_attempt_info_future_does_not_keep_request_alive(mock):
    infos = []
    c = llmio.Client(api_key=SECRET, base_url=mock, on_attempt=infos.append)
    c.chat(MODEL, user("x"))
    f = infos[0].future
    assert f.status == "OK"
    ref = weakref.ref(f)
    del f
    infos.clear()
    gc.collect()
    assert ref() is None
    c.close()


def test_async_memory_flat_over_10k_requests(mock):
    """10k achat/astream/abatch requests on one loop: RSS stays flat."""
    c = llmio.Client(api_key=SECRET, base_url=mock)
    s = llmio.Session(c, MODEL, system="s")

    async def wave(n):
        rs = await asyncio.gather(*(c.achat(MODEL, f"m{i}") for i in range(n)))
        assert rs[-1].text == f"m{n - 1}"
        out = await c.abatch([f"b{i}" for i in range(n)], model=MODEL,
                             concurrency=16)
        assert out[0].text == "b0"
        text = "".join([d.text async for d in c.astream(MODEL, "st")
                        if d.kind == "text"])
        assert text == "st"
        await s.achat("turn")
        s.clear()

    async def main(rounds):
        for _ in range(rounds):
            await wave(100)
    asyncio.run(main(5))
    gc.collect()
    before = rss_kb()
    asyncio.run(main(50))  # 50 * (100 + 100 + 2) = 10,100 requests
    gc.collect()
    grown = rss_kb() - before
    print(f"RSS growth over 10k async requests: {grown} kB")
    assert grown < 8000 or not RSS_CHECKS
    assert c.pending == 0
    c.close()


def test_client_headers_provider_options_and_keys_on_the_wire(private_mock):
    """Client-wide settings reach the wire; secrets are masked in the log."""
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url,
                     headers={"X-App": "seeds", "X-Trace": "1"},
                     provider_options={"openai": {"organization": "org-1",
                                                  "project": "proj-2"}})
    c.chat(MODEL, user("x"), headers={"X-Trace": "2"})
    c.close()
    (e,) = private_mock.entries()
    h = e["headers"]
    assert h["x-app"] == "seeds" and h["x-trace"] == "2"
    assert h["openai-organization"] == "org-1"
    assert h["openai-project"] == "proj-2"
    assert h["authorization"] == "Bearer ***"


def test_batch_dropped_while_another_thread_drives_is_freed(mock):
    """A Batch dropped on one thread while another drives the client: its
    free (which cancels what is left) is deferred to the driving thread,
    as a future's is, not skipped. Skipped, the C batch was never freed:
    it ran on to the end and its memory stayed."""
    import threading
    c = llmio.Client(api_key=SECRET, base_url=mock)
    slow = {"headers": {"X-Mock-Scenario": "ttft=5000"}}
    for _ in range(3):
        bs = [c._batch([(MODEL, user("x"), slow)] * 2, 2, False, None, None)
              for _ in range(5)]
        c.step()  # the items are sent
        assert c.pending == 10
        f = c.submit(MODEL, user("s"), headers={"X-Mock-Scenario":
                                                "ttft=300"})
        t = threading.Thread(target=f.result)
        t.start()
        time.sleep(0.1)  # t is inside the wait now, the GIL released
        bs.clear()  # the batches' dealloc runs here, not on thread t
        gc.collect()
        t.join()
        # t freed them, which cancelled their items, when it left its wait
        c.run(1)
        assert c.pending == 0
    c.close()
