#!/usr/bin/env bash
# Hostile-input campaign: splitee under signals at random moments (SIGINT, SIGTERM, SIGKILL and a
# restart), full disks (/dev/full; a small tmpfs where `mount -t tmpfs` is allowed), FIFOs as
# inputs and huge values. Every command must end with status 0 or 2, or 128 + the SIGINT/SIGTERM
# it was sent (the handler's exit), or by the SIGKILL it was sent: never a panic, status 101 or a
# death by another signal. An error is one line; no temporary file is left after SIGINT/SIGTERM
# (nor after a stream restarted on the state of a killed one); a state file always loads; a
# signalled stream ends within a second or two even when nobody reads its output.
#
#   tests/hostile/run.sh [ROUNDS]      ROUNDS random signal rounds per family (default 6)
#   HOSTILE_SEED=N                     repeats a campaign (the seed is printed)
#   SPLITEE=PATH                       the binary (default target/release/splitee)
#
# Exits non-zero if any check failed. Needs bash, python3 (tests/hostile/launch.py reports how a
# process ended, exit status or signal) and mkfifo.
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${SPLITEE:-$PWD/target/release/splitee}
LAUNCH=(python3 "$PWD/tests/hostile/launch.py")
ROUNDS=${1:-6}
SEED=${HOSTILE_SEED:-$(($(date +%s) % 100000))}
RANDOM=$SEED
WORK=$(mktemp -d)
SMALL_DISK=""
cleanup() {
    [ -n "$SMALL_DISK" ] && umount "$SMALL_DISK" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
checks=0
failures=0

fail() {
    echo "FAIL [$1]: $2"
    failures=$((failures + 1))
}

# A random delay in seconds between $1 and $2 milliseconds.
random_delay() {
    local ms=$(($1 + RANDOM % ($2 - $1 + 1)))
    printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

pick() {
    local options=("$@")
    echo "${options[RANDOM % ${#options[@]}]}"
}

# check_outcome NAME OUTCOME SIGNAL ERRFILE ONE_LINE: OUTCOME is launch.py's line; SIGNAL the one
# sent (0: none); ONE_LINE=1 when the command prints nothing else on standard error.
check_outcome() {
    local name=$1 outcome=$2 signal=$3 errfile=$4 one_line=$5
    checks=$((checks + 1))
    local kind code
    read -r kind code _ <<<"$outcome"
    if grep -q "panicked" "$errfile"; then
        fail "$name" "panicked: $(grep -m1 panicked "$errfile")"
        return
    fi
    case "$kind $code" in
    "exit 0") ;;
    "exit 2")
        local last
        last=$(tail -n 1 "$errfile")
        [[ $last == "splitee: "* ]] || fail "$name" "status 2 without a 'splitee: ' line: $last"
        if [ "$one_line" = 1 ] && [ "$(wc -l <"$errfile")" -ne 1 ]; then
            fail "$name" "error on $(wc -l <"$errfile") lines: $(head -c 300 "$errfile")"
        fi
        ;;
    "exit 130" | "exit 143")
        [ $((code - 128)) = "$signal" ] || fail "$name" "exit $code without signal $((code - 128))"
        ;;
    "signal 9") [ "$signal" = 9 ] || fail "$name" "killed by SIGKILL it was not sent" ;;
    *) fail "$name" "ended with '$outcome' (signal sent: $signal): $(tail -n 1 "$errfile")" ;;
    esac
}

check_no_temporaries() {
    checks=$((checks + 1))
    local left
    left=$(find "$2" -name '.*.tmp' 2>/dev/null)
    [ -z "$left" ] || fail "$1" "temporary files left: $left"
}

# check_state_loads NAME STATE ARGS...: a stream with the same settings resumes from STATE.
check_state_loads() {
    local name=$1 state=$2
    shift 2
    [ -e "$state" ] || return 0
    checks=$((checks + 1))
    if ! "$BIN" stream --state "$state" "$@" </dev/null 2>"$WORK/load.err" >/dev/null; then
        fail "$name" "the state does not load: $(tail -n 1 "$WORK/load.err")"
    elif ! grep -q "resumed from" "$WORK/load.err"; then
        fail "$name" "the state was not resumed: $(head -n 1 "$WORK/load.err")"
    fi
}

