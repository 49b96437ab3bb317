#!/usr/bin/env bash
# Builds the plain C yardstick (scalar llama2.c forward, gcc -O3 -march=native) single-threaded and with OpenMP,
# and times it on a llama2.c checkpoint: scripts/reference/bench-c.sh MODEL.bin TOKENS
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(mktemp -d)"
gcc -O3 -march=native -o "$out/plain1" "$here/plain_forward.c" -lm
gcc -O3 -march=native -fopenmp -o "$out/plainmp" "$here/plain_forward.c" -lm
echo "single thread:"; OMP_NUM_THREADS=1 "$out/plain1" "$1" "$2"
echo "OpenMP, all cores:"; "$out/plainmp" "$1" "$2"
rm -rf "$out"
