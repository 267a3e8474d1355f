//! An article page's body found without a selector (`content = "auto"`):
//! an extractor in the readability family, written for Chinese pages.
//!
//! Readability and its ports weigh a paragraph by its commas and its
//! length in hundreds of characters, and skip paragraphs under 25
//! characters. A Chinese news paragraph is often one sentence of 15
//! characters, and its commas are `，` and `、`. Here a paragraph's weight
//! is its characters of text (ideographs, letters, digits) and its
//! punctuation (`。，、！？；：`, and `,` `;` between words), less what
//! is inside links. Each paragraph (a `<p>`, or a run of text between
//! `<br>`s) scores its container fully, the one around that by half,
//! further ones less; a container's score then grows with a class name
//! such as `content` and shrinks with its link density. The best
//! container is the body, with those of its siblings that score well or
//! read like paragraphs.
//!
//! Furniture is left out first: scripts, forms, `nav`, `aside`, hidden
//! elements, and elements whose class or id says comments, share bar,
//! related links, footer and the like (unless they hold most of the
//! page's text: wrappers get such names too); link lists and the `h1`
//! inside the body go too. When that finds nothing, a second try goes by
//! the text alone, as readability does.
//!
//! Tuned on the fixtures in `testdata/extract/` and on real pages of
//! about 40 Chinese news sites that are not ours to commit (see the
//! `survey` test). Pure and never fails: the body's HTML (not yet
//! sanitized), or nothing and a warning.

use std::collections::HashMap;

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node};

/// What the extractor found on a page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extracted {
    /// The body's HTML, not yet sanitized.
    pub content: Option<String>,
    /// Why there is no body.
    pub warnings: Vec<String>,
}

/// Finds the article body of a page.
#[cfg(test)]
pub(crate) fn extract_html(text: &str) -> Extracted {
    extract(&mut Html::parse_document(text))
}

/// Finds the article body of a parsed page. Takes the furniture out of the
/// chosen elements in `doc` (it is not written back anywhere).
///
/// As readability does, it tries again with fewer guesses when the first
/// try finds nothing: without leaving out elements by their class or id.
pub(crate) fn extract(doc: &mut Html) -> Extracted {
    let mut best = Measure::default();
    for by_class in [true, false] {
        let Some(choice) = Page::read(doc, by_class).choose() else {
            continue;
        };
        // What is left once the furniture is out must read like an article.
        let m = choice.text;
        if m.reads_like_article() {
            return Extracted {
                content: Some(choice.apply(doc)),
                warnings: Vec::new(),
            };
        }
        if m.chars > best.chars {
            best = m;
        }
    }
    let why = if best.chars == 0 {
        String::new()
    } else {
        format!(
            " (the best block has {} characters{})",
            best.chars,
            if best.enders == 0 { " and no sentence" } else { "" }
        )
    };
    Extracted {
        content: None,
        warnings: vec![format!("content \"auto\" found no article text on the page{why}")],
    }
}

/// Text measured for scoring.
#[derive(Debug, Clone, Copy, Default)]
struct Measure {
    /// Ideographs, letters and digits.
    chars: usize,
    /// Of those, inside links.
    links: usize,
    /// Punctuation that separates clauses and sentences.
    punct: usize,
    /// Sentence ends (`。！？`, and `.!?` after a word).
    enders: usize,
}

