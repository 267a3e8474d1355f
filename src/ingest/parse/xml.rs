//! A forgiving XML tree built on quick-xml's event reader.
//!
//! Feeds in the wild are not well-formed often enough that a strict parser
//! loses real news: bare `&`, HTML entities, unescaped HTML in
//! `<description>`, unclosed `<br>`, truncated downloads. This reader keeps
//! everything it can and reports what it repaired as warnings. It never
//! expands DTD entities and never fetches anything, so entity-expansion
//! documents and external entities cost nothing.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// An element: its namespace (as a short canonical prefix, see [`ns_prefix`]),
/// local name, attributes (raw qualified names) and children.
#[derive(Debug, Clone, Default)]
pub struct Element {
    /// Borrowed for the known namespaces: no allocation per element.
    pub ns: Cow<'static, str>,
    /// Borrowed for the names feeds use most ([`known_name`]).
    pub local: Cow<'static, str>,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone)]
pub enum Node {
    Elem(Element),
    Text(String),
}

/// The root element (if any was found) and what was repaired while reading.
#[derive(Debug, Default)]
pub struct Doc {
    pub root: Option<Element>,
    /// Namespace URI of the root element, used to tell Atom 0.3 from 1.0.
    pub root_ns_uri: String,
    pub warnings: Vec<String>,
}

/// Maps well-known namespace URIs to the prefixes feeds conventionally use,
/// so that `<dc:creator>` matches however the document spells its prefix.
fn ns_prefix(uri: &[u8]) -> &'static str {
    match uri {
        // Atom 1.0, Atom 0.3 and the URIs its drafts (Echo, Pie) used.
        b"http://www.w3.org/2005/Atom"
        | b"http://purl.org/atom/ns#"
        | b"http://example.com/newformat#"
        | b"http://example.com/necho"
        | b"http://purl.org/echo/"
        | b"uri/of/echo/namespace#"
        | b"http://purl.org/pie/" => "atom",
        // RSS 1.0 and 0.90, and the namespaces some RSS 0.9x/2.0 producers
        // put on `<rss>`.
        b"http://purl.org/rss/1.0/"
        | b"http://my.netscape.com/rdf/simple/0.9/"
        | b"http://backend.userland.com/rss"
        | b"http://backend.userland.com/rss2"
        | b"http://blogs.law.harvard.edu/tech/rss"
        | b"http://purl.org/rss/1.0/modules/rss091#" => "",
        b"http://www.w3.org/1999/02/22-rdf-syntax-ns#" => "rdf",
        b"http://purl.org/dc/elements/1.1/" => "dc",
        b"http://purl.org/dc/terms/" => "dcterms",
        b"http://purl.org/rss/1.0/modules/content/" => "content",
        b"http://search.yahoo.com/mrss/" | b"http://search.yahoo.com/mrss" => "media",
        b"http://www.w3.org/1999/xhtml" => "xhtml",
        // Apple's podcast namespace, spelled as Apple's own documents
        // spelled it over the years.
        u if u.eq_ignore_ascii_case(b"http://www.itunes.com/dtds/podcast-1.0.dtd")
            || u == b"http://example.com/DTDs/Podcast-1.0.dtd" =>
        {
            "itunes"
        }
        _ => "other",
    }
}

/// The element names of RSS, Atom and the HTML inside them that most
/// elements have, spelled exactly so: a feed of 50 items has hundreds of
/// elements, and each name was an allocation of its own.
fn known_name(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"item" => "item",
        b"title" => "title",
        b"link" => "link",
        b"description" => "description",
        b"guid" => "guid",
        b"pubDate" => "pubDate",
        b"category" => "category",
        b"author" => "author",
        b"enclosure" => "enclosure",
        b"encoded" => "encoded",
        b"creator" => "creator",
        b"date" => "date",
        b"subject" => "subject",
        b"source" => "source",
        b"comments" => "comments",
        b"entry" => "entry",
        b"id" => "id",
        b"updated" => "updated",
        b"published" => "published",
        b"summary" => "summary",
        b"content" => "content",
        b"name" => "name",
        b"uri" => "uri",
        b"email" => "email",
        b"p" => "p",
        b"br" => "br",
        b"img" => "img",
        b"a" => "a",
        b"div" => "div",
        b"span" => "span",
        b"strong" => "strong",
        b"b" => "b",
        b"i" => "i",
        b"em" => "em",
        b"li" => "li",
        b"ul" => "ul",
        _ => return None,
    })
}

