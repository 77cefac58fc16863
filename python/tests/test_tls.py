"""https with a throwaway CA (scripts/tls-certs.sh): Client(ca_file=...,
ca_path=...), SSL_CERT_FILE, an untrusted server failing with TLSError,
and bad paths refused at construction naming the field. The server is
llmio-mock behind tests/support/tls-front.py, on 127.0.0.1 only."""
import os
import subprocess
import sys

import pytest

import llmio
from conftest import MODEL, ROOT, SECRET, start_mock, stop_mock, user


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["sh", str(ROOT / "scripts" / "tls-certs.sh"), str(d)], check=True)
    mock, url = start_mock()
    port = url.split(":")[2].split("/")[0]
    front = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "support" / "tls-front.py"),
         str(d / "server.pem"), str(d / "server.key"), port],
        stdout=subprocess.PIPE, text=True)
    tport = int(front.stdout.readline().strip())
    try:
        yield d, f"https://127.0.0.1:{tport}/v1"
    finally:
        front.terminate()
        front.wait(timeout=10)
        front.stdout.close()
        stop_mock(mock)


def chat(url, **kw):
    c = llmio.Client(api_key=SECRET, base_url=url, max_attempts=1, **kw)
    try:
        return c.chat(MODEL, user("Hello over TLS"))
    finally:
        c.close()


def test_ca_file_and_ca_path(tls):
    d, url = tls
    assert chat(url, ca_file=str(d / "ca.pem")).text == "Hello over TLS"
    assert chat(url, ca_file=d / "ca.pem").text == "Hello over TLS"  # PathLike
    assert chat(url, ca_path=d / "cadir").text == "Hello over TLS"


def test_untrusted_is_tls_error_without_the_key(tls, monkeypatch):
    _, url = tls
    for v in ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(v, raising=False)
    with pytest.raises(llmio.TLSError) as ei:
        chat(url)
    assert "certificate" in str(ei.value)
    assert SECRET not in str(ei.value)
    assert ei.value.attempts == 1


def test_ssl_cert_file_env(tls, monkeypatch):
    d, url = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(d / "ca.pem"))
    assert chat(url).text == "Hello over TLS"


def test_bad_paths_refused_at_construction(tmp_path):
    with pytest.raises(llmio.InvalidError) as ei:
        llmio.Client(ca_file="/nonexistent/ca.pem")
    assert ei.value.message == ("ca_file: /nonexistent/ca.pem: "
                                "No such file or directory")
    with pytest.raises(llmio.InvalidError) as ei:
        llmio.Client(ca_path=str(tmp_path / "missing"))
    assert ei.value.message.startswith("ca_path: ")
    with pytest.raises(llmio.InvalidError) as ei:
        llmio.Client(ca_file=str(tmp_path))
    assert ei.value.message.endswith(": is a directory")
    with pytest.raises(TypeError):
        llmio.Client(ca_file=42)
