//! `GET /search?q=`: the items of every feed that match, newest first, as
//! a plain HTML page in the status page's style (no JavaScript), with the
//! same search as a feed (`/search.rss?q=…`, `.atom`, `.json`): a saved
//! search is a subscription.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Deserialize;

use super::{AppState, Doc, respond, status::STYLE};
use crate::config::ALL;
use crate::render::{Format, encode_query};

#[derive(Deserialize)]
pub(super) struct SearchParams {
    q: Option<String>,
    limit: Option<usize>,
}

impl SearchParams {
    fn terms(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_string)
    }
}

/// Items a search page lists.
const PAGE_ITEMS: usize = 100;

pub(super) async fn page(State(state): State<Arc<AppState>>, Query(params): Query<SearchParams>) -> Response {
    let cfg = state.config();
    let q = params.terms();
    let items = match &q {
        None => Vec::new(),
        Some(q) => {
            let (q, limit) = (q.clone(), params.limit.unwrap_or(PAGE_ITEMS).clamp(1, 1000));
            let collapse = cfg.collapse_threshold(ALL);
            match state
                .read(move |s| s.category_items(ALL, limit, Some(&q), collapse))
                .await
            {
                Ok(items) => items,
                Err(e) => {
                    return (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")).into_response();
                }
            }
        }
    };
    let tz = cfg.fetch.timezone;
    let titles: std::collections::HashMap<&str, &str> = cfg
        .categories
        .iter()
        .map(|c| (c.id.as_str(), c.title.as_str()))
        .collect();
    let shown = q.as_deref().unwrap_or("");
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} huiju 汇聚 · 搜索</title><style>{STYLE}</style>",
        text(shown)
    );
    if let Some(q) = &q {
        let _ = write!(
            h,
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"搜索：{}\" href=\"{}/search.rss?q={}\">",
            attr(q),
            attr(&cfg.server.base_url),
            attr(&encode_query(q))
        );
    }
    let _ = write!(
        h,
        "</head><body><h1><a href=\"/\">huiju 汇聚</a> · 搜索 Search</h1>\
         <form action=\"/search\" method=\"get\"><input type=\"search\" name=\"q\" value=\"{}\" size=\"30\" \
         aria-label=\"搜索\"> <button>搜索</button></form>\
         <p><small>空格分隔的词都要出现；<code>-词</code> 排除。All terms must occur; <code>-term</code> excludes.</small></p>",
        attr(shown)
    );
    if let Some(q) = &q {
        let e = encode_query(q);
        let _ = write!(
            h,
            "<p>{} 条 · 订阅这个搜索 Subscribe: <a href=\"/search.rss?q={e}\">RSS</a> · \
             <a href=\"/search.atom?q={e}\">Atom</a> · <a href=\"/search.json?q={e}\">JSON</a></p>\
             <table><tr><th>标题</th><th class=\"opt\">来源</th><th>时间</th></tr>",
            items.len(),
            e = attr(&e)
        );
        for item in &items {
            let link = item.link.as_deref().unwrap_or("");
            let cats: Vec<&str> = item
                .feed_categories
                .iter()
                .filter_map(|c| titles.get(c.as_str()).copied())
                .collect();
            let _ = write!(
                h,
                "<tr><td><a href=\"{}\">{}</a><br><small>{}</small></td><td class=\"opt\">{}</td><td>{}</td></tr>",
                attr(link),
                text(&item.title),
                text(&cats.join(" · ")),
                text(&item.source_title),
                item.date(tz).with_timezone(&tz).format("%Y-%m-%d %H:%M")
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>");
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], h).into_response()
}

/// `/search.{rss,atom,json}?q=`: the search as a feed, with validators, so
/// a reader polling it gets 304 until a new item matches.
pub(super) async fn feed(
    State(state): State<Arc<AppState>>,
    Query(params): Query<SearchParams>,
    headers: HeaderMap,
    format: Format,
) -> Response {
    let Some(q) = params.terms() else {
        return (
            StatusCode::BAD_REQUEST,
            "give the search terms: /search.rss?q=苏州 工会 -广告\n",
        )
            .into_response();
    };
    match state
        .render(ALL, format, params.limit, Some(q), Doc::Search)
        .await
    {
        Ok(r) => respond(&headers, &r),
        Err(e) => {
            tracing::error!("cannot render a search: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "the database is not answering\n").into_response()
        }
    }
}
