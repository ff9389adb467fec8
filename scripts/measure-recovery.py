#!/usr/bin/env python3
"""Measures how chat clients come back from a disruption of a real, supervised `siteflow serve`.

For each scenario it starts `siteflow serve --fault-injection` (supervised, the default) with a
throwaway SQLite database and limits raised for the load, runs `siteflow loadtest --recovery`
(clients that reconnect and rejoin on phoenix.js's schedules and resend unacknowledged keyed
messages), disrupts the node mid-run, and prints one table:
  trap     POST /_fault/trap: the node traps; its supervisor starts a new one;
  reload   SIGHUP to the supervisor: a new node from the binary on disk, the old one drained;
  restart  SIGTERM to the supervisor (drain, exit 0), then a fresh `siteflow serve` on the port.
Figures per scenario: clients that went down; time from the first close until 99% and 100% of
the clients were joined again (and 100% from the disruption); acknowledged messages missing
from history; duplicates; pushes failed for good; p99 push → ack in the 10 s before and after.

Usage (a release build; the issue's load is the default):
  swift build -c release --product siteflow
  scripts/measure-recovery.py [--binary .build/release/siteflow] [--clients 15000] [--rooms 100]
      [--rate 2000] [--processes 4] [--duration 45] [--disrupt-after 15] [--scenarios trap,reload,restart]
"""
import argparse, json, os, resource, shutil, signal, socket, subprocess, sys, tempfile, threading, time

def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port

class Server:
    """A supervised `siteflow serve`, its output in a log file."""
    def __init__(self, args, folder, port, name):
        self.log_path = os.path.join(folder, f"serve-{name}.log")
        self.log = open(self.log_path, "w")
        command = [args.binary, "serve", "--port", str(port), "--database", "sqlite:" + os.path.join(folder, "chat.db"),
                   "--fault-injection", "--log-level", "info",
                   # One address creates the 100 rooms; every client rejoins at once after a disruption.
                   "--rooms-per-minute", "100000", "--history-keep-per-room", "0",
                   "--max-connections-per-address", str(max(25000, args.clients * 2))]
        def raise_open_files():
            # As many as asked for, within the hard limit (raising that needs privileges).
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            wanted = args.open_files if hard == resource.RLIM_INFINITY else min(args.open_files, hard)
            if wanted > soft:
                resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=raise_open_files)
        self.started = time.monotonic()

    def wait_for(self, text, after=0, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path) as f:
                content = f.read()
            if content.find(text, after) >= 0:
                return time.monotonic()
            if self.process.poll() is not None:
                raise RuntimeError(f"siteflow serve ended ({self.process.returncode}):\n{content[-3000:]}")
            time.sleep(0.01)
        raise TimeoutError(f"'{text}' not in {self.log_path} within {timeout} s")

    def log_size(self):
        return os.path.getsize(self.log_path)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

