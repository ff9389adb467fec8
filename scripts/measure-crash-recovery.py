#!/usr/bin/env python3
"""Measures what a trapping node costs its clients, against a real supervised `siteflow serve`.

Starts `siteflow serve --fault-injection` (supervised, the default) on a free port with a
throwaway SQLite database, opens N WebSocket clients that each join a chat room, then, per round:
POST /_fault/trap (the node traps in a handler) and measures
  - closed:    time from the trap request until each client sees its connection end (max, p50);
  - accepting: time from the trap request until a request sent right after it is answered
               by the replacement node (it waits in the supervisor's accept queue meanwhile);
(Rejoin storms are measured by the load tester's recovery mode, not here.)
Usage: scripts/measure-crash-recovery.py [--binary PATH] [--clients N] [--rounds K]
"""
import argparse, base64, json, os, selectors, socket, subprocess, sys, tempfile, time

def ws_connect(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(head.split(b"\r\n")[0].decode())
    return s, head.split(b"\r\n\r\n", 1)[1]

def ws_text(s, text):
    data = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(data) < 126:
        header += bytes([0x80 | len(data)])
    else:
        header += bytes([0x80 | 126]) + len(data).to_bytes(2, "big")
    s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

def join(port, index, room):
    s, rest = ws_connect(port)
    ws_text(s, json.dumps(["1", "1", f"room:{room}", "phx_join", {"nickname": f"c{index}"}]))
    buffer = rest
    deadline = time.monotonic() + 15
    while b"phx_reply" not in buffer:
        if time.monotonic() > deadline:
            raise TimeoutError("no join reply")
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the join reply")
        buffer += chunk
    s.setblocking(False)
    return s

def http(port, method, path, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.split(b"\r\n", 1)[0].decode()

def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/siteflow")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="siteflow-recovery-")
    probe = socket.socket(); probe.bind(("127.0.0.1", 0)); port = probe.getsockname()[1]; probe.close()
    log = open(os.path.join(folder, "serve.log"), "w")
    serve = subprocess.Popen([args.binary, "serve", "--port", str(port), "--database", f"sqlite:{folder}/chat.db",
                              "--fault-injection", "--max-restarts", str(args.rounds + 5), "--log-level", "notice"],
                             stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                if http(port, "GET", "/").startswith("HTTP/1.1 200"):
                    break
            except OSError:
                time.sleep(0.1)
        print(f"siteflow serve (supervised) on port {port}; {args.clients} clients; {args.rounds} traps")
        print("round | clients closed after the trap: p50 / max (ms) | answered again (ms)")
        for round_number in range(1, args.rounds + 1):
            clients = [join(port, i, f"r{i % 100}") for i in range(args.clients)]
            selector = selectors.DefaultSelector()
            for s in clients:
                selector.register(s, selectors.EVENT_READ)
            start = time.monotonic()
            answer = http(port, "POST", "/_fault/trap")
            if not answer.startswith("HTTP/1.1 202"):
                sys.exit(f"the trap hook answered {answer}")
            closed = {}
            while len(closed) < len(clients) and time.monotonic() - start < 30:
                for key, _ in selector.select(timeout=1):
                    s = key.fileobj
                    try:
                        data = s.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        closed[s] = time.monotonic() - start
                        selector.unregister(s)
            status = http(port, "GET", "/")
            accepting = time.monotonic() - start
            closes = [v * 1000 for v in closed.values()]
            missing = len(clients) - len(closed)
            print(f"{round_number:5} | {percentile(closes, 0.5):7.1f} / {max(closes):7.1f}"
                  f"{'' if missing == 0 else f' ({missing} not closed)'} | {accepting * 1000:8.1f} ({status[9:12]})")
            for s in clients:
                s.close()
            time.sleep(0.5)
    finally:
        serve.terminate()
        serve.wait(timeout=30)
        log.close()
        print(f"supervisor log: {folder}/serve.log")

if __name__ == "__main__":
    main()