impl Element {
    pub fn is(&self, ns: &str, local: &str) -> bool {
        // The local name first: compared inline, it rejects almost every
        // child, where the namespace comparison called `memcmp` for each
        // (a fifth of decoding and parsing a feed, as every field of an
        // item looks through all the item's children).
        self.local.eq_ignore_ascii_case(local) && *self.ns == *ns
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Elem(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.is(ns, local))
    }

    /// All descendant text, concatenated.
    pub fn text(&self) -> String {
        let mut s = String::new();
        self.collect_text(&mut s);
        s
    }

    fn collect_text(&self, s: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => s.push_str(t),
                Node::Elem(e) => e.collect_text(s),
            }
        }
    }

    /// Trimmed text of child `ns:local`, if present and not empty.
    pub fn child_text(&self, ns: &str, local: &str) -> Option<String> {
        self.child(ns, local)
            .map(|e| e.text().trim().to_string())
            .filter(|t| !t.is_empty())
    }

    /// The content as HTML source: escaped or CDATA text is already HTML;
    /// unescaped markup (child elements) is written back out.
    pub fn html(&self) -> String {
        if self.elements().next().is_none() {
            return self.text();
        }
        let mut s = String::new();
        self.write_inner(&mut s);
        s
    }

    /// The children as XHTML markup: elements written back, text always
    /// escaped (an Atom `type="xhtml"` construct: its text is text, even
    /// where it reads `<blink>`).
    pub fn xhtml(&self) -> String {
        let mut s = String::new();
        self.write_inner(&mut s);
        s
    }

    fn write_inner(&self, s: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => s.push_str(&html_escape::encode_text(t)),
                Node::Elem(e) => e.write_outer(s),
            }
        }
    }

    fn write_outer(&self, s: &mut String) {
        s.push('<');
        s.push_str(&self.local);
        for (k, v) in &self.attrs {
            if k == "xmlns" || k.starts_with("xmlns:") {
                continue;
            }
            s.push(' ');
            s.push_str(k);
            s.push_str("=\"");
            s.push_str(&html_escape::encode_double_quoted_attribute(v));
            s.push('"');
        }
        s.push('>');
        if is_void(&self.local) && self.children.is_empty() {
            return;
        }
        self.write_inner(s);
        s.push_str("</");
        s.push_str(&self.local);
        s.push('>');
    }
}

/// HTML elements that never have content.
fn is_void(name: &str) -> bool {
    const VOID: &[&str] = &[
        "br", "img", "hr", "input", "meta", "link", "source", "wbr", "col", "area", "embed", "track",
    ];
    VOID.iter().any(|v| v.eq_ignore_ascii_case(name))
}

/// XML's five predefined entities.
fn xml_entity(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"lt" => "<",
        b"gt" => ">",
        b"amp" => "&",
        b"apos" => "'",
        b"quot" => "\"",
        _ => return None,
    })
}

/// Resolves `&name;` the way browsers would: XML's five, numeric references,
/// then every HTML5 named entity (`&nbsp;`, `&mdash;` …).
pub fn resolve_entity(name: &str) -> Option<String> {
    if let Some(s) = xml_entity(name.as_bytes()) {
        return Some(s.into());
    }
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        // HTML reads references to the C1 controls as the windows-1252
        // characters most pages meant (`&#146;` is ’), and NUL as U+FFFD.
        let c = match code {
            0 => '\u{FFFD}',
            0x80..=0x9F => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[code as u8])
                .0
                .chars()
                .next()?,
            _ => char::from_u32(code)?,
        };
        return Some(c.into());
    }
    let probe = format!("&{name};");
    let decoded = html_escape::decode_html_entities(&probe);
    (decoded != probe).then(|| decoded.into_owned())
}

/// The byte a reference stands for when it is one of 0x80–0xFF: a numeric
/// one (`&#226;`, `&#xE2;`) or an HTML entity for a Latin-1 character
/// (`&acirc;`).
fn escaped_byte(name: &[u8]) -> Option<u8> {
    let code = match name.strip_prefix(b"#") {
        Some(num) => {
            let num = std::str::from_utf8(num).ok()?;
            match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            }
        }
        None if xml_entity(name).is_none() => {
            let s = resolve_entity(std::str::from_utf8(name).ok()?)?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if ('\u{A0}'..='\u{FF}').contains(&c) => u32::from(c),
                _ => return None,
            }
        }
        None => return None,
    };
    u8::try_from(code).ok().filter(|&b| b >= 0x80)
}

