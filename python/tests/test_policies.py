"""Engine policies bound from Python: rate limits (requests/tokens per
minute, shared budgets), per-request retry settings, stream restarts."""
import asyncio
import os
import time

import pytest

import llmio
from conftest import MODEL, SECRET, scenario, user


def key(tag):
    return f"{tag}-{time.time_ns()}"


def test_rate_limit_requests_per_minute(mock):
    """AbstractLLM's RateLimiter(calls_per_minute=...) as a client setting:
    RPM 120 lets a burst of 12 go at once, then 2 per second."""
    c = llmio.Client(api_key=SECRET, base_url=mock,
                     rate_limits={None: {"rpm": 120}})
    done = []

    async def one(i):
        r = await c.achat(MODEL, f"p{i}")
        done.append(time.monotonic())
        return r.text

    async def main():
        return await asyncio.gather(*(one(i) for i in range(16)))
    t0 = time.monotonic()
    assert asyncio.run(main()) == [f"p{i}" for i in range(16)]
    took = sorted(t - t0 for t in done)
    print("completion times:", [round(t, 2) for t in took])
    assert took[11] < 1.0          # the burst
    assert took[15] >= 1.4         # 4 more at 2/s
    c.close()


def test_rate_limit_scopes_per_model(mock):
    c = llmio.Client(api_key=SECRET, base_url=mock)
    c.set_rate_limit("openai/gpt-4o-mini", rpm=60)   # burst of 6, then 1/s
    t0 = time.monotonic()
    fs = [c.submit(MODEL, user("limited")) for _ in range(8)]
    other = [c.submit("openai/gpt-4o", user("free")) for _ in range(8)]
    for f in other:
        assert f.result(10).text == "free"
    assert time.monotonic() - t0 < 0.8  # not held behind the limited model
    assert [f.result(10).text for f in fs] == ["limited"] * 8
    assert time.monotonic() - t0 >= 1.0
    c.close()


def test_rate_limit_wait_past_deadline_fails_at_once(mock):
    c = llmio.Client(api_key=SECRET, base_url=mock, timeout=1,
                     rate_limits={"openai": (60, 0)})
    fs = [c.submit(MODEL, user("x")) for _ in range(10)]
    c.run(5)
    errs = [f.exception() for f in fs]
    assert errs[:6] == [None] * 6
    late = [e for e in errs[6:] if e is not None]
    assert late and all(isinstance(e, (llmio.RateLimitError,
                                       llmio.TimeoutError)) for e in late)
    assert any(isinstance(e, llmio.RateLimitError) and e.retry_after > 0
               for e in late)
    c.close()


def test_rate_pause_holds_key_unless_off(mock):
    """No limit set: a 429 (retry-after 1 s) holds its key, so requests
    submitted meanwhile wait for it; rate_pause=False sends them at once."""
    for pause in (True, False):
        c = llmio.Client(api_key=SECRET, base_url=mock, max_attempts=3,
                         retry_base_delay=0.05, rate_pause=pause)
        hit = []
        c.on_attempt = lambda a: hit.append(time.monotonic())
        k = key("pause")
        first = c.submit(MODEL, user("a"), headers=scenario(
            f"fail-first=1;status=429;retry-after=1;key={k}"))
        while not hit:
            c.run(0.01)
        rest = [c.submit(MODEL, user("b")) for _ in range(3)]
        for f in rest:
            assert f.result(10).text == "b"
        waited = time.monotonic() - hit[0]
        assert first.result(10).text == "a"
        if pause:
            assert waited >= 0.9
        else:
            assert waited < 0.8
        c.close()


def test_rate_limit_bad_values(mock):
    c = llmio.Client(api_key=SECRET, base_url=mock)
    with pytest.raises(llmio.InvalidError, match="scope 'nosuch'"):
        c.set_rate_limit("nosuch", rpm=1)
    with pytest.raises(llmio.InvalidError):
        c.set_rate_limit(rpm=-1)
    with pytest.raises(llmio.InvalidError, match="rate_limits"):
        llmio.Client(rate_limits={None: "fast"})
    c.close()


def test_shared_rate_limit_between_clients(mock):
    name = f"pytest-{os.getpid()}-{time.time_ns()}"
    a = llmio.Client(api_key=SECRET, base_url=mock)
    b = llmio.Client(api_key=SECRET, base_url=mock)
    try:
        try:
            a.set_shared_rate_limit(name, rpm=60)
        except llmio.UnsupportedError:
            pytest.skip("no POSIX shared memory here")
        b.set_shared_rate_limit(name, rpm=60)
        t0 = time.monotonic()
        for f in [a.submit(MODEL, user("a")) for _ in range(6)]:
            f.result(10)
        assert time.monotonic() - t0 < 0.8  # a used the whole burst
        assert b.chat(MODEL, user("b")).text == "b"
        assert time.monotonic() - t0 >= 0.8  # b waited for the refill
    finally:
        a.close()
        b.close()
        llmio.shared_rate_limit_unlink(name)
    with pytest.raises(llmio.Error):
        llmio.shared_rate_limit_unlink(name)


