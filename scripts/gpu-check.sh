#!/usr/bin/env bash
# gpu-check: on a machine with an NVIDIA GPU, builds (Release), checks every ring kernel against the CPU backend at
# real sizes, times ring matmul (1x768x768, 64x768x768, 4096x4096x4096) and elementwise ops on 64M elements on cuda
# and cpu, and one gpt2-small private decode step (1 layer, context 512, inproc) with --device cpu, cuda, and cuda
# with every step forced onto the device; writes docs/benchmarks/gpu.md. Budget: 8 minutes (each step has its own
# timeout; together at most 470 s). Without a CUDA GPU it exits 3 with one message and measures nothing.
# GPU_CHECK_REPORT (output path) and GPU_CHECK_BENCH_ARGS (extra `pi bench gpu` options, e.g. smaller --sizes for a
# dry run) change what it does; the defaults are the checked sizes. Needs the NuGet packages restorable or cached.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
report="${GPU_CHECK_REPORT:-docs/benchmarks/gpu.md}"

gpu="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true)"
if [[ -z "$gpu" ]]; then
  echo "gpu-check: no CUDA GPU on this machine (nvidia-smi lists no device); nothing was measured. Run it where an NVIDIA GPU and driver are present." >&2
  exit 3
fi
echo "gpu-check: GPU: $gpu" >&2

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$SECONDS
step() { echo "gpu-check: [$((SECONDS - start)) s] $*" >&2; }

step "building (Release)"
timeout 140 ./scripts/pi --help >/dev/null

step "kernel correctness (ILGPU CPU accelerator, small sizes)"
tests="not run"
if timeout 60 dotnet test tests/Kernels.Tests -c Release --nologo >"$work/tests.txt" 2>&1; then
  tests="$(grep -E 'Passed!|Failed!' "$work/tests.txt" | tail -n 1 | sed 's/^ *//' || true)"
else
  tests="FAILED or timed out (60 s): $(grep -E 'Failed|error' "$work/tests.txt" | head -n 3 | tr '\n' ' ' || true)"
fi

step "pi bench gpu --device cuda (results checked against the cpu backend)"
cuda_rc=0
timeout 90 ./scripts/pi bench gpu --device cuda --repeats 5 ${GPU_CHECK_BENCH_ARGS:-} --markdown "$work/cuda.md" --json "$work/cuda.json" >"$work/cuda.txt" 2>&1 || cuda_rc=$?
# One timed repetition on the CPU: its 4096^3 product streams B (128 MiB) once per output row, seconds per product.
step "pi bench gpu --device cpu"
timeout 90 ./scripts/pi bench gpu --device cpu --repeats 1 ${GPU_CHECK_BENCH_ARGS:-} --markdown "$work/cpu.md" --json "$work/cpu.json" >"$work/cpu.txt" 2>&1 || true

decode() {  # $1 label, then the device and any env; prints the Markdown row
  local label="$1"; shift
  if env "$@" timeout 30 ./scripts/pi bench private --preset gpt2-small --layers 1 --context 512 --steps 3 --transport inproc \
       --device "${DEVICE}" >"$work/decode-$label.txt" 2>&1; then
    grep -E '^\| gpt2-small' "$work/decode-$label.txt" | sed "s/^| gpt2-small/| $label: gpt2-small/" || echo "| $label: no result row |"
  else
    echo "| $label: failed: $(tail -n 1 "$work/decode-$label.txt") |"
  fi
}
step "private decode step, --device cpu"
row_cpu="$(DEVICE=cpu decode cpu)"
step "private decode step, --device cuda"
row_cuda="$(DEVICE=cuda decode cuda)"
step "private decode step, --device cuda, every step on the device"
row_all="$(DEVICE=cuda decode cuda-all PI_GPU_MIN_MATMUL_WORK=0 PI_GPU_MIN_ELEMENTS=0)"

step "writing $report"
{
  echo "# GPU ring backend: measured by scripts/gpu-check.sh"
  echo
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on: $gpu; $(grep -h '^machine:' "$work/cuda.txt" "$work/cpu.txt" | head -n 1)"
  echo
  echo "Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown). Total time of the check: $((SECONDS - start)) s."
  echo
  echo "## Kernel correctness"
  echo
  echo "- ILGPU CPU accelerator, small random inputs (tests/Kernels.Tests): $tests"
  echo "- CUDA at the sizes below: the last column of the cuda table compares every result with the CPU backend bit for bit"
  echo "  (\`pi bench gpu\` exit code $cuda_rc; non-zero means a mismatch or a failure)."
  echo
  echo "## Ring matmul and elementwise ops, device-resident buffers"
  echo
  echo "Operands are uploaded once; each timed repetition ends with a one-element download (which waits for the device)."
  echo "The 'cross-term product, kept split matrix' rows are the exception: host activations in, host result out, transfers"
  echo "included (the weight itself was uploaded once, as in a session); the rate counts both products of the step."
  echo "Rates are ring (ulong) multiply-adds per second for products and elements per second for elementwise ops."
  echo
  echo "### cuda"
  echo
  if [[ -s "$work/cuda.md" ]]; then cat "$work/cuda.md"; else echo '```'; tail -n 20 "$work/cuda.txt"; echo '```'; fi
  echo
  echo "### cpu backend (same machine)"
  echo
  if [[ -s "$work/cpu.md" ]]; then cat "$work/cpu.md"; else echo '```'; tail -n 20 "$work/cpu.txt"; echo '```'; fi
  echo
  echo "## One private gpt2-small decode step (3pc, 1 layer, context 512, inproc, 3 steps)"
  echo
  echo "\`pi bench private --preset gpt2-small --layers 1 --context 512 --steps 3 --transport inproc --device ...\`;"
  echo "cuda-all sets PI_GPU_MIN_MATMUL_WORK=0 PI_GPU_MIN_ELEMENTS=0 so that every fused step runs on the device."
  echo
  echo "| model | scope | scheme | transport | network | context | median ms | p90 ms | plaintext ms | slowdown | bytes sent per step (P0 / P1 / P2) | rounds per step |"
  echo "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
  echo "$row_cpu"
  echo "$row_cuda"
  echo "$row_all"
} >"$report"
step "done: $report"
exit "$cuda_rc"
