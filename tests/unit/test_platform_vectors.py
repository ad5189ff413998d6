"""The platforms' public test vectors (PROTOCOLS.md), and the parsers on decrypted payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.platforms import Rejected, dingtalk, wecom

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

# V1: the WeCom documentation's sample (token QDG6eK, receiveid wx5823bf96d3bd56c7).
V1 = ("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
V1_ECHO = (
    "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "1409659589",
    "263014780",
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
)
# V3: wechatpy's tests/test_crypto.py.
V3 = ("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
V3_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv"
    "283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvk"
    "KR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdg"
    "pkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnT"
    "bcX2e8K9QaNWHp91eBdCRxthuL0="
)


def test_v1_url_verification() -> None:
    crypto = wecom.WecomCrypto(*V1)
    assert crypto.verify_url(*V1_ECHO) == "1616140317555161061"


def test_v1_wrong_signature_is_rejected() -> None:
    crypto = wecom.WecomCrypto(*V1)
    with pytest.raises(Rejected) as err:
        crypto.verify_url("0" * 40, *V1_ECHO[1:])
    assert err.value.status == 403


def test_v1_needs_the_corp_id_as_receiveid() -> None:
    crypto = wecom.WecomCrypto(V1[0], V1[1], "")  # configured for bots only
    with pytest.raises(Rejected) as err:
        crypto.verify_url(*V1_ECHO)
    assert err.value.status == 403 and "receiveid" in err.value.reason


def test_v3_decrypt_message() -> None:
    crypto = wecom.WecomCrypto(*V3)
    plain = crypto.decrypt(V3_ENCRYPT, "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294")
    assert "<Content><![CDATA[test]]></Content>" in plain and "messense" in plain


def test_v3_tampered_ciphertext_is_rejected() -> None:
    crypto = wecom.WecomCrypto(*V3)
    with pytest.raises(Rejected):
        crypto.decrypt(
            V3_ENCRYPT[:-8] + "AAAAAAA=",
            "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
            "1411525903",
            "461056294",
        )


def test_round_trip_with_empty_receiveid() -> None:
    crypto = wecom.WecomCrypto("tok", V1[1], "")
    sealed = crypto.encrypt('{"msgid":"1","text":"请假 明天"}', "1700000000")
    assert set(sealed) == {"encrypt", "msgsignature", "timestamp", "nonce"}
    plain = crypto.decrypt(sealed["encrypt"], sealed["msgsignature"], sealed["timestamp"], sealed["nonce"])
    assert json.loads(plain)["text"] == "请假 明天"


def test_dingtalk_sign_vectors() -> None:
    assert (
        dingtalk.sign("1577262236757", "this is a secret") == "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA="
    )
    assert dingtalk.sign("1577262236757", "this is secret") == "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="


def _headers(ts_ms: int, secret: str = "s3cret") -> dict[str, str]:
    return {"timestamp": str(ts_ms), "sign": dingtalk.sign(str(ts_ms), secret)}


def test_dingtalk_verify_window_and_fail_closed() -> None:
    now_ms = int(NOW.timestamp() * 1000)
    dingtalk.verify(_headers(now_ms), "s3cret", NOW)
    dingtalk.verify(_headers(now_ms - 59 * 60 * 1000), "s3cret", NOW)
    cases = [
        (_headers(now_ms - 61 * 60 * 1000), "s3cret", "stale"),
        (_headers(now_ms + 61 * 60 * 1000), "s3cret", "stale"),
        (_headers(now_ms, "other"), "s3cret", "bad signature"),
        ({"timestamp": str(now_ms)}, "s3cret", "missing"),
        ({"timestamp": "abc", "sign": "x"}, "s3cret", "not a number"),
        (_headers(now_ms), "", "not configured"),
    ]
    for headers, secret, reason in cases:
        with pytest.raises(Rejected, match=reason):
            dingtalk.verify(headers, secret, NOW)


def test_ai_bot_json_parsed() -> None:
    payload = {
        "msgid": "m1",
        "aibotid": "b",
        "chatid": "wrGROUP",
        "chattype": "group",
        "from": {"userid": "u1"},
        "response_url": "https://qyapi.weixin.qq.com/r",
        "msgtype": "text",
        "text": {"content": "@托管助手 请假 明天"},
    }
    inbound = wecom.parse_ai_bot(json.dumps(payload), NOW, "托管助手")
    assert inbound.message is not None and inbound.message.chat_id == "wrGROUP" and inbound.message.is_group
    assert inbound.reply_to == "https://qyapi.weixin.qq.com/r"
    image = {**payload, "msgtype": "image", "text": None}
    assert wecom.parse_ai_bot(json.dumps(image), NOW, "托管助手").message is None


@pytest.mark.parametrize(
    "plain",
    ["not json", "[1,2]", '{"msgid": 5, "from": {"userid": "u"}}', '{"msgid": "m", "from": "u"}'],
)
def test_ai_bot_bad_payloads(plain: str) -> None:
    with pytest.raises(Rejected):
        wecom.parse_ai_bot(plain, NOW, "托管助手")


def test_group_robot_xml_only_when_addressed() -> None:
    xml = (
        "<xml><WebhookUrl>https://example.invalid/hook</WebhookUrl><MsgId>9</MsgId><ChatId>wrC</ChatId>"
        "<ChatType>group</ChatType><From><UserId>u1</UserId><Name>刘芳</Name></From><MsgType>text</MsgType>"
        "<Text><Content>@托管助手 查询</Content></Text></xml>"
    )
    inbound = wecom.parse_group_robot(xml, NOW, "托管助手")
    assert inbound.message is not None and inbound.message.sender_name == "刘芳"
    not_for_us = xml.replace("@托管助手 查询", "大家好")
    assert wecom.parse_group_robot(not_for_us, NOW, "托管助手").message is None


def test_configured_bot_name_is_stripped_at_the_edge() -> None:
    payload = {
        "msgid": "m2",
        "chatid": "wrG",
        "chattype": "group",
        "from": {"userid": "u1"},
        "msgtype": "text",
        "text": {"content": "@小托 请假 明天"},
    }
    inbound = wecom.parse_ai_bot(json.dumps(payload, ensure_ascii=False), NOW, "小托")
    assert inbound.message is not None and inbound.message.text == "请假 明天"
    xml = (
        "<xml><MsgId>9</MsgId><ChatId>wrC</ChatId><ChatType>group</ChatType><From><UserId>u1</UserId></From>"
        "<MsgType>text</MsgType><Text><Content>@小托 查询</Content></Text></xml>"
    )
    robot = wecom.parse_group_robot(xml, NOW, "小托")
    assert robot.message is not None and robot.message.text == "查询"
    assert wecom.parse_group_robot(xml, NOW, "托管助手").message is None


def test_xml_entity_expansion_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<xml><Encrypt>&b;</Encrypt></xml>"
    )
    with pytest.raises(Rejected) as err:
        wecom.encrypted_field(bomb.encode(), "text/xml")
    assert err.value.status == 400


def test_passive_group_robot_reply_escapes_cdata() -> None:
    xml = wecom.passive_plaintext(wecom.GROUP_ROBOT, "9", "a]]>b", ("u1",))
    assert "<Item><![CDATA[u1]]></Item>" in xml and "a]]]]><![CDATA[>b" in xml


def test_json_nesting_limit_is_exact_and_ignores_strings() -> None:
    from bot.platforms import MAX_JSON_DEPTH, load_json, too_deep

    def nested(depth: int) -> bytes:
        return ("[" * depth + "]" * depth).encode()

    def mixed(depth: int) -> bytes:
        return ('{"a":[' * (depth // 2) + "1" + "]}" * (depth // 2)).encode()

    assert not too_deep(nested(MAX_JSON_DEPTH)) and too_deep(nested(MAX_JSON_DEPTH + 1))
    assert not too_deep(mixed(MAX_JSON_DEPTH)) and too_deep(mixed(MAX_JSON_DEPTH + 2))
    quoted = json.dumps({"text": "[[[{{{" * 500 + '\\" ]]]', "list": [[1], [2]]}).encode()
    assert not too_deep(quoted) and load_json(quoted)["list"] == [[1], [2]]
    assert not too_deep(b"[]" * 30_000)  # wide, not deep
    with pytest.raises(Rejected, match="nested too deeply"):
        load_json(b"[" * 50_000)
