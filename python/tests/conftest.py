import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# run-tests.sh points this at the ASan build with LLMIO_PY_SANITIZE=1
PY_BUILD = os.environ.get("LLMIO_PY_BUILD", str(ROOT / "build" / "python"))
sys.path.insert(0, PY_BUILD)
# Under ASan freed memory sits in quarantine: RSS bounds mean nothing.
RSS_CHECKS = not os.environ.get("LLMIO_PY_SANITIZE")


def rss_kb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

import llmio  # noqa: E402

SECRET = "sk-test-SECRETKEY-4242"


def start_mock(*args):
    """Start build/bin/llmio-mock on a free port; returns (process, url)."""
    exe = ROOT / "build" / "bin" / "llmio-mock"
    p = subprocess.Popen([str(exe), "--port", "0", "--quiet", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    port = int(p.stdout.readline().strip())
    return p, f"http://127.0.0.1:{port}/v1"


def stop_mock(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    p.stdout.close()


@pytest.fixture(scope="session")
def mock():
    p, url = start_mock()
    try:
        yield url
    finally:
        stop_mock(p)


class LoggedMock:
    """A private mock with --log: .url, .bodies() (request bodies sent so
    far), .stats() (GET /mock/stats)."""

    def __init__(self, tmp_path):
        self.log = tmp_path / "mock-log.jsonl"
        self.proc, self.url = start_mock("--log", str(self.log))
        self.root = self.url[:-len("/v1")]

    def entries(self):
        import json
        if not self.log.exists():
            return []
        return [json.loads(x) for x in self.log.read_text().splitlines() if x]

    def bodies(self):
        return [e["body"] for e in self.entries()]

    def stats(self):
        import json
        import urllib.request
        with urllib.request.urlopen(self.root + "/mock/stats", timeout=5) as r:
            return json.loads(r.read())


@pytest.fixture
def private_mock(tmp_path):
    m = LoggedMock(tmp_path)
    try:
        yield m
    finally:
        stop_mock(m.proc)


@pytest.fixture
def client(mock):
    c = llmio.Client(api_key=SECRET, base_url=mock)
    yield c
    c.close()


MODEL = "openai/gpt-4o-mini"


def user(text):
    return [{"role": "user", "content": text}]


def scenario(s):
    return {"X-Mock-Scenario": s}