impl Measure {
    fn of(text: &str, in_link: bool) -> Measure {
        let mut m = Measure::default();
        let mut prev = ' ';
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_alphanumeric() {
                m.chars += 1;
            } else {
                match c {
                    '，' | '、' | '；' | '：' | '﹐' | '､' => m.punct += 1,
                    '。' | '！' | '？' | '｡' => {
                        m.punct += 1;
                        m.enders += 1;
                    }
                    // Between words, not inside a number (1,000) or an
                    // address (www.example.com).
                    ',' | ';' if !prev.is_ascii_digit() => m.punct += 1,
                    '.' | '!' | '?'
                        if prev.is_alphabetic() && chars.peek().is_none_or(|n| !n.is_alphanumeric()) =>
                    {
                        m.punct += 1;
                        m.enders += 1;
                    }
                    _ => {}
                }
            }
            prev = c;
        }
        if in_link {
            m.links = m.chars;
        }
        m
    }

    fn add(&mut self, o: Measure) {
        self.chars += o.chars;
        self.links += o.links;
        self.punct += o.punct;
        self.enders += o.enders;
    }

    fn sub(&mut self, o: Measure) {
        self.chars = self.chars.saturating_sub(o.chars);
        self.links = self.links.saturating_sub(o.links);
        self.punct = self.punct.saturating_sub(o.punct);
        self.enders = self.enders.saturating_sub(o.enders);
    }

    fn link_density(&self) -> f64 {
        if self.chars == 0 {
            0.0
        } else {
            self.links as f64 / self.chars as f64
        }
    }

    /// A paragraph worth scoring: a clause of text, or a longer run.
    fn counts(&self) -> bool {
        (self.punct > 0 && self.chars >= 4) || self.chars >= 20
    }

    /// A paragraph's contribution: one for being there, one per clause,
    /// and up to three more for length.
    fn weight(&self) -> f64 {
        (1.0 + self.punct as f64 + (self.chars as f64 / 40.0).min(3.0)) * (1.0 - self.link_density())
    }

    /// Enough text for an article, even a short one.
    fn reads_like_article(&self) -> bool {
        self.chars >= 25 && (self.enders > 0 || self.chars >= 100) && self.link_density() < 0.5
    }
}

/// Elements whose text runs on inside the paragraph around them.
const INLINE: &[&str] = &[
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em",
    "font", "i", "img", "ins", "kbd", "label", "mark", "nobr", "q", "rp", "rt", "ruby", "s", "samp", "small",
    "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
];

/// Elements never part of an article's text.
const FURNITURE_TAGS: &[&str] = &[
    "aside", "audio", "button", "canvas", "datalist", "dialog", "embed", "footer", "head", "header",
    "iframe", "input", "link", "map", "menu", "meta", "nav", "noscript", "object", "option", "script",
    "select", "style", "svg", "template", "textarea", "title", "video",
];

/// Paragraph elements: their text scores the element around them.
const PARAGRAPHS: &[&str] = &[
    "p",
    "pre",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "dd",
    "dt",
    "figcaption",
    "caption",
];

/// Kept whole (with their tag) when they are one of the body's parts.
const WHOLE: &[&str] = &[
    "p",
    "pre",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "dl",
    "table",
    "figure",
    "img",
];

/// Class or id words of comment sections: left out even inside an element
/// that also says "article" (`article-comments`).
const COMMENTS: &[&str] = &["comment", "pinglun", "reply", "replies", "discuss"];

/// Class or id words of page furniture (matched inside words).
const FURNITURE_WORDS: &[&str] = &[
    "advert",
    "banner",
    "bdshare",
    "breadcrumb",
    "copyright",
    "crumb",
    "erweima",
    "fenxiang",
    "footer",
    "guanggao",
    "header",
    "hotnews",
    "login",
    "menu",
    "modal",
    "navbar",
    "pagination",
    "pager",
    "paihang",
    "popup",
    "qrcode",
    "ranking",
    "recommend",
    "relate",
    "search",
    "share",
    "sidebar",
    "social",
    "sponsor",
    "toolbar",
    "tuijian",
    "xgwz",
    "xgxw",
    "xgyd",
];

/// Class or id words of page furniture (whole words only: `ad` is in
/// `head`, `hot` in `photo`).
const FURNITURE_TOKENS: &[&str] = &[
    "ad", "ads", "bottom", "cmt", "foot", "gg", "head", "hot", "nav", "rank", "side", "tag", "tags", "tool",
    "tools",
];

/// Class or id words of article bodies (matched inside words).
const BODY_WORDS: &[&str] = &[
    "article", "artibody", "body", "content", "detail", "entry", "main", "post", "story", "text", "zhengwen",
];

/// Class or id words of article bodies (whole words only).
const BODY_TOKENS: &[&str] = &["con", "cont", "txt", "zw", "wz"];

/// What an element's class and id say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    Comments,
    Furniture,
    Body,
    None,
}