/// A run of references to 0x80–0xFF: where they spell UTF-8 (`&#226;&#128;&#166;`
/// is `…`, from a producer that escaped each byte of its UTF-8 text), the
/// characters they spell; the rest one character each, as [`resolve_entity`]
/// reads them.
fn decode_escaped_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for &b in chunk.invalid() {
            out.push_str(&resolve_entity(&format!("#{b}")).unwrap_or_default());
        }
    }
    out
}

/// Unescapes attribute values and leftover text leniently: unknown or
/// unterminated references stay as written.
pub fn unescape_lenient(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').filter(|&e| e > 0 && e <= 32);
        match end.and_then(|e| resolve_entity(&after[..e]).map(|r| (e, r))) {
            Some((e, r)) => {
                out.push_str(&r);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Counts of repairs, turned into one warning each at the end.
#[derive(Default)]
struct Repairs {
    bare_amp: usize,
    html_entities: Vec<String>,
    html_entity_count: usize,
    unknown_entities: Vec<String>,
    unmatched_ends: usize,
    /// Elements closed by a start tag that cannot stand inside them.
    implied_ends: usize,
    errors: Vec<String>,
}

/// RSS elements that hold only text: no element of a feed stands inside
/// them, as HTML markup does inside `<description>`.
const TEXT_ONLY: &[&str] = &[
    "title", "link", "guid", "pubDate", "author", "comments", "category",
];

/// RSS elements that, opening, close an open text-only element.
const ITEM_PARTS: &[&str] = &[
    "title",
    "link",
    "description",
    "guid",
    "pubDate",
    "author",
    "comments",
    "category",
    "enclosure",
    "source",
    "item",
];

/// Closes what a start tag implies is over, as HTML parsers close elements
/// by implied end tags: an open RSS text-only element before another part
/// of an item (`<title>…<link>` with `</title>` missing or misspelt), and
/// everything inside an open item before the next item (a `<description>`
/// never closed). Returns how many elements it closed.
fn close_implied(stack: &mut Vec<(Cow<str>, Element)>, doc: &mut Doc, el: &Element) -> usize {
    let rss = |e: &Element| e.ns.is_empty();
    let mut closed = 0;
    if rss(el)
        && el.local == "item"
        && let Some(pos) = stack.iter().rposition(|(_, e)| rss(e) && e.local == "item")
    {
        while stack.len() > pos {
            let (_, e) = stack.pop().expect("non-empty");
            attach(stack, doc, Node::Elem(e));
            closed += 1;
        }
        return closed;
    }
    if rss(el) && ITEM_PARTS.contains(&el.local.as_ref()) {
        while let Some((_, top)) = stack.last()
            && rss(top)
            && TEXT_ONLY.contains(&top.local.as_ref())
        {
            let (_, e) = stack.pop().expect("non-empty");
            attach(stack, doc, Node::Elem(e));
            closed += 1;
        }
    }
    closed
}

/// Reads `text` into a tree, repairing what it can.
pub fn parse(text: &str) -> Doc {
    let mut reader = NsReader::from_str(text);
    {
        let c = reader.config_mut();
        c.allow_dangling_amp = true;
        c.allow_unmatched_ends = true;
        c.check_end_names = false;
        c.check_comments = false;
        c.trim_text(false);
    }
    let mut doc = Doc::default();
    let mut rep = Repairs::default();
    // Open elements with their raw qualified names (to match end tags).
    let mut stack: Vec<(Cow<str>, Element)> = Vec::new();
    let mut last_error_pos = None;

    let mut pending_bytes: Vec<u8> = Vec::new();
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ns, ev)) => (ns_of(&ns), ev),
            Err(e) => {
                let pos = reader.error_position();
                if rep.errors.len() < 5 {
                    rep.errors.push(format!("XML error at byte {pos}: {e}"));
                }
                // Keep going past recoverable errors; stop if stuck.
                if last_error_pos == Some(reader.buffer_position()) || rep.errors.len() > 1000 {
                    break;
                }
                last_error_pos = Some(reader.buffer_position());
                continue;
            }
        };
        // References to 0x80–0xFF (`&#226;`, `&acirc;`) wait for the next
        // event: a run of them may be UTF-8 bytes escaped one by one.
        let high_byte = match &event {
            Event::GeneralRef(r) => escaped_byte(r),
            _ => None,
        };
        match high_byte {
            Some(b) => {
                if let Event::GeneralRef(r) = &event
                    && !r.starts_with(b"#")
                {
                    let name = String::from_utf8_lossy(r).into_owned();
                    rep.html_entity_count += 1;
                    if rep.html_entities.len() < 5 && !rep.html_entities.contains(&name) {
                        rep.html_entities.push(name);
                    }
                }
                pending_bytes.push(b);
                continue;
            }
            None if !pending_bytes.is_empty() => {
                push_text(
                    &mut stack,
                    &decode_escaped_bytes(&pending_bytes),
                    after(text, &reader),
                );
                pending_bytes.clear();
            }
            None => {}
        }
        match event {
            Event::Start(e) => {
                let el = start_element(&e, ns);
                if stack.is_empty() && doc.root.is_none() {
                    doc.root_ns_uri = root_uri(&reader, &e);
                }
                rep.implied_ends += close_implied(&mut stack, &mut doc, &el);
                let qname = match in_src(text, e.name().as_ref()) {
                    Some(q) => Cow::Borrowed(q),
                    None => Cow::Owned(String::from_utf8_lossy(e.name().as_ref()).into_owned()),
                };
                stack.push((qname, el));
            }
            Event::Empty(e) => {
                let el = start_element(&e, ns);
                if stack.is_empty() && doc.root.is_none() {
                    doc.root_ns_uri = root_uri(&reader, &e);
                }
                attach(&mut stack, &mut doc, Node::Elem(el));
            }
            Event::End(e) => {
                let qname = e.name();
                let qname = qname.as_ref();
                match stack
                    .iter()
                    .rposition(|(q, _)| q.as_bytes().eq_ignore_ascii_case(qname))
                {
                    Some(pos) => {
                        while stack.len() > pos {
                            let (_, mut el) = stack.pop().expect("non-empty");
                            // An unclosed HTML `<br>` or `<img>` closed only by its
                            // parent's end tag: what followed it are its siblings.
                            let implicit = stack.len() > pos;
                            let orphans = if implicit && is_void(&el.local) {
                                std::mem::take(&mut el.children)
                            } else {
                                Vec::new()
                            };
                            attach(&mut stack, &mut doc, Node::Elem(el));
                            for n in orphans {
                                attach(&mut stack, &mut doc, n);
                            }
                        }
                    }
                    None => rep.unmatched_ends += 1,
                }
            }
            Event::Text(t) => {
                let raw = src_str(text, &t);
                if raw.starts_with('&') {
                    // Only a dangling `&` reaches us as text.
                    rep.bare_amp += 1;
                }
                push_text(&mut stack, &raw, after(text, &reader));
            }
            Event::CData(t) => push_text(&mut stack, &src_str(text, &t), after(text, &reader)),
            // Escaped HTML (`&lt;p&gt;` in a description) is a reference
            // event per `&lt;` and `&gt;`: XML's five take no allocation.
            Event::GeneralRef(r) if xml_entity(&r).is_some() => {
                push_text(
                    &mut stack,
                    xml_entity(&r).expect("matched above"),
                    after(text, &reader),
                );
            }
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                match resolve_entity(&name) {
                    Some(s) => {
                        if !name.starts_with('#') {
                            rep.html_entity_count += 1;
                            if rep.html_entities.len() < 5 && !rep.html_entities.contains(&name) {
                                rep.html_entities.push(name);
                            }
                        }
                        push_text(&mut stack, &s, after(text, &reader));
                    }
                    None => {
                        if rep.unknown_entities.len() < 5 && !rep.unknown_entities.contains(&name) {
                            rep.unknown_entities.push(name.clone());
                        }
                        push_text(&mut stack, &format!("&{name};"), after(text, &reader));
                    }
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }

    if !stack.is_empty() {
        let open: Vec<&str> = stack.iter().map(|(q, _)| q.as_ref()).collect();
        doc.warnings.push(format!(
            "document ends inside <{}> (truncated?); kept what was read",
            open.join("> <")
        ));
        while let Some((_, el)) = stack.pop() {
            attach(&mut stack, &mut doc, Node::Elem(el));
        }
    }
    doc.warnings.extend(rep.errors);
    if rep.bare_amp > 0 {
        doc.warnings
            .push(format!("{} bare '&' read as text", rep.bare_amp));
    }
    if rep.html_entity_count > 0 {
        doc.warnings.push(format!(
            "{} HTML entities that XML does not define read as characters (&{};)",
            rep.html_entity_count,
            rep.html_entities.join("; &")
        ));
    }
    if !rep.unknown_entities.is_empty() {
        doc.warnings.push(format!(
            "unknown entities kept as text: &{};",
            rep.unknown_entities.join("; &")
        ));
    }
    if rep.implied_ends > 0 {
        doc.warnings.push(format!(
            "{} elements left open closed by the element after them",
            rep.implied_ends
        ));
    }
    if rep.unmatched_ends > 0 {
        doc.warnings.push(format!(
            "{} end tags without a start tag ignored",
            rep.unmatched_ends
        ));
    }
    doc
}

fn ns_of(r: &ResolveResult) -> Cow<'static, str> {
    match r {
        ResolveResult::Bound(ns) => ns_prefix(ns.as_ref()).into(),
        ResolveResult::Unbound => "".into(),
        // An undeclared prefix: trust its conventional meaning (dc:, content:).
        ResolveResult::Unknown(p) => String::from_utf8_lossy(p).to_ascii_lowercase().into(),
    }
}