setup() {
    echo "hostile campaign: seed $SEED, $ROUNDS rounds, $BIN"
    [ -x "$BIN" ] || {
        echo "no binary at $BIN (cargo build --release)"
        exit 2
    }
    "$BIN" synth --samples 100000 --exits 4 --seed 3 --out "$WORK/big.jsonl"
    "$BIN" synth --samples 20000 --exits 4 --seed 4 --out "$WORK/trace.csv"
    "$BIN" synth --samples 200 --exits 4 --seed 5 --out "$WORK/small.jsonl"
    cat >"$WORK/sweep.toml" <<TOML
[trace]
paths = ["trace.csv"]

[run]
runs = 40

[policy]
names = ["splitee", "splitee-s", "random"]

[sweep]
offload = {start = 0.1, stop = 0.6, step = 0.05}
TOML
}

# Streams signalled at random moments, writing to /dev/null, a file or a pipe nobody reads, saving
# often or only at the end; after a SIGKILL, a restart on the state.
stream_signals() {
    local round dir state signal stdout every outcome took
    for round in $(seq "$ROUNDS"); do
        dir="$WORK/stream-$round"
        mkdir -p "$dir"
        state="$dir/state.json"
        signal=$(pick 2 15 9)
        stdout=$(pick null stuck "$dir/out.jsonl")
        every=$(pick 0 500 5000)
        local name="stream round $round (signal $signal, stdout ${stdout##*/}, save every $every)"
        outcome=$("${LAUNCH[@]}" "$(random_delay 50 1500)" "$signal" "$WORK/big.jsonl" "$stdout" \
            "$dir/err" -- "$BIN" stream --state "$state" --save-every "$every")
        check_outcome "$name" "$outcome" "$signal" "$dir/err" 0
        took=$(awk '{print $3}' <<<"$outcome")
        if [ "$signal" != 9 ] && awk -v t="$took" 'BEGIN { exit !(t > 2.0) }'; then
            fail "$name" "took $took s to end after the signal"
        fi
        if [ "$signal" = 9 ]; then
            outcome=$("${LAUNCH[@]}" 0 0 "$WORK/small.jsonl" null "$dir/err" -- \
                "$BIN" stream --state "$state")
            check_outcome "$name, restart" "$outcome" 0 "$dir/err" 0
        fi
        check_no_temporaries "$name" "$dir"
        check_state_loads "$name" "$state"
    done
}

# Batch commands writing files, signalled at random moments; after a SIGKILL the same command
# runs again (a stale temporary file is ignored) and its output reads back.
batch_signals() {
    local round dir signal command outcome target
    for round in $(seq "$ROUNDS"); do
        dir="$WORK/batch-$round"
        mkdir -p "$dir"
        signal=$(pick 2 15 9)
        command=$(pick synth-csv synth-jsonl run sweep)
        local args
        case $command in
        synth-csv) target="$dir/out.csv" args=(synth --samples 3000000 --out "$target") ;;
        synth-jsonl) target="$dir/out.jsonl" args=(synth --samples 3000000 --out "$target") ;;
        run) target="$dir/decisions.jsonl" args=(run --trace "$WORK/trace.csv" --runs 30 --decisions "$target") ;;
        sweep) target="$dir/sweep/sweep.json" args=(sweep --config "$WORK/sweep.toml" --out "$dir/sweep") ;;
        esac
        local name="$command round $round (signal $signal)"
        outcome=$("${LAUNCH[@]}" "$(random_delay 100 2500)" "$signal" null null "$dir/err" -- \
            "$BIN" "${args[@]}")
        check_outcome "$name" "$outcome" "$signal" "$dir/err" 1
        if [ "$signal" = 9 ]; then
            outcome=$("${LAUNCH[@]}" 0 0 null null "$dir/err" -- "$BIN" "${args[@]}")
            checks=$((checks + 1))
            [[ $outcome == "exit 0 "* ]] || fail "$name, again" "$outcome: $(tail -n 1 "$dir/err")"
            case $command in
            synth-*) "$BIN" inspect --trace "$target" >/dev/null 2>"$dir/err" ||
                fail "$name" "the output does not read back: $(tail -n 1 "$dir/err")" ;;
            sweep) "$BIN" plot "$dir/sweep" >/dev/null 2>"$dir/err" ||
                fail "$name" "the sweep does not plot: $(tail -n 1 "$dir/err")" ;;
            esac
        else
            check_no_temporaries "$name" "$dir"
        fi
        rm -rf "$dir"
    done
}

