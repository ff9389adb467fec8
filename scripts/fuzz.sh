#!/usr/bin/env bash
# Runs the libFuzzer targets of Sources/SiteflowFuzzTargets (see FuzzTarget) for a while each.
#
#   scripts/fuzz.sh                 # every target, 5 s each (what CI does)
#   scripts/fuzz.sh 600 json cron   # 10 minutes each for the JSON and cron parsers
#
# Each target starts from its committed seeds (Fuzz/corpus/<target>) and grows a working corpus in
# .build-fuzz/corpus/<target> (not committed). A crash is written to Fuzz/regressions/<target>/,
# where the test suite replays it from then on: fix the bug, keep the file. The last line per
# target says how many inputs ran; the script exits non-zero if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(json phoenix request-target cron database-url websocket-frame longpoll-body); fi

echo "== building siteflow-fuzz with libFuzzer (.build-fuzz)"
swift build -c release --product siteflow-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -use-ld=lld 2>&1 | tail -3
binary=.build-fuzz/release/siteflow-fuzz

failed=0
for target in "${targets[@]}"; do
  mkdir -p ".build-fuzz/corpus/$target" "Fuzz/regressions/$target"
  echo "== $target: ${seconds} s"
  log=".build-fuzz/$target.log"
  # SWIFT_BACKTRACE=enable=no: libFuzzer, not Swift's backtracer, handles the crash and saves the input.
  if SWIFT_BACKTRACE=enable=no SITEFLOW_FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
      -artifact_prefix="Fuzz/regressions/$target/" ".build-fuzz/corpus/$target" "Fuzz/corpus/$target" >"$log" 2>&1; then
    echo "$target: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1), 0 crashes"
  else
    failed=1
    echo "$target: CRASHED — input saved under Fuzz/regressions/$target/; the log's end:"
    tail -30 "$log"
  fi
done
exit "$failed"