fn root_uri(reader: &NsReader<&[u8]>, e: &quick_xml::events::BytesStart) -> String {
    match reader.resolver().resolve_element(e.name()).0 {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        _ => String::new(),
    }
}

fn start_element(e: &quick_xml::events::BytesStart, ns: Cow<'static, str>) -> Element {
    let attrs = e
        .html_attributes()
        .filter_map(Result::ok)
        .map(|a| {
            let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let v = unescape_lenient(&String::from_utf8_lossy(&a.value));
            (k, v)
        })
        .collect();
    Element {
        ns,
        local: match known_name(e.local_name().as_ref()) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(String::from_utf8_lossy(e.local_name().as_ref()).into_owned()),
        },
        attrs,
        children: Vec::new(),
    }
}

fn attach(stack: &mut [(Cow<str>, Element)], doc: &mut Doc, node: Node) {
    match stack.last_mut() {
        Some((_, parent)) => parent.children.push(node),
        None => {
            if let Node::Elem(el) = node
                && doc.root.is_none()
            {
                doc.root = Some(el);
            }
        }
    }
}

/// The text of an event as a slice of the document, found by its address:
/// quick-xml splits the (valid UTF-8) document only at ASCII markup, so the
/// slice needs no second UTF-8 validation, which was a fifth of building
/// the tree. Bytes from anywhere else are converted as before.
fn src_str<'a>(src: &'a str, bytes: &'a [u8]) -> Cow<'a, str> {
    match in_src(src, bytes) {
        Some(s) => Cow::Borrowed(s),
        None => String::from_utf8_lossy(bytes),
    }
}

