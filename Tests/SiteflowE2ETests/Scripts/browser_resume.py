#!/usr/bin/env python3
"""The chat page comes back by itself after its node traps, and nothing is lost or doubled.

A real browser (headless Chromium driven by Selenium) chats at BASE_URL, served by a supervised
`siteflow serve --fault-injection`, with bob, a plain WebSocket client (Phoenix V2 JSON). Then:
- alice sends a message and her socket closes in the same instant: its acknowledgement cannot
  arrive; it waits in the outbox and is re-sent with its key after the rejoin;
- alice sends a message and the node is trapped at once (POST /_fault/trap): that message is in
  flight, committed or not, its acknowledgement most likely lost;
- while the page is disconnected (its reconnection held by the script, so the outage is not a
  race) alice sends another message: it waits in the outbox, shown pending;
- bob reconnects to the new node and posts messages the page cannot see yet (the gap, more
  than one history page);
- the page reconnects: it rejoins with the last id it saw, fills the gap, re-sends its outbox
  with the same idempotency keys; bob posts once more, live.
Afterwards the page shows every message exactly once, in id order, exactly the room's history
as the server tells a fresh client, and the outbox is empty.

Usage: browser_resume.py BASE_URL ROOM
Exit codes: 0 passed, 1 failed (the reason is printed), 77 skipped (no Selenium or Chromium).
"""
import http.client
import json
import sys
import time
import urllib.error
import urllib.request
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

try:
    from selenium.webdriver.common.by import By
    from websockets.sync.client import connect
except ImportError as error:  # pragma: no cover - environment check
    print(f"SKIP selenium or websockets is not installed: {error}")
    sys.exit(77)

from browser_chat import open_browser, wait_for, send, online, text_of

WAIT_S = 30
IN_FLIGHT = "in flight when the node trapped"
ACK_LOST = "acknowledgement lost"
GAP = 60
DURING_OUTAGE = "sent during the outage"


class PlainClient:
    """A Phoenix V2 JSON client over a plain WebSocket (no library beyond websockets)."""

    def __init__(self, ws_url):
        self.ws = connect(ws_url, open_timeout=WAIT_S)
        self.ref = 0

    def push(self, join_ref, topic, event, payload):
        self.ref += 1
        ref = str(self.ref)
        self.ws.send(json.dumps([join_ref, ref, topic, event, payload]))
        return ref

    def reply(self, ref):
        deadline = time.monotonic() + WAIT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no reply to push {ref}")
            frame = json.loads(self.ws.recv(timeout=remaining))
            if frame[3] == "phx_reply" and frame[1] == ref:
                return frame[4]

    def join(self, topic, payload):
        ref = self.push(None, topic, "phx_join", payload)
        return ref, self.reply(ref)

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - the node may be gone
            pass


class Bob:
    """bob: joins, posts acknowledged messages, and comes back after the node's restart."""

    def __init__(self, ws_url, topic):
        self.ws_url = ws_url
        self.topic = topic
        self.token = None
        self.client = None
        self.join_ref = None

    def join(self):
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                client = PlainClient(self.ws_url)
                params = {"nickname": "bob"}
                if self.token:
                    params["token"] = self.token
                join_ref, reply = client.join(self.topic, params)
                if reply["status"] != "ok":
                    raise AssertionError(f"bob's join was refused: {reply}")
                self.client, self.join_ref = client, join_ref
                self.token = reply["response"]["token"]
                return
            except AssertionError:
                raise
            except Exception as error:  # noqa: BLE001 - OSError, websockets' ConnectionClosed, handshake errors
                if time.monotonic() > deadline:
                    raise AssertionError(f"bob could not join again: {error}")
                time.sleep(0.05)

    def post(self, body):
        ref = self.client.push(self.join_ref, self.topic, "new_msg", {"body": body})
        reply = self.client.reply(ref)
        if reply["status"] != "ok":
            raise AssertionError(f"bob's message {body!r} was refused: {reply}")
        return reply["response"]["id"]


def shown(driver):
    """The page's messages as [id, body], in the order shown."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#messages .message'))"
        ".map(function (e) { return [Number(e.getAttribute('data-id')), e.querySelector('.body').textContent]; });")


def pending(driver):
    """The outbox's bodies, read in one script (the outbox is re-rendered as it changes)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#outbox .pending .body')).map(function (e) { return e.textContent; });")


def bodies(driver):
    return [body for _, body in shown(driver)]


def trap(base_url):
    """Traps the node. It answers 202 and then traps, but may die before its answer is flushed:
    a connection closed without an answer counts as trapped (the page's lost socket confirms it)."""
    request = urllib.request.Request(base_url + "_fault/trap", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WAIT_S) as response:
            if response.status != 202:
                raise AssertionError(f"POST /_fault/trap answered {response.status}")
    except urllib.error.HTTPError as error:
        raise AssertionError(f"POST /_fault/trap answered {error.code}")
    except (http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError) as error:
        print(f"ok the node closed the trap request without an answer ({error})")


