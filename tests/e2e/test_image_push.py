"""Image pushes: WeCom robots get base64 + md5, WeCom and DingTalk app messages an uploaded image (DingTalk:
oapi media/upload, then sampleImageMsg by media_id), DingTalk custom robots the text only."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.chart import attendance_chart
from bot.domain.messages import Push
from bot.outbox.worker import OutboxWorker
from bot.reports import DayPoint
from bot.store.outbox import IMAGE_MAX_BYTES, ImageRejected
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat
from tests.e2e.test_private_delivery import World, world

__all__ = ["world"]


def png(size: int = 0) -> bytes:
    """A real PNG (a 2x2 image written by matplotlib's Agg backend), optionally padded to `size` bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure = plt.figure(figsize=(0.02, 0.02), dpi=100)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    data = out.getvalue()
    return data + b"\0" * max(0, size - len(data))


async def chats(world: World) -> tuple[int, int]:
    async with world.db.transaction() as s:
        wecom = (await s.scalars(select(Chat).order_by(Chat.id))).first()
        assert wecom is not None
        wecom.webhook = "key-a"
        ding = Chat(
            class_group_id=wecom.class_group_id,
            platform="dingtalk",
            chat_id="cid-d",
            webhook="tok-d",
            webhook_secret="SECret",
        )
        s.add(ding)
        await s.flush()
        return wecom.id, ding.id


async def test_wecom_robot_gets_the_text_then_the_image_with_its_md5(world: World) -> None:
    wecom, _ = await chats(world)
    image = png()
    await world.queue(Push(key="i1", text="**日报** 见图", chat_ref=wecom, markdown=True, image_png=image))
    assert await world.worker().run_once() == 1
    assert world.robots is not None
    got = world.robots.received["key-a"]
    assert [m["msgtype"] for m in got] == ["markdown", "image"]
    assert base64.b64decode(got[1]["image"]["base64"]) == image  # the fake checked the md5 too
    assert got[1]["image"]["md5"] == hashlib.md5(image).hexdigest()
    assert await world.states() == ["sent"]


async def test_dingtalk_robot_gets_the_markdown_only_and_the_drop_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    _, ding = await chats(world)
    caplog.set_level(logging.INFO)
    await world.queue(Push(key="i2", text="**日报** 见图", chat_ref=ding, markdown=True, image_png=png()))
    await world.worker().run_once()
    assert world.robots is not None
    assert [m["msgtype"] for m in world.robots.received["tok-d"]] == ["markdown"]
    assert "push i2: DingTalk custom robots take no images; image dropped" in caplog.text
    assert await world.states() == ["sent"]


async def test_a_private_image_is_uploaded_then_sent_by_media_id(world: World) -> None:
    image = png()
    await world.queue(world.push("i3", "principal-zhao", "日报", markdown=True, image_png=image))
    await world.worker().run_once()
    got = world.apps.received["principal-zhao"]
    assert [m["msgtype"] for m in got] == ["markdown", "image"]
    assert world.apps.media[got[1]["image"]["media_id"]] == image


@pytest.mark.parametrize(
    "image, problem",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * IMAGE_MAX_BYTES, "over the 2 MB"),
        (b"GIF89a" + b"\0" * 100, "PNG or JPEG"),
    ],
)
async def test_an_image_the_platform_would_refuse_is_rejected_at_enqueue(
    world: World, image: bytes, problem: str
) -> None:
    wecom, _ = await chats(world)
    with pytest.raises(ImageRejected, match=problem):
        await world.queue(
            Push(key="ok", text="先来的", chat_ref=wecom),
            Push(key="big", text="图太大", chat_ref=wecom, image_png=image),
        )
    async with world.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # nothing written


async def test_the_daily_chart_and_an_image_of_exactly_2_mb_go_out(world: World) -> None:
    wecom, _ = await chats(world)
    points = [DayPoint(date(2026, 11, 2) + timedelta(days=i), 30, 28 - i % 3, i % 2) for i in range(20)]
    chart = attendance_chart(points, "示例小学")
    await world.queue(
        Push(key="chart", text="近20天", chat_ref=wecom, image_png=chart),
        Push(key="max", text="最大", chat_ref=wecom, image_png=png(IMAGE_MAX_BYTES)),
    )
    await world.worker().run_once()
    assert world.robots is not None
    images = [m for m in world.robots.received["key-a"] if m["msgtype"] == "image"]
    assert [base64.b64decode(m["image"]["base64"]) for m in images] == [chart, png(IMAGE_MAX_BYTES)]