def run_scenario(args, scenario):
    folder = tempfile.mkdtemp(prefix=f"siteflow-recovery-{scenario}-")
    port = free_port()
    server = Server(args, folder, port, "1")
    servers = [server]
    notes = []
    disrupted_at = None  # time.monotonic() of a disruption the script causes (CLOCK_MONOTONIC, as the load tester's)
    try:
        server.wait_for("is ready")
        command = [args.binary, "loadtest", "--recovery", "--url", f"ws://127.0.0.1:{port}/socket/websocket",
                   "--clients", str(args.clients), "--rooms", str(args.rooms), "--topic", "room:recovery",
                   "--rate", str(args.rate), "--duration", str(args.duration), "--processes", str(args.processes),
                   "--source-addresses", str(args.source_addresses), "--settle-time", str(args.settle_time), "--json"]
        if scenario == "trap":
            command += ["--disrupt", "trap", "--disrupt-after", str(args.disrupt_after)]
        elif scenario == "reload":
            command += ["--disrupt", "reload", "--disrupt-after", str(args.disrupt_after), "--supervisor-pid", str(server.process.pid)]
        loadtest = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sending = threading.Event()
        errors = []
        def watch_stderr():
            for line in loadtest.stderr:
                errors.append(line)
                if "[sending" in line:
                    sending.set()
                if args.verbose:
                    sys.stderr.write(line)
        watcher = threading.Thread(target=watch_stderr, daemon=True)
        watcher.start()
        if scenario == "restart":
            if not sending.wait(300):
                raise RuntimeError("the load test never started sending:\n" + "".join(errors[-20:]))
            time.sleep(args.disrupt_after)
            stop_at = time.monotonic()
            server.stop()
            stopped = time.monotonic()
            replacement = Server(args, folder, port, "2")
            servers.append(replacement)
            ready = replacement.wait_for("is ready")
            notes.append(f"SIGTERM → supervisor exited {1000 * (stopped - stop_at):.0f} ms, fresh start → ready {1000 * (ready - stopped):.0f} ms")
            disrupted_at = stop_at
        # Not communicate(): a thread already reads stderr, and two readers of one pipe can leave
        # communicate() blocked on stderr while the load tester blocks writing its report to stdout.
        output = loadtest.stdout.read()
        loadtest.wait()
        watcher.join(5)
        if loadtest.returncode != 0:
            raise RuntimeError(f"loadtest exited {loadtest.returncode}:\n" + "".join(errors[-30:]))
        result = json.loads(output.strip().splitlines()[-1])
        for figures in result["recovery"].get("figures") or []:
            if disrupted_at is not None and figures.get("joined100Ms") is not None:
                figures["joined100AfterDisruptionMs"] = figures["firstCloseAt"] / 1e6 + figures["joined100Ms"] - disrupted_at * 1000
        return result, notes
    finally:
        for s in servers:
            s.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            notes.append(f"kept {folder}")

def fmt(value, unit=" ms"):
    return "never" if value is None else f"{value:.0f}{unit}"

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/siteflow")
    parser.add_argument("--clients", type=int, default=15000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--source-addresses", type=int, default=4)
    parser.add_argument("--duration", type=float, default=45)
    parser.add_argument("--disrupt-after", type=float, default=15)
    parser.add_argument("--settle-time", type=float, default=60)
    parser.add_argument("--open-files", type=int, default=65536, help="the node's open-files limit (at most the hard limit)")
    parser.add_argument("--scenarios", default="trap,reload,restart")
    parser.add_argument("--keep", action="store_true", help="keep each scenario's folder (database and logs)")
    parser.add_argument("--verbose", action="store_true", help="show the load test's progress")
    args = parser.parse_args()
    rows = []
    for scenario in args.scenarios.split(","):
        print(f"== {scenario}: {args.clients} clients, {args.rooms} rooms, {args.rate:g} msgs/s, "
              f"disruption {args.disrupt_after:g} s into {args.duration:g} s of sending", flush=True)
        result, notes = run_scenario(args, scenario)
        recovery = result["recovery"]
        figures = recovery.get("figures") or [{}]
        first = figures[0]
        audit = recovery.get("audit") or {}
        failed = sum((recovery.get("failedForGood") or {}).values())
        rows.append([scenario, len(recovery.get("figures") or []), first.get("wentDown", 0), fmt(first.get("joined99Ms")),
                     fmt(first.get("joined100Ms")), fmt(first.get("joined100AfterDisruptionMs")),
                     recovery["acknowledged"], audit.get("missing", "?"), audit.get("duplicates", "?"), failed,
                     recovery["unresolved"], fmt(first.get("p99BeforeMs")), fmt(first.get("p99AfterMs"))])
        for note in notes:
            print("   " + note)
        if recovery.get("disruptionError"):
            print("   disruption failed: " + recovery["disruptionError"])
        if recovery.get("joinRefusals"):
            print("   joins refused: " + json.dumps(recovery["joinRefusals"]))
        if len(figures) > 1:
            print("   more events: " + json.dumps(figures[1:]))
    header = ["scenario", "events", "went down", "99% rejoined", "100% rejoined", "100% after disruption (restart: after SIGTERM)",
              "acknowledged", "missing", "duplicates", "failed for good", "unresolved", "p99 ack 10 s before", "p99 ack 10 s after"]
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")

if __name__ == "__main__":
    main()