def server_history(ws_url, topic):
    """The room's whole history as [id, body], oldest first: a fresh client resuming after 0,
    page by page."""
    client = PlainClient(ws_url)
    try:
        join_ref, reply = client.join(topic, {"nickname": "carol", "after": 0})
        if reply["status"] != "ok":
            raise AssertionError(f"carol's join was refused: {reply}")
        page = reply["response"]
        history = []
        after = 0
        while True:
            history += [[message["id"], message["body"]] for message in page["messages"]]
            if not page["more"]:
                return history
            after = history[-1][0] if history else after
            answer = client.reply(client.push(join_ref, topic, "history", {"after": after}))
            if answer["status"] != "ok":
                raise AssertionError(f"history after {after} refused: {answer}")
            page = answer["response"]
    finally:
        client.close()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 1
    base_url, room = sys.argv[1], sys.argv[2]
    if not base_url.endswith("/"):
        base_url += "/"
    topic = "room:" + room
    ws_url = base_url.replace("http://", "ws://") + "socket/websocket?vsn=2.0.0"
    driver = open_browser()
    bob = Bob(ws_url, topic)
    try:
        driver.get(f"{base_url}?nickname=alice&room={room}")
        wait_for(driver, lambda d: "alice" in online(d), "alice to join")
        bob.join()
        for body in ("a1", "a2"):
            send(driver, body)
        for body in ("b1", "b2"):
            bob.post(body)
        wait_for(driver, lambda d: bodies(d) == ["a1", "a2", "b1", "b2"], "the first four messages")
        print("ok chatting before the fault")

        # Hold the page's reconnection at its next close, so an outage lasts until we end it.
        driver.execute_script(
            "var s = window.SiteflowChat.socket; window.__held = false; window.__hold = false;"
            "s.onClose(function () { if (window.__hold) { window.__hold = false; s.closedByUser = true; window.__held = true; } });")
        hold = "window.__held = false; window.__hold = true;"

        # Sent, then the socket closes in the same instant: no reply can arrive (a closing
        # WebSocket delivers no more messages), whether or not the node stored it.
        driver.execute_script(
            hold + "document.getElementById('message').value = arguments[0];"
            "document.getElementById('send').click(); window.SiteflowChat.socket.conn.close();", ACK_LOST)
        wait_for(driver, lambda d: d.execute_script("return window.__held;"), "the page to close its socket")
        if pending(driver) != [ACK_LOST]:
            raise AssertionError(f"the unacknowledged message is not pending: {pending(driver)!r}")
        driver.execute_script("window.SiteflowChat.socket.connect();")
        wait_for(driver, lambda d: not pending(d) and ACK_LOST in bodies(d), "the unacknowledged message re-sent and shown")
        print("ok a message whose acknowledgement was lost was re-sent with its key after the rejoin")

        driver.execute_script(hold)
        send(driver, IN_FLIGHT)
        trap(base_url)
        wait_for(driver, lambda d: d.execute_script("return window.__held;"), "the page to lose its socket")
        send(driver, DURING_OUTAGE)
        wait_for(driver, lambda d: DURING_OUTAGE in pending(d), "the message sent during the outage to wait in the outbox")
        print(f"ok the node trapped; outbox while away: {pending(driver)!r}")

        bob.client.close()
        bob.join()
        # More than one page (50): the page's resume reads several.
        gap = [bob.post(f"gap {index}") for index in range(1, GAP + 1)]
        print(f"ok bob posted {len(gap)} messages while the page was away")

        driver.execute_script("window.SiteflowChat.socket.connect();")
        expected_now = {"a1", "a2", "b1", "b2", ACK_LOST, IN_FLIGHT, DURING_OUTAGE} | {f"gap {index}" for index in range(1, GAP + 1)}
        wait_for(driver, lambda d: expected_now <= set(bodies(d)) and not pending(d), "the gap filled and the outbox sent")
        bob.post("after the return")
        wait_for(driver, lambda d: "after the return" in bodies(d), "a live message after the return")

        page = shown(driver)
        server = server_history(ws_url, topic)
        ids = [message_id for message_id, _ in page]
        if ids != sorted(set(ids)):
            raise AssertionError(f"the page shows messages out of order or twice: {page}")
        if page != server:
            raise AssertionError(f"the page differs from the room's history:\n  page:   {page}\n  server: {server}")
        for body in expected_now | {"after the return"}:
            count = [b for _, b in server].count(body)
            if count != 1:
                raise AssertionError(f"{body!r} is stored {count} times: {server}")
        if len(server) != len(expected_now) + 1:
            raise AssertionError(f"unexpected messages in the room: {server}")
        if pending(driver):
            raise AssertionError(f"the outbox is not empty: {pending(driver)}")
        print(f"ok every message once, in order, no gap: {len(page)} messages, as the server has them")
        return 0
    except AssertionError as failure:
        print(f"FAIL {failure}")
        print(f"  page: {shown(driver)!r} pending={pending(driver)!r} status={text_of(driver, 'status')!r} error={text_of(driver, 'error')!r}")
        for entry in driver.get_log("browser")[-20:]:
            print(f"  console: {entry.get('message')}")
        return 1
    finally:
        if bob.client:
            bob.client.close()
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
