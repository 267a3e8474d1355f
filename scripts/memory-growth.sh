#!/usr/bin/env bash
# Memory benchmark (benchmarks issue): the daemon's resident memory with
# 10,000 and with 1,000,000 items in its database. Target: growing the
# database from 10,000 to 1,000,000 items costs the daemon under 10 MB more
# resident memory.
#
#   scripts/memory-growth.sh                     # builds target/release/huiju if missing
#   HUIJU_BIN=/path/to/huiju scripts/memory-growth.sh
#
# How the databases are made (scripts/bench_feeds.py):
#  1. A local HTTP feed server (127.0.0.1:FEED_PORT) serves 20 feeds of
#     pseudo-Chinese news. Before its POST /start, each feed answers with
#     SMALL/20 items dated over the last 3 days; `huiju fetch` stores them:
#     the small database (10,000 items, all stored by huiju itself, with
#     fingerprints, prints and whatever clusters it finds).
#  2. The big database is a copy of it grown by BIG - SMALL older items
#     inserted directly with python's sqlite3 into huiju's own tables
#     (`bench_feeds.py grow`, after huiju created the schema): items with
#     ~20/80/300-character title/summary/HTML content, dated evenly over the
#     362 days before the oldest fetched item (so all of them are far older
#     than the 72 h near-duplicate window, as in a database that grew over
#     a year); item_keys `url:<normalized link>`; item_feeds (one of the 20
#     feeds, round robin); prints (t, 23 random little-endian u32 band
#     keys); every 50th item a copy of the one before it (a clusters row,
#     cluster_id/cluster_sim on both). Ingesting them with `huiju fetch`
#     would take ~2 minutes per 1M at ~8k items/s plus the feed generation;
#     the direct insert is faster and gives both databases the same recent
#     items, so the difference between them is only the old ones.
# Then, RUNS times, for the small and the big database in turn (each run on
# a fresh copy): `huiju run` with `[fetch] schedule = "*/10 * * * * *"`
# (every 10 s); after POST /start the feed server adds 5 items per feed
# every 20 s and answers 304 in between. The script waits for the start-up
# poll and two ticks, GETs every category and `all` as .rss, .atom and
# .json, `all.rss?q=苏州` and `all.rss?limit=1000`, waits another tick,
# GETs the category feeds again (re-rendered after the new items), and
# reads VmRSS, VmHWM, RssAnon, RssFile from /proc/PID/status (and keeps
# /proc/PID/smaps_rollup).
#
# Env: HUIJU_BIN, PORT (daemon, 18620), FEED_PORT (18621), SMALL (10000),
# BIG (1000000), RUNS (2), WORK (temp dir; KEEP=1 keeps it; with
# REUSE=1 and an existing WORK the databases made there earlier are reused).
# Needs python3 and curl; ~1.5 GB of disk for the big database and a copy.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ -z "${HUIJU_BIN:-}" ]; then
  HUIJU_BIN=$ROOT/target/release/huiju
  [ -x "$HUIJU_BIN" ] || cargo build --release --quiet
