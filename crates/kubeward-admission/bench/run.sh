#!/usr/bin/env bash
# Load test of `kubeward admission serve` over HTTPS on loopback (BENCHMARKS.md, "Admission
# webhook"). Needs `oha` (cargo install oha --locked), openssl, curl and jq.
#
#   crates/kubeward-admission/bench/run.sh            # defaults below
#   RATE=2000 DURATION=30s WORKERS=2 crates/kubeward-admission/bench/run.sh
#   SERVER_CPUS=1 CLIENT_CPUS=0 WORKERS=1 ...   # pin the server and oha to their own CPUs
#
# Posts bench/deployment-review.json (a 10 KB AdmissionReview of a realistic Deployment, as
# the API server sends it: managedFields, last-applied-configuration, userInfo; allowed with
# three warnings) and reports:
#   1. a fixed rate (RATE req/s for DURATION over CONNS keep-alive connections), latencies
#      corrected for coordinated omission (oha --latency-correction);
#   2. 100 connections sending 1,000 requests (the shape of Kyverno's 100 VUs/1,000 iterations
#      scale test) and 100 connections for DURATION as fast as they go;
#   3. the server's resident memory (VmRSS now, VmHWM peak) and CPU time.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
RATE=${RATE:-2000}
DURATION=${DURATION:-30s}
CONNS=${CONNS:-50}
WORKERS=${WORKERS:-2}
PORT=${PORT:-18443}
BODY=${BODY:-$here/deployment-review.json}
SERVER_CPUS=${SERVER_CPUS:-}
CLIENT_CPUS=${CLIENT_CPUS:-}
pin() { if [ -n "$1" ]; then echo taskset -c "$1"; fi; }

# NO_BUILD=1 uses target/release/kubeward as it is.
if [ -z "${NO_BUILD:-}" ]; then
    cargo build --release --quiet -p kubeward --manifest-path "$root/Cargo.toml"
fi
bin=$root/target/release/kubeward
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A CA, and a serving certificate it signs (the client verifies the chain, as the API server
# does with the webhook's caBundle).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=bench CA" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
    -days 1 -extfile "$work/ext" -out "$work/tls.crt" 2>/dev/null

$(pin "$SERVER_CPUS") "$bin" admission serve --listen "127.0.0.1:$PORT" --cert "$work/tls.crt" --key "$work/tls.key" \
    --offline --no-config --workers "$WORKERS" 2>"$work/serve.log" &
pid=$!
url=https://localhost:$PORT
for _ in $(seq 100); do
    curl -sf --cacert "$work/ca.crt" "$url/readyz" >/dev/null && break
    sleep 0.1
done
echo "server pid $pid, $(nproc) CPUs, workers $WORKERS, server CPUs ${SERVER_CPUS:-any}, client CPUs ${CLIENT_CPUS:-any}, body $(wc -c <"$BODY") bytes, load $(cut -d' ' -f1-3 /proc/loadavg)"
curl -sf --cacert "$work/ca.crt" -H 'content-type: application/json' --data-binary @"$BODY" \
    "$url/validate" | jq -c '.response | {uid, allowed, warnings: (.warnings | length)}'

mem() {
    awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MB  ", $1, $2 / 1024} END {print ""}' "/proc/$pid/status"
}
cpu() {
    # utime + stime of the server, in seconds
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat"
}
report() {
    jq -r '"  requests/s \(.summary.requestsPerSec | floor)  success \(.summary.successRate * 100)%  " +
        "p50 \(.latencyPercentiles.p50 * 1000 | . * 1000 | floor / 1000) ms  " +
        "p90 \(.latencyPercentiles.p90 * 1000 | . * 1000 | floor / 1000) ms  " +
        "p99 \(.latencyPercentiles.p99 * 1000 | . * 1000 | floor / 1000) ms  " +
        "p99.9 \(.latencyPercentiles["p99.9"] * 1000 | . * 1000 | floor / 1000) ms  " +
        "max \(.summary.slowest * 1000 | . * 1000 | floor / 1000) ms  " +
        "mean \(.summary.average * 1000 | . * 1000 | floor / 1000) ms  " +
        "status \(.statusCodeDistribution)  errors \(.errorDistribution)"' "$1"
}
load() {
    $(pin "$CLIENT_CPUS") oha --no-tui --output-format json -m POST -H 'content-type: application/json' \
        -D "$BODY" --cacert "$work/ca.crt" "$@" "$url/validate"
}

echo "idle: $(mem)"
echo "1. $RATE requests/s for $DURATION over $CONNS connections (latency-corrected)"
c0=$(cpu)
load -z "$DURATION" -q "$RATE" -c "$CONNS" --latency-correction >"$work/rate.json"
c1=$(cpu)
report "$work/rate.json"
echo "  server CPU $(echo "$c1 - $c0" | bc) s; $(mem)"
echo "  server-side latency (request received to answer ready), cumulative:"
curl -sf --cacert "$work/ca.crt" "$url/metrics" |
    grep -E '^kubeward_admission_request_duration_seconds_(bucket\{le="(0.0001|0.00025|0.0005|0.001|0.0025|0.01|\+Inf)"\}|sum|count)' |
    sed 's/^/    /'

echo "2a. 100 connections, 1,000 requests (Kyverno's 100 VUs / 1,000 iterations shape)"
load -n 1000 -c 100 >"$work/kyverno.json"
report "$work/kyverno.json"
echo "2b. 100 connections for $DURATION, as fast as they go"
load -z "$DURATION" -c 100 >"$work/c100.json"
report "$work/c100.json"
echo "  $(mem)"
echo "server metrics:"
curl -sf --cacert "$work/ca.crt" "$url/metrics" | grep -E '^kubeward_admission_(errors_total\{reason="(deadline_exceeded|overloaded|internal|bad_request)"\}|requests_total\{operation="CREATE",outcome="warned",dry_run="false"\}|request_duration_seconds_(count|sum))'
