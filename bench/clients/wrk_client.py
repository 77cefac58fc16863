#!/usr/bin/env python3
"""wrk_client.py - runs wrk (the machine's limit) on the common client
command line (common.py) and prints the common RESULT line.

wrk runs twice: a warm-up run, then the timed run, whose user+system CPU
comes from wait4() on the wrk process. Content check: no socket or status
errors, and the bytes received per response must lie between the body size
(--expect-bytes) and the body plus a header block; wrk counts a response
only when it is complete. --requests is approximated by duration (wrk has
no request count), which suits the fixed-count workloads poorly: the
harness uses wrk for timed workloads only. Uses only the standard library.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_wrk(args, seconds):
    url = args.base_url.rstrip("/") + "/chat/completions"
    cmd = ["wrk", "-t1", "-c%d" % args.concurrency, "-d%ds" % max(1, round(seconds)),
           "--timeout", "30s", "-s", os.path.join(HERE, "wrk.lua"), url]
    env = dict(os.environ)
    if args.stream:
        env["WRK_BODY"] = ('{"model":"gpt-4o-mini","messages":[{"role":"user",'
                           '"content":"Say hello."}],"stream":true}')
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = p.stdout.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    return out, status, ru


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--requests", type=int, default=0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--expect-len", type=int, default=-1)
    ap.add_argument("--expect-chunks", type=int, default=-1)
    ap.add_argument("--expect-bytes", type=int, default=-1)
    args = ap.parse_args()
    if args.warmup > 0:
        run_wrk(args, args.warmup)
    out, status, ru = run_wrk(args, args.duration)
    m = re.search(r"^WRK (.*)$", out, re.M)
    if status != 0 or not m:
        print("RESULT ok=0 failed=1 wall_s=0 cpu_s=0 first_error=wrk_failed:" +
              out.strip().replace(" ", "_")[-100:])
        return
    f = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    errors = f["connect"] + f["read"] + f["write"] + f["status"] + f["timeout"]
    n = f["requests"]
    per = f["bytes"] / n if n else 0
    err = "-"
    if errors:
        err = "wrk_errors=%d" % errors
    elif args.expect_bytes >= 0 and not (
            args.expect_bytes <= per <= args.expect_bytes + 400 +
            args.concurrency * (args.expect_bytes + 400) / max(n, 1)):
        # bytes include up to one partial response per connection at the end
        err = "bytes_per_response=%.0f" % per
    ok, failed = (n, 0) if err == "-" else (0, max(1, errors))
    chunks = n * args.expect_chunks if args.expect_chunks > 0 and ok else 0
    # wrk's RSS is not comparable (it never parses bodies); reported anyway.
    print("RESULT ok=%d failed=%d wall_s=%.6f cpu_s=%.6f p50_ms=%.3f p99_ms=%.3f "
          "ttft_p50_ms=0 chunks=%d rss0_kb=0 rss_peak_kb=%d first_error=%s" % (
              ok, failed, f["duration_us"] / 1e6, ru.ru_utime + ru.ru_stime,
              f["p50_us"] / 1e3, f["p99_us"] / 1e3, chunks, ru.ru_maxrss, err))


if __name__ == "__main__":
    sys.exit(main())
