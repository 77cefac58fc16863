"""Requests from JSON bodies: Client.chat_json / achat_json / body=...
(llmio_request_from_jsonl, which applies llmio_request_set_json) and
batch items given as OpenAI Batch API lines."""
import asyncio
import json

import pytest

import llmio
from conftest import MODEL, SECRET, scenario, user


def test_chat_json_dict_text_bytes_and_options_on_top(private_mock):
    c = llmio.Client(api_key=SECRET, base_url=private_mock.url)
    body = {"model": MODEL, "temperature": 0.1, "max_tokens": 7,
            "stream": True,                       # ignored: stream= decides
            "reasoning_effort": "low",            # unknown: sent as is
            "messages": [{"role": "system", "content": "s"},
                         {"role": "user", "content": "from a dict"}]}
    assert c.chat_json(body).text == "from a dict"
    text = json.dumps({"messages": user("from text")})
    r = c.chat_json(text, model=MODEL, temperature=0.5,
                    headers={"X-Trace": "7"})
    assert r.text == "from text"
    assert c.chat_json(text.encode(), model=MODEL).text == "from text"
    # the Python equivalent: chat(model, None, body=...)
    assert c.chat(MODEL, None, body={"prompt": "a prompt"}).text == "a prompt"
    c.close()
    sent = private_mock.bodies()
    assert sent[0]["temperature"] == 0.1 and sent[0]["max_tokens"] == 7
    assert sent[0]["reasoning_effort"] == "low"
    assert "stream" not in sent[0]
    assert sent[0]["messages"][0] == {"role": "system", "content": "s"}
    assert sent[1]["temperature"] == 0.5  # the keyword wins
    assert sent[1]["model"] == "gpt-4o-mini"  # model= was the default
    assert private_mock.entries()[1]["headers"]["x-trace"] == "7"
    assert sent[3]["messages"] == [{"role": "user", "content": "a prompt"}]


def test_chat_json_bad_bodies_are_typed_errors(client):
    with pytest.raises(llmio.InvalidError,
                       match=r"body\.messages\[0\]\.role: unknown role"):
        client.chat_json({"model": MODEL,
                          "messages": [{"role": "robot", "content": "x"}]})
    with pytest.raises(llmio.InvalidError, match=r"body\.json: column"):
        client.chat_json("{not json", model=MODEL)
    with pytest.raises(llmio.InvalidError, match=r"body\.model: not set"):
        client.chat_json({"prompt": "x"})
    with pytest.raises(llmio.InvalidError, match=r"body\.messages: none"):
        client.chat_json({"model": MODEL})
    with pytest.raises(llmio.UnsupportedError, match=r"body\.url"):
        client.chat_json({"custom_id": "a", "method": "POST",
                          "url": "/v1/embeddings", "body": {"input": "x"}},
                         model=MODEL)
    with pytest.raises(llmio.InvalidError, match="system: not with body="):
        client.chat_json({"prompt": "x"}, model=MODEL, system="s")
    with pytest.raises(TypeError):
        client.chat_json({1, 2}, model=MODEL)   # not JSON-serialisable
    assert client.pending == 0


def test_achat_json_stream_and_other_provider(mock):
    root = mock[:-len("/v1")]
    c = llmio.Client(api_key={"openai": SECRET, "anthropic": "sk-ant-x"},
                     base_url={"openai": mock, "anthropic": root})
    # one OpenAI-shaped body serves every provider
    body = {"model": "anthropic/claude-sonnet-4-5", "max_tokens": 20,
            "messages": [{"role": "system", "content": "s"},
                         {"role": "user", "content": "hello anthropic"}]}

    async def main():
        r = await c.achat_json(body)
        s = await c.achat_json({"messages": user("streamed")}, model=MODEL,
                               stream=True)
        async with s:
            text = "".join([d.text async for d in s if d.kind == "text"])
        return r, text
    r, text = asyncio.run(main())
    assert r.text == "hello anthropic" and r.provider == "anthropic"
    assert text == "streamed"
    c.close()


def test_batch_items_as_openai_batch_api_lines(client, tmp_path):
    lines = [
        {"custom_id": "r0", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": MODEL, "messages": user("line 0")}},
        {"custom_id": "r1", "method": "POST", "url": "/v1/embeddings",
         "body": {"model": MODEL, "input": "x"}},
        {"custom_id": "r2", "body": {"messages": user("line 2")}},
        "not json",
        {"prompt": "line 4", "temperature": 0},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) +
                            "\n" for x in lines))
    with open(path) as fh:   # a file is read one line per free slot
        out = client.batch(({"body": line} for line in fh), model=MODEL,
                           concurrency=2)
    assert out[0].text == "line 0"
    assert isinstance(out[1], llmio.UnsupportedError)
    assert out[2].text == "line 2"
    assert isinstance(out[3], llmio.InvalidError) and "body.json" in str(out[3])
    assert out[4].text == "line 4"
    # dict items: a Batch API line as is, or {"body": ...} plus options

    async def main():
        return await client.abatch(
            [lines[0], {"body": {"prompt": "slow"}, "timeout": 0.2,
                        "headers": scenario("ttft=3000")}], model=MODEL)
    a, b = asyncio.run(main())
    assert a.text == "line 0" and isinstance(b, llmio.TimeoutError)
