//! UserSig: the public TLSSigAPIv2 scheme of Tencent Cloud IM.
//!
//! Implemented here so that clients, backends and tools written for that
//! ecosystem can sign users in to Pigeon with the sigs they already make.
//! A sig is a small JSON doc, zlib-compressed and base64-encoded with
//! `+/=` swapped for `*-_`, whose `TLS.sig` field is an HMAC-SHA256 (keyed
//! with the app's secret key) over the identity, app and validity fields.

use std::fmt::Write as _;
use std::io::{Read, Write as _};

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use hmac::digest::Digest as _;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Real sigs are a few hundred bytes; the cap keeps a zlib bomb from eating memory.
const MAX_DOC_BYTES: usize = 64 * 1024;

/// Base64 of anything that can inflate to at most `MAX_DOC_BYTES` (zlib never
/// expands input by more than a few bytes per 16 KiB), refused before decoding.
const MAX_SIG_CHARS: usize = MAX_DOC_BYTES / 3 * 4 + 1024;

/// Other implementations decode with Python's and Go's lax decoders, so
/// missing padding and stray trailing bits are accepted rather than refused.
const LAX_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Why a UserSig was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigError {
    /// Not base64/zlib/JSON, or fields missing (imError 70003).
    #[error("malformed UserSig: {0}")]
    Malformed(String),
    /// Signature does not match: wrong key or tampered (imError 70009).
    #[error("UserSig signature does not match")]
    BadSignature,
    /// Identifier in the sig is not the user logging in (imError 70013).
    #[error("UserSig is for user {found:?}, not {expected:?}")]
    UserMismatch {
        /// The user trying to log in.
        expected: String,
        /// The user the sig was made for.
        found: String,
    },
    /// SDKAppID in the sig is not this server's (imError 70014).
    #[error("UserSig is for SDKAppID {found}, not {expected}")]
    AppIdMismatch {
        /// This server's SDKAppID.
        expected: u64,
        /// The SDKAppID the sig was made for.
        found: u64,
    },
    /// The sig's lifetime is over: now >= time + expire (imError 70001).
    #[error("UserSig expired at unix time {expired_at}")]
    Expired {
        /// Unix second from which the sig was no longer valid.
        expired_at: u64,
    },
}

impl SigError {
    /// The imError code for this refusal.
    pub fn code(&self) -> u32 {
        match self {
            SigError::Malformed(_) => 70003,
            SigError::BadSignature => 70009,
            SigError::UserMismatch { .. } => 70013,
            SigError::AppIdMismatch { .. } => 70014,
            SigError::Expired { .. } => 70001,
        }
    }
}

/// What a valid UserSig says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigInfo {
    /// The user the sig was made for (`TLS.identifier`).
    pub user_id: String,
    /// The app the sig was made for (`TLS.sdkappid`).
    pub sdk_app_id: u64,
    /// Unix second the sig was made at (`TLS.time`).
    pub time: u64,
    /// Seconds of validity from `time` (`TLS.expire`).
    pub expire: u64,
}

impl SigInfo {
    /// Unix second at which the sig stops being valid.
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
}

