#!/usr/bin/env python3
"""py_httpx.py - raw httpx.AsyncClient: POST the chat request, parse the JSON
or the SSE lines with the json module. Protocol: common.py."""
import json
import time

import httpx

import common


async def make(args):
    url = args.base_url.rstrip("/") + "/chat/completions"
    limits = httpx.Limits(max_connections=args.concurrency,
                          max_keepalive_connections=args.concurrency)
    client = httpx.AsyncClient(limits=limits, timeout=120)
    body = {"model": args.model, "messages": common.messages(), "stream": args.stream}
    headers = {"Authorization": "Bearer sk-bench"}

    async def call():
        if not args.stream:
            r = await client.post(url, json=body, headers=headers)
            r.raise_for_status()
            return len(r.json()["choices"][0]["message"]["content"]), 0, None
        n, length, first = 0, 0, None
        async with client.stream("POST", url, json=body, headers=headers) as r:
            r.raise_for_status()
            async for line in r.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                ch = json.loads(data)
                if ch["choices"]:
                    c = ch["choices"][0]["delta"].get("content")
                    if c:
                        if first is None:
                            first = time.perf_counter()
                        n += 1
                        length += len(c)
        return length, n, first

    return call, client.aclose


if __name__ == "__main__":
    common.main(make)
