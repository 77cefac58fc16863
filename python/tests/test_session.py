"""llmio.Session over the C llmio_session: the history lives in C, a
failed or cancelled turn leaves it as it was, bad messages are refused
naming the field."""
import asyncio

import pytest

import llmio
from conftest import MODEL, scenario


def test_session_failed_turn_keeps_history(client):
    s = llmio.Session(client, MODEL, system="sys", max_attempts=1)
    with pytest.raises(llmio.Error):
        s.chat("first", headers=scenario("status=500"))
    assert s.messages == [{"role": "system", "content": "sys"},
                          {"role": "user", "content": "first"}]
    # the same turn again (content None sends the history as is)
    assert s.chat().text == "first"
    assert [m["role"] for m in s.messages] == ["system", "user", "assistant"]
    s.clear()
    assert s.messages == [{"role": "system", "content": "sys"}]


def test_session_cancelled_stream_keeps_history(client):
    s = llmio.Session(client, MODEL)

    async def main():
        n = 0
        async for d in s.astream("a b c d e f g h",
                                 headers=scenario("tps=50")):
            n += 1
            if n == 3:
                break
        return n
    assert asyncio.run(main()) == 3
    assert s.messages == [{"role": "user", "content": "a b c d e f g h"}]


def test_session_add_message_checked_in_c(client):
    s = llmio.Session(client, MODEL)
    s.add_message("system", "be brief")
    s.add_message("user", "hi")
    # a system message sets the prompt (the session keeps it apart)
    s.add_message("system", "be terse")
    with pytest.raises(llmio.InvalidError) as e:
        s.add_message("developer", "mid-history")
    assert "messages[0].role" in str(e.value)
    with pytest.raises(llmio.InvalidError):
        s.add_message("robot", "x")
    assert s.messages == [{"role": "system", "content": "be terse"},
                          {"role": "user", "content": "hi"}]
    client.close()
    with pytest.raises(llmio.Error):
        s.chat("after close")
