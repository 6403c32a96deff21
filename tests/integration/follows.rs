//! Follows: followUser/unfollowUser, the three paged follow lists, counts, follow types, the
//! checkFollowType rate limit, the follow events on every affected instance, and bad input.

use pigeon_tests::*;
use serde_json::{json, Value};

const FOLLOWERS: &str = "onMyFollowersListUpdated";
const FOLLOWING: &str = "onMyFollowingListUpdated";
const MUTUAL: &str = "onMutualFollowersListUpdated";

/// The userIDs of a follow event's `userInfoList` or a page's `resultList`.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list of users")
        .iter()
        .map(|u| u["userID"].as_str().expect("userID").to_owned())
        .collect()
}

/// Waits for follow event `name` about exactly `users` with `is_add`.
async fn expect_event(c: &mut Client, name: &str, users: &[&str], is_add: bool) {
    let data = c
        .wait_for(name, |d| {
            d["isAdd"] == json!(is_add) && ids(&d["userInfoList"]) == users
        })
        .await;
    for u in data["userInfoList"].as_array().expect("userInfoList") {
        assert_eq!(u["nick"], "", "profile fields are present: {u}");
        assert_eq!(u["avatar"], "", "profile fields are present: {u}");
    }
}

/// A whole follow list, page by page (`count` None: the server's 500 default).
async fn whole(c: &Client, method: &str, count: Option<u32>) -> (Vec<String>, usize) {
    let mut all = Vec::new();
    let mut pages = 0;
    let mut cursor = String::new();
    loop {
        let mut args = vec![json!(cursor)];
        if let Some(n) = count {
            args.push(json!(n));
        }
        let page = c.ok(method, args).await;
        pages += 1;
        let got = ids(&page["resultList"]);
        if let Some(n) = count {
            assert!(got.len() <= n as usize, "page over {n}: {}", got.len());
        }
        all.extend(got);
        cursor = page["nextCursor"]
            .as_str()
            .expect("nextCursor is a string")
            .to_owned();
        if cursor.is_empty() {
            return (all, pages);
        }
    }
}

/// The first page of a list with no cursor given.
async fn list(c: &Client, method: &str) -> Vec<String> {
    let page = c.ok(method, vec![]).await;
    assert_eq!(page["nextCursor"], "", "{method} fits one page");
    ids(&page["resultList"])
}

async fn counts(c: &Client, users: Option<&[&str]>) -> Vec<(String, u64, u64, u64)> {
    let args = users.map(|u| vec![json!(u)]).unwrap_or_default();
    let r = c.ok("getUserFollowInfo", args).await;
    r.as_array()
        .expect("getUserFollowInfo gives a list")
        .iter()
        .map(|i| {
            (
                i["userID"].as_str().expect("userID").to_owned(),
                i["followingCount"].as_u64().expect("followingCount"),
                i["followersCount"].as_u64().expect("followersCount"),
                i["mutualFollowersCount"]
                    .as_u64()
                    .expect("mutualFollowersCount"),
            )
        })
        .collect()
}