/// Makes a UserSig the way TLSSigAPIv2 generators do.
pub fn generate(
    sdk_app_id: u64,
    secret_key: &str,
    user_id: &str,
    expire_secs: u64,
    now: u64,
) -> String {
    let sig = STANDARD.encode(
        signer(secret_key, user_id, sdk_app_id, now, expire_secs, None)
            .finalize()
            .into_bytes(),
    );
    // Same text as the reference generator's `json.dumps`, so the doc inside
    // is byte-identical to theirs and only the zlib stream may differ.
    let doc = format!(
        "{{\"TLS.ver\": \"2.0\", \"TLS.identifier\": {}, \"TLS.sdkappid\": {sdk_app_id}, \
         \"TLS.expire\": {expire_secs}, \"TLS.time\": {now}, \"TLS.sig\": \"{sig}\"}}",
        json_ascii_string(user_id)
    );
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail; should it ever, a truncated sig is
    // simply refused by every verifier, which is safer than panicking.
    let compressed = match encoder.write_all(doc.as_bytes()) {
        Ok(()) => encoder.finish().unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    to_sig_alphabet(&STANDARD.encode(compressed))
}

/// Checks a UserSig for this app, key and user at time `now` (unix seconds).
pub fn verify(
    user_sig: &str,
    sdk_app_id: u64,
    secret_key: &str,
    user_id: &str,
    now: u64,
) -> Result<SigInfo, SigError> {
    let doc = decode_doc(user_sig)?;
    let user_in_sig = str_field(&doc, "TLS.identifier")?;
    let app_in_sig = u64_field(&doc, "TLS.sdkappid")?;
    let time = u64_field(&doc, "TLS.time")?;
    let expire = u64_field(&doc, "TLS.expire")?;
    let sig_b64 = str_field(&doc, "TLS.sig")?;
    let userbuf = match doc.get("TLS.userbuf") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(malformed("TLS.userbuf is not a string")),
    };

    // A sig field that is not base64 cannot be a genuine signature, so it is
    // treated as tampering rather than as a malformed doc.
    let claimed = LAX_STANDARD
        .decode(sig_b64)
        .map_err(|_| SigError::BadSignature)?;
    signer(secret_key, user_in_sig, app_in_sig, time, expire, userbuf)
        .verify_slice(&claimed)
        .map_err(|_| SigError::BadSignature)?;

    if app_in_sig != sdk_app_id {
        return Err(SigError::AppIdMismatch {
            expected: sdk_app_id,
            found: app_in_sig,
        });
    }
    if user_in_sig != user_id {
        return Err(SigError::UserMismatch {
            expected: user_id.to_owned(),
            found: user_in_sig.to_owned(),
        });
    }
    let info = SigInfo {
        user_id: user_in_sig.to_owned(),
        sdk_app_id: app_in_sig,
        time,
        expire,
    };
    if now >= info.expires_at() {
        return Err(SigError::Expired {
            expired_at: info.expires_at(),
        });
    }
    Ok(info)
}

fn malformed(why: impl Into<String>) -> SigError {
    SigError::Malformed(why.into())
}

/// HMAC keyed with the secret key and fed the signed content; the content
/// layout must match the generators' character for character.
fn signer(
    secret_key: &str,
    user_id: &str,
    sdk_app_id: u64,
    time: u64,
    expire: u64,
    userbuf: Option<&str>,
) -> HmacSha256 {
    let mut content = format!(
        "TLS.identifier:{user_id}\nTLS.sdkappid:{sdk_app_id}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    if let Some(buf) = userbuf {
        content.push_str("TLS.userbuf:");
        content.push_str(buf);
        content.push('\n');
    }
    let mut mac = hmac_for_key(secret_key.as_bytes());
    mac.update(content.as_bytes());
    mac
}

/// Builds the HMAC from a full block-sized key, which is infallible, instead
/// of `new_from_slice`, whose `Result` would force an `expect` on the key.
/// Zero-padding (and hashing keys longer than a block) is exactly what HMAC
/// itself does to the key, so the MAC is unchanged.
fn hmac_for_key(key: &[u8]) -> HmacSha256 {
    let mut block = hmac::digest::Key::<HmacSha256>::default();
    if key.len() > block.len() {
        let hashed = Sha256::digest(key);
        block[..hashed.len()].copy_from_slice(&hashed);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    <HmacSha256 as Mac>::new(&block)
}

/// Undoes the URL-safe-ish encoding and the compression, with size caps so
/// that untrusted input cannot make us allocate much.
fn decode_doc(user_sig: &str) -> Result<Map<String, Value>, SigError> {
    let user_sig = user_sig.trim_ascii();
    if user_sig.is_empty() {
        return Err(malformed("empty"));
    }
    if user_sig.len() > MAX_SIG_CHARS {
        return Err(malformed(format!("longer than {MAX_SIG_CHARS} chars")));
    }
    let compressed = LAX_STANDARD
        .decode(from_sig_alphabet(user_sig))
        .map_err(|e| malformed(format!("not base64: {e}")))?;
    let mut doc = Vec::new();
    ZlibDecoder::new(compressed.as_slice())
        .take(MAX_DOC_BYTES as u64 + 1)
        .read_to_end(&mut doc)
        .map_err(|e| malformed(format!("not zlib: {e}")))?;
    if doc.len() > MAX_DOC_BYTES {
        return Err(malformed(format!(
            "inflates to more than {MAX_DOC_BYTES} bytes"
        )));
    }
    match serde_json::from_slice(&doc) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed("JSON is not an object")),
        Err(e) => Err(malformed(format!("not JSON: {e}"))),
    }
}

