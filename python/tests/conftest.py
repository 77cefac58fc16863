import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "build" / "python"))

import llmio  # noqa: E402

SECRET = "sk-test-SECRETKEY-4242"


@pytest.fixture(scope="session")
def mock():
    exe = ROOT / "build" / "bin" / "llmio-mock"
    p = subprocess.Popen([str(exe), "--port", "0", "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    try:
        line = p.stdout.readline().strip()
        port = int(line)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        p.stdout.close()


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
