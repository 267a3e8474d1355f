//! Item HTML from sources huiju does not control, made safe to republish
//! (ammonia, the html5ever-based allow-list sanitizer).
//!
//! Kept: ordinary markup (p, a, img, lists, tables, figure …) and Chinese
//! text. Removed: script, style, iframe, object, embed, form and every other
//! element not on ammonia's allow-list, all `on*` and `style` attributes,
//! and URLs with schemes other than the usual web ones. `data:` URLs survive
//! only as image sources. Relative URLs become absolute against the base
//! the caller gives (the `xml:base` in effect, else the item's link), so
//! they still work in a reader.

use std::borrow::Cow;
use std::cell::RefCell;

use ammonia::{Builder, UrlRelative};
use url::Url;

/// `data:` is allowed in ammonia's scheme list only for this check to
/// decide: images may embed pictures, nothing else may embed documents.
fn only_image_data<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    let v = value.trim_start().to_ascii_lowercase();
    if v.starts_with("data:") && !(element == "img" && attribute == "src" && v.starts_with("data:image/")) {
        return None;
    }
    Some(Cow::Borrowed(value))
}

thread_local! {
    /// Building ammonia's allow-lists (hash sets of tags and attributes)
    /// cost as much as cleaning an item: one builder per thread, reused.
    static BUILDER: RefCell<Builder<'static>> = RefCell::new({
        let mut b = Builder::default();
        b.add_url_schemes(["data"])
            .attribute_filter(only_image_data)
            .link_rel(Some("noopener noreferrer nofollow"));
        b
    });
}

/// Sanitizes `html`; relative URLs resolve against `base` (dropped without one).
pub(crate) fn sanitize(html: &str, base: Option<&Url>) -> String {
    if is_simple_markup(html) {
        return html.to_string();
    }
    BUILDER.with(|b| {
        let mut b = b.borrow_mut();
        b.url_relative(match base {
            Some(u) => UrlRelative::RewriteWithBase(u.clone()),
            None => UrlRelative::Deny,
        });
        b.clean(html).to_string()
    })
}

/// Inline tags [`is_simple_markup`] lets through inside or between paragraphs.
const SIMPLE_INLINE: [&[u8]; 4] = [b"b", b"strong", b"em", b"i"];