fn str_field<'a>(doc: &'a Map<String, Value>, name: &str) -> Result<&'a str, SigError> {
    match doc.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(malformed(format!("{name} is not a string"))),
        None => Err(malformed(format!("{name} missing"))),
    }
}

/// Generators disagree on whether numbers are JSON numbers or strings, and
/// real verifiers take both; only plain non-negative integers are accepted.
fn u64_field(doc: &Map<String, Value>, name: &str) -> Result<u64, SigError> {
    let parsed = match doc.get(name) {
        None => return Err(malformed(format!("{name} missing"))),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Some(_) => None,
    };
    parsed.ok_or_else(|| malformed(format!("{name} is not a non-negative integer")))
}

fn to_sig_alphabet(b64: &str) -> String {
    b64.chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            other => other,
        })
        .collect()
}

fn from_sig_alphabet(sig: &str) -> String {
    sig.chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            other => other,
        })
        .collect()
}

/// JSON string literal escaped like Python's `json.dumps` (`ensure_ascii`),
/// so generated docs match the reference generator's byte for byte.
fn json_ascii_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' | '\u{7f}' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vectors {
        vectors: Vec<Vector>,
    }

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Vector {
        #[serde(rename = "SDKAppID")]
        sdk_app_id: u64,
        secret_key: String,
        #[serde(rename = "userID")]
        user_id: String,
        expire: u64,
        time: u64,
        user_sig: String,
    }

    fn vectors() -> Vec<Vector> {
        let file: Vectors =
            serde_json::from_str(include_str!("../tests/data/usersig-vectors.json"))
                .expect("vector file parses");
        assert!(!file.vectors.is_empty());
        file.vectors
    }

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    fn compress_b64(raw: &[u8]) -> String {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(raw).unwrap();
        to_sig_alphabet(&STANDARD.encode(e.finish().unwrap()))
    }

    fn inflate(sig: &str) -> String {
        let bytes = STANDARD.decode(from_sig_alphabet(sig)).unwrap();
        let mut out = String::new();
        ZlibDecoder::new(bytes.as_slice())
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    /// Signs an arbitrary doc the way a generator would, for leniency tests.
    fn sign_doc(mut doc: Map<String, Value>, key: &str) -> String {
        let num = |v: &Value| match v {
            Value::Number(n) => n.as_u64().unwrap(),
            Value::String(s) => s.parse().unwrap(),
            _ => panic!(),
        };
        let mac = signer(
            key,
            doc["TLS.identifier"].as_str().unwrap(),
            num(&doc["TLS.sdkappid"]),
            num(&doc["TLS.time"]),
            num(&doc["TLS.expire"]),
            doc.get("TLS.userbuf").and_then(Value::as_str),
        );
        let sig = STANDARD.encode(mac.finalize().into_bytes());
        doc.insert("TLS.sig".into(), Value::String(sig));
        compress_b64(&serde_json::to_vec(&doc).unwrap())
    }

    #[test]
    fn vectors_verify_until_expiry() {
        for v in vectors() {
            let info = verify(
                &v.user_sig,
                v.sdk_app_id,
                &v.secret_key,
                &v.user_id,
                v.time + 1,
            )
            .unwrap_or_else(|e| panic!("{} refused: {e}", v.user_id));
            assert_eq!(
                info,
                SigInfo {
                    user_id: v.user_id.clone(),
                    sdk_app_id: v.sdk_app_id,
                    time: v.time,
                    expire: v.expire,
                }
            );
            assert_eq!(info.expires_at(), v.time + v.expire);
            // Valid up to and including the last second before expiry.
            let last = v.time + v.expire - 1;
            assert!(verify(&v.user_sig, v.sdk_app_id, &v.secret_key, &v.user_id, last).is_ok());
        }
    }

    #[test]
    fn vectors_refused_when_anything_differs() {
        for v in vectors() {
            let (sig, app, key, user) = (&v.user_sig, v.sdk_app_id, &v.secret_key, &v.user_id);
            let at = v.time + v.expire;
            assert_eq!(
                verify(sig, app, key, user, at),
                Err(SigError::Expired { expired_at: at })
            );
            let other_key = format!("{key}0");
            assert_eq!(
                verify(sig, app, &other_key, user, v.time + 1),
                Err(SigError::BadSignature)
            );
            assert_eq!(
                verify(sig, app + 1, key, user, v.time + 1),
                Err(SigError::AppIdMismatch {
                    expected: app + 1,
                    found: app
                })
            );
            assert_eq!(
                verify(sig, app, key, "mallory", v.time + 1),
                Err(SigError::UserMismatch {
                    expected: "mallory".into(),
                    found: user.clone()
                })
            );
        }
    }

    #[test]
    fn generated_sigs_for_vector_inputs_verify_and_match_reference_doc() {
        for v in vectors() {
            let ours = generate(v.sdk_app_id, &v.secret_key, &v.user_id, v.expire, v.time);
            verify(&ours, v.sdk_app_id, &v.secret_key, &v.user_id, v.time + 1).unwrap();
            // The JSON inside is byte-identical to the reference generator's.
            assert_eq!(inflate(&ours), inflate(&v.user_sig));
            eprintln!(
                "{}: sig byte-equal to vector: {}",
                v.user_id,
                ours == v.user_sig
            );
        }
    }

    #[test]
    fn round_trip() {
        for user in ["alice", "用户_7", "emoji😀\"q\\", ""] {
            let sig = generate(1400000000, KEY, user, 600, 1_000_000);
            let info = verify(&sig, 1400000000, KEY, user, 1_000_000).unwrap();
            assert_eq!(info.user_id, user);
            assert_eq!(info.expires_at(), 1_000_600);
            assert_eq!(
                verify(&sig, 1400000000, KEY, user, 1_000_600),
                Err(SigError::Expired {
                    expired_at: 1_000_600
                })
            );
        }
    }

    #[test]
    fn hmac_key_handling_matches_new_from_slice() {
        for len in [0, 1, 32, 63, 64, 65, 200] {
            let key = vec![0xa5u8; len];
            let mut ours = hmac_for_key(&key);
            let mut theirs = <HmacSha256 as hmac::digest::KeyInit>::new_from_slice(&key).unwrap();
            ours.update(b"content");
            theirs.update(b"content");
            assert_eq!(ours.finalize().into_bytes(), theirs.finalize().into_bytes());
        }
    }

    #[test]
    fn numbers_may_be_strings_and_userbuf_is_signed() {
        let mut doc = Map::new();
        doc.insert("TLS.ver".into(), "2.0".into());
        doc.insert("TLS.identifier".into(), "bob".into());
        doc.insert("TLS.sdkappid".into(), "1400000000".into());
        doc.insert("TLS.expire".into(), "86400".into());
        doc.insert("TLS.time".into(), 1_000_000u64.into());
        doc.insert("TLS.userbuf".into(), "YWJj".into());
        let sig = sign_doc(doc.clone(), KEY);
        let info = verify(&sig, 1400000000, KEY, "bob", 1_000_001).unwrap();
        assert_eq!(info.expire, 86400);

        // Changing the userbuf after signing must break the signature.
        let mut tampered = serde_json::from_str::<Map<String, Value>>(&inflate(&sig)).unwrap();
        tampered.insert("TLS.userbuf".into(), "eHl6".into());
        let tampered = compress_b64(&serde_json::to_vec(&tampered).unwrap());
        assert_eq!(
            verify(&tampered, 1400000000, KEY, "bob", 1_000_001),
            Err(SigError::BadSignature)
        );

        // Non-integer numbers are not accepted as times.
        for bad in [
            Value::from(-1),
            Value::from(1.5),
            Value::from("12a"),
            Value::from(""),
        ] {
            let mut d = doc.clone();
            d.insert("TLS.time".into(), bad);
            d.insert("TLS.sig".into(), "AAAA".into());
            let s = compress_b64(&serde_json::to_vec(&d).unwrap());
            assert!(matches!(
                verify(&s, 1400000000, KEY, "bob", 1_000_001),
                Err(SigError::Malformed(_))
            ));
        }
    }

    #[test]
    fn tampered_sig_is_bad_signature() {
        let sig = generate(1400000000, KEY, "alice", 600, 1_000_000);
        let doc = inflate(&sig).replace("\"TLS.expire\": 600", "\"TLS.expire\": 6000000");
        let tampered = compress_b64(doc.as_bytes());
        assert_eq!(
            verify(&tampered, 1400000000, KEY, "alice", 1_000_001),
            Err(SigError::BadSignature)
        );
        let doc = inflate(&sig).replace("\"TLS.sig\": \"", "\"TLS.sig\": \"!!");
        assert_eq!(
            verify(
                &compress_b64(doc.as_bytes()),
                1400000000,
                KEY,
                "alice",
                1_000_001
            ),
            Err(SigError::BadSignature)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let huge = "A".repeat(10 * 1024 * 1024);
        let bomb = {
            let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
            e.write_all(&vec![b' '; 8 * 1024 * 1024]).unwrap();
            to_sig_alphabet(&STANDARD.encode(e.finish().unwrap()))
        };
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let inputs: Vec<String> = vec![
            String::new(),
            "   \n".into(),
            "not base64 at all!".into(),
            "用户".into(),
            "\0\u{1}\u{2}".into(),
            "eJ".into(),
            to_sig_alphabet(&STANDARD.encode(b"definitely not zlib")),
            compress_b64(b"not json"),
            compress_b64(b"\xff\xfe"),
            compress_b64(b"[1,2,3]"),
            compress_b64(b"{}"),
            compress_b64(br#"{"TLS.identifier":"alice"}"#),
            compress_b64(
                br#"{"TLS.identifier":7,"TLS.sdkappid":1,"TLS.expire":1,"TLS.time":1,"TLS.sig":"x"}"#,
            ),
            compress_b64(
                br#"{"TLS.identifier":"a","TLS.sdkappid":1,"TLS.expire":1,"TLS.time":1}"#,
            ),
            compress_b64(
                br#"{"TLS.identifier":"a","TLS.sdkappid":1e30,"TLS.expire":1,"TLS.time":1,"TLS.sig":"x"}"#,
            ),
            compress_b64(
                br#"{"TLS.identifier":"a","TLS.sdkappid":1,"TLS.expire":1,"TLS.time":1,"TLS.sig":"x","TLS.userbuf":5}"#,
            ),
            compress_b64(deep.as_bytes()),
            huge,
            bomb,
        ];
        for input in &inputs {
            let got = verify(input, 1400000000, KEY, "alice", 1_000_000);
            let shown: String = input.chars().take(40).collect();
            match got {
                Err(e @ SigError::Malformed(_)) => assert_eq!(e.code(), 70003),
                other => panic!("{shown:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn codes() {
        assert_eq!(SigError::BadSignature.code(), 70009);
        assert_eq!(SigError::Expired { expired_at: 0 }.code(), 70001);
        let user = SigError::UserMismatch {
            expected: "a".into(),
            found: "b".into(),
        };
        assert_eq!(user.code(), 70013);
        let app = SigError::AppIdMismatch {
            expected: 1,
            found: 2,
        };
        assert_eq!(app.code(), 70014);
    }
}