def test_per_request_retry_overrides_client(client):
    sc = "fail-first=1;status=503"
    r = client.chat(MODEL, user("x"), headers={"X-Mock-Scenario": sc,
                                               "X-Mock-Key": key("r1")},
                    retry_base_delay=0.01)
    assert r.text == "x"
    with pytest.raises(llmio.OverloadedError) as ei:
        client.chat(MODEL, user("x"), max_attempts=1,
                    headers={"X-Mock-Scenario": sc, "X-Mock-Key": key("r2")})
    assert ei.value.attempts == 1
    with pytest.raises(llmio.InvalidError, match="max_attempts"):
        client.chat(MODEL, user("x"), max_attempts=0)
    with pytest.raises(llmio.InvalidError, match="retry"):
        client.chat(MODEL, user("x"), retry_base_delay=-3)


def test_stream_restart_delta(client):
    """Opt-in stream restart: a stream cut after 2 tokens is re-sent; the
    iterator yields a 'restarted' Delta (everything before it is void)
    and the final response holds the second attempt only."""
    hdr = {"X-Mock-Scenario": "fail-first=1;close-after-events=2",
           "X-Mock-Key": key("sr")}

    async def main():
        deltas = []
        s = client.astream(MODEL, "one two three four five", headers=hdr,
                           stream_restart=True, retry_base_delay=0.01)
        async for d in s:
            deltas.append(d)
        return deltas, s.response
    deltas, resp = asyncio.run(main())
    kinds = [d.kind for d in deltas]
    assert kinds.count("restarted") == 1
    i = kinds.index("restarted")
    rs = deltas[i].restart
    assert rs["attempt"] == 1 and rs["deltas"] >= 2
    assert rs["text_bytes"] == len("one two")
    after = "".join(d.text for d in deltas[i + 1:] if d.kind == "text")
    assert after == resp.text == "one two three four five"
    # without the opt-in the cut stream is an error
    hdr["X-Mock-Key"] = key("sr2")
    with pytest.raises(llmio.Error):
        for _ in client.stream(MODEL, "one two three four five", headers=hdr):
            pass


def test_fallback_on_outage_and_attempt_hook(mock):
    seen = []
    c = llmio.Client(api_key=SECRET, base_url=mock, on_attempt=seen.append,
                     max_attempts=1)
    # "mock-503" as a model name makes the mock answer 503
    r = c.chat("openai/mock-503", "hello", fallbacks=["openai/gpt-4o-mini"])
    assert r.text == "hello"
    assert r.served_by == "openai/gpt-4o-mini" and r.fallback_index == 1
    assert [(a.model, a.fallback, a.http_status) for a in seen] == \
        [("openai/mock-503", 0, 503), ("openai/gpt-4o-mini", 1, 200)]
    plain = c.chat(MODEL, "x")
    assert plain.served_by == MODEL and plain.fallback_index == 0
    # a class not listed does not fall back
    with pytest.raises(llmio.OverloadedError):
        c.chat("openai/mock-503", "x",
               fallbacks=[("openai/gpt-4o-mini", "context_length")])
    c.close()


def test_fallback_classes_pick_the_right_model(client):
    """A context-length failure skips an outage-only fallback and moves to
    the bigger model."""
    small = "openai/gpt-4o-mini@max-context=3"
    r = client.chat(small, "far too many words for this model",
                    fallbacks=[("anthropic/claude-3-5-haiku-latest", "outage"),
                               {"model": "openai/gpt-4o",
                                "on": ["context_length"]}])
    assert r.served_by == "openai/gpt-4o" and r.fallback_index == 2
    with pytest.raises(llmio.ContextLengthError):
        client.chat(small, "far too many words for this model")
    with pytest.raises(llmio.InvalidError, match=r"fallbacks\[0\]\.on"):
        client.chat(MODEL, "x", fallbacks=[("openai/gpt-4o", "sometimes")])
    with pytest.raises(llmio.InvalidError, match=r"fallbacks\[1\]"):
        client.chat(MODEL, "x", fallbacks=["openai/gpt-4o", 42])


def test_hedged_request_wins_over_a_slow_first(mock):
    seen = []
    c = llmio.Client(api_key=SECRET, base_url=mock, on_attempt=seen.append)
    hdr = {"X-Mock-Scenario": "fail-first=1;ttft=3000",
           "X-Mock-Key": key("hedge")}
    t0 = time.monotonic()
    r = c.chat(MODEL, "hedged", headers=hdr, hedge=0.2)
    took = time.monotonic() - t0
    assert r.text == "hedged" and r.hedges == 1
    assert 0.2 <= took < 2.5
    assert any(a.hedge for a in seen)
    # client default, overridden per request with hedge=False
    c2 = llmio.Client(api_key=SECRET, base_url=mock, hedge=("p95", 0.2))
    assert c2.chat(MODEL, "x", hedge=False).hedges == 0
    with pytest.raises(llmio.InvalidError, match="hedge"):
        c2.chat(MODEL, "x", hedge=("sometimes", 1))
    with pytest.raises(llmio.InvalidError, match="hedge"):
        llmio.Client(hedge=-1)
    c.close()
    c2.close()
