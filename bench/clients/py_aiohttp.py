#!/usr/bin/env python3
"""py_aiohttp.py - raw aiohttp client: POST the chat request, parse the JSON
or the SSE lines with the json module. Protocol: common.py."""
import json
import time

import aiohttp

import common


async def make(args):
    url = args.base_url.rstrip("/") + "/chat/completions"
    conn = aiohttp.TCPConnector(limit=args.concurrency, limit_per_host=args.concurrency)
    session = aiohttp.ClientSession(connector=conn)
    body = {"model": args.model, "messages": common.messages(), "stream": args.stream}
    headers = {"Authorization": "Bearer sk-bench"}

    async def call():
        async with session.post(url, json=body, headers=headers) as r:
            if r.status != 200:
                raise RuntimeError("HTTP %d" % r.status)
            if not args.stream:
                d = await r.json(content_type=None)
                return len(d["choices"][0]["message"]["content"]), 0, None
            n, length, first = 0, 0, None
            async for line in r.content:  # one SSE line at a time
                if not line.startswith(b"data: "):
                    continue
                data = line[6:].strip()
                if data == b"[DONE]":
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

    return call, session.close


if __name__ == "__main__":
    common.main(make)