# Outputs on /dev/full: status 2 and one line (a stream: its summary, then one line), the state
# saved all the same.
full_disks() {
    local dir="$WORK/full" outcome
    mkdir -p "$dir"
    local -a commands=(
        "synth --samples 1000"
        "inspect --trace $WORK/trace.csv"
        "run --trace $WORK/trace.csv --runs 2 --json"
        "sweep --config $WORK/sweep.toml --runs 1"
    )
    local c
    for c in "${commands[@]}"; do
        # shellcheck disable=SC2086 # the command's words
        outcome=$("${LAUNCH[@]}" 0 0 null full "$dir/err" -- "$BIN" $c)
        check_outcome "$c > /dev/full" "$outcome" 0 "$dir/err" 1
        checks=$((checks + 1))
        [[ $outcome == "exit 2 "* ]] || fail "$c > /dev/full" "ended with $outcome"
    done
    for input in small.jsonl big.jsonl; do
        outcome=$("${LAUNCH[@]}" 0 0 "$WORK/$input" full "$dir/err" -- \
            "$BIN" stream --state "$dir/$input.state")
        check_outcome "stream $input > /dev/full" "$outcome" 0 "$dir/err" 0
        checks=$((checks + 1))
        [[ $outcome == "exit 2 "* ]] || fail "stream $input > /dev/full" "ended with $outcome"
        check_state_loads "stream $input > /dev/full" "$dir/$input.state"
    done
    check_no_temporaries "/dev/full" "$dir"
}

# A 1 MiB tmpfs: writes that do not fit fail with one line and leave nothing behind; a state that
# cannot be saved stays as it was.
small_disk() {
    SMALL_DISK="$WORK/small-disk"
    mkdir -p "$SMALL_DISK"
    if ! mount -t tmpfs -o size=1m tmpfs "$SMALL_DISK" 2>/dev/null; then
        echo "notice: small-disk checks skipped: mount -t tmpfs is not permitted here"
        SMALL_DISK=""
        return
    fi
    local d=$SMALL_DISK outcome
    outcome=$("${LAUNCH[@]}" 0 0 null null "$WORK/err" -- "$BIN" synth --samples 100000 --out "$d/x.csv")
    check_outcome "synth on a full disk" "$outcome" 0 "$WORK/err" 1
    [ ! -e "$d/x.csv" ] || fail "synth on a full disk" "x.csv written"
    outcome=$("${LAUNCH[@]}" 0 0 null null "$WORK/err" -- \
        "$BIN" run --trace "$WORK/trace.csv" --runs 5 --decisions "$d/d.jsonl")
    check_outcome "run --decisions on a full disk" "$outcome" 0 "$WORK/err" 1
    outcome=$("${LAUNCH[@]}" 0 0 "$WORK/small.jsonl" null "$WORK/err" -- "$BIN" stream --state "$d/st.json")
    check_outcome "stream on a small disk" "$outcome" 0 "$WORK/err" 0
    # Fill the disk, then a stream cannot save: an error, and the previous state stays.
    head -c 2M /dev/zero >"$d/filler" 2>/dev/null
    outcome=$("${LAUNCH[@]}" 0 0 "$WORK/small.jsonl" null "$WORK/err" -- "$BIN" stream --state "$d/st.json")
    check_outcome "stream on a full disk" "$outcome" 0 "$WORK/err" 0
    [[ $outcome == "exit 2 "* ]] || fail "stream on a full disk" "ended with $outcome"
    rm -f "$d/filler"
    check_state_loads "stream on a full disk" "$d/st.json"
    check_no_temporaries "small disk" "$d"
}

# FIFOs as inputs: a stream reads a named pipe (as its file and as standard input) once, whole.
fifo_inputs() {
    local dir="$WORK/fifo" outcome
    mkdir -p "$dir"
    mkfifo "$dir/in.jsonl" "$dir/stdin"
    "$BIN" synth --format jsonl --samples 5000 --exits 4 >"$dir/in.jsonl" &
    outcome=$("${LAUNCH[@]}" 0 0 null "$dir/out" "$dir/err" -- "$BIN" stream "$dir/in.jsonl")
    check_outcome "stream FIFO" "$outcome" 0 "$dir/err" 0
    checks=$((checks + 1))
    [ "$(wc -l <"$dir/out")" = 5000 ] || fail "stream FIFO" "$(wc -l <"$dir/out") decisions for 5000 samples"
    "$BIN" synth --format jsonl --samples 5000 --exits 4 >"$dir/stdin" &
    outcome=$("${LAUNCH[@]}" 0 0 "$dir/stdin" "$dir/out" "$dir/err" -- "$BIN" stream)
    check_outcome "stream < FIFO" "$outcome" 0 "$dir/err" 0
    checks=$((checks + 1))
    [ "$(wc -l <"$dir/out")" = 5000 ] || fail "stream < FIFO" "$(wc -l <"$dir/out") decisions for 5000 samples"
    wait
}

