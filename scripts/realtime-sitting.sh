#!/usr/bin/env bash
# One realtime sitting against a release binary (BENCHMARKS.md "Realtime"): idle memory per joined
# WebSocket at 15,000 connections, one broadcast to 15,000 (3 runs), the round trip at 5,000 msgs/s
# in 25 rooms of 20 (bench:* topics, no store) and the same in persisted chat rooms.
#   scripts/realtime-sitting.sh .build/release/siteflow [PORT]
# Prints each load test's report and the server's RSS before and after the 15,000 connections.
set -euo pipefail
binary=${1:?usage: $0 BINARY [PORT]}
port=${2:-4400}
dir=$(mktemp -d /tmp/siteflow-rt-XXXXXX)
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
"$binary" serve --no-supervise --port "$port" --bench-topics --pin-event-loops --database "sqlite:$dir/chat.db" \
  --log-level warning --rooms-per-minute 100000 --max-connections-per-address 100000 >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
url="ws://127.0.0.1:$port/socket/websocket"
before=$(rss $server)
"$binary" loadtest --url "$url" --clients 15000 --topic bench:lobby --rate 0 --duration 20 --processes 2 2>/dev/null &
load=$!
sleep 25
during=$(rss $server)
wait $load || true
echo "== idle: RSS $before kB before, $during kB with 15,000 joined: $(( (during - before) * 1024 / 15000 )) B per connection"
for run in 1 2 3; do
  echo "== broadcast to 15,000, run $run"
  "$binary" loadtest --url "$url" --clients 10 --listeners 14990 --topic bench:lobby --rate 1 --duration 10 --processes 2 2>/dev/null | grep -E "fan-out|every receiver|lost"
done
echo "== round trip, 5,000 msgs/s, 25 rooms × 20 (bench:*)"
"$binary" loadtest --url "$url" --clients 500 --rooms 25 --topic bench:room --rate 5000 --duration 15 2>/dev/null | grep -E "round trip|lost"
echo "== same, persisted chat rooms"
"$binary" loadtest --url "$url" --clients 500 --rooms 25 --topic room:load --rate 5000 --duration 15 2>/dev/null | grep -E "round trip|push → reply|lost"
