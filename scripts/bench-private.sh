#!/usr/bin/env bash
# Reproduces docs/benchmarks/private.md: private decode cost per step over loopback party processes, both schemes,
# without and with the LAN emulation, for stories260K (whole model) and one gpt2-small layer (random weights).
# Usage: scripts/bench-private.sh [STEPS]   (writes docs/benchmarks/private.md, .json files and private.png)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
steps="${1:-4}"
out=docs/benchmarks
doc=$out/private.md
cat > "$doc" <<'MD'
# Private decoding cost per step

Produced by `scripts/bench-private.sh` (`pi bench private` over three local party processes talking gRPC on loopback;
this process plays the client and the model owner). Each row: one decode step at the given context (the cache holds
context − 1 positions, filled by the benchmark-only path of `PrivateDecodeBenchmark`), median and p90 over the steps
after one warm-up step, plaintext time of the same step on this machine, slowdown = private median / plaintext median,
bytes sent per party per step (application payload) and rounds per step. `--net lan` adds the emulated 1 Gbit/s and
0.5 ms one-way delay to every message, on top of the real loopback cost. Bytes and rounds are exact; times are noisy on
this 2-core machine (all three parties and the client share it).

Scopes: `model` = one-hot token in, logits revealed to the client (embedding, all layers, final norm, classifier);
`layers` = the decoder stack alone (hidden state in, one value revealed to the client to close the step).
MD
for parties in 3 2; do
  for net in none lan; do
    ./scripts/pi bench private --model stories260K --context 64,128,256,512 --steps "$steps" --parties "$parties" --net "$net" \
      --append "$doc" --json "$out/private-stories260K-${parties}p-${net}.json"
    ./scripts/pi bench private --preset gpt2-small --layers 1 --context 128,512,1024 --steps "$steps" --parties "$parties" --net "$net" \
      --append "$doc" --json "$out/private-gpt2small-${parties}p-${net}.json"
  done
done
./scripts/pi bench private --model stories260K --context 64,128,256,512 --steps "$steps" --parties 3 --plot "$out/private.png" > /dev/null
