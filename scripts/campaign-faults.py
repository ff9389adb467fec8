#!/usr/bin/env python3
"""Fault campaigns against a real `siteflow serve` under chat load (RELIABILITY.md).

The load is `siteflow loadtest --recovery`: clients that reconnect and rejoin on phoenix.js's
schedules and resend every unacknowledged keyed message until it is acknowledged; at the end it
reads every room's history back and counts acknowledged messages missing and messages stored
twice.

  kill9     the node is killed with SIGKILL every --interval seconds, --cycles times; its
            supervisor starts a new one each time. Afterwards SQLite's integrity_check.
  postgres  the node runs on a throwaway PostgreSQL server, which is stopped (fast shutdown) for
            --outage seconds mid-run and started again. A probe client pushes a message every
            100 ms and records how long after the server's start the node acknowledges again.
  crash-storm
            chat clients' p99 (push → reply, push → own broadcast) alone, then again while
            --crash-sockets loopback sockets make channels crash --crashes-per-second times a
            second in all (join `fault:N`, push `crash`: the channel throws, the client gets
            phx_error; `serve --fault-injection` only).

Usage (a release build):
  swift build -c release --product siteflow
  scripts/campaign-faults.py kill9 --binary .build/release/siteflow --cycles 100 --interval 2
  scripts/campaign-faults.py postgres --binary .build/release/siteflow --outage 5
  scripts/campaign-faults.py crash-storm --binary .build/release/siteflow --crashes-per-second 1000
"""
import argparse, base64, json, os, re, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))

def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port

