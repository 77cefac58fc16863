#!/usr/bin/env python3
"""llmio_batch.py - the `llmio batch` CLI as a bench client: JSONL requests
piped into one `llmio batch -c N` process, its JSONL results checked.

The CLI reads a line only when a concurrency slot is free, so the timed
phase is "keep the pipe full until --duration has passed, then close it";
the process then finishes what it has read and exits. The figures are the
CLI process's own, from wait4(): cpu_s is its user+system time for the
whole run (start-up, reading and parsing the JSONL input, writing the JSONL
output included: the honest cost of the runner), rss_peak_kb its max RSS.
The CLI reports no per-request times, so p50/p99 print as 0. This wrapper
only feeds and checks; it does not parse while the CLI runs, so it takes
little of the client core. Streaming workloads are not this client's
(harness BATCH_CLIENTS). Arguments: common.parse_args. Protocol:
bench/README.md, "Client protocol"."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import common

LINE = b'{"messages":[{"role":"user","content":"Say hello."}]}\n'


def llmio_bin():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.environ.get("LLMIO_BIN") or os.path.join(root, "build/bin/llmio")


def feed(pipe, duration, count):
    """Writes request lines: COUNT of them, or as many as the CLI takes
    until DURATION seconds have passed. Blocks when the pipe is full."""
    block = LINE * 256
    deadline = time.monotonic() + duration
    sent = 0
    try:
        while True:
            if count > 0:
                n = min(256, count - sent)
                if n <= 0:
                    break
                pipe.write(LINE * n)
                sent += n
            else:
                if time.monotonic() >= deadline:
                    break
                pipe.write(block)
            pipe.flush()
    except BrokenPipeError:
        pass
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass


def run(args, duration, count, out_path):
    """One `llmio batch` process; returns (wall_s, cpu_s, maxrss_kb, rc)."""
    env = dict(os.environ, OPENAI_API_KEY="sk-bench")
    env.pop("OPENAI_BASE_URL", None)
    argv = [llmio_bin(), "batch", "-m", "openai/" + args.model, "-c",
            str(args.concurrency), "--base-url", args.base_url, "--timeout", "120"]
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out,
                             stderr=subprocess.DEVNULL, env=env)
        w = threading.Thread(target=feed, args=(p.stdin, duration, count))
        w.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        w.join()
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode


def check(path, expect_len):
    ok = failed = 0
    first_error = ""
    with open(path, "rb") as f:
        for raw in f:
            try:
                r = json.loads(raw)
                if r["status"] != "OK":
                    raise ValueError("%s: %s" % (r["status"], r["error"]["message"]))
                text = r["response"]["choices"][0]["message"]["content"]
                if expect_len >= 0 and len(text) != expect_len:
                    raise ValueError("content len=%d" % len(text))
                ok += 1
            except Exception as e:  # counted, never timed as a success
                failed += 1
                if not first_error:
                    first_error = (type(e).__name__ + ": " + str(e))[:120]
    return ok, failed, first_error


def main():
    args = common.parse_args()
    if args.stream:
        print("RESULT ok=0 failed=1 wall_s=1 cpu_s=0 p50_ms=0 p99_ms=0 "
              "ttft_p50_ms=0 chunks=0 rss0_kb=0 rss_peak_kb=0 "
              "first_error=llmio_batch_does_not_stream")
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.jsonl")
        if args.warmup > 0 and args.requests <= 0:
            run(args, args.warmup, 0, out)  # untimed: server and caches warm
        wall, cpu, rss, rc = run(args, args.duration, args.requests, out)
        ok, failed, first_error = check(out, args.expect_len)
        if rc != 0 and failed == 0:
            failed, first_error = 1, "exit_code_%d" % rc
    print("RESULT ok=%d failed=%d wall_s=%.6f cpu_s=%.6f p50_ms=0 p99_ms=0 "
          "ttft_p50_ms=0 chunks=0 rss0_kb=0 rss_peak_kb=%d first_error=%s" % (
              ok, failed, wall, cpu, rss, first_error.replace(" ", "_") or "-"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