async fn types(c: &Client, users: &[&str]) -> Vec<(String, u64)> {
    let r = c.ok("checkFollowType", vec![json!(users)]).await;
    r.as_array()
        .expect("checkFollowType gives a list")
        .iter()
        .map(|i| {
            (
                i["userID"].as_str().expect("userID").to_owned(),
                i["followType"].as_u64().expect("followType"),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(u, t)| (u.to_string(), *t)).collect()
}

/// The error code of a call that must fail.
async fn code_of(c: &Client, method: &str, args: Vec<Value>) -> u32 {
    match c.call(method, args.clone()).await {
        Ok(v) => panic!("{} {method}({args:?}) succeeded: {v}", c.user),
        Err(e) => e.code,
    }
}

async fn second_instance(server: &Server, user: &str) -> Client {
    let mut c = Client::with(
        server,
        user,
        ClientOpts {
            url: server.url(),
            data_dir: None,
            platform: "desktop".into(),
        },
    );
    c.login_ready(server).await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_unfollow_lists_counts_types_and_events() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut alice2 = second_instance(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let mut carol = Client::login(&server, "carol").await;

    // alice follows bob and carol: one result per user, events on both sides.
    let r = alice.ok("followUser", vec![json!(["bob", "carol"])]).await;
    assert_eq!(
        r,
        json!([
            {"userID": "bob", "resultCode": 0, "resultInfo": ""},
            {"userID": "carol", "resultCode": 0, "resultInfo": ""},
        ])
    );
    expect_event(&mut alice, FOLLOWING, &["bob", "carol"], true).await;
    expect_event(&mut alice2, FOLLOWING, &["bob", "carol"], true).await;
    expect_event(&mut bob, FOLLOWERS, &["alice"], true).await;
    expect_event(&mut carol, FOLLOWERS, &["alice"], true).await;
    assert!(alice.events_named(MUTUAL).is_empty(), "nothing mutual yet");
    assert_eq!(
        list(&alice, "getMutualFollowersList").await,
        Vec::<String>::new()
    );

    // bob follows back: the follow becomes mutual for both.
    bob.ok("followUser", vec![json!(["alice"])]).await;
    expect_event(&mut bob, FOLLOWING, &["alice"], true).await;
    expect_event(&mut alice, FOLLOWERS, &["bob"], true).await;
    expect_event(&mut alice2, FOLLOWERS, &["bob"], true).await;
    expect_event(&mut alice, MUTUAL, &["bob"], true).await;
    expect_event(&mut alice2, MUTUAL, &["bob"], true).await;
    expect_event(&mut bob, MUTUAL, &["alice"], true).await;
    assert!(
        carol.events_named(MUTUAL).is_empty(),
        "carol is not involved"
    );

    // Lists, newest follow first; every item carries the profile fields.
    let page = alice.ok("getMyFollowingList", vec![]).await;
    assert_eq!(page["nextCursor"], "");
    assert_eq!(
        page["resultList"][0],
        json!({"userID": "carol", "nick": "", "avatar": ""})
    );
    assert_eq!(ids(&page["resultList"]), ["carol", "bob"]);
    assert_eq!(list(&alice2, "getMyFollowersList").await, ["bob"]);
    assert_eq!(list(&alice, "getMutualFollowersList").await, ["bob"]);
    assert_eq!(list(&bob, "getMyFollowingList").await, ["alice"]);
    assert_eq!(list(&bob, "getMyFollowersList").await, ["alice"]);
    assert_eq!(list(&bob, "getMutualFollowersList").await, ["alice"]);
    assert_eq!(list(&carol, "getMyFollowersList").await, ["alice"]);
    assert_eq!(
        list(&carol, "getMyFollowingList").await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(&carol, "getMutualFollowersList").await,
        Vec::<String>::new()
    );

    // Counts: own when no list is given, else per user in the order asked.
    assert_eq!(counts(&alice, None).await, [("alice".into(), 2, 1, 1)]);
    assert_eq!(
        counts(&carol, Some(&["bob", "carol", "nobody"])).await,
        [
            ("bob".into(), 1, 1, 1),
            ("carol".into(), 0, 1, 0),
            ("nobody".into(), 0, 0, 0)
        ]
    );

    // Follow types: 0 none, 1 they follow me, 2 I follow them, 3 mutual.
    assert_eq!(
        types(&alice, &["bob", "carol", "dave"]).await,
        pairs(&[("bob", 3), ("carol", 2), ("dave", 0)])
    );
    assert_eq!(
        types(&carol, &["alice", "bob"]).await,
        pairs(&[("alice", 1), ("bob", 0)])
    );
    assert_eq!(
        types(&bob, &["alice", "carol"]).await,
        pairs(&[("alice", 3), ("carol", 0)])
    );

    // Following someone already followed succeeds and changes nothing: no events. The next
    // real change (pushed after it, in order) shows nothing came before it.
    alice.clear();
    alice2.clear();
    bob.clear();
    let r = alice.ok("followUser", vec![json!(["bob", "bob"])]).await;
    assert_eq!(
        r,
        json!([{"userID": "bob", "resultCode": 0, "resultInfo": ""}]),
        "repeats count once"
    );
    alice2.ok("followUser", vec![json!(["dave"])]).await;
    expect_event(&mut alice, FOLLOWING, &["dave"], true).await;
    expect_event(&mut alice2, FOLLOWING, &["dave"], true).await;
    assert!(
        alice.events_named(FOLLOWING).is_empty(),
        "no event for a no-op follow"
    );
    assert!(alice.events_named(MUTUAL).is_empty());
    carol.ok("followUser", vec![json!(["bob"])]).await;
    expect_event(&mut bob, FOLLOWERS, &["carol"], true).await;
    assert!(
        bob.events_named(FOLLOWERS).is_empty(),
        "no event for a no-op follow"
    );
    expect_event(&mut carol, FOLLOWING, &["bob"], true).await;
    assert_eq!(types(&bob, &["carol"]).await, pairs(&[("carol", 1)]));

    // bob unfollows alice: the follow and the mutual end for both sides, both instances.
    let r = bob.ok("unfollowUser", vec![json!(["alice"])]).await;
    assert_eq!(
        r,
        json!([{"userID": "alice", "resultCode": 0, "resultInfo": ""}])
    );
    expect_event(&mut bob, FOLLOWING, &["alice"], false).await;
    expect_event(&mut bob, MUTUAL, &["alice"], false).await;
    expect_event(&mut alice, FOLLOWERS, &["bob"], false).await;
    expect_event(&mut alice2, FOLLOWERS, &["bob"], false).await;
    expect_event(&mut alice, MUTUAL, &["bob"], false).await;
    expect_event(&mut alice2, MUTUAL, &["bob"], false).await;
    assert_eq!(
        list(&alice, "getMyFollowersList").await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(&alice, "getMutualFollowersList").await,
        Vec::<String>::new()
    );
    assert_eq!(list(&bob, "getMyFollowingList").await, Vec::<String>::new());
    assert_eq!(types(&alice, &["bob"]).await, pairs(&[("bob", 2)]));
    assert_eq!(counts(&bob, None).await, [("bob".into(), 0, 2, 0)]);

    // alice unfollows carol and dave; dave is offline, carol hears it; no mutual ended.
    carol.clear();
    alice
        .ok("unfollowUser", vec![json!(["carol", "dave"])])
        .await;
    expect_event(&mut alice, FOLLOWING, &["carol", "dave"], false).await;
    expect_event(&mut alice2, FOLLOWING, &["carol", "dave"], false).await;
    expect_event(&mut carol, FOLLOWERS, &["alice"], false).await;
    assert!(alice.events_named(MUTUAL).is_empty());

    // Unfollowing someone not followed succeeds and changes nothing.
    carol.clear();
    alice.ok("unfollowUser", vec![json!(["carol"])]).await;
    bob.ok("followUser", vec![json!(["carol"])]).await;
    expect_event(&mut carol, FOLLOWERS, &["bob"], true).await;
    expect_event(&mut carol, MUTUAL, &["bob"], true).await;
    assert!(
        carol.events_named(FOLLOWERS).is_empty(),
        "no event for a no-op unfollow"
    );
    assert_eq!(list(&alice, "getMyFollowingList").await, ["bob"]);
    assert_eq!(counts(&alice2, None).await, [("alice".into(), 1, 0, 0)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_lists_page_and_following_limit() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;

    // 501 followings: the seed's 500-user page, then one more.
    let users: Vec<String> = (0..501).map(|i| format!("u{i:04}")).collect();
    for batch in users.chunks(20) {
        alice.ok("followUser", vec![json!(batch)]).await;
    }
    let first = alice.ok("getMyFollowingList", vec![]).await;
    assert_eq!(ids(&first["resultList"]).len(), 500);
    let cursor = first["nextCursor"].as_str().expect("nextCursor").to_owned();
    assert!(!cursor.is_empty(), "a second page follows");
    let second = alice.ok("getMyFollowingList", vec![json!(cursor)]).await;
    assert_eq!(ids(&second["resultList"]), ["u0000"], "oldest follow last");
    assert_eq!(second["nextCursor"], "");
    let (all, pages) = whole(&alice, "getMyFollowingList", Some(200)).await;
    assert_eq!(pages, 3);
    let mut expect = users.clone();
    expect.reverse();
    assert_eq!(all, expect, "every following once, newest first");
    assert_eq!(counts(&alice, None).await, [("alice".into(), 501, 0, 0)]);

    // Twelve users follow star, who follows seven of them back: pages of 5 and 3.
    let mut star = Client::login(&server, "star").await;
    let mut fans = Vec::new();
    for i in 0..12 {
        let fan = Client::login(&server, &format!("fan{i:02}")).await;
        fan.ok("followUser", vec![json!(["star"])]).await;
        fans.push(fan);
    }
    expect_event(&mut star, FOLLOWERS, &["fan11"], true).await;
    let (followers, pages) = whole(&star, "getMyFollowersList", Some(5)).await;
    assert_eq!(pages, 3);
    let expect: Vec<String> = (0..12).rev().map(|i| format!("fan{i:02}")).collect();
    assert_eq!(followers, expect);
    let back: Vec<String> = (0..7).map(|i| format!("fan{i:02}")).collect();
    star.ok("followUser", vec![json!(back)]).await;
    let back_refs: Vec<&str> = back.iter().map(String::as_str).collect();
    expect_event(&mut star, MUTUAL, &back_refs, true).await;
    expect_event(&mut fans[3], MUTUAL, &["star"], true).await;
    let (mutual, pages) = whole(&star, "getMutualFollowersList", Some(3)).await;
    assert_eq!(pages, 3);
    let mut expect = back.clone();
    expect.reverse();
    assert_eq!(mutual, expect);
    let (following, _) = whole(&star, "getMyFollowingList", Some(3)).await;
    assert_eq!(following, expect);
    let (fan_mutual, pages) = whole(&fans[3], "getMutualFollowersList", Some(1)).await;
    assert_eq!((fan_mutual, pages), (vec!["star".to_owned()], 1));
    assert_eq!(
        counts(&fans[0], Some(&["star"])).await,
        [("star".into(), 7, 12, 7)]
    );

    // The seed's 5000 followings per user: the batch that would pass it is refused whole.
    let more: Vec<String> = (501..5000).map(|i| format!("u{i:04}")).collect();
    for batch in more.chunks(20) {
        alice.ok("followUser", vec![json!(batch)]).await;
    }
    assert_eq!(counts(&alice, None).await, [("alice".into(), 5000, 0, 0)]);
    let over = code_of(&alice, "followUser", vec![json!(["star", "u0001"])]).await;
    assert_eq!(over, 30010);
    assert_eq!(counts(&alice, None).await, [("alice".into(), 5000, 0, 0)]);
    assert_eq!(types(&star, &["alice"]).await, pairs(&[("alice", 0)]));
    alice.ok("followUser", vec![json!(["u0001"])]).await;
    alice.ok("unfollowUser", vec![json!(["u0001"])]).await;
    alice.ok("followUser", vec![json!(["star"])]).await;
    expect_event(&mut star, FOLLOWERS, &["alice"], true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_follow_type_rate_limit() {
    let server = Server::start();
    let alice = Client::login(&server, "alice").await;
    let alice2 = second_instance(&server, "alice").await;
    let bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    bob.ok("followUser", vec![json!(["alice"])]).await;

    // 20 calls per 5 s per user; the 21st gets 2996 (a slow machine may need a few more).
    let mut ok = 0;
    let refused = loop {
        match alice.call("checkFollowType", vec![json!(["bob"])]).await {
            Ok(r) => {
                assert_eq!(r, json!([{"userID": "bob", "followType": 1}]));
                ok += 1;
                assert!(ok < 200, "checkFollowType was never limited");
            }
            Err(e) => break e,
        }
    };
    assert_eq!(refused.code, 2996, "{refused:?}");
    assert!(ok >= 20, "limited after only {ok} calls");
    // The limit is the user's, across instances; other users are not affected.
    assert_eq!(
        code_of(&alice2, "checkFollowType", vec![json!(["bob"])]).await,
        2996
    );
    for _ in 0..3 {
        assert_eq!(types(&carol, &["alice"]).await, pairs(&[("alice", 0)]));
    }
    assert_eq!(types(&bob, &["alice"]).await, pairs(&[("alice", 2)]));
    // Bad input is refused before it counts against the limit.
    assert_eq!(
        code_of(&alice, "checkFollowType", vec![json!([])]).await,
        10004
    );

    // Once the window has passed, calls go through again.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match alice.call("checkFollowType", vec![json!(["bob"])]).await {
            Ok(r) => {
                assert_eq!(r, json!([{"userID": "bob", "followType": 1}]));
                break;
            }
            Err(e) => {
                assert_eq!(e.code, 2996, "{e:?}");
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "checkFollowType stayed limited"
                );
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_follow_input_changes_nothing() {
    let server = Server::start();
    let mut alice = Client::login(&server, "alice").await;
    let mut bob = Client::login(&server, "bob").await;
    let carol = Client::login(&server, "carol").await;
    let twenty_one: Vec<String> = (0..21).map(|i| format!("x{i}")).collect();
    let long = "z".repeat(129);

    for method in ["followUser", "unfollowUser"] {
        // Wrong argument types: the SDK refuses them (2905).
        for args in [
            vec![],
            vec![json!("bob")],
            vec![json!({"userIDList": ["bob"]})],
            vec![json!([1])],
            vec![json!(["bob", null])],
        ] {
            assert_eq!(
                code_of(&alice, method, args.clone()).await,
                2905,
                "{method} {args:?}"
            );
        }
        // Bad values: the server refuses the whole batch (10004).
        for list in [
            json!([]),
            json!(["alice"]),
            json!(["bob", "alice"]),
            json!([""]),
            json!(["bob", long]),
            json!(["bob", "bad\u{1}id"]),
            json!(twenty_one),
        ] {
            assert_eq!(
                code_of(&alice, method, vec![list.clone()]).await,
                10004,
                "{method} {list}"
            );
        }
    }
    assert_eq!(counts(&alice, None).await, [("alice".into(), 0, 0, 0)]);
    assert_eq!(counts(&bob, None).await, [("bob".into(), 0, 0, 0)]);

    // Exactly 20 is allowed (carol's, so alice and bob see no events before the end).
    let twenty: Vec<String> = (0..20).map(|i| format!("x{i}")).collect();
    carol.ok("followUser", vec![json!(twenty)]).await;
    assert_eq!(counts(&carol, None).await, [("carol".into(), 20, 0, 0)]);
    carol.ok("unfollowUser", vec![json!(twenty)]).await;

    // checkFollowType: 1 to 100 users.
    let hundred: Vec<String> = (0..100).map(|i| format!("y{i}")).collect();
    let r = carol.ok("checkFollowType", vec![json!(hundred)]).await;
    assert_eq!(r.as_array().map(Vec::len), Some(100));
    let hundred_one: Vec<String> = (0..101).map(|i| format!("y{i}")).collect();
    assert_eq!(
        code_of(&carol, "checkFollowType", vec![json!(hundred_one)]).await,
        10004
    );
    assert_eq!(
        code_of(&carol, "checkFollowType", vec![json!([])]).await,
        10004
    );
    assert_eq!(
        code_of(&carol, "checkFollowType", vec![json!([""])]).await,
        10004
    );
    assert_eq!(
        code_of(&carol, "checkFollowType", vec![json!("bob")]).await,
        2905
    );
    assert_eq!(code_of(&carol, "checkFollowType", vec![]).await, 2905);

    // getUserFollowInfo: optional list (empty means oneself), at most 20.
    assert_eq!(counts(&carol, Some(&[])).await, [("carol".into(), 0, 0, 0)]);
    assert_eq!(
        code_of(&carol, "getUserFollowInfo", vec![json!(twenty_one)]).await,
        10004
    );
    assert_eq!(
        code_of(&carol, "getUserFollowInfo", vec![json!([long])]).await,
        10004
    );
    assert_eq!(
        code_of(&carol, "getUserFollowInfo", vec![json!("bob")]).await,
        2905
    );

    // The list methods: a cursor is a string this server gave; count 1 to 500.
    for method in [
        "getMyFollowersList",
        "getMyFollowingList",
        "getMutualFollowersList",
    ] {
        assert_eq!(
            code_of(&alice, method, vec![json!(5)]).await,
            2905,
            "{method}"
        );
        assert_eq!(
            code_of(&alice, method, vec![json!("garbage")]).await,
            10004,
            "{method}"
        );
        assert_eq!(
            code_of(&alice, method, vec![json!("-3")]).await,
            10004,
            "{method}"
        );
        assert_eq!(
            code_of(&alice, method, vec![json!(""), json!(0)]).await,
            2905
        );
        assert_eq!(
            code_of(&alice, method, vec![json!(""), json!("5")]).await,
            2905
        );
        assert_eq!(
            code_of(&alice, method, vec![json!(""), json!(501)]).await,
            10004
        );
        let page = alice.ok(method, vec![Value::Null, json!(500)]).await;
        assert_eq!(page, json!({"resultList": [], "nextCursor": ""}));
    }

    // None of the refused calls pushed anything: the first event is the next real follow.
    alice.ok("followUser", vec![json!(["bob"])]).await;
    expect_event(&mut alice, FOLLOWING, &["bob"], true).await;
    expect_event(&mut bob, FOLLOWERS, &["alice"], true).await;
    for c in [&mut alice, &mut bob] {
        for name in [FOLLOWING, FOLLOWERS, MUTUAL] {
            assert!(c.events_named(name).is_empty(), "{} got {name}", c.user);
        }
    }
}
