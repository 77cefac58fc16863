#!/usr/bin/env python3
"""py_openai.py - the official openai-python SDK, AsyncOpenAI with
max_retries=0 and a connection pool as large as the concurrency (its default
caps at 1,000 connections). Protocol: common.py."""
import time

import httpx
import openai

import common


async def make(args):
    limits = httpx.Limits(max_connections=args.concurrency,
                          max_keepalive_connections=args.concurrency)
    client = openai.AsyncOpenAI(
        api_key="sk-bench", base_url=args.base_url, max_retries=0, timeout=120,
        http_client=openai.DefaultAsyncHttpxClient(limits=limits))
    msgs = common.messages()

    async def call():
        if not args.stream:
            r = await client.chat.completions.create(model=args.model, messages=msgs)
            return len(r.choices[0].message.content), 0, None
        n, length, first = 0, 0, None
        stream = await client.chat.completions.create(
            model=args.model, messages=msgs, stream=True)
        async for ch in stream:
            if ch.choices and ch.choices[0].delta.content:
                if first is None:
                    first = time.perf_counter()
                n += 1
                length += len(ch.choices[0].delta.content)
        return length, n, first

    return call, client.close


if __name__ == "__main__":
    common.main(make)