/// Text or markup that the sanitizer would give back unchanged: `<p>`
/// paragraphs (never nested), `<br>` and the [`SIMPLE_INLINE`] tags, all
/// lower case, without attributes, properly nested and closed, around text
/// with no entity, nothing the HTML parser rewrites (CR, NUL) and nothing
/// the serializer escapes (`>`, no-break space). Many feeds' summaries and
/// contents are only that, or plain text; parsing them into a DOM and writing it out again was half of
/// normalizing an item. Anything else (an attribute, `<br/>`, upper case,
/// a tag left open, an entity) goes to ammonia, so this only decides when
/// the two agree; a unit test compares them on generated markup.
fn is_simple_markup(s: &str) -> bool {
    let b = s.as_bytes();
    let mut in_p = false;
    // Open inline tags, innermost last; never the same one twice.
    let mut open: [usize; SIMPLE_INLINE.len()] = [0; SIMPLE_INLINE.len()];
    let mut depth = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let Some(len) = b[i..].iter().position(|&c| c == b'>') else {
                    return false;
                };
                let tag = &b[i + 1..i + len];
                i += len + 1;
                let (closing, name) = match tag.strip_prefix(b"/") {
                    Some(n) => (true, n),
                    None => (false, tag),
                };
                match (name, closing) {
                    (b"br", false) => {}
                    (b"p", false) if !in_p && depth == 0 => in_p = true,
                    (b"p", true) if in_p && depth == 0 => in_p = false,
                    _ => {
                        let Some(k) = SIMPLE_INLINE.iter().position(|t| *t == name) else {
                            return false;
                        };
                        if closing {
                            if depth == 0 || open[depth - 1] != k {
                                return false;
                            }
                            depth -= 1;
                        } else {
                            if open[..depth].contains(&k) {
                                return false;
                            }
                            open[depth] = k;
                            depth += 1;
                        }
                    }
                }
                continue;
            }
            b'>' | b'&' | b'\r' | 0 => return false,
            // U+00A0 is C2 A0 in UTF-8; the serializer writes it as `&nbsp;`.
            0xC2 if b.get(i + 1) == Some(&0xA0) => return false,
            _ => {}
        }
        i += 1;
    }
    !in_p && depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for plain text gives what ammonia gives.
    #[test]
    fn plain_text_passes_as_ammonia_would_pass_it() {
        let texts = [
            "苏州新闻 2026年11月24日",
            "quotes \" and ' and / stay",
            "tabs\tand\nnewlines",
            "全角　空格 and emoji 🎉",
            "",
        ];
        let mut b = Builder::default();
        b.url_relative(UrlRelative::Deny);
        for t in texts {
            assert!(is_simple_markup(t), "{t:?}");
            assert_eq!(sanitize(t, Some(&base())), b.clean(t).to_string(), "{t:?}");
        }
        for t in ["a < b", "a > b", "AT&T", "x\r\ny", "nb\u{a0}sp", "<x>", "nul\0"] {
            assert!(!is_simple_markup(t), "{t:?}");
        }
    }

    /// The shortcut for simple markup passes only what ammonia passes
    /// unchanged: generated strings of tags, broken tags and text, each
    /// either taken by the shortcut and equal to ammonia's output, or left
    /// to ammonia.
    #[test]
    fn simple_markup_passes_as_ammonia_would_pass_it() {
        let pieces = [
            "<p>",
            "</p>",
            "<br>",
            "<br/>",
            "<b>",
            "</b>",
            "<strong>",
            "</strong>",
            "<em>",
            "</em>",
            "<i>",
            "</i>",
            "<P>",
            "<p class=\"x\">",
            "<p >",
            "</ p>",
            "<u>",
            "<a>",
            "</a>",
            "<div>",
            "</div>",
            "<img>",
            "苏州",
            "text",
            " ",
            "\n",
            "\t",
            "a < b",
            "x>y",
            "&amp;",
            "\r\n",
            "\u{a0}",
            "<",
            ">",
            "<!-- c -->",
            "\"'",
            "<script>",
            "</script>",
        ];
        let mut b = Builder::default();
        b.url_relative(UrlRelative::Deny);
        // A small xorshift: the same strings on every run.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut taken = 0;
        for _ in 0..20_000 {
            let s: String = (0..next(10)).map(|_| pieces[next(pieces.len())]).collect();
            if is_simple_markup(&s) {
                taken += 1;
                assert_eq!(s, b.clean(&s).to_string(), "{s:?}");
            }
        }
        assert!(taken > 1000, "the shortcut took only {taken} strings");
        // Well-nested markup built on purpose: taken, and unchanged by ammonia.
        for _ in 0..2_000 {
            let mut s = String::new();
            for _ in 0..next(4) {
                let p = next(2) == 0;
                if p {
                    s.push_str("<p>");
                }
                let mut open: Vec<&str> = Vec::new();
                for _ in 0..next(8) {
                    match next(4) {
                        0 if open.len() < 4 => {
                            let t = ["b", "strong", "em", "i"][next(4)];
                            if !open.contains(&t) {
                                s.push_str(&format!("<{t}>"));
                                open.push(t);
                            }
                        }
                        1 if !open.is_empty() => s.push_str(&format!("</{}>", open.pop().unwrap())),
                        2 => s.push_str("<br>"),
                        _ => s.push_str(["苏州", " ", "\n", "text", "\"'/"][next(5)]),
                    }
                }
                while let Some(t) = open.pop() {
                    s.push_str(&format!("</{t}>"));
                }
                if p {
                    s.push_str("</p>");
                }
            }
            assert!(is_simple_markup(&s), "{s:?}");
            assert_eq!(s, b.clean(&s).to_string(), "{s:?}");
        }
        for s in [
            "<p>苏州地铁<b>6号线</b>开通。</p><p>第二段<br>换行</p>",
            "<p><strong>加粗</strong><em>斜体<i>嵌套</i></em></p>",
            "导语<p>正文</p>结尾",
        ] {
            assert!(is_simple_markup(s), "{s:?}");
            assert_eq!(sanitize(s, Some(&base())), b.clean(s).to_string(), "{s:?}");
        }
        for s in [
            "<p>未闭合",
            "<p><p>嵌套</p></p>",
            "<b><p>块在行内</p></b>",
            "<b><i>交错</b></i>",
            "<b><b>重复</b></b>",
            "<p style=\"color:red\">属性</p>",
            "<br/>",
            "<P>大写</P>",
        ] {
            assert!(!is_simple_markup(s), "{s:?}");
        }
    }

    fn base() -> Url {
        Url::parse("https://news.example.cn/2023/04/article.html").unwrap()
    }

    /// Known XSS vectors (in the style of OWASP's filter evasion cheat
    /// sheet): none may leave anything executable behind.
    #[test]
    fn xss_vectors_are_neutralised() {
        let vectors = [
            "<script>alert(1)</script>",
            "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
            "<img src=x onerror=alert(1)>",
            "<IMG SRC=\"javascript:alert('XSS');\">",
            "<IMG SRC=JaVaScRiPt:alert('XSS')>",
            "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
            "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
            "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"  JAVASCRIPT:alert(1)\">x</a>",
            "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
            "<iframe src=\"https://evil.example/\"></iframe>",
            "<object data=\"evil.swf\"></object>",
            "<embed src=\"evil.swf\">",
            "<form action=\"https://evil.example/\"><input name=q></form>",
            "<style>body{background:url(javascript:alert(1))}</style>",
            "<div style=\"background-image:url(javascript:alert(1))\">x</div>",
            "<svg onload=alert(1)><circle r=1></svg>",
            "<body onload=alert(1)>",
            "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
            "<link rel=stylesheet href=\"javascript:alert(1)\">",
            "<base href=\"javascript:alert(1)//\">",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<a href=\"https://ok.example/\" onclick=\"alert(1)\">x</a>",
            "<p onmouseover=\"alert(1)\">悬停</p>",
            "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
            "<<script>alert(1);//<</script>",
            "<scr<script>ipt>alert(1)</script>",
            "<video><source onerror=\"alert(1)\"></video>",
            "<details open ontoggle=alert(1)>",
        ];
        for v in vectors {
            let out = sanitize(v, Some(&base())).to_ascii_lowercase();
            for bad in [
                "<script",
                "javascript:",
                "vbscript:",
                "onerror",
                "onload",
                "onclick",
                "onmouseover",
                "ontoggle",
                "<iframe",
                "<object",
                "<embed",
                "<form",
                "<style",
                "style=",
                "<meta",
                "<link",
                "<base",
                "<svg",
                "data:text",
            ] {
                assert!(!out.contains(bad), "{v:?} left {bad:?} in {out:?}");
            }
        }
    }

    #[test]
    fn ordinary_markup_and_chinese_survive() {
        let html = "<p>苏州地铁<b>6号线</b>开通，<a href=\"/news/2.html\">详情</a>。</p>\
                    <ul><li>一</li><li>二</li></ul><ol><li>三</li></ol>\
                    <table><tr><th>站点</th><td>苏州站</td></tr></table>\
                    <figure><img src=\"pic/1.jpg\" alt=\"地铁\"><figcaption>新车</figcaption></figure>\
                    <img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"小图\">";
        let out = sanitize(html, Some(&base()));
        assert!(out.contains("苏州地铁<b>6号线</b>开通"), "{out}");
        assert!(
            out.contains("href=\"https://news.example.cn/news/2.html\""),
            "relative links made absolute: {out}"
        );
        assert!(
            out.contains("src=\"https://news.example.cn/2023/04/pic/1.jpg\""),
            "{out}"
        );
        assert!(out.contains("<figcaption>新车</figcaption>"), "{out}");
        assert!(
            out.contains("<li>二</li>") && out.contains("<td>苏州站</td>"),
            "{out}"
        );
        assert!(
            out.contains("src=\"data:image/png;base64,iVBORw0KGgo=\""),
            "images may embed data: {out}"
        );
        assert!(out.contains("rel=\"noopener noreferrer nofollow\""), "{out}");
    }

    #[test]
    fn without_a_base_relative_urls_go() {
        let out = sanitize("<a href=\"/x\">相对</a>", None);
        assert_eq!(out, "<a rel=\"noopener noreferrer nofollow\">相对</a>");
    }
}
