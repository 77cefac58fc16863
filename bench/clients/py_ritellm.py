#!/usr/bin/env python3
"""py_ritellm.py - RiteLLM (PyPI "ritellm", a Rust core with Python
bindings): acompletion() with base_url set to the bench server's
full chat-completions URL (RiteLLM takes the endpoint, not the base).
RiteLLM's acompletion runs its blocking Rust call in asyncio.to_thread, so
its real concurrency is the default thread pool's size. Its streaming
iterator is synchronous. Protocol: common.py."""
import os
import time

os.environ.setdefault("OPENAI_API_KEY", "sk-bench")

import ritellm  # noqa: E402

import common  # noqa: E402


async def make(args):
    msgs = common.messages()
    model = "openai/" + args.model
    url = args.base_url.rstrip("/") + "/chat/completions"  # it wants the full URL

    async def call():
        if not args.stream:
            r = await ritellm.acompletion(model=model, messages=msgs,
                                          base_url=url)
            return len(r["choices"][0]["message"]["content"]), 0, None
        n, length, first = 0, 0, None
        stream = await ritellm.acompletion(model=model, messages=msgs,
                                           base_url=url, stream=True)
        for ch in stream:
            if ch.get("choices"):
                c = ch["choices"][0]["delta"].get("content")
                if c:
                    if first is None:
                        first = time.perf_counter()
                    n += 1
                    length += len(c)
        return length, n, first

    async def close():
        pass

    return call, close


if __name__ == "__main__":
    common.main(make)