class Server:
    """A supervised `siteflow serve`, its output in a log file."""
    def __init__(self, binary, folder, port, database, extra=()):
        self.log_path = os.path.join(folder, "serve.log")
        self.log = open(self.log_path, "w")
        command = [binary, "serve", "--port", str(port), "--database", database, "--log-level", "info",
                   "--rooms-per-minute", "100000", "--history-keep-per-room", "0", *extra]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_for_ready(self, generation, timeout=120):
        """The pid of node `generation` once it says it is ready."""
        pattern = re.compile(r"node=%d pid=(\d+).*node %d is ready" % (generation, generation))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = pattern.search(self.text())
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                raise RuntimeError(f"siteflow serve ended ({self.process.returncode}):\n{self.text()[-3000:]}")
            time.sleep(0.01)
        raise TimeoutError(f"node {generation} not ready within {timeout} s:\n{self.text()[-3000:]}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

def start_loadtest(args, port, duration):
    command = [args.binary, "loadtest", "--recovery", "--url", f"ws://127.0.0.1:{port}/socket/websocket",
               "--clients", str(args.clients), "--rooms", str(args.rooms), "--topic", "room:campaign",
               "--rate", str(args.rate), "--duration", str(duration), "--processes", "1",
               "--settle-time", "60", "--json"]
    loadtest = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sending = threading.Event()
    lines = []
    def watch():
        for line in loadtest.stderr:
            lines.append(line)
            if "[sending" in line:
                sending.set()
            if args.verbose:
                sys.stderr.write(line)
    threading.Thread(target=watch, daemon=True).start()
    return loadtest, sending, lines

def finish_loadtest(loadtest, lines):
    # Not communicate(): a thread already reads stderr, and two readers of one pipe can leave
    # communicate() blocked on stderr while the load tester blocks writing its report to stdout.
    output = loadtest.stdout.read()
    loadtest.wait()
    if loadtest.returncode != 0:
        raise RuntimeError(f"loadtest exited {loadtest.returncode}:\n" + "".join(lines[-30:]))
    return json.loads(output.strip().splitlines()[-1])["recovery"]

def summary(recovery):
    audit = recovery.get("audit") or {}
    return {"acknowledged": recovery["acknowledged"], "missing": audit.get("missing"), "duplicates": audit.get("duplicates"),
            "failed for good": sum((recovery.get("failedForGood") or {}).values()), "unresolved": recovery["unresolved"],
            "disconnect events": len(recovery.get("figures") or [])}

def kill9(args):
    folder = tempfile.mkdtemp(prefix="siteflow-kill9-")
    port = free_port()
    database = os.path.join(folder, "chat.db")
    server = Server(args.binary, folder, port, "sqlite:" + database,
                    ["--max-restarts", "1000000", "--restart-window", "1"])
    try:
        pid = server.wait_for_ready(1)
        duration = args.cycles * args.interval + 20
        loadtest, sending, lines = start_loadtest(args, port, duration)
        if not sending.wait(300):
            raise RuntimeError("the load test never started sending:\n" + "".join(lines[-20:]))
        time.sleep(5)
        restarts = []
        for cycle in range(1, args.cycles + 1):
            killed_at = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            pid = server.wait_for_ready(cycle + 1)
            restarts.append(time.monotonic() - killed_at)
            print(f"\r   cycle {cycle}/{args.cycles}: node {cycle + 1} ready {1000 * restarts[-1]:.0f} ms after the kill", end="", flush=True)
            time.sleep(max(0, args.interval - restarts[-1]))
        print()
        recovery = finish_loadtest(loadtest, lines)
    finally:
        server.stop()
    with sqlite3.connect(database) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = db.execute("SELECT count(*) FROM siteflow_messages").fetchone()[0]
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    restarts.sort()
    result = summary(recovery)
    result.update({"kill -9 cycles": args.cycles, "kill → ready, median": f"{1000 * restarts[len(restarts) // 2]:.0f} ms",
                   "kill → ready, max": f"{1000 * restarts[-1]:.0f} ms", "rows": rows, "integrity_check": integrity})
    return result

class WebSocket:
    """A minimal blocking Phoenix V2 client over a WebSocket (masked frames, text only)."""
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"Origin: http://127.0.0.1:{port}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(4096)
        self.buffer = head.split(b"\r\n\r\n", 1)[1]

    def send(self, frame):
        payload = json.dumps(frame).encode()
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def next(self):
        """The next frame as a list, or None when the connection closed."""
        while True:
            while True:
                length = self._length()
                if length is not None and len(self.buffer) >= length:
                    break
                data = self.sock.recv(65536)
                if not data:
                    return None
                self.buffer += data
            frame, self.buffer = self.buffer[:length], self.buffer[length:]
            if frame[0] & 0x0F == 8:
                return None
            n = frame[1] & 0x7F
            start = 2 if n < 126 else 4 if n == 126 else 10
            try:
                return json.loads(frame[start:])
            except ValueError:
                continue

    def _length(self):
        if len(self.buffer) < 2:
            return None
        n = self.buffer[1] & 0x7F
        if n < 126:
            return 2 + n
        if n == 126:
            return 4 + int.from_bytes(self.buffer[2:4], "big") if len(self.buffer) >= 4 else None
        return 10 + int.from_bytes(self.buffer[2:10], "big") if len(self.buffer) >= 10 else None

def p99s(output):
    """The p99 of push → reply and of push → own broadcast from a load test's report."""
    found = {}
    for name, label in [("reply", "push → reply"), ("round trip", "round trip push → own broadcast")]:
        match = re.search(re.escape(label) + r".*? p99 ([0-9.]+)", output)
        found[name] = float(match.group(1)) if match else None
    return found

def crash_storm(args):
    """Each phase on a fresh node (the load tester's nicknames stay claimed for a while)."""
    def phase(storm):
        folder = tempfile.mkdtemp(prefix="siteflow-crash-storm-")
        port = free_port()
        server = Server(args.binary, folder, port, "sqlite:" + os.path.join(folder, "chat.db"), ["--fault-injection"])
        crashes = [0] * args.crash_sockets
        refused = [0] * args.crash_sockets
        stop = threading.Event()
        def crasher(index):
            ws = WebSocket(port)
            interval = args.crash_sockets / args.crashes_per_second
            ref = 0
            next_at = time.monotonic()
            while not stop.is_set():
                ref += 1
                topic = f"fault:{index}"
                ws.send([str(ref), str(ref), topic, "phx_join", {}])
                while True:
                    frame = ws.next()
                    if frame is None:
                        return
                    if frame[3] == "phx_reply" and frame[1] == str(ref):
                        break
                if frame[4].get("status") != "ok":
                    refused[index] += 1
                else:
                    ws.send([str(ref), str(ref) + "c", topic, "crash", {}])
                    while True:
                        frame = ws.next()
                        if frame is None:
                            return
                        if frame[3] == "phx_error" and frame[2] == topic:
                            crashes[index] += 1
                            break
                next_at += interval
                time.sleep(max(0, next_at - time.monotonic()))
        try:
            server.wait_for_ready(1)
            threads = [threading.Thread(target=crasher, args=(i,), daemon=True) for i in range(args.crash_sockets if storm else 0)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            if storm:
                time.sleep(3)
            command = [args.binary, "loadtest", "--url", f"ws://127.0.0.1:{port}/socket/websocket", "--clients", str(args.clients),
                       "--rooms", str(args.rooms), "--topic", "room:storm", "--rate", str(args.rate), "--duration", str(args.seconds)]
            done = subprocess.run(command, capture_output=True, text=True)
            if args.verbose:
                print(done.stdout)
            if done.returncode != 0:
                raise RuntimeError(f"loadtest exited {done.returncode}:\n{done.stderr[-3000:]}")
            stop.set()
            elapsed = time.monotonic() - started
            for thread in threads:
                thread.join(10)
            alive = server.process.poll() is None and "node 2" not in server.text()
            return p99s(done.stdout), sum(crashes), sum(refused), elapsed, alive
        finally:
            stop.set()
            server.stop()
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    baseline, _, _, _, alive_alone = phase(False)
    under_storm, crashes, refused, elapsed, alive = phase(True)
    def ratio(name):
        return f"{under_storm[name] / baseline[name]:.2f}×" if baseline[name] and under_storm[name] else "?"
    return {"chat load": f"{args.clients} clients, {args.rooms} rooms, {args.rate:g} msgs/s, {args.seconds:g} s",
            "channel crashes": crashes, "crashes per second": f"{crashes / elapsed:.0f}", "crash joins refused": refused,
            "p99 push → reply, alone": f"{baseline['reply']} ms", "p99 push → reply, under the storm": f"{under_storm['reply']} ms",
            "ratio (reply)": ratio("reply"),
            "p99 round trip, alone": f"{baseline['round trip']} ms", "p99 round trip, under the storm": f"{under_storm['round trip']} ms",
            "ratio (round trip)": ratio("round trip"),
            "node": "alive, never restarted" if alive and alive_alone else "RESTARTED OR DEAD"}

class Probe:
    """One chat client that pushes a keyed message every 100 ms and records when each is acknowledged."""
    def __init__(self, port):
        self.ws = WebSocket(port)
        self.acks = []  # monotonic times of ok replies to new_msg
        self.errors = 0
        self.ref = 0
        self.pending = {}
        self.ws.send(["1", "1", "room:probe", "phx_join", {"nickname": "probe"}])
        threading.Thread(target=self.read, daemon=True).start()

    def push(self):
        self.ref += 1
        ref = f"p{self.ref}"
        self.pending[ref] = time.monotonic()
        self.ws.send(["1", ref, "room:probe", "new_msg", {"body": f"probe {self.ref}", "key": f"probe-{self.ref:09d}"}])

    def read(self):
        while True:
            message = self.ws.next()
            if message is None:
                return
            if message[3] == "phx_reply" and message[1] in self.pending:
                if message[4].get("status") == "ok":
                    self.acks.append(time.monotonic())
                else:
                    self.errors += 1

def postgres(args):
    url = subprocess.run([os.path.join(HERE, "throwaway-postgres.sh"), "start"], capture_output=True, text=True, check=True).stdout.strip()
    port_pg = url.rsplit(":", 1)[1].split("/")[0]
    data = f"/tmp/siteflow-pg-{port_pg}/data"
    pg_bin = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
    pg_ctl = f"/usr/lib/postgresql/{pg_bin}/bin/pg_ctl"
    as_server = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    folder = tempfile.mkdtemp(prefix="siteflow-pg-outage-")
    port = free_port()
    server = Server(args.binary, folder, port, url)
    try:
        server.wait_for_ready(1)
        loadtest, sending, lines = start_loadtest(args, port, args.outage + 40)
        if not sending.wait(300):
            raise RuntimeError("the load test never started sending:\n" + "".join(lines[-20:]))
        probe = Probe(port)
        stop_probe = threading.Event()
        def pushing():
            while not stop_probe.is_set():
                probe.push()
                time.sleep(0.1)
        threading.Thread(target=pushing, daemon=True).start()
        time.sleep(10)
        subprocess.run([*as_server, pg_ctl, "-D", data, "-w", "-m", "fast", "stop"], check=True, capture_output=True)
        stopped = time.monotonic()
        time.sleep(args.outage)
        subprocess.run([*as_server, pg_ctl, "-D", data, "-l", f"/tmp/siteflow-pg-{port_pg}/log", "-w", "-t", "60",
                        "-o", f"-p {port_pg} -k /tmp/siteflow-pg-{port_pg} -c listen_addresses=127.0.0.1 -c max_connections=300", "start"],
                       check=True, capture_output=True)
        started = time.monotonic()
        recovery = finish_loadtest(loadtest, lines)
        stop_probe.set()
        acks_after = [t for t in probe.acks if t >= started]
        acks_during = [t for t in probe.acks if stopped + 1 <= t < started]
        result = summary(recovery)
        result.update({"outage": f"{args.outage:g} s", "probe errors replied": probe.errors,
                       "probe acks during the outage": len(acks_during),
                       "first ack after PostgreSQL started": f"{1000 * (acks_after[0] - started):.0f} ms" if acks_after else "never"})
        return result
    finally:
        server.stop()
        subprocess.run([os.path.join(HERE, "throwaway-postgres.sh"), "stop", url], capture_output=True)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("campaign", choices=["kill9", "postgres", "crash-storm"])
    parser.add_argument("--binary", default=".build/release/siteflow")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--interval", type=float, default=2)
    parser.add_argument("--outage", type=float, default=5)
    parser.add_argument("--seconds", type=float, default=20, help="crash-storm: seconds of chat load in each phase")
    parser.add_argument("--crash-sockets", type=int, default=200)
    parser.add_argument("--crashes-per-second", type=float, default=1000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    result = {"kill9": kill9, "postgres": postgres, "crash-storm": crash_storm}[args.campaign](args)
    print(f"| {args.campaign} | value |\n|---|---:|")
    for name, value in result.items():
        print(f"| {name} | {value} |")
    bad = result.get("missing", 0) != 0 or result.get("duplicates", 0) != 0 or result.get("integrity_check", "ok") != "ok" \
        or result.get("node", "alive") != "alive" and not str(result.get("node")).startswith("alive")
    sys.exit(1 if bad else 0)

if __name__ == "__main__":
    main()
