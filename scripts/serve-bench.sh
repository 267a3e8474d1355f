#!/usr/bin/env bash
# Serving benchmark (benchmarks issue): requests/s and latency of
# GET /feeds/all.rss from the huiju daemon, beside nginx serving the same
# bytes as a static file, in the same run, with wrk on loopback.
#
#   scripts/serve-bench.sh                       # builds target/release/huiju if missing
#   HUIJU_BIN=/path/to/huiju scripts/serve-bench.sh
#
# Targets: huiju >= 80 % of nginx's requests/s for the same bytes; huiju's
# 304 answers at least as fast as nginx's.
#
# What it does: generates 20 RSS feeds x 50 items of pseudo-Chinese news
# (scripts/bench_feeds.py; ~300 characters of HTML content each), runs
# `huiju fetch` once, then `huiju run` (default items_per_feed, 100: the
# document a reader gets). It saves /feeds/all.rss as huiju sends it,
# plain and gzipped, and serves those files from nginx (2 workers = the
# cores, sendfile, access_log off, its own ETag) on another port. Then, for
# each kind of request, wrk runs against huiju and then nginx with the same
# settings (warm-up first):
#   full GET, no Accept-Encoding     huiju vs nginx (sendfile of the file)
#   304 (If-None-Match: own ETag)    huiju vs nginx
#   full GET, Accept-Encoding: gzip  huiju (gzipped once per render and
#                                    cached) vs nginx gzip_static (the .gz
#                                    huiju sent, precompressed) and nginx
#                                    `gzip on` (on the fly, gzip_comp_level 6)
# wrk runs on the same 2 cores as the server, so every figure is "server +
# load generator sharing 2 cores"; the server CPU column says how much of
# the run the server itself used.
#
# Env: HUIJU_BIN, PORT (huiju; nginx uses PORT+1 and PORT+2), THREADS (2),
# CONNS (64), DURATION (15s), WARMUP (3s), KEEP=1 keeps the temp dir.
# Needs wrk and nginx (apt-get install wrk nginx), python3, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
for tool in wrk nginx curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install wrk nginx curl python3)" >&2; exit 2; }
done
if [ -z "${HUIJU_BIN:-}" ]; then
  HUIJU_BIN=$ROOT/target/release/huiju
  [ -x "$HUIJU_BIN" ] || cargo build --release --quiet
