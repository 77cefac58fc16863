"""Embeddings: Client.embedding / aembedding (llmio_request_add_input)."""
import asyncio
import math
import threading

import pytest

import llmio
from conftest import SECRET

EMB = "openai/text-embedding-3-small"


def norm(v):
    return math.sqrt(sum(x * x for x in v))


def test_embedding_vectors_in_input_order(client):
    r = client.embedding(EMB, ["alpha", "beta", "alpha"], dimensions=16)
    vs = r.embeddings
    assert len(vs) == 3 and r.embedding_dim == 16
    assert all(len(v) == 16 and abs(norm(v) - 1) < 1e-4 for v in vs)
    assert vs[0] == vs[2] and vs[0] != vs[1]
    assert r.usage.prompt_tokens > 0
    one = client.embedding(EMB, "beta", dimensions=16)
    assert one.embeddings == [vs[1]]
    b64 = client.embedding(EMB, ["alpha"], dimensions=16,
                           encoding_format="base64")
    assert b64.embeddings[0] == pytest.approx(vs[0], abs=1e-6)
    chat = client.chat("openai/gpt-4o-mini", "hi")
    assert chat.embeddings == [] and chat.embedding_dim == 0


def test_aembedding_gather_and_providers(mock):
    root = mock[:-len("/v1")]
    c = llmio.Client(api_key={"openai": SECRET, "gemini": "g-key"},
                     base_url={"openai": mock, "gemini": root + "/v1beta",
                               "ollama": root})

    async def main():
        return await asyncio.gather(*(
            c.aembedding(m, ["same text", "other"], dimensions=16)
            for m in (EMB, "gemini/text-embedding-004",
                      "ollama/nomic-embed-text")))
    with c:
        outs = asyncio.run(main())
    # the mock's vectors depend on the text only: every provider agrees
    ref = outs[0].embeddings
    for r in outs[1:]:
        assert len(r.embeddings) == 2
        for a, b in zip(r.embeddings, ref):
            assert a == pytest.approx(b, abs=1e-5)


def test_embedding_errors(client):
    with pytest.raises(llmio.InvalidError, match="input"):
        client.embedding(EMB, [])
    with pytest.raises(llmio.InvalidError, match=r"input\[1\]"):
        client.embedding(EMB, ["ok", 5])
    with pytest.raises(llmio.InvalidError, match="dimensions"):
        client.embedding(EMB, "x", dimensions=0)
    with pytest.raises(llmio.UnsupportedError):
        client.embedding("anthropic/claude-3-5-haiku-latest", "x")
    with pytest.raises(llmio.InvalidError):
        client.chat("openai/gpt-4o-mini", None)  # neither messages nor input


def test_module_level_embedding(mock, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", mock)
    monkeypatch.setattr(llmio, "_local", threading.local())
    v = llmio.embedding(EMB, "hello", dimensions=8).embeddings[0]

    async def main():
        return (await llmio.aembedding(EMB, ["hello"], dimensions=8)).embeddings
    assert asyncio.run(main()) == [v]
    llmio._local.client.close()


def test_embeddings_in_a_batch(client):
    items = [{"model": EMB, "messages": None, "input": [f"t{i}"],
              "dimensions": 8} for i in range(6)]
    out = client.batch(items, concurrency=3)
    ref = client.embedding(EMB, [f"t{i}" for i in range(6)], dimensions=8)
    assert [r.embeddings[0] for r in out] == ref.embeddings
