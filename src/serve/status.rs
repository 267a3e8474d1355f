//! `GET /`: a plain HTML status page, readable on a phone, no JavaScript.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::AppState;
use crate::config::ALL;

pub(super) const STYLE: &str = "body{font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;\
margin:0 auto;max-width:60rem;padding:1rem;line-height:1.5;color:#222}\
table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{text-align:left;padding:.35rem .5rem;\
border-bottom:1px solid #ddd;vertical-align:top}td.url{word-break:break-all}.err{color:#b00020}\
.ok{color:#1b5e20}a{color:#0645ad}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}\
@media(max-width:40rem){th.opt,td.opt{display:none}}";

fn when(t: Option<DateTime<Utc>>, tz: Tz) -> String {
    t.map_or_else(
        || "—".to_string(),
        |t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
    )
}

use crate::store::human_size as size;

/// A duration as a person reads it: milliseconds below a second.
fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{s:.1} s")
    }
}

/// The database section: sizes, rows, and the daemon's last prune.
fn database(h: &mut String, s: &crate::store::Sizes, m: &crate::metrics::Metrics, tz: Tz) {
    let _ = write!(
        h,
        "<h2 id=\"database\">数据库 Database</h2><table>\
         <tr><th>文件 File</th><td>{}</td></tr><tr><th>预写日志 WAL</th><td>{}</td></tr>\
         <tr><th>搜索索引 Search index</th><td>{}</td></tr>\
         <tr><th>条目 Items</th><td>{}</td></tr><tr><th>墓碑 Tombstones</th><td>{}</td></tr>\
         <tr><th>指纹 Prints</th><td>{}</td></tr>",
        size(s.file),
        size(s.wal),
        size(s.search),
        s.items,
        s.tombstones,
        s.prints
    );
    let last = m.last_prune.get();
    if last > 0 {
        let _ = write!(
            h,
            "<tr><th>上次清理 Last prune</th><td>{}，用时 {}；清除 {} 条（自启动以来）</td></tr>",
            when(DateTime::from_timestamp(last, 0), tz),
            seconds(m.last_prune_seconds.get()),
            m.pruned_items.get()
        );
    }
    h.push_str("</table>");
}

/// The publish section: the folder, the last pass, and the last failure
/// while it lasts.
fn publish(h: &mut String, cfg: &crate::config::Config, m: &crate::metrics::Metrics, tz: Tz) {
    let Some(p) = &cfg.publish else { return };
    let _ = write!(
        h,
        "<h2 id=\"publish\">发布 Publish</h2><table><tr><th>目录 Folder</th><td class=\"url\">{}</td></tr>",
        text(&p.dir.display().to_string())
    );
    let last = m.last_publish.get();
    let _ = write!(
        h,
        "<tr><th>上次发布 Last pass</th><td>{}{}；写入 {} 个文件（自启动以来）</td></tr>",
        if last > 0 {
            when(DateTime::from_timestamp(last, 0), tz)
        } else {
            "尚未发布 not yet".to_string()
        },
        if last > 0 {
            format!("，用时 {}", seconds(m.last_publish_seconds.get()))
        } else {
            String::new()
        },
        m.published_files.get()
    );
    if m.publish_failing.get() > 0
        && let Some((at, e)) = m.publish_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    {
        let _ = write!(
            h,
            "<tr><th>状态 State</th><td class=\"err\">发布失败 Publish failed ×{} ({}): {}；稍后重试 retrying</td></tr>",
            m.publish_errors.get(),
            when(DateTime::from_timestamp(at, 0), tz),
            text(&e)
        );
    } else if last > 0 {
        h.push_str("<tr><th>状态 State</th><td class=\"ok\">正常 OK</td></tr>");
    }
    h.push_str("</table>");
}

