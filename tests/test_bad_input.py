"""Bad input gets a sensible reply, stores nothing and the server keeps serving."""
from __future__ import annotations

import pytest

from tests.conftest import Stack

BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t  ",
    "huge": "ļoti gara ziņa " * 1500,
    "emoji": "😀😡🙈🎉",
    "markup": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "sql_injection": "'; DROP TABLE registrations; -- S-2026-000001' OR '1'='1",
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_gets_a_reply_and_nothing_breaks(stack: Stack, name: str) -> None:
    before = stack.register.count()
    chat = stack.chat()
    replies = chat.say(BAD_INPUTS[name])
    assert replies and all(m.get("text", "").strip() for m in replies), replies
    assert not any("Numurs:" in m["text"] for m in replies)
    assert stack.register.count() == before
    assert "Labdien" in stack.chat().text("sveiki")
