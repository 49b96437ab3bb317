#!/usr/bin/env bash
# Reproduces the cost tables of docs/benchmarks/mpcache.md: full cache vs MPCache (and ablations) side by side in one
# `pi bench private` run per model and depth, 3pc over loopback party processes.
# Usage: scripts/bench-mpcache.sh [STEPS] > table.md   (about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
steps="${1:-3}"
out=docs/benchmarks
./scripts/pi bench private --model stories260K --context 256,512 --steps "$steps" \
  --cache "full;mpcache;static;dynamic;mpcache:hierarchy=off;mpcache:sharing=off" --json "$out/mpcache-stories260K.json"
./scripts/pi bench private --preset gpt2-small --layers 1 --context 512,1024,2048,4096 --steps "$steps" --cache full,mpcache \
  --json "$out/mpcache-gpt2small-1layer.json" --plot "$out/mpcache.png"
# All 12 layers: the set-up (sharing a 2048-token random cache per layer) outlasts the default 30 s peer timeout, and
# on a 24 GiB machine the three parties need the GC's conserve-memory mode (each step's cache append copies the cache).
DOTNET_GCConserveMemory=7 ./scripts/pi bench private --preset gpt2-small --context 1024,2048 --steps 2 --cache full,mpcache --timeout 600 \
  --json "$out/mpcache-gpt2small-12layers.json"
