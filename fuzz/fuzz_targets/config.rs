//! Config text → `Config::parse`. Besides not panicking, a rejected config
//! must keep the product's promise: a one-line message that starts with the
//! file name (`file:line:col: message`, or `file: message`).
#![no_main]

use libfuzzer_sys::fuzz_target;

const PATH: &str = "/fuzz/huiju.toml";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = huiju::config::Config::parse(text, std::path::Path::new(PATH)) {
        let msg = e.to_string();
        assert!(msg.starts_with(PATH), "error does not start with the file name: {msg:?}");
        assert!(!msg.contains('\n') && !msg.contains('\r'), "error is not one line: {msg:?}");
    }
});
