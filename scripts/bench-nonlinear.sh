#!/usr/bin/env bash
# The side-by-side runs behind docs/benchmarks/private.md, "Few-round nonlinear layer": the same `pi bench private`
# commands on a checkout of the commit before the helper gates (BASE, a directory) and on this one, alternating so
# both see the same load. Usage: scripts/bench-nonlinear.sh BASE_CHECKOUT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${1:?usage: $0 BASE_CHECKOUT (e.g. a git worktree at 6924969)}"
run() { local tree=$1 label=$2; shift 2; (cd "$tree" && ./scripts/pi bench private "$@" 2>/dev/null | grep -E '^\| (stories|gpt2)' | sed "s/^/$label /"); }
for round in 1 2; do
  for t in "$base:before" "$here:after"; do
    run "${t%%:*}" "${t##*:}" --model stories260K --context 256 --steps 3 --parties 3 --net lan
    run "${t%%:*}" "${t##*:}" --model stories260K --context 256 --steps 3 --parties 2 --net lan
  done
done
for t in "$base:before" "$here:after"; do
  run "${t%%:*}" "${t##*:}" --model stories260K --context 256 --steps 2 --parties 3 --net wan
  run "${t%%:*}" "${t##*:}" --model stories260K --context 256 --steps 2 --parties 2 --net wan
  run "${t%%:*}" "${t##*:}" --model stories260K --context 512 --steps 3 --parties 3
  run "${t%%:*}" "${t##*:}" --model stories260K --context 512 --steps 3 --parties 2
  run "${t%%:*}" "${t##*:}" --preset gpt2-small --layers 1 --context 512 --steps 3 --parties 3
  run "${t%%:*}" "${t##*:}" --preset gpt2-small --layers 1 --context 512 --steps 3 --parties 2
done
prompt="$(head -c 900 "$here/../shared/data/tinystories-valid-dev.txt")"
(cd "$here" && ./scripts/pi generate --prompt "$prompt" --max-tokens 4 --temperature 0 2>&1 >/dev/null | grep -E 'bytes|prefill' | sed 's/^/after 3pc prefill: /')
(cd "$here" && ./scripts/pi bench private --model stories260K --context 256 --steps 3 --parties 3 --cache full,mpcache 2>/dev/null | grep -E '^\| stories' | sed 's/^/after /')
