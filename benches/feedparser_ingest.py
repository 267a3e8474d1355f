#!/usr/bin/env python3
"""The ingest job as many small aggregators do it: a thread pool fetches
each feed (conditional GET with the stored ETag/Last-Modified), feedparser
parses it, and sqlite3 stores items deduplicated by guid and by link.

Usage: feedparser_ingest.py URLS_FILE DATABASE  (the comparison run by
`cargo bench --bench ingest`). No near-duplicate detection: huiju's figures
include it, this script's do not.
"""

import sqlite3
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import feedparser

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, etag TEXT, modified TEXT);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    feed TEXT NOT NULL,
    guid TEXT UNIQUE,
    link TEXT UNIQUE,
    title TEXT,
    summary TEXT,
    published TEXT
);
"""


def fetch(url, etag, modified):
    req = urllib.request.Request(url, headers={"User-Agent": "bench/1"})
    if etag:
        req.add_header("If-None-Match", etag)
    if modified:
        req.add_header("If-Modified-Since", modified)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
            return url, body, r.headers.get("ETag"), r.headers.get("Last-Modified"), r.headers
    except urllib.error.HTTPError as e:
        if e.code == 304:
            return url, None, etag, modified, None
        raise


def work(args):
    url, etag, modified = args
    url, body, etag, modified, headers = fetch(url, etag, modified)
    if body is None:
        return url, None, etag, modified
    parsed = feedparser.parse(body, response_headers=dict(headers or {}))
    return url, parsed, etag, modified


def main():
    urls = [u.strip() for u in open(sys.argv[1], encoding="utf-8") if u.strip()]
    db = sqlite3.connect(sys.argv[2])
    db.executescript(SCHEMA)
    known = {u: (e, m) for u, e, m in db.execute("SELECT url, etag, modified FROM feeds")}
    jobs = [(u, *known.get(u, (None, None))) for u in urls]
    stored = 0
    with ThreadPoolExecutor(max_workers=16) as pool:
        for url, parsed, etag, modified in pool.map(work, jobs):
            db.execute(
                "INSERT INTO feeds(url, etag, modified) VALUES (?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, modified = excluded.modified",
                (url, etag, modified),
            )
            if parsed is None:
                continue
            for e in parsed.entries:
                guid = e.get("id") or e.get("link")
                cur = db.execute(
                    "INSERT OR IGNORE INTO items(feed, guid, link, title, summary, published) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (url, guid, e.get("link"), e.get("title"), e.get("summary"), e.get("published")),
                )
                stored += cur.rowcount
            db.commit()
    db.commit()
    print(f"{stored} items stored")


if __name__ == "__main__":
    main()
