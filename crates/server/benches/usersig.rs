//! UserSig verification (`usersig::verify`): base64, zlib, JSON and an HMAC-SHA256.
//!
//! It runs on every WebSocket login, every REST API call (the admin's UserSig is in each
//! request's query) and every file upload or download signed with a UserSig, so its cost is
//! paid per request there, and a reconnect storm pays it once per client.
//!
//! - `usersig/verify_valid`: a sig as the TLSSigAPIv2 generators make it, accepted.
//! - `usersig/verify_bad_signature`: the same sig for another key, refused (all the decoding
//!   plus the HMAC: what a client retrying with a stale key costs).

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use pigeon_server::usersig;
use std::hint::black_box;
use std::time::Duration;

const SDK_APP_ID: u64 = 1_400_000_000;
/// The shape of the keys the server makes (`credentials`): 32 random bytes in hex.
const KEY: &str = "5f0c2a9e41d87b36c0e4a1f2b9d8c7e6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0";
const OTHER_KEY: &str = "0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6e7c8d9b2f1a4e0c63b78d14e9a2c0f5";
const USER: &str = "alice@example.com";
const NOW: u64 = 1_700_000_000;
/// 180 days, a common lifetime for app-issued sigs.
const EXPIRE: u64 = 180 * 24 * 3600;

fn verify(c: &mut Criterion) {
    let sig = usersig::generate(SDK_APP_ID, KEY, USER, EXPIRE, NOW);
    let mut g = c.benchmark_group("usersig");
    g.bench_function("verify_valid", |b| {
        b.iter(|| {
            usersig::verify(black_box(&sig), SDK_APP_ID, KEY, USER, NOW + 60).expect("valid sig")
        });
    });
    g.bench_function("verify_bad_signature", |b| {
        b.iter(|| {
            usersig::verify(black_box(&sig), SDK_APP_ID, OTHER_KEY, USER, NOW + 60)
                .expect_err("signed with another key")
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = verify
}
criterion_main!(benches);
