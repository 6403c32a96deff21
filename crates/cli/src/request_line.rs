//! The bridge's request line parser, kept free of the SDK and of I/O so it can be fuzzed
//! (fuzz/fuzz_targets/bridge_line.rs includes this file).

use pigeon_proto::error::code;
use pigeon_proto::ImError;
use serde_json::Value;

/// Parses one trimmed, non-blank request line `{"id", "method", "args"}` into its id, method
/// and positional arguments; an error carries the id to answer with (null when unknown).
pub fn parse_request_line(line: &str) -> Result<(Value, String, Vec<Value>), (Value, ImError)> {
    let malformed = |msg: String| (Value::Null, ImError::new(code::MALFORMED_REQUEST, msg));
    let req: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Err(malformed(format!("not a JSON request: {e}"))),
    };
    let Value::Object(mut obj) = req else {
        return Err(malformed(
            "a request is a JSON object {id, method, args}".into(),
        ));
    };
    let id = obj.remove("id").unwrap_or(Value::Null);
    let Some(method) = obj.get("method").and_then(Value::as_str).map(str::to_owned) else {
        let e = ImError::new(code::MALFORMED_REQUEST, "request has no method string");
        return Err((id, e));
    };
    let args = match obj.remove("args") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a,
        Some(_) => return Err((id, ImError::invalid("args must be an array"))),
    };
    Ok((id, method, args))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines() {
        let (id, m, a) =
            parse_request_line(r#"{"id":7,"method":"login","args":[1]}"#).expect("a valid line");
        assert_eq!((id, m.as_str(), a), (json!(7), "login", vec![json!(1)]));
        let (id, e) = parse_request_line(r#"{"id":"x"}"#).expect_err("no method");
        assert_eq!((id, e.code), (json!("x"), 400));
        let (_, e) = parse_request_line(r#"{"id":1,"method":"m","args":{}}"#).expect_err("args");
        assert_eq!(e.code, 2905);
        let deep = "[".repeat(100_000);
        let (id, e) = parse_request_line(&deep).expect_err("deep JSON is refused");
        assert_eq!((id, e.code), (Value::Null, 400));
        assert!(e.message.contains("recursion limit"), "{}", e.message);
        assert_eq!(parse_request_line("[]").expect_err("array").1.code, 400);
    }
}
