//! Feed bytes as a server might send them → decode → parse → normalize →
//! near-duplicate fingerprint and LSH bands. Every stage is meant to be
//! infallible on hostile input: any panic, hang or blow-up is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = huiju::ingest::decode::decode(data, None, None);
    let feed = huiju::ingest::parse::parse(&decoded.text, chrono_tz::Asia::Shanghai);
    let url = url::Url::parse("https://fuzz.example/feed.xml").unwrap();
    let items = huiju::ingest::normalize::normalize(&feed, &url, &url);
    for it in &items {
        let fp = huiju::neardup::item_fingerprint(&it.title, it.content.as_deref(), it.summary.as_deref());
        let _ = huiju::neardup::bands(&fp);
    }
});
