#!/usr/bin/env python3
"""harness.py - runs every client on every workload and prints the table.

Called by bench/run.sh once the servers are up (run.sh starts nginx and
llmio-mock, pinned to core 0). This file only schedules client runs, checks
their RESULT lines, takes medians and writes the report:

  build/bench/results.txt   stable "name value unit" lines
  build/bench/table.md      the Markdown table (docs/PERFORMANCE.md)
  build/bench/chart.dat     data for bench/chart.gnuplot
  build/bench/raw.txt       every client's RESULT line, for auditing

Clients run pinned to core 1, three interleaved repeats per cell (repeat 1
of every client, then repeat 2, ...), each with its own untimed warm-up.
A cell where any response failed its content check reports FAIL, not a
number. A client whose program or package is missing reports n/a.

Adding a client is one line in CLIENTS. Standard library only.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PY = os.path.join(ROOT, "bench/.peers/venv/bin/python")
CURL8 = os.path.join(ROOT, "build/curl8/lib")
BIN = os.path.join(ROOT, "build/bench/bin")  # run.sh's snapshot of build/bin
# llmio's CPython extension built for VENV_PY (build_llmio_py), not the one
# in build/python: that one is built for whatever python3 is, maybe another
# CPython minor version than the venv's.
LLMIO_PY = os.path.join(ROOT, "build/bench/python")


def rel(p):
    return os.path.join(ROOT, p)


# ---------------------------------------------------------------------------
# Clients: name -> (command, probe). The command gets the common client
# arguments appended (bench/clients/common.py). PROBE is a Python module the
# venv must import, or None; a missing program or module makes the row n/a.
# Environment tweaks per client go in CLIENT_ENV.
# ---------------------------------------------------------------------------
CLIENTS = [
    ("wrk", ["python3", rel("bench/clients/wrk_client.py")], None),
    ("llmio-c", [os.path.join(BIN, "bench_engine")], None),
    ("curl-multi", [os.path.join(BIN, "curl-multi")], None),
    ("curl8-multi", [os.path.join(BIN, "curl-multi")], "@curl8"),
    ("curl8-h2", [os.path.join(BIN, "curl-multi"), "--http2"], "@curl8"),
    ("openai-node", ["node", rel("bench/clients/node_openai.js")], "@node"),
    ("openai-py", [VENV_PY, rel("bench/clients/py_openai.py")], "openai"),
    ("litellm", [VENV_PY, rel("bench/clients/py_litellm.py")], "litellm"),
    ("ritellm", [VENV_PY, rel("bench/clients/py_ritellm.py")], "ritellm"),
    ("aiohttp", [VENV_PY, rel("bench/clients/py_aiohttp.py")], "aiohttp"),
    ("httpx", [VENV_PY, rel("bench/clients/py_httpx.py")], "httpx"),
    # Rows that join when their program lands (missing -> n/a):
    ("llmio-py", [VENV_PY, rel("bench/clients/py_llmio.py")], "@llmio-py"),
    ("llmio-batch", ["python3", rel("bench/clients/llmio_batch.py")], "@llmio-batch"),
]

# Clients that check the exact body size (--expect-bytes) instead of parsing.
BYTES_CLIENTS = {"wrk", "curl-multi", "curl8-multi", "curl8-h2"}

CLIENT_ENV = {
    "openai-node": {"NODE_PATH": rel("bench/.peers/node/node_modules")},
    "curl8-multi": {"LD_LIBRARY_PATH": CURL8},
    "curl8-h2": {"LD_LIBRARY_PATH": CURL8},
    "llmio-py": {"PYTHONPATH": LLMIO_PY},
    "llmio-batch": {"LLMIO_BIN": os.path.join(BIN, "llmio")},
}

# Clients that run the whole cell as one batch process (`llmio batch`): they
# do not stream (streamed workloads show n/a) and time no single request
# (the latency columns stay empty).
BATCH_CLIENTS = {"llmio-batch"}

# Clients that talk cleartext HTTP/2 (prior knowledge) to nginx's h2 port.
H2_CLIENTS = {"curl8-h2"}

# TLS workloads ("tls:" locations): every client is told to trust the
# bench's throwaway CA the way its users would: the environment below for
# all (OpenSSL/Python/httpx/llmio read SSL_CERT_FILE, node reads
# NODE_EXTRA_CA_CERTS), plus --cacert for the C programs. HTTP/2 or 1.1 is
# whatever each client negotiates by ALPN (curl-multi: 1.1; curl8-h2: h2).
TLS_CA = rel("build/bench/nginx/tls/ca.pem")
TLS_ENV = {"SSL_CERT_FILE": TLS_CA, "NODE_EXTRA_CA_CERTS": TLS_CA}
CACERT_CLIENTS = {"llmio-c", "curl-multi", "curl8-multi", "curl8-h2"}

# ---------------------------------------------------------------------------
# Workloads: name, server location, concurrency, stream, fixed request count
# (0 = timed), clients (None = all). Expected content comes from expect.env.
# ---------------------------------------------------------------------------
WORKLOADS = [
    ("small-c1", "small", 1, False, 0, None),
    ("small-c64", "small", 64, False, 0, None),
    ("small-c1024", "small", 1024, False, 0, None),
    ("big100k-c16", "big", 16, False, 0, None),
    ("sse1000-c1", "sse", 1, True, 0, None),
    ("sse1000-c16", "sse", 16, True, 0, None),
]

# Paced streams from llmio-mock (run.sh starts it with MOCK_SCENARIO): the
# server sends the first token after MOCK_TTFT_MS, then MOCK_TPS tokens/s.
# The table shows time to first token and total time beyond that schedule.
MOCK_TTFT_MS, MOCK_TPS, MOCK_TOKENS = 100, 200, 50
MOCK_SCENARIO = "ttft=%d;tps=%d;lorem=%d" % (MOCK_TTFT_MS, MOCK_TPS, MOCK_TOKENS)
PACED_CLIENTS = ["curl-multi", "llmio-c", "openai-node", "openai-py", "litellm", "ritellm",
                 "aiohttp", "httpx", "llmio-py"]
PACED = [
    ("paced-c1", "mock", 1, True, 0, PACED_CLIENTS),
    ("paced-c100", "mock", 100, True, 0, PACED_CLIENTS),
]

# 10,000 concurrent slow streams: one run per client (each lasts ~30 s),
# only llmio and the peers that can hold that many sockets.
# HTTP/2 over TLS (nginx "ssl http2", ALPN), as the providers' APIs serve it.
TLS_WORKLOADS = [
    ("small-tls-c64", "tls:small", 64, False, 0, None),
    ("small-tls-c1024", "tls:small", 1024, False, 0, None),
]

STREAMS_10K = ("streams-10k", "slow", 10000, True, 10000,
               ["llmio-c", "curl-multi", "curl8-multi", "openai-node", "aiohttp"])


def load_expect(path):
    env = {}
    with open(path) as f:
        for tok in f.read().split():
            k, v = tok.split("=")
            env[k] = int(v)
    return env


def build_llmio_py():
    """Build python/ for VENV_PY into LLMIO_PY with python/build.sh's own
    commands, its output and object directories moved under build/bench
    (objects compiled for one CPython must not be linked for another).
    True when `import llmio` then works in the venv."""
    if not os.access(VENV_PY, os.X_OK):
        return False
    with open(rel("python/build.sh")) as f:
        script = f.read().replace("build/python", "build/bench/python")
    # build.sh starts with cd "$(dirname "$0")/.."; run as `sh -s` from
    # python/, $0 is "sh" and that cd lands on the repository root.
    p = subprocess.run(["sh", "-s", VENV_PY], input=script, text=True,
                       cwd=rel("python"), capture_output=True)
    if p.returncode != 0:
        print("llmio-py: build failed: " + (p.stdout + p.stderr)[-500:], file=sys.stderr)
        return False
    return subprocess.run([VENV_PY, "-c", "import llmio"], capture_output=True,
                          env=dict(os.environ, PYTHONPATH=LLMIO_PY)).returncode == 0


def probe_ok(probe, cmd):
    """Is this client runnable here?"""
    prog = cmd[0]
    if os.path.sep in prog and not os.access(prog, os.X_OK):
        return False
    if os.path.sep not in prog and not shutil.which(prog):
        return False
    for script in cmd[1:]:
        if script.endswith((".py", ".js", ".sh")) and not os.path.exists(script):
            return False
    if probe is None:
        return True
    if probe == "@node":
        return os.path.isdir(rel("bench/.peers/node/node_modules/openai"))
    if probe == "@curl8":
        return os.path.isdir(CURL8)
    if probe == "@llmio-py":
        return build_llmio_py()
    if probe == "@llmio-batch":
        return os.access(os.path.join(BIN, "llmio"), os.X_OK) and \
            subprocess.run([os.path.join(BIN, "llmio"), "batch", "--help"],
                           capture_output=True).returncode == 0
    # find_spec, not import: importing litellm alone takes seconds.
    return subprocess.run([VENV_PY, "-c", "import importlib.util, sys; "
                           "sys.exit(importlib.util.find_spec(%r) is None)" % probe],
                          capture_output=True).returncode == 0


def parse_result(out):
    m = re.search(r"^RESULT (.*)$", out, re.M)
    if not m:
        return None
    r = {}
    for kv in m.group(1).split():
        k, _, v = kv.partition("=")
        try:
            r[k] = float(v)
        except ValueError:
            r[k] = v
    return r


class Bench:
    def __init__(self, args):
        self.a = args
        self.out = rel("build/bench")
        self.expect = load_expect(os.path.join(self.out, "nginx/expect.env"))
        self.cells = {}   # (workload, client) -> list of RESULT dicts or str
        self.lines = []   # stable "name value unit" lines
        self.raw = open(os.path.join(self.out, "raw.txt"), "w")
        self.pin_client = ["taskset", "-c", "1"] if os.cpu_count() >= 2 and \
            shutil.which("taskset") else []
        self.clients = [c for c in CLIENTS
                        if (not args.clients or c[0] in args.clients.split(",")) and
                        (args.nginx_h2_port or c[0] not in H2_CLIENTS)]
        self.avail = {}
        for name, cmd, probe in self.clients:
            self.avail[name] = probe_ok(probe, cmd)
            print("client %-12s %s" % (name, "ok" if self.avail[name] else "n/a"),
                  file=sys.stderr)

    def url(self, loc, h2=False):
        if loc.startswith("tls:"):
            return "https://127.0.0.1:%d/%s/v1" % (self.a.nginx_tls_port, loc[4:])
        if loc == "mock":
            return "http://127.0.0.1:%d/v1" % self.a.mock_port
        return "http://127.0.0.1:%d/%s/v1" % (
            self.a.nginx_h2_port if h2 else self.a.nginx_port, loc)

    def probe_mock(self):
        """Stream once from llmio-mock to learn the content every paced
        stream must carry (its text is deterministic)."""
        import json
        import urllib.request
        req = urllib.request.Request(
            self.url("mock") + "/chat/completions", method="POST",
            data=json.dumps({"model": "gpt-4o-mini", "stream": True, "messages": [
                {"role": "user", "content": "Say hello."}]}).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": "Bearer sk-bench"})
        n, length = 0, 0
        with urllib.request.urlopen(req, timeout=30) as r:
            for line in r:
                if line.startswith(b"data: {"):
                    ch = json.loads(line[6:])
                    c = ch["choices"][0]["delta"].get("content") if ch["choices"] else None
                    if c:
                        n += 1
                        length += len(c)
        self.expect.update(MOCK_LEN=length, MOCK_CHUNKS=n, MOCK_BYTES=-1)

    def run_client(self, name, cmd, wl, duration, warmup):
        wname, loc, conc, stream, count, _ = wl
        e = self.expect
        tls = loc.startswith("tls:")
        key = {"small": "SMALL", "big": "BIG", "sse": "SSE", "slow": "SLOW",
               "mock": "MOCK"}[loc[4:] if tls else loc]
        if count:
            warmup = 0  # a fixed-count run measures from a cold start
        argv = self.pin_client + cmd + [
            "--base-url", self.url(loc, name in H2_CLIENTS), "--concurrency", str(conc),
            "--warmup", str(warmup), "--expect-len", str(e[key + "_LEN"])]
        if count:
            argv += ["--requests", str(count)]
        else:
            argv += ["--duration", str(duration)]
        if stream:
            argv += ["--stream", "--expect-chunks", str(e[key + "_CHUNKS"])]
        if name in BYTES_CLIENTS:
            argv += ["--expect-bytes", str(e[key + "_BYTES"])]
        if tls and name in CACERT_CLIENTS:
            argv += ["--cacert", TLS_CA]
        env = dict(os.environ)
        env.update(CLIENT_ENV.get(name, {}))
        if tls:
            env.update(TLS_ENV)
        # A client that cannot finish its in-flight requests within a minute
        # of the end of its timed phase is reported as "timeout".
        limit = duration + warmup + 60 if not count else 180
        try:
            p = subprocess.run(argv, capture_output=True, text=True, env=env,
                               timeout=limit)
            out = p.stdout + p.stderr
        except subprocess.TimeoutExpired as ex:
            out = "TIMEOUT " + str(ex)
        r = parse_result(out)
        self.raw.write("%s %s %s\n" % (wname, name,
                                       (re.search(r"^RESULT .*$", out, re.M) or
                                        [out.strip()[-300:].replace("\n", " | ")])[0]))
        self.raw.flush()
        if r is None:
            return "timeout" if out.startswith("TIMEOUT") else "error"
        if r.get("failed", 0) > 0 or r.get("ok", 0) <= 0:
            return "FAIL"
        return r

    def run_workloads(self, workloads, repeats):
        for wl in workloads:
            names = [c for c in self.clients if wl[5] is None or c[0] in wl[5]]
            for rep in range(repeats):
                for name, cmd, _ in names:
                    if not self.avail[name] or (wl[3] and name in BATCH_CLIENTS):
                        self.cells[(wl[0], name)] = ["n/a"]
                        continue
                    if "timeout" in self.cells.get((wl[0], name), []):
                        continue  # one timeout is enough: skip its repeats
                    t0 = time.time()
                    r = self.run_client(name, cmd, wl, self.a.duration, self.a.warmup)
                    self.cells.setdefault((wl[0], name), []).append(r)
                    print("  %-12s %-12s rep %d: %s (%.0fs)" % (
                        wl[0], name, rep + 1,
                        r if isinstance(r, str) else "%.0f req/s" % (r["ok"] / r["wall_s"]),
                        time.time() - t0), file=sys.stderr)

    # -- metrics ------------------------------------------------------------
    def metrics(self, wname, client):
        """Medians over the repeats, or a status string."""
        runs = self.cells.get((wname, client))
        if not runs:
            return None
        bad = [r for r in runs if isinstance(r, str)]
        if bad:
            return bad[0]
        med = lambda f: statistics.median(f(r) for r in runs)
        m = {
            "rps": med(lambda r: r["ok"] / r["wall_s"]),
            "cpu_us": med(lambda r: r["cpu_s"] / r["ok"] * 1e6),
            "p50_ms": med(lambda r: r.get("p50_ms", 0)),
            "p99_ms": med(lambda r: r.get("p99_ms", 0)),
            "rss_mb": med(lambda r: r.get("rss_peak_kb", 0) / 1024),
        }
        if all(r.get("chunks", 0) > 0 for r in runs):
            m["chunks_s"] = med(lambda r: r["chunks"] / r["wall_s"])
            m["ns_chunk"] = med(lambda r: r["cpu_s"] / r["chunks"] * 1e9)
            m["ttft_ms"] = med(lambda r: r.get("ttft_p50_ms", 0))
        if all("rss0_kb" in r for r in runs):
            m["rss_per_req_kb"] = med(
                lambda r: max(0, r["rss_peak_kb"] - r["rss0_kb"]) / r["ok"])
        return m

    def emit(self, name, value, unit):
        if isinstance(value, float):  # plain decimals, never exponents
            value = "%.0f" % value if abs(value) >= 100 else \
                "%.2f" % value if abs(value) >= 1 else "%.4f" % value
        self.lines.append("%s %s %s" % (name, value, unit))

    def report_workloads(self, workloads):
        rows = []
        for wl in workloads:
            wname = wl[0]
            base = self.metrics(wname, "wrk")
            base = base if isinstance(base, dict) else None
            for name, _, _ in self.clients:
                m = self.metrics(wname, name)
                if m is None:
                    continue
                if isinstance(m, str):
                    rows.append([wname, name, m] + [""] * 9)
                    self.emit("%s.%s.status" % (wname, name), m, "-")
                    continue
                pct = 100 * m["rps"] / base["rps"] if base else None
                dp50 = m["p50_ms"] - base["p50_ms"] if base else None
                dp99 = m["p99_ms"] - base["p99_ms"] if base else None
                dttft = None
                if wl[1] == "mock":  # paced: beyond the server's own schedule
                    sched = MOCK_TTFT_MS + (self.expect["MOCK_CHUNKS"] - 1) * 1e3 / MOCK_TPS
                    dp50, dp99 = m["p50_ms"] - sched, m["p99_ms"] - sched
                    dttft = m.get("ttft_ms", 0) - MOCK_TTFT_MS
                show = lambda v, d: "" if name in BATCH_CLIENTS else \
                    "%.2f" % v + (" (%+.2f)" % d if d is not None and name != "wrk" else "")
                rows.append([
                    wname, name, "%.0f" % m["rps"],
                    "%.1f%%" % pct if pct is not None else "",
                    "%.1f" % m["cpu_us"],
                    show(m["p50_ms"], dp50), show(m["p99_ms"], dp99),
                    show(m["ttft_ms"], dttft) if m.get("ttft_ms") else "",
                    "%.0f" % m["chunks_s"] if "chunks_s" in m else "",
                    "%.0f" % m["ns_chunk"] if "ns_chunk" in m else "",
                    "%.1f" % m["rss_mb"],
                    "%.1f" % m["rss_per_req_kb"] if wl[4] else "",
                ])
                if dttft is not None:
                    self.emit("%s.%s.ttft_overhead" % (wname, name), dttft, "ms")
                    self.emit("%s.%s.total_overhead" % (wname, name), dp50, "ms")
                p = "%s.%s." % (wname, name)
                self.emit(p + "rps", m["rps"], "req/s")
                self.emit(p + "cpu_per_req", m["cpu_us"], "us")
                if name not in BATCH_CLIENTS:
                    self.emit(p + "p50", m["p50_ms"], "ms")
                    self.emit(p + "p99", m["p99_ms"], "ms")
                if pct is not None:
                    self.emit(p + "pct_of_wrk", pct, "%")
                if "ns_chunk" in m:
                    self.emit(p + "chunks_per_s", m["chunks_s"], "chunk/s")
                    self.emit(p + "ns_per_chunk", m["ns_chunk"], "ns")
                self.emit(p + "peak_rss", m["rss_mb"], "MiB")
                if wl[4]:
                    self.emit(p + "rss_per_stream", m["rss_per_req_kb"], "KiB")
                    self.emit(p + "cpu_per_stream", m["cpu_us"], "us")
        head = ["workload", "client", "req/s", "% of wrk", "CPU µs/req",
                "p50 ms (Δ)", "p99 ms (Δ)", "TTFT ms (Δ)", "chunks/s", "CPU ns/chunk",
                "peak RSS MiB", "RSS KiB/stream"]
        return head, rows

    # -- start-up -----------------------------------------------------------
    def wall(self, argv, env=None, n=5):
        ts = []
        for _ in range(n):
            t0 = time.perf_counter()
            p = subprocess.run(self.pin_client + argv, capture_output=True, env=env)
            if p.returncode != 0:
                return None
            ts.append(time.perf_counter() - t0)
        return statistics.median(ts) * 1e3

    def startup(self):
        rows = []
        env = dict(os.environ, OPENAI_BASE_URL=self.url("small"), OPENAI_API_KEY="sk-bench")
        llmio = os.path.join(BIN, "llmio")
        t = self.wall([llmio, "run", "-m", "gpt-4o-mini", "hi"], env) \
            if os.access(llmio, os.X_OK) else None
        rows.append(["llmio run (one request)", t, None])
        nenv = dict(env, NODE_PATH=rel("bench/.peers/node/node_modules"))
        rows.append(["node -e \"require('openai')\"",
                     self.wall(["node", "-e", "require('openai')"], nenv), None])
        js = ("const O=require('openai');new O().chat.completions.create({model:'m',"
              "messages:[{role:'user',content:'hi'}]}).then(r=>console.log(r.id))")
        rows.append(["node: require + one request", self.wall(["node", "-e", js], nenv), None])
        if os.access(VENV_PY, os.X_OK):
            rows.append(["python -c pass", self.wall([VENV_PY, "-c", "pass"]), None])
            for mod in ("openai", "litellm", "ritellm", "llmio"):
                menv = None
                if mod == "llmio":  # built for the venv by build_llmio_py
                    menv = dict(os.environ, PYTHONPATH=LLMIO_PY) \
                        if build_llmio_py() else None
                w = self.wall([VENV_PY, "-c", "import " + mod], menv, n=3) \
                    if mod != "llmio" or menv else None
                imp = None
                if w is not None:
                    p = subprocess.run([VENV_PY, "-X", "importtime", "-c", "import " + mod],
                                       capture_output=True, text=True, env=menv)
                    for line in p.stderr.splitlines():
                        f = [x.strip() for x in line.split("|")]
                        if len(f) == 3 and f[2] == mod:  # nested ones are smaller
                            imp = max(imp or 0, int(f[1]) / 1e3)
                rows.append(["python -c \"import %s\"" % mod, w, imp])
        for label, w, imp in rows:
            key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
            if w is None:
                self.emit("startup.%s" % key, "n/a", "-")
            else:
                self.emit("startup.%s.wall" % key, w, "ms")
            if imp is not None:
                self.emit("startup.%s.importtime" % key, imp, "ms")
        return rows

    # -- parser micro-benchmarks (bench_json, owned by parsers) -------------
    def micro(self):
        rows = []
        for prog in ("bench_json", "bench_openai_stream"):
            path = os.path.join(BIN, prog)
            if not os.access(path, os.X_OK):
                rows.append([prog, "n/a", ""])
                continue
            p = subprocess.run(self.pin_client + [path], capture_output=True, text=True,
                               timeout=600)
            for line in p.stdout.splitlines():
                f = line.split()
                if len(f) == 3:
                    try:
                        float(f[1])
                    except ValueError:
                        continue
                    rows.append(f)
                    self.lines.append(line.strip())
        return rows


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i < 2 else "---:" for i in range(len(head))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(x) for x in r) + " |")
    return "\n".join(out)


def main():
    if sys.argv[1:] == ["--mock-scenario"]:  # for run.sh, which starts the mock
        print(MOCK_SCENARIO)
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx-port", type=int, required=True)
    ap.add_argument("--nginx-h2-port", type=int, default=0)
    ap.add_argument("--nginx-tls-port", type=int, default=0)
    ap.add_argument("--mock-port", type=int, default=0)
    ap.add_argument("--duration", type=float, default=2)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--clients", default="", help="comma list (default all)")
    ap.add_argument("--workloads", default="", help="comma list of workload names, "
                    "or 'streams-10k', 'startup', 'micro' (default all)")
    a = ap.parse_args()
    b = Bench(a)
    load0 = os.getloadavg()[0]
    sel = a.workloads.split(",") if a.workloads else None
    wls = [w for w in WORKLOADS if sel is None or w[0] in sel]
    if a.nginx_tls_port:
        wls += [w for w in TLS_WORKLOADS if sel is None or w[0] in sel]
    if a.mock_port:
        b.probe_mock()
        wls += [w for w in PACED if sel is None or w[0] in sel]
    long_wls = [STREAMS_10K] if sel is None or STREAMS_10K[0] in sel else []
    done, extra = [], {}

    def write(final):
        """(Re)writes the report from everything measured so far, so a run
        cut short still leaves its table."""
        b.lines = []
        head, rows = b.report_workloads(done)
        parts = ["## Workloads\n", md_table(head, rows)]
        if "startup" in extra:
            srows = extra["startup"]
            parts += ["\n## Start-up (median wall time)\n", md_table(
                ["command", "wall ms", "import ms (-X importtime)"],
                [[l, "%.1f" % w if w is not None else "n/a",
                  "%.1f" % i if i is not None else ""] for l, w, i in srows])]
            b.lines += extra["startup_lines"]
        if "micro" in extra:
            parts += ["\n## Parser micro-benchmarks (bench_json, bench_openai_stream)\n",
                      md_table(["name", "value", "unit"], extra["micro"])]
            b.lines += extra["micro_lines"]
        load1 = os.getloadavg()[0]
        b.emit("machine.loadavg_start", load0, "-")
        b.emit("machine.loadavg_now", load1, "-")
        parts.append("\nMachine: %d cores; 1-minute load average %.1f at the start, "
                     "%.1f at the end (other work on the machine skews the figures)%s." %
                     (os.cpu_count(), load0, load1, "" if final else "; run incomplete"))
        table = "\n".join(parts) + "\n"
        with open(os.path.join(b.out, "table.md"), "w") as f:
            f.write(table)
        with open(os.path.join(b.out, "results.txt"), "w") as f:
            f.write("\n".join(b.lines) + "\n")
        with open(os.path.join(b.out, "chart.dat"), "w") as f:
            # client, then req/s and CPU µs/req at c1, c64, c1024 ("?" = missing)
            f.write("# client rps_c1 rps_c64 rps_c1024 cpu_c1 cpu_c64 cpu_c1024\n")
            for name, _, _ in b.clients:
                ms = [b.metrics(w, name) for w in ("small-c1", "small-c64", "small-c1024")]
                if not any(isinstance(m, dict) for m in ms):
                    continue
                v = lambda m, k: "%.1f" % m[k] if isinstance(m, dict) else "?"
                f.write("%s %s %s\n" % (name, " ".join(v(m, "rps") for m in ms),
                                        " ".join(v(m, "cpu_us") for m in ms)))
        return table

    for wl in wls:
        b.run_workloads([wl], a.repeats)
        done.append(wl)
        write(False)
    for wl in long_wls:
        b.run_workloads([wl], 1)
        done.append(wl)
        write(False)
    if sel is None or "startup" in sel:
        n0 = len(b.lines)
        extra["startup"] = b.startup()
        extra["startup_lines"] = b.lines[n0:]
    if sel is None or "micro" in sel:
        n0 = len(b.lines)
        extra["micro"] = b.micro()
        extra["micro_lines"] = b.lines[n0:]
    table = write(True)
    print(table)
    print("\n".join(b.lines))


if __name__ == "__main__":
    main()
