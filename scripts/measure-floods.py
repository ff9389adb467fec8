#!/usr/bin/env python3
"""Memory after floods (issue 14): does a node give its memory back once a flood ends?

Starts `siteflow serve --no-supervise` on a free port with a throwaway SQLite database and an
admin token of its own (for /metrics), warms it up with a few chat clients (they keep chatting,
one message every 2 s each, through the whole run), takes the baseline RSS (VmRSS of
/proc/PID/status), then runs each flood of issue 14's findings in turn, bounded in time:

  ping         one client sends WebSocket pings as fast as it can (#1), reading the pongs
  heartbeats   1 MiB heartbeats whose payload is a 500,000-number array (#12)
  partial      N connections each send all but the last 3 bytes of a 1 MiB frame and stop (#4)
  slowloris    thousands of connections send part of an HTTP request head and wait (#5)
  longpoll     long-poll sessions opened and abandoned as fast as possible (#6)
  rooms        many rooms joined and filled with messages, then everyone leaves (#7)
  connections  thousands of WebSocket connections opened, held a few seconds, closed (#2)

A flooding client whose connection the node closes (a limit it reached) opens a new one. After
each flood it checks that a fresh chat client can join and get a message acknowledged, samples
RSS every second for 60 s and scrapes the heap metrics (`siteflow_heap_*`, present from the
HeapTrimmer on). It prints a Markdown table: baseline, RSS before the flood, peak during it, RSS
60 s after it, the ratio to the baseline and whether it is within 2x.

Exit status: 0; 1 if the node died; 2 if a chat check after a flood failed.
Usage: scripts/measure-floods.py --binary .build/release/siteflow [--floods ping,rooms] [--flood-seconds 15]
"""
import argparse, base64, hashlib, json, os, random, resource, socket, subprocess, sys, tempfile, threading, time

# --- the node -----------------------------------------------------------------------------------

