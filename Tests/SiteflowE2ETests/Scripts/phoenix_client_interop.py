#!/usr/bin/env python3
"""An unmodified third-party Phoenix Channels client (phoenix-channels-python-client, from
PyPI) joins a chat room on a Siteflow server, over protocol V2 and V1, gets presence_state, and
(V1) follows presence_diff and receives a message broadcast by another client (a plain WebSocket
speaking V2 JSON); then it leaves.

Over V2 this client drops every frame whose join_ref is not its own, including broadcasts, which
Phoenix itself sends as [null, null, topic, event, payload] (Phoenix.Socket.V2.JSONSerializer
fastlane; phoenix.js accepts a null join_ref). So over V2 only the channel's own pushes reach it,
as they would from a Phoenix server; the V1 run checks broadcasts.

Usage: phoenix_client_interop.py WS_URL ROOM
Exit codes: 0 passed, 1 failed (the reason is printed), 77 skipped (client not installed).
"""
import asyncio
import json
import sys

try:
    import websockets
    from phoenix_channels_python_client import PHXChannelsClient, PhoenixChannelsProtocolVersion
except ImportError as error:  # pragma: no cover - environment check
    print(f"SKIP phoenix-channels-python-client is not installed: {error}")
    sys.exit(77)

WAIT_S = 30


def payload_of(message):
    payload = getattr(message, "payload", None)
    if payload is None and isinstance(message, dict):
        payload = message.get("payload")
    return payload or {}


def event_of(message):
    event = getattr(message, "event", None)
    if event is None and isinstance(message, dict):
        event = message.get("event")
    return str(getattr(event, "value", event))


async def speak(ws_url, room, nickname, body):
    """A second client: joins with a nickname and sends one message, waiting for its ack."""
    separator = "&" if "?" in ws_url else "?"
    async with websockets.connect(f"{ws_url}{separator}vsn=2.0.0") as socket:
        await socket.send(json.dumps(["1", "1", room, "phx_join", {"nickname": nickname}]))
        await expect_reply(socket, "1")
        await socket.send(json.dumps(["1", "2", room, "new_msg", {"body": body}]))
        await expect_reply(socket, "2")


async def expect_reply(socket, ref):
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), WAIT_S))
        if frame[1] == ref and frame[3] == "phx_reply":
            if frame[4].get("status") != "ok":
                raise AssertionError(f"push {ref} was refused: {frame[4]}")
            return frame[4]


async def run(ws_url, room, version):
    received = asyncio.Queue()

    async def on_message(message):
        await received.put(message)

    async with PHXChannelsClient(ws_url, "interop-key", protocol_version=version) as client:
        try:
            await client.subscribe_to_topic(room, on_message)
        except Exception as error:
            raise AssertionError(f"{version}: joining {room} failed: {type(error).__name__}: {error}")
        if not client.is_topic_joined(room):
            raise AssertionError("the client does not consider the topic joined")
        body = f"interop {version.value if hasattr(version, 'value') else version}"
        speaker = asyncio.create_task(speak(ws_url, room, f"speaker-{version.name.lower()}", body))
        seen = set()
        got_message = False
        expects_broadcasts = version == PhoenixChannelsProtocolVersion.V1
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while not ((got_message and "presence_diff" in seen) if expects_broadcasts else "presence_state" in seen):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out; events seen: {sorted(seen)}")
            try:
                message = await asyncio.wait_for(received.get(), remaining)
            except asyncio.TimeoutError:
                raise AssertionError(f"{version}: timed out waiting for events; seen: {sorted(seen)}")
            event = event_of(message)
            seen.add(event)
            if event == "new_msg" and payload_of(message).get("body") == body:
                got_message = True
        try:
            await speaker
        except Exception as error:
            raise AssertionError(f"{version}: the speaking client failed: {type(error).__name__}: {error}")
        if "presence_state" not in seen:
            raise AssertionError(f"no presence_state after join; events seen: {sorted(seen)}")
        await client.unsubscribe_from_topic(room)
    what = "presence_state + presence_diff, broadcast received" if expects_broadcasts else "presence_state"
    print(f"ok {version}: joined, {what}, left")


async def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 1
    ws_url, room = sys.argv[1], sys.argv[2]
    try:
        for version in (PhoenixChannelsProtocolVersion.V2, PhoenixChannelsProtocolVersion.V1):
            await run(ws_url, f"{room}-{version.name.lower()}", version)
        return 0
    except (AssertionError, asyncio.TimeoutError, OSError) as failure:
        print(f"FAIL {type(failure).__name__}: {failure}")
        return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
