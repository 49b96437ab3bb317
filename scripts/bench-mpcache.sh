#!/usr/bin/env bash
# Reproduces the cost tables of docs/benchmarks/mpcache.md: full cache vs MPCache (and the naive per-token top-k on
# shares) side by side in one `pi bench private` run per shape and network, 3pc over loopback party processes.
# Usage: scripts/bench-mpcache.sh [STEPS] > table.md   (about an hour on 2 shared cores)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
steps="${1:-2}"
out=docs/benchmarks
paper="1.8-2.01,3.39-8.37"   # MPCache paper: decoding latency and communication, full/MPCache
for net in none lan; do
  # The paper's efficiency model: one layer, d 1024, 32 heads of 32, FFN 4096.
  ./scripts/pi bench private --preset mpcache-paper --context 512,1024,2048,4096,8192 --steps "$steps" --net "$net" \
    --cache "full;mpcache" --timeout 600 --json "$out/mpcache-paper-$net.json"
  # gpt2-small, all 12 layers; the three parties need the GC's conserve-memory mode on a 24 GiB machine.
  DOTNET_GCConserveMemory=7 ./scripts/pi bench private --preset gpt2-small --context 2048 --steps "$steps" --net "$net" \
    --cache full,mpcache --timeout 600 --json "$out/mpcache-gpt2small-12layers-$net.json"
done
./scripts/pi bench plot --json "$out/mpcache-paper-none.json,$out/mpcache-paper-lan.json" --ratio-plot "$out/mpcache.png" \
  --reference-ranges "$paper" --title "MPCache/full, paper's shape, 3pc (shaded: paper's ranges)"
# The naive per-token top-k on shares beside them, up to 2048 (its dense one-hot [k, n] per head outgrows 24 GiB at 4096).
./scripts/pi bench private --preset mpcache-paper --context 512,1024,2048 --steps "$steps" --cache "full;mpcache;topk" \
  --timeout 600 --json "$out/mpcache-paper-topk.json"
# Ablations on stories260K (the real model's shape) at 512.
./scripts/pi bench private --model stories260K --context 512 --steps "$steps" \
  --cache "full;mpcache;static;dynamic;mpcache:hierarchy=off;mpcache:sharing=off;mpcache:select=rank;mpcache:min=0;topk" \
  --json "$out/mpcache-stories260K.json"
