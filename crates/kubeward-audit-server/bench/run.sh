#!/usr/bin/env bash
# Throughput benchmark of `kubeward audit serve` (the audit webhook receiver).
#
# Starts the release binary on loopback with a fresh queue, sends RATE events/s for DURATION
# seconds in EventList batches of BATCH over CONNECTIONS keep-alive HTTPS connections with
# client-certificate authentication (`kubeward-bench audit-load`, open-loop pacing), samples the
# receiver's RSS every second, then waits until /metrics shows every acknowledged event parsed,
# SIGTERMs the receiver and checks it exits 0. Each mode in MODES is a separate receiver:
#   process  receive, queue, run the detections (alerts to a file)
#   hold     receive and queue only (the hidden --hold flag): the baseline
#
# Environment: RATE=20000 DURATION=60 BATCH=400 CONNECTIONS=4 MODES="process hold"
#              HTTP2=1 (one multiplexed HTTP/2 connection) EVENTS=FILE (events to send)
#              NO_BUILD=1 (use the binaries already in target/release)
#              WORK=DIR (default: a new directory under /tmp, removed at the end; KEEP=1 keeps it)
# Exit status: 0 when every mode lost nothing and the receiver exited 0.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
RATE=${RATE:-20000}
DURATION=${DURATION:-60}
BATCH=${BATCH:-400}
CONNECTIONS=${CONNECTIONS:-4}
MODES=${MODES:-process hold}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
KW=$TARGET/release/kubeward
BENCH=$TARGET/release/kubeward-bench

if [[ -z ${NO_BUILD:-} ]]; then
    (cd "$ROOT" && cargo build --release -p kubeward -p kubeward-bench)
fi
[[ -x $KW && -x $BENCH ]] || { echo "run.sh: build $KW and $BENCH first" >&2; exit 2; }