fn hint(el: &scraper::node::Element) -> Hint {
    let mut values = Vec::new();
    for v in [el.attr("class"), el.attr("id")].into_iter().flatten() {
        values.extend(v.split_whitespace().map(str::to_ascii_lowercase));
    }
    if values.iter().any(|v| COMMENTS.iter().any(|w| v.contains(w))) {
        return Hint::Comments;
    }
    // Each class (or the id) on its own: `article-share` is a share bar
    // of the article, `article-body share-on` the body.
    let (mut body, mut furniture) = (false, false);
    for v in &values {
        let has = |words: &[&str], tokens: &[&str]| {
            words.iter().any(|w| v.contains(w))
                || v.split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|t| tokens.contains(&t))
        };
        if has(FURNITURE_WORDS, FURNITURE_TOKENS) {
            furniture = true;
        } else if has(BODY_WORDS, BODY_TOKENS) {
            body = true;
        }
    }
    match (body, furniture) {
        (true, _) => Hint::Body,
        (false, true) => Hint::Furniture,
        (false, false) => Hint::None,
    }
}

/// True for elements left out with everything inside them whatever
/// their class: not text (scripts, forms, media), not shown, or page
/// furniture by their tag or role.
fn is_hidden(el: &scraper::node::Element) -> bool {
    let name = el.name();
    if name == "html" || name == "body" {
        return false;
    }
    if FURNITURE_TAGS.contains(&name) || el.attr("hidden").is_some() {
        return true;
    }
    if let Some(style) = el.attr("style") {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if style.contains("display:none") || style.contains("visibility:hidden") {
            return true;
        }
    }
    el.attr("role").is_some_and(|r| {
        matches!(
            r.trim().to_ascii_lowercase().as_str(),
            "navigation"
                | "menu"
                | "menubar"
                | "complementary"
                | "contentinfo"
                | "banner"
                | "search"
                | "dialog"
        )
    })
}

/// What a container's tag adds to its score.
fn tag_score(el: &scraper::node::Element) -> f64 {
    match el.name() {
        "article" => 10.0,
        "div" | "main" => 5.0,
        "section" | "td" | "pre" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

/// What a container's class or id adds to the `text` score its paragraphs
/// gave it: up to 25 for a body's name (no more than the text itself: a
/// two-word `post-input` box is no body), 25 off for furniture's.
fn class_score(el: &scraper::node::Element, text: f64) -> f64 {
    match hint(el) {
        Hint::Body => text.min(25.0),
        Hint::Furniture | Hint::Comments => -25.0,
        Hint::None => 0.0,
    }
}

/// One node of the page, in document order.
struct Entry<'a> {
    node: NodeRef<'a, Node>,
    parent: Option<usize>,
    /// Left out, itself or by an ancestor.
    furniture: bool,
    /// Inside an `<a>`.
    in_link: bool,
    /// The nearest ancestor (or itself, for an element) that is not inline:
    /// the paragraph its text belongs to.
    holder: usize,
    /// Its own text (a text node's).
    own: Measure,
    /// Everything inside, furniture left out.
    total: Measure,
    /// The same, without blocks that are mostly links: what would be
    /// left of it as the body.
    clean: Measure,
    /// From the paragraphs inside; `None` if none scored it.
    score: Option<f64>,
}

impl Entry<'_> {
    fn element(&self) -> Option<&scraper::node::Element> {
        self.node.value().as_element()
    }

    fn name(&self) -> &str {
        self.element().map_or("", |e| e.name())
    }

    /// The score with its name and its link density taken into account.
    fn final_score(&self) -> f64 {
        let Some(text) = self.score else {
            return 0.0;
        };
        let named = self
            .element()
            .map_or(0.0, |el| tag_score(el) + class_score(el, text));
        (text + named) * (1.0 - self.clean.link_density())
    }

    /// A block that is mostly links (related stories, tags, "上一篇/下一篇"):
    /// not part of a body.
    fn is_link_block(&self) -> bool {
        let t = self.total;
        self.element().is_some_and(|el| !INLINE.contains(&el.name()))
            && t.links > 0
            && (t.link_density() > 0.5 || (t.link_density() > 0.3 && t.enders == 0))
    }
}

/// The page, measured and scored.
struct Page<'a> {
    nodes: Vec<Entry<'a>>,
    index: HashMap<NodeId, usize>,
}

/// The chosen body: its parts in order (each whole, or its inside only),
/// the furniture to take out of them first, and the text that leaves.
struct Choice {
    parts: Vec<(NodeId, bool)>,
    furniture: Vec<NodeId>,
    text: Measure,
}

