#!/usr/bin/env python3
"""Generated feeds and databases for scripts/serve-bench.sh and
scripts/memory-growth.sh (standard library only).

  bench_feeds.py files DIR [--feeds 20] [--items 50]
      Writes DIR/feedN.xml: RSS 2.0 files of pseudo-Chinese news items
      (title ~20 chars, description ~80 chars, content:encoded ~300 chars
      of HTML in 3 paragraphs), dated over the last few hours.

  bench_feeds.py serve --port P --t0 UNIX [--feeds 20] [--initial 500]
                       [--step 20] [--per-step 5] [--window 50]
      A local HTTP feed server for /feedN.xml. Until POST /start, every feed
      answers with its `initial` items (the prefill), dated over the 3 days
      before t0. After POST /start, every `step` seconds `per-step` new
      items appear per feed (dated then), and a feed answers with its
      newest `window` items. ETag = the generation, so a poll in the same
      generation is answered 304.

  bench_feeds.py grow DB --items N --feeds-like FEED_ID_LIST --before UNIX
      Inserts N older items directly into a database that huiju created
      (see the comment of grow() for what is written).
"""
import argparse
import html
import os
import random
import sqlite3
import struct
import sys
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    "十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研"
    "苏州南京无锡常州徐州扬州镇江泰州盐城淮安连云港宿迁江苏新华日报都市网市民政府经济发展项目投资企业产业园区交通地铁高铁旅游文化体育教育医疗住房汽车消费"
)
PLACES = ["苏州", "南京", "无锡", "常州", "徐州", "扬州", "镇江", "南通", "泰州", "盐城", "淮安", "昆山", "张家港", "常熟", "太仓", "吴江"]
TOPICS = ["经济运行", "重大项目", "交通建设", "文化旅游", "教育改革", "医疗服务", "城市更新", "科技创新", "生态环境", "民生实事", "体育赛事", "房产市场", "汽车消费", "乡村振兴"]


def sentence(r: random.Random) -> str:
    return "".join(r.choices(CHARS, k=r.randint(12, 30))) + r.choice("，，，。；")


def paragraph(r: random.Random, n: int) -> str:
    out = ""
    while len(out) < n:
        out += sentence(r)
    return out[: n - 1] + "。"


class Text:
    """Pools of paragraphs so that a million items take seconds, not minutes."""

    def __init__(self, seed: int, pool: int = 4000):
        r = random.Random(seed)
        self.r = r
        self.paras = [paragraph(r, r.randint(85, 115)) for _ in range(pool)]

    def item(self, key: str, fixed: bool = False):
        # fixed: the same text for the same key in every process (the feed
        # server's items must not change between polls).
        r = random.Random(f"{key}") if fixed else self.r
        place, topic = r.choice(PLACES), r.choice(TOPICS)
        title = f"{place}{topic}：{''.join(r.choices(CHARS, k=r.randint(8, 14)))}（{key}）"
        ps = r.sample(self.paras, 3)
        # A per-item number keeps every text (and content hash) distinct.
        ps[0] = f"{place}讯（编号{key}）" + ps[0]
        content = "".join(f"<p>{p}</p>" for p in ps)
        summary = ps[0][:80]
        return title, summary, content


def rss_item(link: str, title: str, summary: str, content: str, t: float) -> str:
    return (
        f"<item><title>{html.escape(title)}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{formatdate(t, usegmt=True)}</pubDate>"
        f"<description>{html.escape(summary)}</description>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item>"
    )


def rss_doc(f: int, items: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>测试源{f}号</title><link>https://src{f}.example.cn/</link>"
        f"<description>生成的测试源 {f}</description>{items}</channel></rss>"
    )


def cmd_files(a):
    os.makedirs(a.dir, exist_ok=True)
    now = time.time()
    text = Text(a.seed)
    for f in range(a.feeds):
        items = []
        for k in range(a.items):
            link = f"https://src{f}.example.cn/news/{k:06d}.html"
            t = now - (k * a.feeds + f) * 60  # one item a minute overall
            items.append(rss_item(link, *text.item(f"{f}-{k}"), t))
        with open(os.path.join(a.dir, f"feed{f}.xml"), "w", encoding="utf-8") as out:
            out.write(rss_doc(f, "".join(items)))


