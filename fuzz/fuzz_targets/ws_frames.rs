//! The WebSocket frame decoder as the server runs it: arbitrary bytes from a client after the
//! upgrade, read by tungstenite (the codec under axum's `WebSocket`) with the server's frame and
//! message limits, each text message through `gateway::decode_request`. Nothing may panic and
//! no message over the limit may come out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pigeon_proto::wire::MAX_FRAME_BYTES;
use std::io::{Cursor, Read, Write};
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use tungstenite::Message;

/// The client's bytes to read; what the server writes back is dropped.
struct Peer(Cursor<Vec<u8>>);

impl Read for Peer {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Peer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let cfg = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let mut ws =
        WebSocket::from_raw_socket(Peer(Cursor::new(data.to_vec())), Role::Server, Some(cfg));
    // Each read consumes input or fails; the bound only guards against a decoder that loops.
    for _ in 0..data.len() + 2 {
        match ws.read() {
            Ok(Message::Text(t)) => {
                assert!(t.len() <= MAX_FRAME_BYTES);
                let _ = pigeon_server::gateway::decode_request(t.as_bytes());
            }
            Ok(Message::Binary(b)) => assert!(b.len() <= MAX_FRAME_BYTES),
            Ok(_) => {}
            Err(_) => break,
        }
    }
});