/// `bytes` as the part of `src` they are, if they are one.
fn in_src<'a>(src: &'a str, bytes: &[u8]) -> Option<&'a str> {
    let start = (bytes.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
    // An address outside `src` wraps around or runs past its end.
    src.get(start..start.checked_add(bytes.len())?)
}

/// The document after the event just read.
fn after<'a>(text: &'a str, reader: &NsReader<&[u8]>) -> &'a [u8] {
    let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
    text.as_bytes().get(at..).unwrap_or_default()
}

/// Appends `s` to the open element's text, `rest` being the document after it.
fn push_text(stack: &mut [(Cow<str>, Element)], s: &str, rest: &[u8]) {
    let Some((_, parent)) = stack.last_mut() else {
        return;
    };
    if let Some(Node::Text(t)) = parent.children.last_mut() {
        t.push_str(s);
    } else {
        // A text node ends at the next tag: what lies before it is as long
        // as the node can get (references only shrink). Reserved at once:
        // escaped HTML (`&lt;p&gt;…`) arrives as hundreds of pieces, and the
        // node grew by reallocation (5 % of the parsing threads).
        let bound = memchr::memchr(b'<', rest).unwrap_or(rest.len());
        let mut t = String::with_capacity(s.len() + bound);
        t.push_str(s);
        parent.children.push(Node::Text(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_text_is_a_slice_of_the_document_or_a_copy() {
        let doc = "<a>苏州新闻</a>";
        let inner = &doc.as_bytes()[3..15];
        let got = src_str(doc, inner);
        assert_eq!(got, "苏州新闻");
        assert_eq!(got.as_ptr(), doc[3..].as_ptr(), "a slice of the document");
        let elsewhere = "苏州新闻".as_bytes().to_vec();
        let got = src_str(doc, &elsewhere);
        assert_eq!(got, "苏州新闻");
        assert_eq!(got.as_ptr(), elsewhere.as_ptr(), "the bytes given, converted");
        assert_eq!(src_str(doc, b"\xff"), "\u{FFFD}");
        assert_eq!(src_str(doc, &[]), "");
        let parsed = parse("<a>苏州<![CDATA[<b>新闻</b>]]>&amp;体育</a>");
        assert_eq!(parsed.root.unwrap().text(), "苏州<b>新闻</b>&体育");
    }

    #[test]
    fn namespaces_map_to_conventional_prefixes() {
        let d = parse(
            r#"<rss xmlns:d="http://purl.org/dc/elements/1.1/"><channel><item><d:creator>吉强</d:creator><content:encoded>x</content:encoded></item></channel></rss>"#,
        );
        let item = d
            .root
            .unwrap()
            .child("", "channel")
            .unwrap()
            .child("", "item")
            .unwrap()
            .clone();
        assert_eq!(item.child_text("dc", "creator").as_deref(), Some("吉强"));
        // Undeclared prefix: read by its usual meaning.
        assert_eq!(item.child_text("content", "encoded").as_deref(), Some("x"));
    }

    #[test]
    fn repairs_are_reported() {
        let d = parse("<rss><title>R&D 中心&nbsp;&mdash;开放 &foo;</title></rss>");
        let root = d.root.unwrap();
        assert_eq!(
            root.child("", "title").unwrap().text(),
            "R&D 中心\u{a0}—开放 &foo;"
        );
        let w = d.warnings.join("\n");
        assert!(w.contains("1 bare '&'"), "{w}");
        assert!(w.contains("2 HTML entities") && w.contains("&nbsp;"), "{w}");
        assert!(w.contains("unknown entities kept as text: &foo;"), "{w}");
    }

    #[test]
    fn unescaped_html_and_unclosed_tags_are_kept() {
        let d = parse("<item><description><p>一<br>二</p></description><title>t</title></item>");
        let item = d.root.unwrap();
        assert_eq!(item.child("", "description").unwrap().html(), "<p>一<br>二</p>");
        assert_eq!(item.child_text("", "title").as_deref(), Some("t"));
    }

    #[test]
    fn truncated_document_keeps_what_was_read() {
        let d = parse("<rss><channel><item><title>一</title></item><item><title>二</ti");
        let ch = d.root.unwrap().child("", "channel").unwrap().clone();
        let titles: Vec<String> = ch.children_named("", "item").map(|i| i.text()).collect();
        assert_eq!(titles[0], "一");
        assert!(
            d.warnings.iter().any(|w| w.contains("truncated")),
            "{:?}",
            d.warnings
        );
    }

    /// References to the C1 controls are the windows-1252 characters, as
    /// HTML reads them (the five bytes windows-1252 leaves undefined stay
    /// as they are, as in HTML).
    #[test]
    fn c1_references_are_windows_1252() {
        assert_eq!(
            unescape_lenient("It&#146;s &#147;new&#148; &#x80;5 &#150;"),
            "It’s “new” €5 –"
        );
        assert_eq!(resolve_entity("#0").as_deref(), Some("\u{FFFD}"));
        for c in 0x80..=0x9Fu32 {
            let r = resolve_entity(&format!("#{c}")).unwrap();
            let control = r.chars().any(|ch| ('\u{80}'..='\u{9F}').contains(&ch));
            assert_eq!(
                control,
                matches!(c, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D),
                "#{c} → {r:?}"
            );
        }
    }

    #[test]
    fn entity_expansion_is_never_performed() {
        let d = parse(
            r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;"><!ENTITY ext SYSTEM "file:///etc/passwd">]><rss><title>&lol2;&ext;</title></rss>"#,
        );
        assert_eq!(d.root.unwrap().child("", "title").unwrap().text(), "&lol2;&ext;");
    }

    #[test]
    fn lenient_unescape() {
        assert_eq!(
            unescape_lenient("a?x=1&y=2&amp;z=&#51;&nbsp;"),
            "a?x=1&y=2&z=3\u{a0}"
        );
    }
}