pub(super) async fn page(State(state): State<Arc<AppState>>) -> Response {
    let cfg = state.config();
    let data = state.read(|s| Ok((s.status()?, s.sizes()?))).await;
    let (
        crate::store::Status {
            categories: counts,
            mut feeds,
        },
        sizes,
    ) = match data {
        Ok(d) => d,
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")).into_response(),
    };
    // Failing feeds first (each part still by URL): with thousands of
    // feeds, the few that need attention would be lost in the list.
    feeds.sort_by_key(|f| f.consecutive_errors == 0);
    let failing = feeds.iter().filter(|f| f.consecutive_errors > 0).count();
    let tz = cfg.fetch.timezone;
    let base = &cfg.server.base_url;
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>huiju 汇聚 · 状态</title><style>{STYLE}</style>\
         <link rel=\"alternate\" type=\"application/rss+xml\" title=\"全部\" href=\"{}/feeds/all.rss\"></head><body>\
         <h1>huiju 汇聚</h1><p>{} 个分类，{} 个订阅源{}。<a href=\"/opml\">OPML 订阅列表</a></p>\
         <form action=\"/search\" method=\"get\"><input type=\"search\" name=\"q\" size=\"30\" \
         aria-label=\"搜索\"> <button>搜索 Search</button></form>\
         <h2>分类 Categories</h2><table><tr><th>分类</th><th>条目</th><th>订阅</th></tr>",
        attr(base),
        cfg.categories.len(),
        cfg.feeds.len(),
        if failing > 0 {
            format!("，<a class=\"err\" href=\"#feeds\">{failing} 个出错</a>（列在最前）")
        } else {
            String::new()
        }
    );
    let all = (ALL.to_string(), "全部".to_string());
    for (id, title) in cfg
        .categories
        .iter()
        .map(|c| (c.id.clone(), c.title.clone()))
        .chain([all])
    {
        let _ = write!(
            h,
            "<tr><td>{} <small>({})</small></td><td>{}</td><td>\
             <a href=\"/feeds/{id}.rss\">RSS</a> · <a href=\"/feeds/{id}.atom\">Atom</a> · \
             <a href=\"/feeds/{id}.json\">JSON</a></td></tr>",
            text(&title),
            text(&id),
            counts.get(&id).copied().unwrap_or(0),
            id = attr(&id)
        );
    }
    h.push_str(
        "</table><h2 id=\"feeds\">订阅源 Feeds</h2><table><tr><th>订阅源</th><th class=\"opt\">条目</th><th>上次成功</th>\
         <th>状态</th><th class=\"opt\">下次抓取</th></tr>",
    );
    // Looked up by URL: a scan of the config per row made the page
    // quadratic (0.28 s at 15,000 feeds).
    let feed_categories: HashMap<&str, &[String]> = cfg
        .feeds
        .iter()
        .map(|c| (c.url.as_str(), c.categories.as_slice()))
        .collect();
    for f in &feeds {
        let categories = feed_categories
            .get(f.url.as_str())
            .map(|c| c.join(", "))
            .unwrap_or_default();
        let state_cell = match (&f.last_error, f.consecutive_errors) {
            (Some(e), n) if n > 0 && f.last_status == Some(410) => {
                format!("<span class=\"err\">已失效 Gone ×{n}: {}</span>", text(e))
            }
            (Some(e), n) if n > 0 => {
                format!("<span class=\"err\">错误 ×{n}: {}</span>", text(e))
            }
            _ if f.last_attempt.is_none() => "尚未抓取".to_string(),
            _ => format!(
                "<span class=\"ok\">正常</span> (HTTP {})",
                f.last_status.unwrap_or(200)
            ),
        };
        let _ = write!(
            h,
            "<tr><td class=\"url\">{}<br><small><a href=\"{}\">{}</a> · {}</small></td><td class=\"opt\">{}</td>\
             <td>{}</td><td>{}</td><td class=\"opt\">{}</td></tr>",
            text(f.title.as_deref().unwrap_or("")),
            attr(&f.url),
            text(&f.url),
            text(&categories),
            f.items,
            when(f.last_success, tz),
            state_cell,
            when(f.next_due.filter(|d| *d > Utc::now()), tz).replace('—', "下一个周期"),
        );
    }
    h.push_str("</table>");
    publish(&mut h, &cfg, &state.metrics, tz);
    database(&mut h, &sizes, &state.metrics, tz);
    h.push_str("</body></html>\n");
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], h).into_response()
}
