#!/usr/bin/env bash
# Load test (issue: hostile input and load): 100 concurrent readers poll
# category feeds on loopback for 30 s while a large ingest runs, then 30 s of
# conditional polls that must all be answered 304 without rendering.
# Needs wrk (apt-get install wrk). Prints a summary; exits non-zero on errors.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet
BIN=$PWD/target/release/huiju
DIR=$(mktemp -d)
PORT=${PORT:-18090}
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT

# Five generated feeds of 20,000 items each: a large first ingest.
python3 - "$DIR" <<'PY'
import sys
d = sys.argv[1]
for f in range(5):
    with open(f"{d}/big{f}.xml", "w") as out:
        out.write('<?xml version="1.0"?><rss version="2.0"><channel><title>大源%d</title>' % f)
        for i in range(20000):
            out.write(f'<item><title>第{f}源第{i}条 苏州新闻</title><link>https://big{f}.example.cn/{i}.html</link>'
                      f'<description>&lt;p&gt;苏州今日第{i}条消息，来源{f}，编号{i * 7 + f}。&lt;/p&gt;</description></item>')
        out.write('</channel></rss>')
PY
{
  printf '[server]\nlisten = "127.0.0.1:%s"\n[storage]\ndatabase = "huiju.db"\n[fetch]\nschedule = "0 */5 * * * *"\n' "$PORT"
  printf '[[category]]\nid = "jiangsu"\ntitle = "江苏资讯"\n[[category]]\nid = "suzhou"\ntitle = "苏州"\n'
  for f in 0 1 2 3 4; do
    cat="jiangsu"; [ $f -ge 3 ] && cat="suzhou"
    printf '[[feed]]\nurl = "%s/big%s.xml"\ncategories = ["%s"]\n' "$DIR" "$f" "$cat"
  done
} > "$DIR/huiju.toml"

"$BIN" --config "$DIR/huiju.toml" run 2>"$DIR/daemon.log" &
PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

cat > "$DIR/paths.lua" <<'LUA'
local paths = {"/feeds/jiangsu.rss", "/feeds/suzhou.atom", "/feeds/all.rss", "/feeds/all.json"}
local i = 0
request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end
LUA
echo "== 30 s, 100 readers, during the ingest"
wrk -t2 -c100 -d30s -s "$DIR/paths.lua" "http://127.0.0.1:$PORT" | tee "$DIR/phase1.txt"
echo "(ingest: $(grep -c 'stored new=' "$DIR/daemon.log" || true) of 5 feeds stored by the end of the run)"
# The conditional phase needs a stable document: wait for the ingest to end.
for _ in $(seq 600); do [ "$(grep -c 'stored new=' "$DIR/daemon.log" || true)" -ge 5 ] && break; sleep 0.5; done

ETAG=$(curl -sI "http://127.0.0.1:$PORT/feeds/all.rss" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
renders() { curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^huiju_renders_total /{print $2}'; }
R0=$(renders)
echo "== 30 s, 100 readers, conditional (If-None-Match: $ETAG)"
wrk -t2 -c100 -d30s -H "If-None-Match: $ETAG" "http://127.0.0.1:$PORT/feeds/all.rss" | tee "$DIR/phase2.txt"
R1=$(renders)
N304=$(curl -s "http://127.0.0.1:$PORT/metrics" | grep -F 'route="/feeds/{file}",status="304"' | awk '{print $2}')
echo "renders during the conditional phase: $((R1 - R0)); 304 answers so far: $N304"
fail=0
grep -q "Non-2xx or 3xx" "$DIR/phase1.txt" "$DIR/phase2.txt" && { echo "FAIL: error responses"; fail=1; }
grep -q "Socket errors" "$DIR/phase1.txt" "$DIR/phase2.txt" && { echo "FAIL: socket errors"; fail=1; }
[ "$((R1 - R0))" -eq 0 ] || { echo "FAIL: the conditional phase rendered"; fail=1; }
[ $fail -eq 0 ] && echo "load test: ok"
exit $fail
