//! The bridge's request line parser (crates/cli/src/request_line.rs, included as is: the CLI
//! is a binary crate). Any line gets either a request or a clear error with code 400 or 2905.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/cli/src/request_line.rs"]
#[allow(dead_code)]
mod request_line;

fuzz_target!(|data: &[u8]| {
    // The bridge reads lines as bytes and decodes them lossily, as here.
    let line = String::from_utf8_lossy(data);
    let line = line.trim();
    if line.is_empty() {
        return;
    }
    match request_line::parse_request_line(line) {
        Ok((_id, method, _args)) => assert!(!method.is_empty() || line.contains("\"method\"")),
        Err((_id, e)) => assert!(e.code == 400 || e.code == 2905, "code {}", e.code),
    }
});
