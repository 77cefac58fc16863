#!/usr/bin/env python3
"""py_llmio.py - llmio's own CPython binding (python/), asyncio on the
running loop: Client.achat / Client.astream, one client for all requests,
concurrency from common.py's semaphore. Retries are off (max_attempts=1,
i.e. llmio_client_set_retry), as openai-py's max_retries=0.
The harness builds the extension for the bench venv's interpreter into
build/bench/python and puts it on PYTHONPATH. Protocol: common.py."""
import time

import llmio

import common


async def make(args):
    client = llmio.Client(api_key="sk-bench", base_url=args.base_url,
                          timeout=120, max_attempts=1)
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