def cmd_serve(a):
    text = Text(a.seed)
    cache = {}

    started = [None]

    def item_time(k: int) -> float:
        if k < a.initial:
            # Spread over the 3 days before t0, item initial-1 newest.
            return a.t0 - (a.initial - 1 - k) * (3 * 86400 / a.initial)
        return started[0] + ((k - a.initial) // a.per_step) * a.step

    def item_xml(f: int, k: int) -> str:
        key = (f, k)
        if key not in cache:
            link = f"https://src{f}.example.cn/news/{k:06d}.html"
            cache[key] = rss_item(link, *text.item(f"{f}-{k}", fixed=True), item_time(k))
        return cache[key]

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            if self.path == "/start" and started[0] is None:
                started[0] = time.time()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            name = self.path.lstrip("/")
            if not (name.startswith("feed") and name.endswith(".xml") and name[4:-4].isdigit()):
                self.send_error(404)
                return
            f = int(name[4:-4])
            gen = 0 if started[0] is None else 1 + int((time.time() - started[0]) // a.step)
            etag = f'"g{gen}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            top = a.initial + gen * a.per_step  # items 0..top-1 exist (gen 1: 5 new)
            first = 0 if gen == 0 else max(0, top - a.window)
            body = rss_doc(f, "".join(item_xml(f, k) for k in range(top - 1, first - 1, -1))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), H)
    srv.daemon_threads = True
    print(f"feed server on 127.0.0.1:{a.port}", file=sys.stderr, flush=True)
    srv.serve_forever()


def cmd_grow(a):
    """Adds `items` older rows, as huiju itself would have stored them:

    - items: origin_feed one of the given feeds (round robin), guid = link =
      https://src{F}.example.cn/old/{N}.html, title/summary/content from the
      same generator as the feeds (~20 / ~80 / ~300 chars, content HTML in
      3 <p>), published = sort_time = first_seen - 0..1 h, spread evenly
      from `before` back over `days` days, published_off +08:00, a random
      content_hash, categories/enclosures '[]';
    - item_keys: 'url:src{F}.example.cn/old/{N}.html' (huiju's normalized
      link, the identity key when the guid is an http URL);
    - item_feeds: (item, origin feed);
    - prints: (item, t = published, 23 random little-endian u32 band keys);
    - clusters: every 50th item is a copy of the one before it from another
      feed (cluster with rep_item = the earlier one, cluster_sim 1.0 for it
      and 0.9 for the copy), as near-duplicate detection leaves them.
    """
    feeds = [int(x) for x in a.feeds_like.split(",")]
    db = sqlite3.connect(a.db)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -200000")
    (start,) = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM items").fetchone()
    (cstart,) = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM clusters").fetchone()
    text = Text(a.seed)
    r = random.Random(a.seed + 1)
    span = a.days * 86400
    batch = 20000
    t_begin = time.time()
    done = 0
    cid = cstart
    while done < a.items:
        n = min(batch, a.items - done)
        items, keys, ifs, prints, clusters, cl_items = [], [], [], [], [], []
        for j in range(n):
            i = done + j
            iid = start + i
            f = feeds[i % len(feeds)]
            # Oldest first so that ids grow with time, as in a real database.
            pub = int(a.before - span + span * i / a.items)
            seen = pub + r.randint(60, 3600)
            link = f"https://src{f}.example.cn/old/{i:07d}.html"
            title, summary, content = text.item(f"o{i}")
            items.append((iid, f, link, link, title, summary, content, "[]", "[]", pub, 28800, seen, pub,
                          r.getrandbits(63) - (1 << 62)))
            keys.append((f"url:src{f}.example.cn/old/{i:07d}.html", iid))
            ifs.append((iid, f))
            prints.append((iid, pub, struct.pack("<23I", *[r.getrandbits(32) for _ in range(23)])))
            if i % 50 == 49:
                fp = feeds[(i - 1) % len(feeds)]
                clusters.append((cid, iid - 1, f"https://src{fp}.example.cn/old/{i - 1:07d}.html", seen))
                cl_items.append((cid, 1.0, iid - 1))
                cl_items.append((cid, 0.9, iid))
                cid += 1
        with db:
            db.executemany(
                "INSERT INTO items (id, origin_feed, guid, link, title, summary, content, categories, enclosures,"
                " published, published_off, first_seen, sort_time, content_hash)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", items)
            db.executemany("INSERT INTO item_keys (key, item_id) VALUES (?,?)", keys)
            db.executemany("INSERT INTO item_feeds (item_id, feed_id) VALUES (?,?)", ifs)
            db.executemany("INSERT INTO prints (item_id, t, keys) VALUES (?,?,?)", prints)
            db.executemany("INSERT INTO clusters (id, rep_item, entry_guid, created) VALUES (?,?,?,?)", clusters)
            db.executemany("UPDATE items SET cluster_id = ?, cluster_sim = ? WHERE id = ?", cl_items)
        done += n
        if done % 200000 == 0 or done == a.items:
            print(f"  grow: {done} rows, {time.time() - t_begin:.0f} s", file=sys.stderr, flush=True)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=7)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("files")
    s.add_argument("dir")
    s.add_argument("--feeds", type=int, default=20)
    s.add_argument("--items", type=int, default=50)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--t0", type=float, required=True)
    s.add_argument("--feeds", type=int, default=20)
    s.add_argument("--initial", type=int, default=500)
    s.add_argument("--step", type=int, default=20)
    s.add_argument("--per-step", type=int, default=5)
    s.add_argument("--window", type=int, default=50)
    s = sub.add_parser("grow")
    s.add_argument("db")
    s.add_argument("--items", type=int, required=True)
    s.add_argument("--feeds-like", required=True, help="comma-separated feed ids to attribute rows to")
    s.add_argument("--before", type=float, required=True, help="newest inserted row is older than this")
    s.add_argument("--days", type=float, default=362)
    a = p.parse_args()
    {"files": cmd_files, "serve": cmd_serve, "grow": cmd_grow}[a.cmd](a)


if __name__ == "__main__":
    main()
