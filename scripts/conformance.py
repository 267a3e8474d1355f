#!/usr/bin/env python3
"""Measure `huiju inspect --json` against feedparser's own test suite.

Usage:
    scripts/conformance.py CORPUS [--huiju PATH] [--jobs N]
                           [--category NAME] [--list-differences]
                           [--list-not-comparable]

CORPUS is the `tests` folder of a feedparser checkout (github.com/kurtmckee/
feedparser); it is read, never copied. Each case there is one feed file whose
comment states `Expect: <Python expression>` over feedparser's result. The
runner reads the file with huiju (over HTTP on 127.0.0.1 when the case's path
contains "http", with the case's `Header:` lines as response headers, as
feedparser's suite does), builds a stand-in for feedparser's result from what
huiju reports, evaluates the expression on it and classifies the case:

  agree           the expression holds for what huiju read
  differ          it does not (or names something huiju should have, and
                  huiju has not: a missing item, a missing field)
  not comparable  the expression needs something huiju does not report, or
                  a value whose spelling a policy of huiju decides
                  (docs/conformance.md lists every rule)

Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import codecs
import collections
import concurrent.futures
import datetime
import html
import html.parser
import http.server
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

DESC_RE = re.compile(r"Description:\s*(.*?)\s*Expect:\s*(.*)\s*-->")
HEADER_RE = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)
# feedparser's suite serves its HTTP cases from this origin; its expected
# values name it.
SUITE_ORIGIN = "http://127.0.0.1:8097"
BOZO_NAMES = {"bozo", "bozo_exception"}


class NotComparable(Exception):
    """The case needs something huiju does not report, or a policy decides."""


# --- reading a case -------------------------------------------------------


def file_text(data: bytes) -> str:
    """The case's text, decoded the way feedparser's helpers decode it."""
    boms = [
        (b"\x00\x00\xfe\xff", "utf-32be", 4),
        (b"\xff\xfe\x00\x00", "utf-32le", 4),
        (b"\x00\x00\x00\x3c", "utf-32be", 0),
        (b"\x3c\x00\x00\x00", "utf-32le", 0),
        (b"\x00\x3c\x00\x3f", "utf-16be", 0),
        (b"\x3c\x00\x3f\x00", "utf-16le", 0),
        (b"\xfe\xff", "utf-16be", 2),
        (b"\xff\xfe", "utf-16le", 2),
        (b"\xef\xbb\xbf", "utf-8", 3),
    ]
    for bom, enc, skip in boms:
        if data.startswith(bom):
            return data[skip:].decode(enc, errors="ignore")
    return data.decode("utf-8", errors="ignore")


class Case:
    def __init__(self, corpus: pathlib.Path, path: pathlib.Path):
        self.path = path
        self.rel = path.relative_to(corpus).as_posix()
        parts = self.rel.split("/")
        self.category = "/".join(parts[:2]) if len(parts) > 2 else parts[0]
        self.data = path.read_bytes()
        text = file_text(self.data)
        m = DESC_RE.search(text)
        self.description, self.expect = (m.group(1), m.group(2).strip()) if m else ("", "")
        self.http = "http" in self.rel
        self.headers = {k.strip(): v.strip() for k, v in HEADER_RE.findall(text)}


# --- serving HTTP cases ---------------------------------------------------


class Server:
    """Serves the corpus on 127.0.0.1 with each case's own headers."""

    def __init__(self, cases: dict[str, Case]):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                rel = self.path.split("?")[0].removeprefix("/tests/")
                case = cases.get(rel)
                if case is None:
                    self.send_error(404)
                    return
                headers = dict(case.headers)
                ctype = "text/xml"
                for k in list(headers):
                    if k.lower() == "content-type":
                        ctype = headers.pop(k)
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(case.data)))
                self.end_headers()
                self.wfile.write(case.data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


# --- running huiju --------------------------------------------------------


def run_huiju(huiju: str, source: str) -> dict:
    env = dict(os.environ, HUIJU_CONFIG="/nonexistent/huiju.toml")
    p = subprocess.run(
        [huiju, "inspect", source, "--json", "--timezone", "UTC"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    out = p.stdout.decode("utf-8", errors="replace")
    if not out.strip():
        raise RuntimeError(f"huiju gave no JSON for {source}: {p.stderr.decode(errors='replace')}")
    return json.loads(out)


# --- comparing values -----------------------------------------------------

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link",
    "meta", "param", "source", "track", "wbr",
}


URL_ATTRS = {"href", "src", "cite", "action", "background", "longdesc", "poster", "usemap"}


class Canon(html.parser.HTMLParser):
    """HTML as a list of tokens: start tags with their attribute sets, end
    tags (not of void elements), text with references decoded and runs of
    white space collapsed. Serialization details (`<br />` or `<br>`,
    attribute order and quoting, which characters are escaped) vanish."""

    def __init__(self, ignore_link_rel: bool):
        super().__init__(convert_charrefs=True)
        self.tokens: list = []
        self.ignore_link_rel = ignore_link_rel

    def handle_starttag(self, tag, attrs):
        # URLs as browsers serialize them (see url_norm).
        attrs = [(k, url_norm(v) if k in URL_ATTRS and v else v or "") for k, v in attrs]
        if tag == "a" and self.ignore_link_rel:
            attrs = [(k, v) for k, v in attrs if k != "rel"]
        self.tokens.append(("<", tag, tuple(sorted(attrs))))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.tokens.append((">", tag))

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.tokens.append((">", tag))

    def handle_data(self, data):
        if self.tokens and self.tokens[-1][0] == "t":
            self.tokens[-1] = ("t", self.tokens[-1][1] + data)
        else:
            self.tokens.append(("t", data))

    def handle_comment(self, data):
        pass

    def result(self):
        out = []
        for t in self.tokens:
            if t[0] == "t":
                s = re.sub(r"\s+", " ", t[1])
                if s.strip():
                    out.append(("t", s.strip()))
            else:
                out.append(t)
        return out


def canon_html(s: str, ignore_link_rel: bool) -> list:
    p = Canon(ignore_link_rel)
    p.feed(s)
    p.close()
    return p.result()


def has_markup(s: str) -> bool:
    return any(t[0] != "t" for t in canon_html(s, False))


def collapse(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


# WHATWG Encoding Standard names of the labels feedparser's cases use, so
# that Python can decode with the encoding huiju named.
PY_CODEC = {
    "utf-8": "utf-8", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be",
    "utf-32le": "utf-32-le", "utf-32be": "utf-32-be",
    "windows-1252": "cp1252", "gbk": "gbk", "gb18030": "gb18030",
    "big5": "big5hkscs", "euc-kr": "euc-kr", "euc-jp": "euc-jp",
    "shift_jis": "shift_jis", "koi8-r": "koi8-r", "windows-874": "cp874",
    "windows-1255": "cp1255", "windows-1251": "cp1251", "iso-8859-7": "iso8859-7",
    "iso-8859-2": "iso8859-2", "iso-8859-15": "iso8859-15",
}


def decode_with(data: bytes, name: str) -> str | None:
    codec = PY_CODEC.get(name.lower(), name)
    try:
        codecs.lookup(codec)
    except LookupError:
        return None
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return text.lstrip("\ufeff")


# The folders whose subject is which markup survives (feedparser's allow-list
# of elements, attributes and namespaced SVG/MathML).
PROBED = {"wellformed/sanitize", "wellformed/namespace"}


def url_norm(u: str) -> str:
    """A URL as browsers serialize it: scheme and host lower-cased, an
    empty http(s) path written `/`, non-ASCII and spaces percent-encoded
    as UTF-8."""
    import urllib.parse

    try:
        p = urllib.parse.urlsplit(u.strip())
    except ValueError:
        return u
    path = p.path or ("/" if p.scheme in ("http", "https") and p.netloc else "")

    def q(x):
        return urllib.parse.quote(x, safe="/%:@!$&'()*+,;=-._~?#[]")

    return urllib.parse.urlunsplit(
        (p.scheme.lower(), p.netloc.lower(), q(path), q(p.query), q(p.fragment))
    )


class Ctx:
    """What a value needs to know about the case it came from."""

    def __init__(self, case: Case, runner: "Runner", file_url: str):
        self.case = case
        self.runner = runner
        self.file_url = file_url


class Val(str):
    """A string huiju reported, compared as the field's kind says."""

    kind = "text"
    ctx: Ctx

    def __new__(cls, s: str, ctx: Ctx):
        v = super().__new__(cls, s)
        v.ctx = ctx
        return v

    def check_base(self):
        # feedparser read non-HTTP cases as text, with no document URL, so
        # relative references stay relative; huiju always has the file's URL.
        if str.__contains__(self, "file://"):
            raise NotComparable("resolved against the local file's URL")

    def same(self, other: str) -> bool:
        return str.__eq__(self, other)

    def __eq__(self, other):
        if not isinstance(other, str):
            return NotImplemented
        self.check_base()
        return self.same(other)

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    __hash__ = str.__hash__

    def __contains__(self, other):
        self.check_base()
        return str.__contains__(self, other)


def html_text(s: str) -> str:
    return " ".join(t[1] for t in canon_html(s, False) if t[0] == "t")


class TextVal(Val):
    """Titles and the feed's description: huiju reads them as plain text,
    white space collapsed. feedparser gives them as text or as HTML, as
    their `*_detail.type` says (which huiju does not report): the expected
    value agrees under either reading."""

    def same(self, other):
        want_text = collapse(html_text(other))
        if not want_text and has_markup(other):
            # Only markup (an image): huiju reads no text, and makes up an
            # item title when there is none.
            raise NotComparable("expected value has no text")
        mine = collapse(self)
        return mine == collapse(other) or mine == want_text


class HtmlVal(Val):
    """Summaries and contents: compared as HTML (see Canon)."""

    def same(self, other):
        ignore_rel = "rel=" not in other
        mine = canon_html(self, ignore_rel)
        want = canon_html(other, ignore_rel)
        if mine == want:
            return True
        # feedparser reports text constructs of type text/plain as text;
        # huiju reports every summary and content as HTML.
        if mine == canon_html(html.escape(other, quote=False), ignore_rel):
            return True
        if self.ctx.case.category in PROBED:
            # feedparser's sanitizer keeps a different allow-list. The case
            # is comparable only if huiju's policy keeps the expected value
            # unchanged, i.e. the expected value is within both policies.
            probed = self.ctx.runner.probe(other)
            if canon_html(probed, ignore_rel) != want:
                raise NotComparable("expected value is outside huiju's sanitizer policy")
        return False


class UrlVal(Val):
    def same(self, other):
        return url_norm(self) == url_norm(other)


class AuthorVal(Val):
    def same(self, other):
        if "@" in other or "(" in other:
            raise NotComparable("huiju keeps only the author's name")
        return collapse(self) == collapse(other)


class EncodingVal(Val):
    """Two encodings agree on a document when they decode it to the same text."""

    def same(self, other):
        if self.lower() == other.lower():
            return True
        data = self.ctx.case.data
        mine, want = decode_with(data, self), decode_with(data, other)
        return mine is not None and mine == want


class FPDict(dict):
    """A feedparser-like dict: aliases as feedparser's keymap has them; a key
    outside `exposed` raises NotComparable instead of KeyError."""

    KEYMAP = {
        "guid": "id", "description": ["summary", "subtitle"], "url": ["href"],
        "issued_parsed": "published_parsed", "tagline": "subtitle",
        "channel": "feed", "items": "entries",
    }

    def __init__(self, exposed: set[str], values: dict):
        super().__init__({k: v for k, v in values.items() if v is not None})
        self.exposed = exposed

    def real_key(self, key):
        real = self.KEYMAP.get(key, key)
        if isinstance(real, list):
            for k in real:
                if k in self.exposed:
                    return k
            return key
        return real

    def __getitem__(self, key):
        if key == "category":
            if "tags" not in self.exposed:
                raise NotComparable("category")
            tags = dict.get(self, "tags") or []
            if not tags:
                raise KeyError(key)
            return tags[0]["term"]
        real = self.real_key(key)
        if real not in self.exposed:
            raise NotComparable(f"'{key}' is not reported")
        return dict.__getitem__(self, real)

    def __contains__(self, key):
        real = self.real_key(key)
        if real not in self.exposed:
            raise NotComparable(f"'{key}' is not reported")
        v = dict.get(self, real)
        return v is not None and not (isinstance(v, TextVal) and v == "")

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


VERSIONS = {
    "RSS 0.90": "rss090", "RSS 0.92": "rss092", "RSS 0.93": "rss093",
    "RSS 0.94": "rss094", "RSS 1.0": "rss10", "RSS 2.0": "rss20",
    "Atom 0.3": "atom03", "Atom 1.0": "atom10",
}


def parsed_time(rfc3339: str | None):
    if not rfc3339:
        return None
    d = datetime.datetime.fromisoformat(rfc3339)
    return time.gmtime(d.timestamp())


def result_from(out: dict, ctx: Ctx) -> dict:
    """feedparser's result as far as huiju's report fills it."""
    origin = ctx.runner.origin_fix

    def fix(s):
        return None if s is None else origin(s)

    feed = FPDict(
        {"title", "link", "subtitle"},
        {
            # Absent text is empty text: a title of markup only has none.
            "title": TextVal(fix(out.get("title") or ""), ctx),
            "link": out.get("link") and UrlVal(fix(out["link"]), ctx),
            "subtitle": TextVal(fix(out.get("description") or ""), ctx),
        },
    )
    entries = []
    for it in out["items"]:
        guid = it.get("guid")
        if guid and guid.startswith("urn:huiju:"):
            guid = None
        content = it.get("content")
        # feedparser copies text and HTML content to a missing summary.
        summary = it.get("summary") or content
        if ctx.case.category in PROBED:
            # Every case there gives its item HTML; huiju drops a value its
            # sanitizer emptied, so there absent means empty.
            summary = summary or ""
            content = content or ""
        encs = [
            FPDict(
                {"href", "type", "length"},
                {
                    "href": UrlVal(fix(e["url"]), ctx),
                    "type": e.get("mime") and Val(e["mime"], ctx),
                    "length": None if e.get("length") is None else Val(str(e["length"]), ctx),
                },
            )
            for e in it.get("enclosures", [])
        ]
        entries.append(
            FPDict(
                {
                    "title", "link", "id", "summary", "content", "published_parsed",
                    "author", "author_detail", "tags", "enclosures",
                },
                {
                    # huiju makes up a title when there is none; feedparser has none.
                    "title": TextVal(fix(it["title"]), ctx),
                    "link": it.get("link") and UrlVal(fix(it["link"]), ctx),
                    "id": guid and Val(fix(guid), ctx),
                    "summary": None if summary is None else HtmlVal(fix(summary), ctx),
                    "content": None
                    if content is None
                    else [FPDict({"value"}, {"value": HtmlVal(fix(content), ctx)})],
                    "published_parsed": parsed_time(it.get("published")),
                    "author": it.get("author") and AuthorVal(it["author"], ctx),
                    # Absent, it is still there for the keys huiju cannot know.
                    "author_detail": FPDict(
                        {"name"},
                        {"name": it.get("author") and AuthorVal(it["author"], ctx)},
                    ),
                    "tags": [FPDict({"term"}, {"term": Val(c, ctx)}) for c in it.get("categories", [])],
                    "enclosures": encs,
                },
            )
        )
    # encoding_rs has no UTF-32, so huiju names the UTF-8 it converted
    # to and says UTF-32 in its reason.
    encoding = out["encoding"]
    m = re.match(r"(UTF-32[BL]E)\b", out.get("encoding_reason", ""))
    if m:
        encoding = m.group(1)
    return {
        "feed": feed,
        "entries": entries,
        "encoding": EncodingVal(encoding, ctx),
        "version": VERSIONS.get(out["format"]),
    }


class Names(dict):
    """eval's locals: names huiju reports, builtins, and nothing else."""

    def __init__(self, values: dict):
        super().__init__(values)

    def __missing__(self, key):
        if hasattr(builtins, key) or key == "datetime":
            raise KeyError(key)
        raise NotComparable(f"'{key}' is not reported")

    def __getitem__(self, key):
        if dict.__contains__(self, key):
            v = dict.__getitem__(self, key)
            if v is None:
                raise NotComparable(f"'{key}' is not reported")
            return v
        return self.__missing__(key)


def without_bozo(expr: str) -> str | None:
    """Drops the conjuncts about `bozo` (feedparser's well-formedness flag;
    huiju never rejects a document, it reads what it can and warns).
    None when nothing else is left."""
    tree = ast.parse(expr, mode="eval")

    def only_bozo(node) -> bool:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        return bool(names) and names <= BOZO_NAMES

    body = tree.body
    if only_bozo(body):
        return None
    if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And):
        rest = [v for v in body.values if not only_bozo(v)]
        if not rest:
            return None
        body = rest[0] if len(rest) == 1 else ast.BoolOp(op=ast.And(), values=rest)
    return ast.unparse(body)


# --- the run --------------------------------------------------------------


class Runner:
    def __init__(self, args, cases: list[Case]):
        self.huiju = args.huiju
        self.corpus = args.corpus
        self.server = Server({c.rel: c for c in cases if c.http})
        self.probes: dict[str, str] = {}
        self.probe_lock = threading.Lock()
        self.tmp = tempfile.TemporaryDirectory(prefix="huiju-conformance-")

    def origin_fix(self, s: str) -> str:
        return s.replace(self.server.origin, SUITE_ORIGIN)

    def probe(self, value: str) -> str:
        """What huiju's sanitizer makes of `value` as an item's description."""
        with self.probe_lock:
            if value in self.probes:
                return self.probes[value]
        doc = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>probe</title><item><title>probe</title><description>"
            + html.escape(value, quote=False)
            + "</description></item></channel></rss>"
        )
        path = pathlib.Path(self.tmp.name) / f"probe-{threading.get_ident()}.xml"
        path.write_text(doc, encoding="utf-8")
        out = run_huiju(self.huiju, str(path))
        got = (out["items"][0].get("summary") if out["items"] else None) or ""
        with self.probe_lock:
            self.probes[value] = got
        return got

    def run_case(self, case: Case) -> tuple[str, str]:
        if not case.expect:
            return "not comparable", "no Expect line"
        try:
            expr = without_bozo(case.expect)
        except SyntaxError as e:
            return "not comparable", f"unreadable Expect: {e}"
        if expr is None:
            return "not comparable", "only about bozo"
        if case.http:
            source = f"{self.server.origin}/tests/{case.rel}"
        else:
            source = str(case.path)
        try:
            out = run_huiju(self.huiju, source)
        except Exception as e:  # a crash or a timeout differs from any reading
            return "differ", f"huiju failed: {e}"
        if out["format"] == "unknown" and re.search(rb"<channel\b", case.data, re.I) and not re.search(rb"<(rss|rdf:rdf)\b", case.data, re.I):
            return "not comparable", "CDF (Channel Definition Format) is not a format huiju reads"
        ctx = Ctx(case, self, pathlib.Path(case.path).resolve().as_uri())
        names = Names(result_from(out, ctx))
        try:
            ok = eval(expr, {"__builtins__": builtins, "datetime": datetime}, names)
        except NotComparable as e:
            return "not comparable", str(e)
        except Exception as e:  # a field huiju lacks: an item, a key
            return "differ", f"{type(e).__name__}: {e}"
        return ("agree", "") if ok else ("differ", "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=pathlib.Path, help="feedparser's tests/ folder")
    ap.add_argument("--huiju", default="target/debug/huiju", help="the huiju binary")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--category", action="append", help="only this folder (repeatable)")
    ap.add_argument("--list-differences", action="store_true")
    ap.add_argument("--list-not-comparable", action="store_true")
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    if (corpus / "tests" / "wellformed").is_dir():
        corpus = corpus / "tests"
    if not (corpus / "wellformed").is_dir():
        ap.error(f"{args.corpus}: not feedparser's tests folder (no wellformed/ in it)")
    args.corpus = corpus
    if not os.access(args.huiju, os.X_OK):
        ap.error(f"{args.huiju}: no such executable (cargo build first)")

    cases = [
        Case(corpus, p)
        for top in ("encoding", "entities", "illformed", "wellformed")
        for p in sorted((corpus / top).rglob("*.xml"))
    ]
    if args.category:
        cases = [c for c in cases if any(c.category.startswith(k) for k in args.category)]
    runner = Runner(args, cases)
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(runner.run_case, cases))
    finally:
        runner.server.close()

    per = collections.defaultdict(collections.Counter)
    for case, (verdict, _) in zip(cases, results):
        per[case.category][verdict] += 1
    print(f"{'category':28} {'agree':>6} {'differ':>6} {'n/c':>6} {'agree %':>8}")
    total = collections.Counter()
    for cat in sorted(per):
        c = per[cat]
        total.update(c)
        comp = c["agree"] + c["differ"]
        pct = f"{100 * c['agree'] / comp:.1f}" if comp else "-"
        print(f"{cat:28} {c['agree']:6} {c['differ']:6} {c['not comparable']:6} {pct:>8}")
    comp = total["agree"] + total["differ"]
    pct = 100 * total["agree"] / comp if comp else 0.0
    print(
        f"{'all':28} {total['agree']:6} {total['differ']:6} {total['not comparable']:6} {pct:8.1f}"
    )
    print(f"\n{len(cases)} cases; {comp} comparable; {total['agree']} agree ({pct:.1f} %)")
    for flag, verdict in ((args.list_differences, "differ"), (args.list_not_comparable, "not comparable")):
        if flag:
            print(f"\n{verdict}:")
            for case, (v, why) in zip(cases, results):
                if v == verdict:
                    print(f"  {case.rel}: {case.expect}" + (f"  [{why}]" if why else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