class Node:
    def __init__(self, binary, folder, token):
        probe = socket.socket(); probe.bind(("127.0.0.1", 0)); self.port = probe.getsockname()[1]; probe.close()
        self.token = token
        self.log_path = os.path.join(folder, "serve.log")
        self.log = open(self.log_path, "w")
        env = dict(os.environ, SITEFLOW_ADMIN_TOKEN=token)
        self.process = subprocess.Popen(
            [binary, "serve", "--no-supervise", "--port", str(self.port), "--database", f"sqlite:{folder}/flood.db",
             "--log-level", "warning", "--rooms-per-minute", "1000000", "--join-burst", "1000", "--joins-per-second", "1000",
             "--max-connections-per-address", "100000", "--max-connections", "100000"],
            stdout=self.log, stderr=self.log, env=env)
        self.pid = self.process.pid
        self.origin = f"http://127.0.0.1:{self.port}"

    def alive(self):
        return self.process.poll() is None

    def rss(self):
        """VmRSS in bytes, or None if the process is gone."""
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def open_files(self):
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return None

    def http(self, method, path, headers=(), timeout=10.0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            extra = "".join(f"{h}\r\n" for h in headers)
            s.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return head.split(b"\r\n", 1)[0].decode(errors="replace"), body

    def wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the node exited with {self.process.returncode}; see {self.log_path}")
            try:
                if self.http("GET", "/")[0].startswith("HTTP/1.1 200"):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the node did not answer within 60 s")

    def largest_mappings(self, count=5):
        """The `count` mappings with the most resident memory: [(kB resident, range, name)]."""
        found, current = [], None
        try:
            with open(f"/proc/{self.pid}/smaps") as smaps:
                for line in smaps:
                    fields = line.split()
                    if fields and "-" in fields[0] and not fields[0].endswith(":"):
                        current = (fields[0], fields[5] if len(fields) > 5 else "[anonymous]")
                    elif fields and fields[0] == "Rss:" and current is not None:
                        found.append((int(fields[1]), current[0], current[1]))
        except OSError:
            return []
        return sorted(found, reverse=True)[:count]

    def heap_metrics(self):
        """The `siteflow_heap_*` samples of /metrics (empty if the node has none)."""
        try:
            status, body = self.http("GET", "/metrics", [f"Authorization: Bearer {self.token}"])
        except OSError:
            return {}
        if " 200" not in status:
            return {}
        found = {}
        for line in body.decode(errors="replace").splitlines():
            if line.startswith("siteflow_heap_"):
                name, _, value = line.rpartition(" ")
                try:
                    found[name] = float(value)
                except ValueError:
                    pass
        return found

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

# --- WebSocket (client side: frames masked) -----------------------------------------------------

def mask_bytes(data, key):
    if not data:
        return b""
    repeated = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")

def frame(opcode, payload, fin=True, length=None):
    """A masked client frame; `length` overrides the declared payload length (for partial frames)."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    key = os.urandom(4)
    return head + key + mask_bytes(payload, key)

def ws_connect(node, timeout=15.0):
    s = socket.create_connection(("127.0.0.1", node.port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\nOrigin: {node.origin}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            s.close()
            raise ConnectionError("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        s.close()
        raise ConnectionError(head.split(b"\r\n")[0].decode(errors="replace"))
    return s, head.split(b"\r\n\r\n", 1)[1]

def parse_frames(buffer):
    """Complete server frames at the front of `buffer` (a bytearray, consumed): [(opcode, payload)]."""
    frames = []
    while len(buffer) >= 2:
        opcode = buffer[0] & 0x0F
        n = buffer[1] & 0x7F
        offset = 2
        if n == 126:
            if len(buffer) < 4: break
            n = int.from_bytes(buffer[2:4], "big"); offset = 4
        elif n == 127:
            if len(buffer) < 10: break
            n = int.from_bytes(buffer[2:10], "big"); offset = 10
        if len(buffer) < offset + n:
            break
        frames.append((opcode, bytes(buffer[offset:offset + n])))
        del buffer[:offset + n]
    return frames

class ChatClient:
    """A Phoenix V2 JSON chat client on one WebSocket."""
    def __init__(self, node, nickname, timeout=15.0):
        self.sock, rest = ws_connect(node, timeout)
        self.buffer = bytearray(rest)
        self.nickname = nickname
        self.ref = 0
        self.join_refs = {}
        self.replies = {}
        self.closed = False

    def push(self, topic, event, payload, join_ref=None):
        self.ref += 1
        ref = str(self.ref)
        self.sock.sendall(frame(0x1, json.dumps([join_ref, ref, topic, event, payload]).encode()))
        return ref

    def pump(self, timeout):
        """Reads what arrives within `timeout` s (0: only what is there); records replies."""
        self.sock.settimeout(timeout if timeout > 0 else 0.0)
        try:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                self.closed = True
            self.buffer += chunk
        except (BlockingIOError, socket.timeout):
            pass
        except OSError:
            self.closed = True
        for opcode, payload in parse_frames(self.buffer):
            if opcode == 0x8:
                self.closed = True
            elif opcode == 0x1:
                try:
                    message = json.loads(payload)
                except ValueError:
                    continue
                if isinstance(message, list) and len(message) == 5 and message[3] == "phx_reply":
                    self.replies[message[1]] = message[4]

    def await_reply(self, ref, seconds=15.0):
        deadline = time.monotonic() + seconds
        while ref not in self.replies and not self.closed and time.monotonic() < deadline:
            self.pump(min(0.5, max(0.01, deadline - time.monotonic())))
        return self.replies.pop(ref, None)

    def join(self, room, seconds=15.0):
        topic = f"room:{room}"
        ref = self.push(topic, "phx_join", {"nickname": self.nickname})
        self.join_refs[topic] = ref
        reply = self.await_reply(ref, seconds)
        return reply is not None and reply.get("status") == "ok", reply

    def say(self, room, body):
        topic = f"room:{room}"
        return self.push(topic, "new_msg", {"body": body}, self.join_refs.get(topic))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

def chat_check(node, index):
    """A fresh client joins a room and gets one message acknowledged; returns (ok, ms, detail)."""
    start = time.monotonic()
    try:
        client = ChatClient(node, f"check{index}-{random.randrange(10**6)}")
        try:
            joined, reply = client.join("floodcheck")
            if not joined:
                return False, 0, f"join refused: {reply}"
            ref = client.say("floodcheck", f"still here after flood {index}")
            reply = client.await_reply(ref)
            if not reply or reply.get("status") != "ok":
                return False, 0, f"message not acknowledged: {reply}"
            return True, (time.monotonic() - start) * 1000, "ok"
        finally:
            client.close()
    except OSError as error:
        return False, 0, f"{type(error).__name__}: {error}"

class Chatters:
    """A few chat clients that keep chatting (a message every 2 s each) for the whole run."""
    def __init__(self, node, count):
        self.node, self.count = node, count
        self.sent = self.acked = self.reconnects = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(count)]

    def start(self):
        for t in self.threads:
            t.start()

    def run(self, index):
        client, pending, n = None, set(), 0
        while not self.stopping.is_set():
            try:
                if client is None or client.closed:
                    if client is not None:
                        client.close()
                        with self.lock: self.reconnects += 1
                    client = ChatClient(self.node, f"chatter{index}-{random.randrange(10**6)}")
                    if not client.join("lobby")[0]:
                        client.close(); client = None; time.sleep(1); continue
                    pending = set()
                n += 1
                pending.add(client.say("lobby", f"chatter {index} says {n}"))
                with self.lock: self.sent += 1
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline and not self.stopping.is_set():
                    client.pump(0.25)
                    for ref in [r for r in pending if r in client.replies]:
                        pending.discard(ref)
                        if client.replies.pop(ref).get("status") == "ok":
                            with self.lock: self.acked += 1
            except OSError:
                if client is not None:
                    client.closed = True
                time.sleep(0.5)
        if client is not None:
            client.close()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=5)

# --- floods -------------------------------------------------------------------------------------

def run_threads(count, target):
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for t in threads: t.start()
    for t in threads: t.join()

def drain_until_closed(sock, stop, counter=None):
    """Reads and discards until the peer closes or `stop` is set; returns when closed."""
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            continue
        except OSError:
            return
        if not chunk:
            return

def flood_blast(node, seconds, blob, label):
    """One client writes `blob` over and over, draining what comes back; reconnects when closed."""
    end = time.monotonic() + seconds
    sent = connections = 0
    while time.monotonic() < end:
        try:
            sock, _ = ws_connect(node)
        except OSError:
            time.sleep(0.1); continue
        connections += 1
        stop = threading.Event()
        reader = threading.Thread(target=drain_until_closed, args=(sock, stop), daemon=True)
        reader.start()
        sock.settimeout(2)
        try:
            while time.monotonic() < end and reader.is_alive():
                sock.sendall(blob)
                sent += 1
        except OSError:
            pass
        stop.set()
        try: sock.close()
        except OSError: pass
        reader.join(timeout=2)
    return sent, connections

def flood_ping(node, args):
    pings = b"".join(frame(0x9, b"p%03d" % (i % 1000)) for i in range(10_000))
    batches, connections = flood_blast(node, args.flood_seconds, pings, "ping")
    return f"{batches * 10_000:,} pings over {connections} connection(s)"

def flood_heartbeats(node, args):
    numbers = 500_000
    text = json.dumps([None, "1", "phoenix", "heartbeat", [7] * numbers], separators=(",", ":")).encode()
    blob = frame(0x1, text)
    sent, connections = flood_blast(node, args.flood_seconds, blob, "heartbeats")
    return f"{sent:,} heartbeats of {len(text) / 1048576:.2f} MiB ({numbers:,} numbers) over {connections} connection(s)"

def flood_partial(node, args):
    count, end = args.partial_connections, time.monotonic() + args.flood_seconds
    declared = 1_048_576 - 14                     # the whole frame is 1 MiB with its 14-byte header
    data = frame(0x2, b"\0" * declared)[:-3]       # all but the last 3 bytes
    socks, lock, stats = [], threading.Lock(), {"sent": 0, "failed": 0}
    def worker(i):
        for _ in range(i, count, 6):
            if time.monotonic() > end: return
            try:
                sock, _ = ws_connect(node)
                with lock: socks.append(sock)
                sock.settimeout(20)
                sock.sendall(data)
                with lock: stats["sent"] += 1
            except OSError:
                with lock: stats["failed"] += 1
    run_threads(6, worker)
    closed_by_node = 0
    while time.monotonic() < end:
        time.sleep(0.2)
    for sock in socks:
        sock.setblocking(False)
        try:
            if sock.recv(1 << 16) == b"": closed_by_node += 1
            else: closed_by_node += 1              # a close frame
        except BlockingIOError:
            pass
        except OSError:
            closed_by_node += 1
        sock.close()
    return (f"{stats['sent']} of {count} connections sent 1 MiB − 3 B of a frame ({stats['failed']} failed); "
            f"{closed_by_node} closed by the node within {args.flood_seconds:g} s")

def flood_slowloris(node, args):
    count, end = args.slowloris_connections, time.monotonic() + args.flood_seconds
    head = (f"GET /dashboard/ HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\nUser-Agent: slow\r\nX-Slow: ").encode()
    socks, lock, stats = [], threading.Lock(), {"opened": 0, "failed": 0}
    def worker(i):
        for _ in range(i, count, 4):
            if time.monotonic() > end: return
            try:
                sock = socket.create_connection(("127.0.0.1", node.port), timeout=10)
                sock.sendall(head)
                with lock: socks.append(sock); stats["opened"] += 1
            except OSError:
                with lock: stats["failed"] += 1
    run_threads(4, worker)
    # Trickle a byte now and then, as slowloris does, until the flood's time is up.
    while time.monotonic() < end:
        for sock in list(socks):
            try: sock.send(b"a")
            except OSError: pass
        time.sleep(2)
    answered = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            if sock.recv(4096)[:12] in (b"HTTP/1.1 408", b"HTTP/1.1 503"): answered += 1
        except OSError:
            pass
        sock.close()
    return (f"{stats['opened']:,} partial requests held ({stats['failed']} failed to connect); "
            f"{answered:,} answered 408/503 by the node within {args.flood_seconds:g} s")

def flood_longpoll(node, args):
    end = time.monotonic() + args.flood_seconds
    request = (f"GET /socket/longpoll?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\nOrigin: {node.origin}\r\n\r\n").encode()
    lock, stats = threading.Lock(), {"opened": 0, "refused": 0, "other": 0, "errors": 0}
    def worker(i):
        sock, buffer = None, b""
        while time.monotonic() < end:
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", node.port), timeout=10); buffer = b""
                sock.sendall(request)
                while b"\r\n\r\n" not in buffer:
                    chunk = sock.recv(65536)
                    if not chunk: raise ConnectionError("closed")
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length": length = int(value)
                while len(buffer) < length:
                    chunk = sock.recv(65536)
                    if not chunk: raise ConnectionError("closed")
                    buffer += chunk
                body, buffer = buffer[:length], buffer[length:]
                key = "other"
                if head.startswith(b"HTTP/1.1 503"): key = "refused"
                elif b'"status":410' in body.replace(b" ", b"") and b"token" in body: key = "opened"
                with lock: stats[key] += 1
                if b"connection: close" in head.lower():
                    sock.close(); sock = None
            except OSError:
                with lock: stats["errors"] += 1
                if sock is not None: sock.close()
                sock = None
                time.sleep(0.05)
        if sock is not None: sock.close()
    run_threads(4, worker)
    return (f"{stats['opened']:,} sessions opened and abandoned, {stats['refused']:,} refused (503), "
            f"{stats['other']} other answers, {stats['errors']} connection errors")

def flood_rooms(node, args):
    rooms, per_room, sockets = args.rooms, args.messages_per_room, args.room_sockets
    end = time.monotonic() + args.flood_seconds
    lock, stats = threading.Lock(), {"joined": 0, "refused": 0, "sent": 0, "acked": 0, "errors": 0}
    tag = random.randrange(10**6)
    clients = []
    def worker(i):
        my_rooms = [f"flood{tag}-{r}" for r in range(i, rooms, sockets)]
        try:
            client = ChatClient(node, f"roomer{i}-{tag}")
        except OSError:
            with lock: stats["errors"] += 1
            return
        with lock: clients.append(client)
        try:
            joined = []
            for room in my_rooms:
                ok, _ = client.join(room)
                with lock: stats["joined" if ok else "refused"] += 1
                if ok: joined.append(room)
            refs, acked = set(), 0
            queue = [(room, n) for n in range(per_room) for room in joined]
            # 80 messages a second per socket, under the node's 100/s inbound rate.
            while queue and time.monotonic() < end and not client.closed:
                batch, queue = queue[:8], queue[8:]
                for room, n in batch:
                    refs.add(client.say(room, f"message {n} in {room}: " + "x" * 100))
                with lock: stats["sent"] += len(batch)
                client.pump(0.1)
                for ref in [r for r in refs if r in client.replies]:
                    refs.discard(ref); acked += client.replies.pop(ref).get("status") == "ok"
            deadline = min(end, time.monotonic() + 10)
            while refs and time.monotonic() < deadline and not client.closed:
                client.pump(0.2)
                for ref in [r for r in refs if r in client.replies]:
                    refs.discard(ref); acked += client.replies.pop(ref).get("status") == "ok"
            with lock: stats["acked"] += acked
        except OSError:
            with lock: stats["errors"] += 1
    run_threads(sockets, worker)
    while time.monotonic() < end:
        time.sleep(0.2)
    for client in clients:        # everyone leaves
        client.close()
    return (f"{sockets} sockets joined {stats['joined']:,} of {rooms:,} rooms ({stats['refused']} refused), "
            f"{stats['sent']:,} messages sent, {stats['acked']:,} acknowledged, {stats['errors']} errors; then all closed")

def flood_connections(node, args):
    count, end = args.connections, time.monotonic() + args.flood_seconds
    socks, lock, stats = [], threading.Lock(), {"opened": 0, "failed": 0}
    def worker(i):
        for _ in range(i, count, 8):
            if time.monotonic() > end: return
            try:
                sock, _ = ws_connect(node)
                with lock: socks.append(sock); stats["opened"] += 1
            except OSError:
                with lock: stats["failed"] += 1
    run_threads(8, worker)
    peak_fds = node.open_files()
    while time.monotonic() < end:
        time.sleep(0.2)
    for sock in socks:
        sock.close()
    return (f"{stats['opened']:,} WebSocket connections opened and held ({stats['failed']} failed; "
            f"node open files {peak_fds:,}), then closed")

FLOODS = {
    "ping": ("#1 ping flood", flood_ping),
    "heartbeats": ("#12 1 MiB heartbeats", flood_heartbeats),
    "partial": ("#4 partial frames", flood_partial),
    "slowloris": ("#5 slowloris", flood_slowloris),
    "longpoll": ("#6 long-poll sessions", flood_longpoll),
    "rooms": ("#7 rooms", flood_rooms),
    "connections": ("#2 connections", flood_connections),
}

# --- measurement --------------------------------------------------------------------------------

class PeakSampler:
    """Samples RSS every 0.2 s in the background; `reset()` starts a new peak."""
    def __init__(self, node):
        self.node, self.peak, self.lock = node, 0, threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping.wait(0.2):
            rss = self.node.rss()
            if rss is not None:
                with self.lock: self.peak = max(self.peak, rss)

    def reset(self):
        with self.lock:
            peak, self.peak = self.peak, self.node.rss() or 0
        return peak

def mib(value):
    return "—" if value is None else f"{value / 1048576:,.1f}"

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=".build/release/siteflow")
    parser.add_argument("--floods", default=",".join(FLOODS), help="comma-separated, from: " + ", ".join(FLOODS))
    parser.add_argument("--flood-seconds", type=float, default=15)
    parser.add_argument("--settle-seconds", type=int, default=60)
    parser.add_argument("--chatters", type=int, default=4)
    parser.add_argument("--partial-connections", type=int, default=300)
    parser.add_argument("--slowloris-connections", type=int, default=4000)
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--messages-per-room", type=int, default=50)
    parser.add_argument("--room-sockets", type=int, default=100)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--smaps", action="store_true", help="print the node's 5 most resident mappings at the end of each settle")
    args = parser.parse_args()
    floods = [name.strip() for name in args.floods.split(",") if name.strip()]
    for name in floods:
        if name not in FLOODS:
            parser.error(f"unknown flood {name}; known: {', '.join(FLOODS)}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    with open(args.binary, "rb") as binary:
        digest = hashlib.sha256(binary.read()).hexdigest()[:16]
    folder = tempfile.mkdtemp(prefix="siteflow-floods-")
    node = Node(args.binary, folder, "flood-admin-" + base64.b16encode(os.urandom(12)).decode().lower())
    rows, status = [], 0
    chatters = None
    try:
        node.wait_ready()
        print(f"siteflow serve --no-supervise on port {node.port}, pid {node.pid}; log {node.log_path}", flush=True)
        chatters = Chatters(node, args.chatters)
        chatters.start()
        time.sleep(10)                                  # warm-up: joined and chatting
        samples = []
        for _ in range(5):
            samples.append(node.rss()); time.sleep(1)
        baseline = sorted(samples)[len(samples) // 2]
        print(f"baseline RSS {mib(baseline)} MiB (median of 5 samples after a 10 s warm-up with {args.chatters} chatters); "
              f"heap {node.heap_metrics() or 'metrics: none'}", flush=True)
        sampler = PeakSampler(node)
        for index, name in enumerate(floods, 1):
            label, run = FLOODS[name]
            before = node.rss()
            sampler.reset()
            started = time.monotonic()
            print(f"\n{label}: flooding for {args.flood_seconds:g} s …", flush=True)
            try:
                what = run(node, args)
            except Exception as error:          # a flood that fails is reported, the run goes on
                what = f"flood failed: {type(error).__name__}: {error}"
            flood_time = time.monotonic() - started
            peak = max(sampler.reset(), node.rss() or 0)
            print(f"  {what} ({flood_time:.1f} s); RSS before {mib(before)}, peak {mib(peak)} MiB", flush=True)
            if not node.alive():
                rows.append((label, what, baseline, before, peak, None, None, None, "node died", {}, None))
                status = 1
                break
            ok, ms, detail = chat_check(node, index)
            if not ok:
                status = max(status, 2)
            check = f"ok ({ms:.0f} ms)" if ok else f"FAILED: {detail}"
            print(f"  chat check: {check}", flush=True)
            within_at = None
            settle_start = time.monotonic()
            for second in range(1, args.settle_seconds + 1):
                time.sleep(max(0.0, settle_start + second - time.monotonic()))
                rss = node.rss()
                if rss is None:
                    break
                if within_at is None and rss <= 2 * baseline:
                    within_at = second
                if second % 10 == 0:
                    print(f"  +{second:2} s: RSS {mib(rss)} MiB", flush=True)
            after = node.rss()
            heap = node.heap_metrics()
            if heap:
                print(f"  heap: {heap}", flush=True)
            if args.smaps:
                for kb, span, name in node.largest_mappings():
                    print(f"  resident {kb / 1024:8.1f} MiB  {span}  {name}", flush=True)
            if not node.alive():
                rows.append((label, what, baseline, before, peak, None, None, None, "node died", heap, None))
                status = 1
                break
            rows.append((label, what, baseline, before, peak, after, after / baseline, within_at, check, heap, node.open_files()))
        sampler.stopping.set()
    finally:
        if chatters is not None:
            chatters.stop()
        alive = node.alive()
        node.stop()

    print(f"\n## Memory after floods ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, binary {args.binary}, sha256 {digest}…)\n")
    print(f"Baseline: {mib(rows[0][2]) if rows else '—'} MiB. Each flood {args.flood_seconds:g} s, then RSS sampled every second for {args.settle_seconds} s.\n")
    late = f"+{args.settle_seconds} s"
    print(f"| flood | before (MiB) | peak (MiB) | {late} (MiB) | {late} / baseline | ≤ 2× baseline | first ≤ 2× | heap in use / free (MiB) / trims / trimmed (MiB) at {late} | node open files at {late} | fresh chat client |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, what, baseline, before, peak, after, ratio, within_at, check, heap, fds in rows:
        ok = "—" if ratio is None else ("**yes**" if ratio <= 2 else "**no**")
        first = "—" if within_at is None else f"+{within_at} s"
        if heap:
            trims = heap.get('siteflow_heap_trims_total')
            heap_text = (f"{mib(heap.get('siteflow_heap_bytes'))} / {mib(heap.get('siteflow_heap_free_bytes'))} / "
                         f"{'—' if trims is None else f'{trims:.0f}'} / {mib(heap.get('siteflow_heap_trimmed_bytes_total'))}")
        else:
            heap_text = "—"
        ratio_text = "—" if ratio is None else f"{ratio:.2f}×"
        print(f"| {label} | {mib(before)} | {mib(peak)} | {mib(after)} | {ratio_text} | {ok} | {first} | {heap_text} | {'—' if fds is None else fds} | {check} |")
    print("\nWhat each flood sent:\n")
    for row in rows:
        print(f"- {row[0]}: {row[1]}")
    if chatters is not None:
        print(f"\nChatters throughout: {chatters.sent} messages sent, {chatters.acked} acknowledged, {chatters.reconnects} reconnects.")
    print(f"Node {'alive until stopped' if alive and status != 1 else 'DIED'}; log {node.log_path}")
    sys.exit(status)

if __name__ == "__main__":
    main()