impl Choice {
    /// Takes the furniture out of the parts in `doc` and gives their HTML.
    fn apply(&self, doc: &mut Html) -> String {
        for id in &self.furniture {
            if let Some(mut node) = doc.tree.get_mut(*id) {
                node.detach();
            }
        }
        let mut html = String::new();
        for (id, whole) in &self.parts {
            if let Some(el) = doc.tree.get(*id).and_then(ElementRef::wrap) {
                if !html.is_empty() {
                    html.push('\n');
                }
                html.push_str(&if *whole { el.html() } else { el.inner_html() });
            }
        }
        html.trim().to_string()
    }
}

impl<'a> Page<'a> {
    /// Measures and scores `doc`; `by_class`: also leaves out elements
    /// whose class or id says furniture.
    fn read(doc: &'a Html, by_class: bool) -> Page<'a> {
        let mut nodes: Vec<Entry<'a>> = Vec::new();
        let mut index = HashMap::new();
        // Each node's place, and what it is.
        for node in doc.tree.root().descendants() {
            let i = nodes.len();
            index.insert(node.id(), i);
            let parent = node.parent().and_then(|p| index.get(&p.id()).copied());
            let up = parent.map(|p| &nodes[p]);
            let el = node.value().as_element();
            let furniture = up.is_some_and(|p| p.furniture) || el.is_some_and(is_hidden);
            let in_link = up.is_some_and(|p| p.in_link) || el.is_some_and(|e| e.name() == "a");
            let inline = el.is_none_or(|e| INLINE.contains(&e.name()));
            let holder = match up {
                Some(p) if inline => p.holder,
                _ => i,
            };
            let own = match node.value() {
                Node::Text(t) => Measure::of(t, in_link),
                _ => Measure::default(),
            };
            nodes.push(Entry {
                node,
                parent,
                furniture,
                in_link,
                holder,
                own,
                total: own,
                clean: own,
                score: None,
            });
        }
        let mut page = Page { nodes, index };
        page.add_up();
        if by_class {
            // Furniture by its class or id, unless it holds text that
            // reads like the article: half the page's clauses (a wrapper
            // named `post_header`), or sentences with few links (sina's
            // body is `BSHARE_POP …`).
            let page_punct = page.nodes.first().map_or(0, |n| n.total.punct);
            for i in 0..page.nodes.len() {
                let e = &page.nodes[i];
                let inherited = e.parent.is_some_and(|p| page.nodes[p].furniture);
                let by_name = e.element().is_some_and(|el| {
                    !matches!(el.name(), "html" | "body")
                        && match hint(el) {
                            Hint::Comments => true,
                            Hint::Furniture => {
                                let t = e.total;
                                t.punct * 2 <= page_punct && (t.enders < 5 || t.link_density() >= 0.3)
                            }
                            Hint::Body | Hint::None => false,
                        }
                });
                page.nodes[i].furniture |= inherited || by_name;
            }
            page.add_up();
        }
        // The text of each paragraph, in document order: a new one at
        // every <br> and every block.
        let mut open: HashMap<usize, Measure> = HashMap::new();
        let mut paragraphs: Vec<(usize, Measure)> = Vec::new();
        for i in 0..page.nodes.len() {
            let e = &page.nodes[i];
            if e.furniture {
                continue;
            }
            match e.node.value() {
                Node::Text(_) => open.entry(e.holder).or_default().add(e.own),
                Node::Element(el) if el.name() == "br" || !INLINE.contains(&el.name()) => {
                    if let Some(p) = e.parent.map(|p| page.nodes[p].holder)
                        && let Some(m) = open.remove(&p)
                    {
                        paragraphs.push((p, m));
                    }
                }
                _ => {}
            }
        }
        paragraphs.extend(open);
        for (holder, m) in paragraphs {
            page.score_paragraph(holder, m);
        }
        page
    }

    /// Each node's total: its text and everything inside that is not
    /// furniture (children come after their parents).
    fn add_up(&mut self) {
        for e in &mut self.nodes {
            e.total = e.own;
            e.clean = e.own;
        }
        for i in (0..self.nodes.len()).rev() {
            if let Some(p) = self.nodes[i].parent
                && !self.nodes[i].furniture
            {
                let (t, c) = (self.nodes[i].total, self.nodes[i].clean);
                let links = self.nodes[i].is_link_block();
                self.nodes[p].total.add(t);
                if !links {
                    self.nodes[p].clean.add(c);
                }
            }
        }
    }

    /// Gives a paragraph's weight to its container, half to the one around
    /// that, and less to three more.
    fn score_paragraph(&mut self, holder: usize, m: Measure) {
        if !m.counts() {
            return;
        }
        let weight = m.weight();
        let mut at = if PARAGRAPHS.contains(&self.nodes[holder].name()) {
            self.nodes[holder].parent
        } else {
            Some(holder)
        };
        for level in 0..5 {
            let Some(i) = at else { break };
            let e = &mut self.nodes[i];
            if e.element().is_none() {
                break;
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                n => n as f64 * 3.0,
            };
            *e.score.get_or_insert(0.0) += weight / divider;
            at = e.parent;
        }
    }

    fn choose(&self) -> Option<Choice> {
        let mut candidates: Vec<(usize, f64)> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].score.is_some() && !self.nodes[i].furniture)
            .map(|i| (i, self.nodes[i].final_score()))
            .collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
        let &(first, best) = candidates.first()?;
        if best <= 0.0 {
            return None;
        }
        // Several blocks nearly as good inside one ancestor: the body is
        // split, and that ancestor holds it all.
        let close: Vec<usize> = candidates[1..]
            .iter()
            .take(4)
            .filter(|&&(c, score)| {
                score >= best * 0.75 && !self.is_inside(c, first) && !self.is_inside(first, c)
            })
            .map(|&(c, _)| c)
            .collect();
        let mut top = first;
        if close.len() >= 2 {
            let mut up = self.nodes[first].parent;
            while let Some(a) = up {
                if matches!(self.nodes[a].name(), "body" | "html" | "") {
                    break;
                }
                if close.iter().filter(|&&c| self.is_inside(c, a)).count() >= 2 {
                    top = a;
                    break;
                }
                up = self.nodes[a].parent;
            }
        }
        let mut parts = vec![(top, false)];
        // Siblings that belong with it: well scored, or paragraphs.
        if let Some(parent) = self.nodes[top].parent
            && !matches!(self.nodes[parent].name(), "html" | "")
        {
            let top_score = self.nodes[top].final_score();
            let threshold = (top_score * 0.4).max(15.0);
            let top_class = self.nodes[top].element().and_then(|e| e.attr("class"));
            parts.clear();
            for child in self.nodes[parent].node.children() {
                let c = self.index[&child.id()];
                let e = &self.nodes[c];
                if c == top {
                    parts.push((c, false));
                    continue;
                }
                let Some(el) = e.element() else { continue };
                if e.furniture {
                    continue;
                }
                let mut score = e.final_score();
                if top_class.is_some() && el.attr("class") == top_class {
                    score += top_score * 0.2;
                }
                let t = e.total;
                let paragraph = el.name() == "p"
                    && t.link_density() < 0.25
                    && (t.chars >= 40 || (t.links == 0 && t.enders > 0));
                if (e.score.is_some() && score >= threshold) || paragraph {
                    parts.push((c, WHOLE.contains(&el.name())));
                }
            }
        }
        let mut furniture = Vec::new();
        let mut text = Measure::default();
        for &(p, _) in &parts {
            text.add(self.nodes[p].total);
            self.furniture_inside(p, &mut furniture);
        }
        for id in &furniture {
            let e = &self.nodes[self.index[id]];
            if !e.furniture {
                text.sub(e.total);
            }
        }
        Some(Choice {
            parts: parts
                .into_iter()
                .map(|(i, w)| (self.nodes[i].node.id(), w))
                .collect(),
            furniture,
            text,
        })
    }

    /// True when `inner` is `outer` or inside it.
    fn is_inside(&self, inner: usize, outer: usize) -> bool {
        let mut at = Some(inner);
        while let Some(a) = at {
            if a == outer {
                return true;
            }
            at = self.nodes[a].parent;
        }
        false
    }

    /// The elements inside `root` to take out: furniture, blocks that are
    /// mostly links (related stories, tags, "上一篇/下一篇"), and the page's
    /// headline (`h1`: readers show the item's title).
    fn furniture_inside(&self, root: usize, out: &mut Vec<NodeId>) {
        let mut stack: Vec<NodeRef<'_, Node>> = self.nodes[root].node.children().collect();
        while let Some(n) = stack.pop() {
            let e = &self.nodes[self.index[&n.id()]];
            if e.element().is_none() {
                continue;
            }
            if e.furniture || e.is_link_block() || e.name() == "h1" {
                out.push(n.id());
            } else {
                stack.extend(n.children());
            }
        }
    }
}

#[cfg(test)]
mod tests;