fi
BIN=$HUIJU_BIN
PORT=${PORT:-18620}
FEED_PORT=${FEED_PORT:-18621}
SMALL=${SMALL:-10000}
BIG=${BIG:-1000000}
RUNS=${RUNS:-2}
NFEEDS=20
if [ -n "${WORK:-}" ]; then mkdir -p "$WORK"; else WORK=$(mktemp -d /tmp/memory-growth.XXXXXX); fi
SPID=
DPID=
cleanup() {
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ] || [ "${REUSE:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

CATS=(jiangsu suzhou caijing tiyu fangchan)
config() {  # database file -> config on stdout
  printf '[server]\nlisten = "127.0.0.1:%s"\n[storage]\ndatabase = "%s"\n' "$PORT" "$1"
  printf '[fetch]\nschedule = "*/10 * * * * *"\n'
  for c in "${CATS[@]}"; do printf '[[category]]\nid = "%s"\ntitle = "分类%s"\n' "$c" "$c"; done
  for f in $(seq 0 $((NFEEDS - 1))); do
    # Each feed in one category; every fourth also in a second one.
    local cats="\"${CATS[$((f % 5))]}\""
    [ $((f % 4)) = 0 ] && cats="$cats, \"${CATS[$(((f + 1) % 5))]}\""
    printf '[[feed]]\nurl = "http://127.0.0.1:%s/feed%s.xml"\ncategories = [%s]\n' "$FEED_PORT" "$f" "$cats"
  done
}

T0=$(date +%s)
[ -f "$WORK/t0" ] && [ "${REUSE:-0}" = 1 ] && T0=$(cat "$WORK/t0")
python3 "$ROOT/scripts/bench_feeds.py" serve --port "$FEED_PORT" --t0 "$T0" --feeds $NFEEDS \
  --initial $((SMALL / NFEEDS)) --step 20 --per-step 5 --window 50 2>"$WORK/feed-server.log" &
SPID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$FEED_PORT/feed0.xml" && break; sleep 0.1; done

# --- the databases --------------------------------------------------------------
if [ "${REUSE:-0}" = 1 ] && [ -f "$WORK/small.db" ] && [ -f "$WORK/big.db" ]; then
  log "reusing $WORK/small.db and $WORK/big.db"
else
  echo "$T0" > "$WORK/t0"
  rm -f "$WORK"/small.db* "$WORK"/big.db*
  config "$WORK/small.db" > "$WORK/prefill.toml"
  log "prefill: huiju fetch of $NFEEDS feeds x $((SMALL / NFEEDS)) items"
  "$BIN" --config "$WORK/prefill.toml" fetch | tail -1 >&2
  python3 - "$WORK/small.db" "$WORK/big.db" <<'PY'
import sqlite3, sys
src = sqlite3.connect(sys.argv[1]); dst = sqlite3.connect(sys.argv[2])
src.backup(dst); dst.close(); src.close()
PY
  OLDEST=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT MIN(sort_time) FROM items').fetchone()[0])" "$WORK/small.db")
  FEED_IDS=$(python3 -c "import sqlite3,sys; print(','.join(str(r[0]) for r in sqlite3.connect(sys.argv[1]).execute('SELECT id FROM feeds ORDER BY id')))" "$WORK/small.db")
  log "grow: inserting $((BIG - SMALL)) older items into big.db"
  python3 "$ROOT/scripts/bench_feeds.py" grow "$WORK/big.db" --items $((BIG - SMALL)) \
    --feeds-like "$FEED_IDS" --before $((OLDEST - 60)) --days 362
fi
curl -sf -X POST "http://127.0.0.1:$FEED_PORT/start"
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM items').fetchone()[0])" "$1"; }
declare -A NITEMS SIZE
for db in small big; do
  NITEMS[$db]=$(count "$WORK/$db.db")
  SIZE[$db]=$(du -m "$WORK/$db.db" | cut -f1)
done

# --- the daemon on each ----------------------------------------------------------
kb() { awk -v k="$2:" '$1==k{print $2}' "$1"; }
mb() { awk -v v="$1" 'BEGIN{printf "%.1f", v/1024}'; }
fetch_all() {  # label -> appends "label path seconds bytes" lines to $WORK/req-$RUNLABEL.txt
  local base=http://127.0.0.1:$PORT c ext
  for c in "${CATS[@]}" all; do
    for ext in rss atom json; do
      curl -s -o /dev/null -w "$1 /feeds/$c.$ext %{time_total} %{size_download} %{http_code}\n" "$base/feeds/$c.$ext"
    done
  done
  curl -s -o /dev/null -G --data-urlencode "q=苏州" -w "$1 /feeds/all.rss?q=苏州 %{time_total} %{size_download} %{http_code}\n" "$base/feeds/all.rss"
  curl -s -o /dev/null -w "$1 /feeds/all.rss?limit=1000 %{time_total} %{size_download} %{http_code}\n" "$base/feeds/all.rss?limit=1000"
  # The status page counts every category's items (BENCHMARKS.md, status page).
  curl -s -o /dev/null -w "$1 / %{time_total} %{size_download} %{http_code}\n" "$base/"
}
polls() { grep -cE 'stored new=|not modified' "$1" || true; }
ROWS=()
for run in $(seq "$RUNS"); do
  for db in small big; do
    L="$db-$run"
    log "run $run, $db database (${NITEMS[$db]} items): copying it"
    cp "$WORK/$db.db" "$WORK/run.db"
    rm -f "$WORK/run.db-wal" "$WORK/run.db-shm"
    config "$WORK/run.db" > "$WORK/run.toml"
    "$BIN" --config "$WORK/run.toml" run 2>"$WORK/daemon-$L.log" &
    DPID=$!
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    START_RSS=$(kb /proc/$DPID/status VmRSS)
    # The start-up poll, then two ticks (10 s apart; new items every 20 s).
    for _ in $(seq 600); do [ "$(polls "$WORK/daemon-$L.log")" -ge $NFEEDS ] && break; sleep 0.1; done
    sleep 21
    fetch_all "$L" > "$WORK/req-$L.txt"
    sleep 11
    fetch_all "$L-again" >> "$WORK/req-$L.txt"
    NPOLLS=$(polls "$WORK/daemon-$L.log")
    NEW=$(grep -o 'stored new=[0-9]*' "$WORK/daemon-$L.log" | awk -F= '{n+=$2} END{print n+0}')
    cp /proc/$DPID/status "$WORK/status-$L.txt"
    cp /proc/$DPID/smaps_rollup "$WORK/smaps-$L.txt"
    S="$WORK/status-$L.txt"
    SLOW=$(sort -k3 -g "$WORK/req-$L.txt" | tail -1 | awk '{printf "%s %.3f s", $2, $3}')
    ALL=$(awk '$2=="/feeds/all.rss"{printf "%.3f ", $3}' "$WORK/req-$L.txt")
    ROWS+=("$run|$db|${NITEMS[$db]}|${SIZE[$db]}|$(mb "$START_RSS")|$(mb "$(kb "$S" VmRSS)")|$(mb "$(kb "$S" VmHWM)")|$(mb "$(kb "$S" RssAnon)")|$(mb "$(kb "$S" RssFile)")|$NPOLLS|$NEW|$ALL|$SLOW")
    if grep -v ' 200$' "$WORK/req-$L.txt" | grep -q .; then log "non-200 answers:"; grep -v ' 200$' "$WORK/req-$L.txt" >&2; fi
    kill "$DPID"; wait "$DPID" || true; DPID=
    log "  VmRSS $(mb "$(kb "$S" VmRSS)") MB, VmHWM $(mb "$(kb "$S" VmHWM)") MB; slowest request: $SLOW"
  done
done

echo "# huiju daemon memory: $SMALL vs $BIG items ($(date -u '+%Y-%m-%d %H:%M:%S UTC'))"
echo
echo "\`$BIN\` ($("$BIN" --version)); $NFEEDS feeds over HTTP on loopback, polled every 10 s; 5 categories; MB = MiB."
echo
echo "| run | database | items | DB MB | RSS after start | VmRSS | VmHWM | RssAnon | RssFile | polls | new items stored | all.rss s (1st, 2nd) | slowest request |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
for r in "${ROWS[@]}"; do echo "| ${r//|/ | } |"; done
echo
echo "| run | Δ VmRSS (big − small) | Δ VmHWM | Δ RssAnon | Δ RssFile |"
echo "|---|---:|---:|---:|---:|"
for run in $(seq "$RUNS"); do
  d() { awk -v a="$(kb "$WORK/status-small-$run.txt" "$1")" -v b="$(kb "$WORK/status-big-$run.txt" "$1")" 'BEGIN{printf "%+.1f MB", (b-a)/1024}'; }
  echo "| $run | $(d VmRSS) | $(d VmHWM) | $(d RssAnon) | $(d RssFile) |"
done
echo
echo "Request times (s) per run are in $WORK/req-*.txt; /proc/PID/smaps_rollup in $WORK/smaps-*.txt (kept with KEEP=1)."
for f in "$WORK"/req-*.txt; do
  echo
  echo "<details><summary>$(basename "$f" .txt)</summary>"
  echo
  echo '```'
  cat "$f"
  echo '```'
  echo "</details>"
done
