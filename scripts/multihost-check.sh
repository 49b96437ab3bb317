#!/usr/bin/env bash
# The deployment of docs/deploy.md, end to end on one machine: every party in its own network namespace with its
# own address, the model owner and the client in two more, links shaped by the kernel (tbf, 1 Gbit/s; netem is not
# available here), keys from `pi keys --hosts`. For 3pc and for 2pc:
#   1. the parties start (each with its own key and share folder);
#   2. the owner shares stories260K once and exits;
#   3. a client that cannot see any checkpoint (an empty folder is mounted over the model folders in its mount
#      namespace) generates 64 greedy tokens, which must equal the plaintext engine's;
#   4. the parties restart and a second client run must give the same tokens from the stored shares;
# then it prints the per-token latency beside the same generation over loopback (local parties, no shaping).
# Needs root (ip netns, veth, tc). Without them it fails loudly; PI_MULTIHOST_CHECK=0 skips it, saying so.
set -euo pipefail

say() { echo "multihost-check: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

if [[ "${PI_MULTIHOST_CHECK:-1}" == 0 ]]; then
  say "SKIPPED (PI_MULTIHOST_CHECK=0): the multi-host deployment was not checked"
  exit 0
fi
[[ $(id -u) == 0 ]] || fail "needs root for network namespaces (ip netns, veth, tc); run as root or set PI_MULTIHOST_CHECK=0 to skip explicitly"
for tool in ip tc unshare mount; do
  command -v "$tool" >/dev/null || fail "needs '$tool' (iproute2, util-linux)"
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/pi" --help >/dev/null   # builds the CLI once if needed
pi=(dotnet "$root/.pi-build/pi.dll")
models_dir="$(cd "$root/../shared/models" 2>/dev/null && pwd)" || fail "no ../shared/models beside the repository (stories260K.bin, tok512.bin)"
[[ -f "$models_dir/stories260K.bin" ]] || fail "no stories260K.bin in $models_dir"
prompt="Once upon a time"
tokens=64
rate="${PI_MULTIHOST_RATE:-1gbit}"

work="$(mktemp -d /tmp/pi-multihost.XXXXXX)"
empty="$work/empty"
mkdir -p "$empty"
prefix=pimh
roles=(p0 p1 p2 owner client)
declare -A address=([p0]=10.77.0.10 [p1]=10.77.0.11 [p2]=10.77.0.12 [owner]=10.77.0.20 [client]=10.77.0.30)
party_pids=()

cleanup() {
  for pid in "${party_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${party_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for role in "${roles[@]}" sw; do ip netns del "$prefix-$role" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A switch namespace with a bridge, and one namespace per role linked to it by a veth pair; the root namespace is
# left alone. Each role's side of its link is shaped (egress) to the given rate.
setup_network() {
  for role in "${roles[@]}" sw; do ip netns del "$prefix-$role" 2>/dev/null || true; done
  ip netns add "$prefix-sw" || fail "cannot create network namespaces (ip netns add): this host does not allow them"
  ip -n "$prefix-sw" link add br0 type bridge
  ip -n "$prefix-sw" link set br0 up
  for role in "${roles[@]}"; do
    ns="$prefix-$role"
    ip netns add "$ns"
    ip link add "$prefix-$role" netns "$ns" type veth peer name "$role" netns "$prefix-sw"
    ip -n "$prefix-sw" link set "$role" master br0 up
    ip -n "$ns" addr add "${address[$role]}/24" dev "$prefix-$role"
    ip -n "$ns" link set "$prefix-$role" up
    ip -n "$ns" link set lo up
    tc -n "$ns" qdisc add dev "$prefix-$role" root tbf rate "$rate" burst 1mb latency 50ms
  done
}

in_ns() { local role=$1; shift; ip netns exec "$prefix-$role" "$@"; }

start_parties() {
  local dir=$1 count=$2
  party_pids=()
  for ((i = 0; i < count; i++)); do
    # ip netns exec execs the party itself, so $! is the party's pid (a shell function here would fork a subshell).
    ip netns exec "$prefix-p$i" "${pi[@]}" party --id "$i" --cluster "$dir/p$i/cluster.json" --store "$dir/p$i/shares" \
      >>"$dir/p$i/party.log" 2>&1 &
    party_pids+=($!)
  done
  local deadline=$((SECONDS + 90))
  until in_ns client "${pi[@]}" models --cluster "$dir/client/cluster.json" >"$dir/models.txt" 2>/dev/null; do
    ((SECONDS < deadline)) || { tail -n 5 "$dir"/p*/party.log >&2; fail "the parties did not answer within 90 s"; }
    sleep 1
  done
}

stop_parties() {
  for pid in "${party_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${party_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  party_pids=()
}

# The client's process sees an empty folder where the models are, so it could not read a checkpoint if it tried.
client_generate() {
  local dir=$1 out=$2
  in_ns client unshare --mount --propagation private sh -c \
    'mount --bind "$1" "$2" && shift 2 && exec env -u PI_MODELS "$@"' sh "$empty" "$models_dir" \
    "${pi[@]}" generate --model-description "$dir/client/stories260K.model.json" --cluster "$dir/client/cluster.json" \
    --parties "$parties" --prompt "$prompt" --max-tokens "$tokens" --temperature 0 >"$out" 2>"$out.err" \
    || { cat "$out.err" >&2; fail "$scheme: the client run failed"; }
}

median_of() { sed -n 's/.*decode per token median \([0-9.]*\) ms.*/\1/p' "$1" | tail -n 1; }

setup_network
say "network: 5 namespaces on a bridge, each link shaped to $rate (tbf); parties at ${address[p0]}, ${address[p1]}, ${address[p2]}"
report=()
for scheme in 3pc 2pc; do
  parties=3; [[ $scheme == 2pc ]] && parties=2
  dir="$work/$scheme"
  mkdir -p "$dir"
  "${pi[@]}" keys --parties "$parties" --out "$dir/keys" --hosts "${address[p0]},${address[p1]},${address[p2]}" --port 50100 \
    >/dev/null 2>"$dir/keys.err" || { cat "$dir/keys.err" >&2; fail "$scheme: pi keys failed"; }
  # What each host receives: the cluster file and its own key and certificate, nothing else.
  for i in 0 1 2; do
    mkdir -p "$dir/p$i"; cp "$dir/keys/cluster.json" "$dir/keys/party$i.key" "$dir/keys/party$i.crt" "$dir/p$i/"
  done
  for role in owner client; do
    mkdir -p "$dir/$role"; cp "$dir/keys/cluster.json" "$dir/keys/$role.key" "$dir/keys/$role.crt" "$dir/$role/"
  done

  start_parties "$dir" 3
  in_ns owner "${pi[@]}" owner share --model "$models_dir/stories260K.bin" --cluster "$dir/owner/cluster.json" \
    --description "$dir/owner/stories260K.model.json" >/dev/null 2>"$dir/owner/share.err" \
    || { cat "$dir/owner/share.err" >&2; fail "$scheme: the owner could not share the weights"; }
  grep '^pi owner:' "$dir/owner/share.err" | sed "s/^/  [$scheme] /" >&2
  # The public description and tokenizer go to the client; the checkpoint stays with the owner.
  cp "$dir/owner/stories260K.model.json" "$dir/owner/tok512.bin" "$dir/client/"

  "${pi[@]}" generate --mode plain --model stories260K --prompt "$prompt" --max-tokens "$tokens" --temperature 0 \
    >"$dir/plain.txt" 2>/dev/null
  client_generate "$dir" "$dir/first.txt"
  cmp -s "$dir/plain.txt" "$dir/first.txt" || { diff "$dir/plain.txt" "$dir/first.txt" >&2 || true; fail "$scheme: private tokens differ from plaintext"; }

  old_pids="${party_pids[*]}"
  stop_parties
  for pid in $old_pids; do ! kill -0 "$pid" 2>/dev/null || fail "$scheme: party process $pid did not stop"; done
  start_parties "$dir" 3
  [[ $(grep -c "$scheme frac_bits=16" "$dir/models.txt") == 3 ]] || fail "$scheme: after the restart not every party lists the stored model"
  client_generate "$dir" "$dir/second.txt"
  cmp -s "$dir/plain.txt" "$dir/second.txt" || fail "$scheme: after the restart the tokens differ from plaintext"
  stop_parties

  "${pi[@]}" generate --model stories260K --parties "$parties" --prompt "$prompt" --max-tokens "$tokens" --temperature 0 \
    >"$dir/loopback.txt" 2>"$dir/loopback.err" || { cat "$dir/loopback.err" >&2; fail "$scheme: the loopback run failed"; }
  cmp -s "$dir/plain.txt" "$dir/loopback.txt" || fail "$scheme: the loopback run's tokens differ from plaintext"
  say "$scheme: $tokens greedy tokens equal plaintext from a client without the checkpoint, and again after the parties restarted"
  report+=("$(printf '%-5s %22s %22s %22s' "$scheme" "$(median_of "$dir/first.txt.err")" "$(median_of "$dir/second.txt.err")" "$(median_of "$dir/loopback.err")")")
done

echo "multihost-check: passed. Decode latency per token, median ms ($tokens tokens, stories260K, greedy):"
printf '%-5s %22s %22s %22s\n' scheme "namespaces $rate" "same after restart" "loopback, no shaping"
printf '%s\n' "${report[@]}"