fi
BIN=$HUIJU_BIN
PORT=${PORT:-18410}
NPORT=$((PORT + 1))   # nginx: plain file, gzip_static
NPORT2=$((PORT + 2))  # nginx: gzip on (on the fly)
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
DIR=$(mktemp -d /tmp/serve-bench.XXXXXX)
HPID=
cleanup() {
  [ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null || true
  if [ -f "$DIR/nginx.pid" ]; then kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true; sleep 0.3; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

# --- huiju with generated content --------------------------------------------
python3 "$ROOT/scripts/bench_feeds.py" files "$DIR/feeds" --feeds 20 --items 50
CATS=(jiangsu suzhou caijing tiyu)
{
  printf '[server]\nlisten = "127.0.0.1:%s"\n[storage]\ndatabase = "huiju.db"\n' "$PORT"
  # One poll at start only (then yearly): nothing changes during the bench.
  printf '[fetch]\nschedule = "0 0 0 1 1 *"\n'
  for c in "${CATS[@]}"; do printf '[[category]]\nid = "%s"\ntitle = "分类%s"\n' "$c" "$c"; done
  for f in $(seq 0 19); do
    printf '[[feed]]\nurl = "feeds/feed%s.xml"\ncategories = ["%s"]\n' "$f" "${CATS[$((f % 4))]}"
  done
} > "$DIR/huiju.toml"
"$BIN" --config "$DIR/huiju.toml" fetch | tail -1
"$BIN" --config "$DIR/huiju.toml" run 2>"$DIR/daemon.log" &
HPID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
sleep 1  # the start-up poll (files unchanged: stores nothing, keeps the cache)
H=http://127.0.0.1:$PORT/feeds/all.rss
mkdir -p "$DIR/www/feeds"
curl -sf -D "$DIR/h-plain.txt" -o "$DIR/www/feeds/all.rss" "$H"
curl -sf -D "$DIR/h-gzip.txt" -H 'Accept-Encoding: gzip' -o "$DIR/www/feeds/all.rss.gz" "$H"
grep -qi '^content-encoding: gzip' "$DIR/h-gzip.txt" || { echo "huiju did not gzip" >&2; exit 1; }
hdr() { tr -d '\r' < "$1" | awk -F': ' -v k="$2" 'tolower($1)==k{print $2}'; }
HETAG=$(hdr "$DIR/h-plain.txt" etag)
ITEMS=$(grep -o '<item>' "$DIR/www/feeds/all.rss" | wc -l)
PLAIN_BYTES=$(stat -c %s "$DIR/www/feeds/all.rss")
GZ_BYTES=$(stat -c %s "$DIR/www/feeds/all.rss.gz")
# nginx's ETag is mtime-size: give the files huiju's Last-Modified.
LM=$(hdr "$DIR/h-plain.txt" last-modified)
touch -d "$LM" "$DIR/www/feeds/all.rss" "$DIR/www/feeds/all.rss.gz"
# nginx workers run as an unprivileged user when started by root.
chmod 755 "$DIR" "$DIR/www" "$DIR/www/feeds"; chmod 644 "$DIR"/www/feeds/*

# --- nginx serving the same bytes --------------------------------------------
cat > "$DIR/nginx.conf" <<EOF
worker_processes 2;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $DIR/ngx-tmp;
    proxy_temp_path $DIR/ngx-tmp;
    fastcgi_temp_path $DIR/ngx-tmp;
    uwsgi_temp_path $DIR/ngx-tmp;
    scgi_temp_path $DIR/ngx-tmp;
    types { application/rss+xml rss; }
    default_type application/octet-stream;
    charset utf-8;
    charset_types application/rss+xml;
    server {
        listen 127.0.0.1:$NPORT;
        root $DIR/www;
        gzip_static on;
        location /feeds/ { add_header Cache-Control "public, max-age=60"; }
    }
    server {
        listen 127.0.0.1:$NPORT2;
        root $DIR/www;
        gzip on;
        gzip_comp_level 6;
        gzip_types application/rss+xml;
        location /feeds/ { add_header Cache-Control "public, max-age=60"; }
    }
}
EOF
mkdir -p "$DIR/ngx-tmp"
rm -f "$DIR/www/feeds/all.rss.gz.tmp"
# nginx -p: its prefix (and so any default path) is the temp dir.
nginx -p "$DIR" -c "$DIR/nginx.conf" -e "$DIR/nginx-error.log"
for _ in $(seq 50); do [ -s "$DIR/nginx.pid" ] && curl -sf -o /dev/null "http://127.0.0.1:$NPORT/feeds/all.rss" && break; sleep 0.1; done
N=http://127.0.0.1:$NPORT/feeds/all.rss
N2=http://127.0.0.1:$NPORT2/feeds/all.rss
curl -sf -D "$DIR/n-plain.txt" -o "$DIR/n-plain.body" "$N" ||
  { echo "nginx does not serve $N; its log:" >&2; tail -5 "$DIR/nginx-error.log" >&2; exit 1; }
cmp -s "$DIR/n-plain.body" "$DIR/www/feeds/all.rss" || { echo "nginx bytes differ" >&2; exit 1; }
NETAG=$(hdr "$DIR/n-plain.txt" etag)
# Both must answer 304 to their own ETag.
for pair in "$H|$HETAG" "$N|$NETAG"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: ${pair#*|}" "${pair%%|*}")
  [ "$code" = 304 ] || { echo "no 304 from ${pair%%|*} (got $code)" >&2; exit 1; }
done
curl -sf -H 'Accept-Encoding: gzip' -D "$DIR/n-gz.txt" -o /dev/null "$N"
grep -qi '^content-encoding: gzip' "$DIR/n-gz.txt" || { echo "nginx gzip_static not used" >&2; exit 1; }
NGZ2_BYTES=$(curl -sf -H 'Accept-Encoding: gzip' "$N2" | wc -c)
NGINX_MASTER=$(cat "$DIR/nginx.pid")

# --- measurement ---------------------------------------------------------------
# CPU ticks (utime + stime) of a process and its direct children.
cpu_ticks() {
  local total=0 p
  for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}
TCK=$(getconf CLK_TCK)
ms() {  # wrk duration (12.3us, 4.5ms, 1.2s, 2m) -> ms
  awk -v v="$1" 'BEGIN{n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /m$/) n*=60000; else if (v ~ /s$/) n*=1000; printf "%.2f", n}'
}
ROWS=()
declare -A RPS
bench() {  # name kind url pid [header...]
  local name=$1 kind=$2 url=$3 pid=$4; shift 4
  local hargs=() h
  for h in "$@"; do hargs+=(-H "$h"); done
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${hargs[@]}" "$url" >/dev/null
  local c0 c1 out
  c0=$(cpu_ticks "$pid")
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${hargs[@]}" "$url")
  c1=$(cpu_ticks "$pid")
  echo "$out" > "$DIR/wrk-$name-${kind// /_}.txt"
  local rps p50 p99 xfer errs secs
  rps=$(awk '/^Requests\/sec:/{print $2}' <<<"$out")
  p50=$(ms "$(awk '$1=="50%"{print $2}' <<<"$out")")
  p99=$(ms "$(awk '$1=="99%"{print $2}' <<<"$out")")
  xfer=$(awk '/^Transfer\/sec:/{print $2}' <<<"$out")
  errs=$(awk '/Non-2xx or 3xx/{n+=$NF} /Socket errors/{gsub(",","");n+=$4+$6+$8+$10} END{print n+0}' <<<"$out")
  secs=$(awk -v d="$DURATION" 'BEGIN{print d+0}')
  local cpu
  cpu=$(awk -v a="$c0" -v b="$c1" -v t="$TCK" -v s="$secs" 'BEGIN{printf "%.0f%%", (b-a)/t/s*100}')
  RPS["$name|$kind"]=$rps
  ROWS+=("$name|$kind|$rps|$p50|$p99|$xfer|$cpu|$errs")
  echo "  $name, $kind: $rps req/s (p50 $p50 ms, p99 $p99 ms, $xfer/s, server CPU $cpu, errors $errs)" >&2
}

echo "# huiju vs nginx: GET /feeds/all.rss ($(date -u '+%Y-%m-%d %H:%M:%S UTC'))"
echo
echo "- huiju: \`$BIN\` ($("$BIN" --version)); nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'), 2 workers, sendfile, access_log off"
echo "- document: $ITEMS items (default items_per_feed), $PLAIN_BYTES bytes plain, $GZ_BYTES bytes gzip (huiju), $NGZ2_BYTES bytes gzip (nginx gzip on, level 6)"
echo "- wrk -t$THREADS -c$CONNS -d$DURATION --latency after a $WARMUP warm-up, loopback; $(nproc) cores shared by wrk and the server"
echo "- ETags: huiju $HETAG, nginx $NETAG"
echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running on the machine skews both sides)"
echo
bench huiju "full GET, plain" "$H" "$HPID"
bench nginx "full GET, plain" "$N" "$NGINX_MASTER"
bench huiju "304" "$H" "$HPID" "If-None-Match: $HETAG"
bench nginx "304" "$N" "$NGINX_MASTER" "If-None-Match: $NETAG"
bench huiju "full GET, gzip" "$H" "$HPID" "Accept-Encoding: gzip"
bench "nginx gzip_static" "full GET, gzip" "$N" "$NGINX_MASTER" "Accept-Encoding: gzip"
bench "nginx gzip on" "full GET, gzip" "$N2" "$NGINX_MASTER" "Accept-Encoding: gzip"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
RENDERS=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^huiju_renders_total /{print $2}')

echo "| server | request | req/s | p50 ms | p99 ms | transfer/s | server CPU (of 1 core) | errors | huiju / nginx |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
  IFS='|' read -r name kind rps p50 p99 xfer cpu errs <<<"$row"
  ratio=""
  if [ "$name" = huiju ]; then
    ref=${RPS["nginx|$kind"]:-${RPS["nginx gzip_static|$kind"]:-}}
    [ -n "$ref" ] && ratio=$(awk -v a="$rps" -v b="$ref" 'BEGIN{printf "%.0f%%", a/b*100}')
    if [ "$kind" = "full GET, gzip" ]; then
      ratio="$ratio of gzip_static, $(awk -v a="$rps" -v b="${RPS["nginx gzip on|$kind"]}" 'BEGIN{printf "%.0f%%", a/b*100}') of gzip on"
    fi
  fi
  echo "| $name | $kind | $rps | $p50 | $p99 | $xfer | $cpu | $errs | $ratio |"
done
echo
echo "huiju renders during the whole run: ${RENDERS:-?} (1 expected: the first request; every other answer came from the cache)"
echo "Load average after: $LOAD_AFTER."
echo "Note: wrk itself runs on the same $(nproc) cores; the server CPU column is the server's share (100% = one core)."