WORK=${WORK:-$(mktemp -d /tmp/kubeward-audit-bench.XXXXXX)}
mkdir -p "$WORK"
SERVER_PID=
SAMPLER_PID=
cleanup() {
    [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null || true
    [[ -n $SERVER_PID ]] && kill -9 "$SERVER_PID" 2>/dev/null || true
    if [[ -z ${KEEP:-} ]]; then rm -rf "$WORK"; else echo "run.sh: kept $WORK" >&2; fi
}
trap cleanup EXIT

"$BENCH" audit-certs --dir "$WORK/pki" >/dev/null
PKI=$WORK/pki

metric() { # metric NAME FILE -> value
    awk -v n="$1" '$1 == n { print $2 }' "$2"
}

scrape() { # scrape ADDR OUT
    curl -sS --fail --max-time 10 --cacert "$PKI/ca.pem" "https://$1/metrics" -o "$2"
}

cpu_seconds() { # utime + stime of PID in seconds
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

status=0
declare -A RESULT

run_mode() {
    local mode=$1
    local dir=$WORK/$mode
    rm -rf "$dir"
    mkdir -p "$dir"
    local extra=()
    if [[ $mode == hold ]]; then
        # Nothing is processed, so the queue keeps all of it: no 429 from the limit.
        extra=(--hold --max-queue-bytes $((64 << 30)))
    fi
    "$KW" audit serve --listen 127.0.0.1:0 --cert "$PKI/tls.crt" --key "$PKI/tls.key" \
        --client-ca "$PKI/ca.pem" --queue-dir "$dir/queue" --output "$dir/alerts.jsonl" \
        "${extra[@]}" 2>"$dir/server.log" &
    SERVER_PID=$!
    local addr=
    for _ in $(seq 1 100); do
        addr=$(sed -n 's/.*listening on https:\/\/\([^ ]*\).*/\1/p' "$dir/server.log" | head -1)
        [[ -n $addr ]] && break
        sleep 0.1
    done
    [[ -n $addr ]] || { cat "$dir/server.log" >&2; echo "run.sh: the receiver did not start" >&2; exit 1; }

    # RSS every second (kB), until the receiver exits.
    (
        while [[ -r /proc/$SERVER_PID/status ]]; do
            awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || true
            sleep 1
        done
    ) >"$dir/rss.txt" &
    SAMPLER_PID=$!

    local load_args=(--url "https://$addr/" --ca "$PKI/ca.pem" --cert "$PKI/client.crt"
        --key "$PKI/client.key" --rate "$RATE" --seconds "$DURATION" --batch "$BATCH"
        --connections "$CONNECTIONS")
    [[ -n ${HTTP2:-} ]] && load_args+=(--http2)
    [[ -n ${EVENTS:-} ]] && load_args+=(--events "$EVENTS")
    echo "== $mode: $BENCH audit-load ${load_args[*]}" >&2
    local cpu0
    cpu0=$(cpu_seconds "$SERVER_PID")
    "$BENCH" audit-load "${load_args[@]}" >"$dir/load.txt" 2>"$dir/load.err" || true
    scrape "$addr" "$dir/metrics-end-of-load.txt"
    local cpu_load
    cpu_load=$(cpu_seconds "$SERVER_PID")
    cat "$dir/load.err" >&2
    local acked
    acked=$(sed -n 's/^events_acknowledged=//p' "$dir/load.txt")
    acked=${acked:-0}

    # Wait until everything acknowledged is parsed (process) or received (hold).
    local counter=kubeward_audit_events_parsed_total
    [[ $mode == hold ]] && counter=kubeward_audit_events_received_total
    local t0=$SECONDS value=0
    while :; do
        scrape "$addr" "$dir/metrics.txt"
        value=$(metric "$counter" "$dir/metrics.txt")
        [[ ${value:-0} -ge $acked ]] && break
        if ((SECONDS - t0 > 600)); then
            echo "run.sh: $mode: $counter stuck at $value of $acked" >&2
            break
        fi
        sleep 0.5
    done
    local drain=$((SECONDS - t0))
    local cpu_all
    cpu_all=$(cpu_seconds "$SERVER_PID")

    kill -TERM "$SERVER_PID"
    local rc=0
    wait "$SERVER_PID" || rc=$?
    SERVER_PID=
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=

    local m=$dir/metrics.txt e=$dir/metrics-end-of-load.txt
    local received parsed lost max_rss alerts
    received=$(metric kubeward_audit_events_received_total "$m")
    parsed=$(metric kubeward_audit_events_parsed_total "$m")
    if [[ $mode == hold ]]; then lost=$((acked - received)); else lost=$((acked - parsed)); fi
    max_rss=$(sort -n "$dir/rss.txt" | tail -1)
    alerts=$(awk '$1 ~ /^kubeward_audit_alerts_total/ { s += $2 } END { print s + 0 }' "$m")
    get() { sed -n "s/^$1=//p" "$dir/load.txt"; }
    {
        echo "mode=$mode"
        echo "events_sent=$(get events_sent)"
        echo "events_acknowledged=$acked"
        echo "events_received=$received"
        echo "events_parsed=$parsed"
        echo "lost=$lost"
        echo "events_per_sec=$(get events_per_sec)"
        echo "retries=$(get retries) throttled_429=$(get throttled_429) errors=$(get errors) connection_errors=$(get connection_errors)"
        echo "latency_ms p50=$(get latency_ms_p50) p99=$(get latency_ms_p99) max=$(get latency_ms_max)"
        echo "service_ms p50=$(get service_ms_p50) p99=$(get service_ms_p99) max=$(get service_ms_max)"
        echo "queue_depth_end_of_load_bytes=$(metric kubeward_audit_queue_depth_bytes "$e")"
        echo "parsed_end_of_load=$(metric kubeward_audit_events_parsed_total "$e")"
        echo "drain_seconds=$drain"
        echo "alerts=$alerts alert_lines=$(cat "$dir/alerts.jsonl" 2>/dev/null | wc -l)"
        echo "max_rss_mib=$(awk -v k="${max_rss:-0}" 'BEGIN { printf "%.1f", k / 1024 }')"
        echo "server_cpu_seconds_during_load=$(awk -v a="$cpu0" -v b="$cpu_load" 'BEGIN { printf "%.1f", b - a }')"
        echo "server_cpu_seconds_total=$(awk -v a="$cpu0" -v b="$cpu_all" 'BEGIN { printf "%.1f", b - a }')"
        echo "queue_bytes=$(du -sb "$dir/queue" | cut -f1)"
        echo "exit_status=$rc"
    } | tee "$dir/result.txt"
    RESULT[$mode]=$dir/result.txt
    if [[ $lost -ne 0 || $rc -ne 0 || $(get errors) != 0 || $acked -ne $(get events_sent) ]]; then
        echo "run.sh: $mode: FAILED (lost $lost, exit $rc)" >&2
        status=1
    fi
    # Keep only the summaries: a hold run leaves about a gigabyte of queue.
    rm -rf "$dir/queue"
}

for mode in $MODES; do
    run_mode "$mode"
    echo
done

if [[ -n ${RESULT[process]:-} && -n ${RESULT[hold]:-} ]]; then
    r() { sed -n "s/^$2=//p" "${RESULT[$1]}"; }
    awk -v pc="$(r process server_cpu_seconds_total)" -v hc="$(r hold server_cpu_seconds_total)" \
        -v pr="$(r process max_rss_mib)" -v hr="$(r hold max_rss_mib)" 'BEGIN {
        printf "ratio process/hold: server CPU %.2fx, max RSS %.2fx\n", pc / (hc > 0 ? hc : 1), pr / (hr > 0 ? hr : 1) }'
fi
exit $status
