#!/usr/bin/env python3
"""py_llmio.py - llmio's own CPython binding (python/), asyncio on the
running loop: Client.achat / Client.astream, one client for all requests,
concurrency from common.py's semaphore. The binding does not expose the C
retry setting (llmio_client_set_retry), so the client keeps its default of
3 attempts; nothing fails in these workloads, so no request is retried.
The harness builds the extension for the bench venv's interpreter into
build/bench/python and puts it on PYTHONPATH. Protocol: common.py."""
import time

import llmio

import common


async def make(args):
    client = llmio.Client(api_key="sk-bench", base_url=args.base_url, timeout=120)
    model = "openai/" + args.model
    msgs = common.messages()

    async def call():
        if not args.stream:
            r = await client.achat(model, msgs)
            return len(r.text), 0, None
        n, length, first = 0, 0, None
        async with client.astream(model, msgs) as s:
            async for d in s:
                if d.kind == "text" and d.text:
                    if first is None:
                        first = time.perf_counter()
                    n += 1
                    length += len(d.text)
        return length, n, first

    return call, client.aclose


if __name__ == "__main__":
    common.main(make)
