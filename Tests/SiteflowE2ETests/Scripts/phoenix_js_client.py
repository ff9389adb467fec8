#!/usr/bin/env python3
"""The official Phoenix JavaScript client (phoenix.js 1.7, unmodified, as bundled in the
`pyview-web` wheel from PyPI: `pyview/static/assets/app.js`, built by esbuild from the npm
packages `phoenix` and `phoenix_live_view`) talks to a Siteflow server in a real headless Chromium.

Two sockets of that library join the same chat room from one page of the server's origin:
- one whose WebSocket is blocked (the page's `WebSocket` fails at once, as behind a proxy that
  drops upgrades): with `longPollFallbackMs` phoenix.js falls back to long-polling by itself;
- one over a real WebSocket.
Each sees the other's presence, pushes messages (two back to back, which phoenix.js's long-poll
transport sends as one `application/x-ndjson` batch), gets each acknowledgement, and receives
every message of the room, its own included, in the order sent; then both leave.

Usage: phoenix_js_client.py BASE_URL ROOM
Exit codes: 0 passed, 1 failed (the reason is printed), 77 skipped (no Selenium, Chromium or
pyview-web).
"""
import importlib.util
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_chat import open_browser  # noqa: E402  (exits 77 itself without Selenium)

BUNDLE_VERSION = "pyview-web 0.9.0"

TEST_JS = r"""
const room = arguments[0];
const done = arguments[arguments.length - 1];
const log = [];
const fail = (why) => done({ok: false, why: String(why), log});
const Socket = window.liveSocket && window.liveSocket.socket && window.liveSocket.socket.constructor;
if (!Socket || typeof Socket.prototype.channel !== "function") { return fail("the bundle exposed no Phoenix Socket"); }

// A WebSocket that fails at once, as when a proxy drops the upgrade.
class BlockedWebSocket {
  constructor(url) {
    this.url = url; this.readyState = 0; log.push("websocket blocked: " + url);
    setTimeout(() => {
      this.readyState = 3;
      if (this.onerror) { this.onerror(new Event("error")); }
      if (this.onclose) { this.onclose({code: 1006, reason: "", wasClean: false}); }
    }, 20);
  }
  send() {}
  close() {}
}
const RealWebSocket = window.WebSocket;
window.WebSocket = BlockedWebSocket;
const lp = new Socket("/socket", {longPollFallbackMs: 3000, logger: (kind, msg) => log.push(kind + ": " + msg)});
window.WebSocket = RealWebSocket;
const ws = new Socket("/socket", {});
lp.connect();
ws.connect();

const seen = {lp: [], ws: []};
const presence = {lp: new Set(), ws: new Set()};
function follow(channel, who) {
  channel.on("new_msg", (message) => seen[who].push(message.body));
  channel.on("presence_state", (state) => Object.keys(state).forEach((key) => presence[who].add(key)));
  channel.on("presence_diff", (diff) => Object.keys(diff.joins || {}).forEach((key) => presence[who].add(key)));
}
const reply = (push, what) => new Promise((resolve, reject) => push
  .receive("ok", resolve)
  .receive("error", (response) => reject(what + " refused: " + JSON.stringify(response)))
  .receive("timeout", () => reject(what + " timed out")));
const until = (condition, what, ms = 15000) => new Promise((resolve, reject) => {
  const started = Date.now();
  const check = () => {
    if (condition()) { return resolve(); }
    if (Date.now() - started > ms) { return reject("timed out waiting for " + what); }
    setTimeout(check, 25);
  };
  check();
});

(async () => {
  const lpChannel = lp.channel(room, {nickname: "phx-longpoll"});
  const wsChannel = ws.channel(room, {nickname: "phx-websocket"});
  follow(lpChannel, "lp");
  follow(wsChannel, "ws");
  const lpJoin = await reply(lpChannel.join(), "long-poll join");
  const wsJoin = await reply(wsChannel.join(), "websocket join");
  const transports = {lp: lp.transport && lp.transport.name, ws: ws.transport && ws.transport.name,
                      lpConnected: lp.isConnected(), wsConnected: ws.isConnected()};
  await until(() => presence.lp.has("phx-websocket") && presence.ws.has("phx-longpoll"), "each to see the other online");
  // Two pushes in one tick: phoenix.js's long-poll transport batches them into one ndjson POST.
  const first = reply(lpChannel.push("new_msg", {body: "long-poll one"}), "long-poll push 1");
  const second = reply(lpChannel.push("new_msg", {body: "long-poll two"}), "long-poll push 2");
  const acks = [await first, await second];
  acks.push(await reply(wsChannel.push("new_msg", {body: "websocket one"}), "websocket push"));
  const expected = ["long-poll one", "long-poll two", "websocket one"];
  await until(() => expected.every((body) => seen.lp.includes(body) && seen.ws.includes(body)), "every message on both sockets");
  await reply(lpChannel.leave(), "long-poll leave");
  await reply(wsChannel.leave(), "websocket leave");
  lp.disconnect();
  ws.disconnect();
  done({ok: true, transports, acks, seen, history: [lpJoin.messages, wsJoin.messages].map((m) => Array.isArray(m)), log: log.slice(0, 20)});
})().catch(fail);
"""


def bundle_path():
    spec = importlib.util.find_spec("pyview")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "static", "assets", "app.js")
    return path if os.path.exists(path) else None


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    base_url, room = sys.argv[1].rstrip("/"), sys.argv[2]
    bundle = bundle_path()
    if bundle is None:
        print(f"SKIP {BUNDLE_VERSION} (phoenix.js) is not installed: pip install --no-deps pyview-web==0.9.0")
        return 77
    with open(bundle, encoding="utf-8") as handle:
        source = handle.read()
    if "var LongPoll = class" not in source or "connectWithFallback" not in source:
        print(f"FAIL {bundle} does not contain phoenix.js's LongPoll transport and fallback")
        return 1
    driver = open_browser()
    try:
        driver.set_script_timeout(60)
        # A page of the server's own origin (its 404 page), so the long-poll requests are same-origin.
        driver.get(base_url + "/phoenix-js-client")
        driver.execute_script(
            "const meta = document.createElement('meta'); meta.name = 'csrf-token'; meta.content = 'test';"
            "document.head.appendChild(meta);")
        driver.execute_script(source)
        result = driver.execute_async_script(TEST_JS, room)
        print(json.dumps(result, indent=1)[:4000])
        if not result or not result.get("ok"):
            print(f"FAIL {result.get('why') if result else 'no result'}")
            return 1
        transports = result["transports"]
        if transports.get("lp") != "LongPoll" or transports.get("ws") != "WebSocket":
            print(f"FAIL expected the blocked socket on LongPoll and the other on WebSocket, got {transports}")
            return 1
        if not any("falling back to LongPoll" in line for line in result.get("log", [])):
            print("FAIL phoenix.js did not log its fallback to LongPoll")
            return 1
        expected = ["long-poll one", "long-poll two", "websocket one"]
        if result["seen"]["lp"] != expected or result["seen"]["ws"] != expected:
            print(f"FAIL both sockets should receive {expected} in that order, got {result['seen']}")
            return 1
        ids = [ack.get("id") for ack in result["acks"]]
        if not all(isinstance(i, int) for i in ids) or ids != sorted(ids):
            print(f"FAIL acknowledgements should carry increasing message ids, got {result['acks']}")
            return 1
        if not all("id" in ack for ack in result["acks"]):
            print(f"FAIL an acknowledgement had no message id: {result['acks']}")
            return 1
        print(f"PASS phoenix.js ({BUNDLE_VERSION}) fell back to long-poll and chatted with a WebSocket peer")
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
