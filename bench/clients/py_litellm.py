#!/usr/bin/env python3
"""py_litellm.py - LiteLLM's acompletion() with api_base pointing at the
bench server, provider "openai/", no retries. Protocol: common.py."""
import os
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch
os.environ.setdefault("LITELLM_LOG", "ERROR")

import litellm  # noqa: E402

import common  # noqa: E402


async def make(args):
    litellm.telemetry = False
    litellm.num_retries = 0
    msgs = common.messages()
    model = "openai/" + args.model
    kw = dict(model=model, messages=msgs, api_base=args.base_url,
              api_key="sk-bench", num_retries=0, max_retries=0, timeout=120)

    async def call():
        if not args.stream:
            r = await litellm.acompletion(**kw)
            return len(r.choices[0].message.content), 0, None
        n, length, first = 0, 0, None
        stream = await litellm.acompletion(stream=True, **kw)
        async for ch in stream:
            if ch.choices and ch.choices[0].delta.content:
                if first is None:
                    first = time.perf_counter()
                n += 1
                length += len(ch.choices[0].delta.content)
        return length, n, first

    async def close():
        pass

    return call, close


if __name__ == "__main__":
    common.main(make)