# Huge values that are handled today: each ends with status 0 or 2 and one line.
huge_values() {
    local -a commands=(
        "synth --samples 5 --seed 18446744073709551615"
        "synth --samples 18446744073709551616"
        "run --trace $WORK/trace.csv --runs 1 --seed 18446744073709551615"
        "run --trace $WORK/trace.csv --alpha 1e308"
        "run --trace $WORK/trace.csv --offload-cost -1e308"
        "stream $WORK/small.jsonl --save-every 18446744073709551615"
    )
    run_expecting_status_0_or_2 "huge values" "${commands[@]}"
}

# run_expecting_status_0_or_2 FAMILY COMMAND...: each command (words split on spaces) ends with
# status 0 or 2, one error line, within 20 s.
run_expecting_status_0_or_2() {
    local family=$1 c outcome
    shift
    for c in "$@"; do
        # shellcheck disable=SC2086 # the command's words
        outcome=$("${LAUNCH[@]}" 0 0 null null "$WORK/err" -- $BIN $c)
        local one_line=1
        [[ $c == stream* ]] && one_line=0
        check_outcome "$family: $c" "$outcome" 0 "$WORK/err" "$one_line"
    done
}

# Huge counts are refused up front, with the memory they would need.
huge_counts() {
    run_expecting_status_0_or_2 "huge counts" \
        "run --trace $WORK/trace.csv --runs 18446744073709551615" \
        "run --trace $WORK/trace.csv --runs 4294967296" \
        "synth --exits 18446744073709551615" \
        "synth --exits 1000000000" \
        "bench --samples 18446744073709551615" \
        "train --widths 64,4000000000,10"
}

# Finite but huge values never make inf/NaN results or unloadable states.
non_finite() {
    checks=$((checks + 1))
    "$BIN" run --trace "$WORK/trace.csv" --runs 2 --lambda 1e308 >"$WORK/out" 2>&1
    ! grep -qiE "inf|nan" "$WORK/out" || fail "run --lambda 1e308" "$(grep -m1 -iE 'inf|nan' "$WORK/out")"
    local state="$WORK/huge-state.json"
    rm -f "$state"
    "$BIN" stream --lambda 1e308 --state "$state" <"$WORK/small.jsonl" >/dev/null 2>&1
    check_state_loads "stream --lambda 1e308" "$state" --lambda 1e308
}

# Every reader bounds its line length: endless input without a line break is an error, under a
# 2 GB address-space limit.
line_bound() {
    local outcome
    outcome=$(
        ulimit -v 2000000
        "${LAUNCH[@]}" 0 0 /dev/zero null "$WORK/err" -- "$BIN" stream
    )
    check_outcome "stream < /dev/zero" "$outcome" 0 "$WORK/err" 0
    checks=$((checks + 1))
    [[ $outcome == "exit 2 "* ]] || fail "stream < /dev/zero" "ended with $outcome"
}

# A FIFO given as --trace is read once.
fifo_read_once() {
    local dir="$WORK/fifo-trace"
    mkdir -p "$dir"
    mkfifo "$dir/t.csv"
    "$BIN" synth --samples 3000 --exits 4 >"$dir/t.csv" &
    checks=$((checks + 1))
    local n
    n=$("$BIN" run --trace "$dir/t.csv" --runs 1 --json 2>"$dir/err" | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["trace"]["samples"])' 2>/dev/null)
    [ "$n" = 3000 ] || fail "run --trace FIFO" "samples $n: $(tail -n 1 "$dir/err")"
    wait
}

setup
stream_signals
batch_signals
full_disks
small_disk
fifo_inputs
huge_values
huge_counts
non_finite
line_bound
fifo_read_once
echo "hostile campaign: $checks checks, $failures failed (seed $SEED)"
[ "$failures" = 0 ]
