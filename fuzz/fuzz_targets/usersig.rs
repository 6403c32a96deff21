//! UserSig parsing and verification with arbitrary strings: never a panic, always one of the
//! UserSig codes; and a sig generated for a fuzzed userID verifies for exactly that user.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pigeon_server::usersig;

const APP: u64 = 1_400_000_001;
const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const NOW: u64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    // As a sig for a fixed user, and split into "user\nsig".
    if let Err(e) = usersig::verify(&s, APP, KEY, "alice", NOW) {
        assert!(
            [70001, 70003, 70009, 70013, 70014].contains(&e.code()),
            "{e}"
        );
    }
    let (user, sig) = s.split_once('\n').unwrap_or((&s, ""));
    if let Err(e) = usersig::verify(sig, APP, KEY, user, NOW) {
        assert!(
            [70001, 70003, 70009, 70013, 70014].contains(&e.code()),
            "{e}"
        );
    }
    let good = usersig::generate(APP, KEY, user, 86_400, NOW);
    let info = usersig::verify(&good, APP, KEY, user, NOW).expect("a generated sig verifies");
    assert_eq!(info.user_id, user);
    if user != "alice" {
        assert!(usersig::verify(&good, APP, KEY, "alice", NOW).is_err());
    }
});
