"""Image pushes: WeCom robots get base64 + md5, WeCom app messages an uploaded image, DingTalk the text only."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.chart import attendance_chart
from bot.domain.messages import Push
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
        ding = Chat(class_group_id=wecom.class_group_id, platform="dingtalk", chat_id="cid-d", webhook="tok-d",
                    webhook_secret="SECret")
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


@pytest.mark.parametrize("image, problem", [(b"\x89PNG\r\n\x1a\n" + b"\0" * IMAGE_MAX_BYTES, "over the 2 MB"),
                                            (b"GIF89a" + b"\0" * 100, "PNG or JPEG")])
async def test_an_image_the_platform_would_refuse_is_rejected_at_enqueue(
    world: World, image: bytes, problem: str
) -> None:
    wecom, _ = await chats(world)
    with pytest.raises(ImageRejected, match=problem):
        await world.queue(Push(key="ok", text="先来的", chat_ref=wecom),
                          Push(key="big", text="图太大", chat_ref=wecom, image_png=image))
    async with world.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # nothing written


async def test_the_daily_chart_and_an_image_of_exactly_2_mb_go_out(world: World) -> None:
    wecom, _ = await chats(world)
    points = [DayPoint(date(2026, 11, 2) + timedelta(days=i), 30, 28 - i % 3, i % 2) for i in range(20)]
    chart = attendance_chart(points, "示例小学")
    await world.queue(Push(key="chart", text="近20天", chat_ref=wecom, image_png=chart),
                      Push(key="max", text="最大", chat_ref=wecom, image_png=png(IMAGE_MAX_BYTES)))
    await world.worker().run_once()
    assert world.robots is not None
    images = [m for m in world.robots.received["key-a"] if m["msgtype"] == "image"]
    assert [base64.b64decode(m["image"]["base64"]) for m in images] == [chart, png(IMAGE_MAX_BYTES)]
