//! The seed's `chat` method names, exactly as spelled there (data/methods.txt): the bridge and the
//! Tauri command table are keyed by them, and coverage is measured against them.

/// The raw list, one name per line.
const METHODS_TXT: &str = include_str!("../data/methods.txt");

/// Every seed method name, in the seed's order.
pub fn seed_methods() -> impl Iterator<Item = &'static str> {
    METHODS_TXT.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// Whether `name` is one of the seed's method names.
pub fn is_seed_method(name: &str) -> bool {
    seed_methods().any(|m| m == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_139_distinct_methods() {
        let all: Vec<_> = seed_methods().collect();
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(all.len(), 139);
        assert_eq!(distinct.len(), 139);
        assert!(is_seed_method("sendMessage"));
        assert!(!is_seed_method("sendmessage"));
    }
}