def ding_worker(world: World, name: str = "w1") -> OutboxWorker:
    return world.worker(world.settings(wecom_app=False), name)  # the principal is reached on DingTalk


async def test_a_dingtalk_private_image_is_uploaded_with_the_oapi_token_and_sent_after_the_text(
    world: World,
) -> None:
    image = png()
    worker = ding_worker(world)
    await world.queue(
        world.push("d1", "principal-zhao", "**日报**\n应到 9", markdown=True, image_png=image),
        world.push("d2", "principal-zhao", "第二张", image_png=image),
    )
    assert await worker.run_once() == 2
    got = world.apps.received["ding-zhao"]
    assert [m["msgKey"] for m in got] == ["sampleMarkdown", "sampleImageMsg", "sampleText", "sampleImageMsg"]
    assert world.apps.media[got[1]["photoURL"]] == image and world.apps.media[got[3]["photoURL"]] == image
    assert world.apps.token_calls["dingtalk-oapi"] == 1 and world.apps.refused == []  # one cached oapi token
    assert await world.states() == ["sent", "sent"]


async def test_a_failed_upload_retries_the_image_only_never_the_text_again(world: World) -> None:
    worker = ding_worker(world)
    world.apps.modes["dingtalk-upload"] = "5xx"
    await world.queue(world.push("u1", "principal-zhao", "日报正文", image_png=png()))
    await worker.run_once()
    rows = await world.rows()
    assert rows[0].state == "private" and rows[0].parts_sent == 1  # the text went, the image waits
    world.apps.modes.clear()
    world.clock.advance(seconds=10)
    await worker.run_once()
    got = world.apps.received["ding-zhao"]
    assert [m["msgKey"] for m in got] == ["sampleText", "sampleImageMsg"] and await world.states() == ["sent"]


async def test_a_refused_oapi_token_is_fetched_again_once(world: World) -> None:
    worker = ding_worker(world)
    await world.queue(world.push("w", "principal-zhao", "预热", image_png=png()))
    await worker.run_once()
    world.apps.revoke_tokens()
    await world.queue(world.push("r", "principal-zhao", "令牌换新", image_png=png()))
    await worker.run_once()
    assert world.apps.refused == ["InvalidAuthentication", "42001"]
    assert world.apps.token_calls["dingtalk-oapi"] == 2 and await world.states() == ["sent", "sent"]
    assert [m["msgKey"] for m in world.apps.received["ding-zhao"]] == ["sampleText", "sampleImageMsg"] * 2


async def test_a_dingtalk_image_send_cut_off_by_a_crash_is_not_sent_again(world: World) -> None:
    world.apps.modes["dingtalk-image"] = (
        "hang"  # the platform takes the image message, the answer never comes
    )
    await world.queue(world.push("c1", "principal-zhao", "日报", image_png=png()))
    first = asyncio.create_task(ding_worker(world, "dies").run_once())
    for _ in range(200):
        await asyncio.sleep(0.01)
        if len(world.apps.received["ding-zhao"]) == 2:
            break
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    world.apps.modes.clear()
    world.clock.advance(minutes=3)  # the dead worker's lease is over
    await ding_worker(world, "restarted").run_once()
    assert [m["msgKey"] for m in world.apps.received["ding-zhao"]] == [
        "sampleText",
        "sampleImageMsg",
    ]  # once each
    assert await world.states() == ["unsure"]


async def test_the_fake_refuses_an_image_message_with_an_unknown_media_id(world: World) -> None:
    app = ding_worker(world).messengers["dingtalk"].app
    body = {
        "robotCode": "ding-app-key",
        "userIds": ["ding-zhao"],
        "msgKey": "sampleImageMsg",
        "msgParam": json.dumps({"photoURL": "@never-uploaded"}),
    }
    result = await app._send_body(await app.access_token(), body)
    assert result.outcome == "failed" and result.code == "invalidParameter.photoURL"
    assert world.apps.received["ding-zhao"] == []


async def test_a_robot_image_refused_after_its_text_is_retried_without_the_text(world: World) -> None:
    wecom, _ = await chats(world)
    assert world.robots is not None
    world.robots.modes["key-a"] = "image-busy"
    await world.queue(Push(key="g1", text="**日报** 见图", chat_ref=wecom, markdown=True, image_png=png()))
    await world.worker().run_once()
    assert [m["msgtype"] for m in world.robots.received["key-a"]] == ["markdown"]
    world.robots.modes.clear()
    world.clock.advance(seconds=10)
    await world.worker().run_once()
    assert [m["msgtype"] for m in world.robots.received["key-a"]] == ["markdown", "image"]  # the text once
    assert await world.states() == ["sent"]
