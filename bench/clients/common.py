"""common.py - the shared driver of the Python benchmark clients.

Every client in bench/clients/ speaks one command line and prints one result
line, so bench/run.sh can treat them alike (bench/README.md, "Client
protocol"):

  --base-url URL        OpenAI-compatible base URL (".../v1")
  --concurrency N       requests in flight (an asyncio.Semaphore)
  --duration S          timed phase length in seconds (default 3; harness: 2)
  --requests N          instead of --duration: exactly N requests
  --warmup S            untimed phase before it (default 1)
  --stream              stream the response (SSE)
  --expect-len N        every reply's content must be N characters
  --expect-chunks N     every stream must carry N content chunks

  RESULT ok=N failed=N wall_s=F cpu_s=F p50_ms=F p99_ms=F ttft_p50_ms=F
         chunks=N rss0_kb=N rss_peak_kb=N first_error=...

cpu_s is user+system time of this process over the timed phase only
(getrusage), so interpreter start-up and imports are not charged to the
requests. A client module supplies one coroutine factory:

  async def make(args) -> (call, close)
     call() returns (content_text_length, content_chunks, ttft_seconds)
"""
import argparse
import asyncio
import resource
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--requests", type=int, default=0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--stream", action="store_true")
    p.add_argument("--expect-len", type=int, default=-1)
    p.add_argument("--expect-chunks", type=int, default=-1)
    p.add_argument("--model", default="gpt-4o-mini")
    return p.parse_args(argv)


def messages():
    return [{"role": "user", "content": "Say hello."}]


def cpu_now():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def proc_kb(field):
    """VmRSS / VmHWM of this process from /proc, in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def pct(sorted_vals, q):
    if not sorted_vals:
        return 0.0
    i = min(len(sorted_vals) - 1, int(q * len(sorted_vals)))
    return sorted_vals[i]


class Stats:
    def __init__(self):
        self.ok = 0
        self.failed = 0
        self.chunks = 0
        self.lat = []
        self.ttft = []
        self.first_error = ""


async def phase(call, args, stats, deadline, count):
    """Issue requests through a semaphore until DEADLINE (monotonic) or,
    when COUNT > 0, exactly COUNT requests; wait for all in flight."""
    sem = asyncio.Semaphore(args.concurrency)
    tasks = set()

    async def one():
        t0 = time.perf_counter()
        try:
            length, nchunks, ttft = await call()
            good = ((args.expect_len < 0 or length == args.expect_len) and
                    (args.expect_chunks < 0 or nchunks == args.expect_chunks))
            if good:
                if stats is not None:
                    stats.ok += 1
                    stats.chunks += nchunks
                    stats.lat.append(time.perf_counter() - t0)
                    if ttft is not None:
                        stats.ttft.append(ttft - t0)
            elif stats is not None:
                stats.failed += 1
                if not stats.first_error:
                    stats.first_error = "content len=%d chunks=%d" % (length, nchunks)
        except Exception as e:  # a failure is counted, never timed as success
            if stats is not None:
                stats.failed += 1
                if not stats.first_error:
                    stats.first_error = (type(e).__name__ + ": " + str(e))[:120]
        finally:
            sem.release()

    started = 0
    while True:
        if count > 0 and started >= count:
            break
        await sem.acquire()
        if count <= 0 and time.monotonic() >= deadline:
            sem.release()
            break
        t = asyncio.ensure_future(one())
        tasks.add(t)
        t.add_done_callback(tasks.discard)
        started += 1
    if tasks:
        await asyncio.gather(*list(tasks))


async def amain(make, args):
    call, close = await make(args)
    if args.warmup > 0:
        await phase(call, args, None, time.monotonic() + args.warmup, 0)
    rss0 = proc_kb("VmRSS")
    stats = Stats()
    c0, t0 = cpu_now(), time.perf_counter()
    await phase(call, args, stats, time.monotonic() + args.duration, args.requests)
    wall, cpu = time.perf_counter() - t0, cpu_now() - c0
    peak = proc_kb("VmHWM")
    try:
        await close()
    except Exception:
        pass
    lat, ttft = sorted(stats.lat), sorted(stats.ttft)
    print("RESULT ok=%d failed=%d wall_s=%.6f cpu_s=%.6f p50_ms=%.3f p99_ms=%.3f "
          "ttft_p50_ms=%.3f chunks=%d rss0_kb=%d rss_peak_kb=%d first_error=%s" % (
              stats.ok, stats.failed, wall, cpu, pct(lat, 0.5) * 1e3,
              pct(lat, 0.99) * 1e3, pct(ttft, 0.5) * 1e3, stats.chunks, rss0,
              peak, stats.first_error.replace(" ", "_") or "-"))
    sys.stdout.flush()


def main(make):
    args = parse_args()
    # Plain asyncio, as the peers' documentation shows them.
    asyncio.run(amain(make, args))
