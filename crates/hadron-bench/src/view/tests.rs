//! The view's checks, fed crafted server responses.

use super::*;
use hadron_proto::parse::{self, ParseLimits};
use hadron_proto::types::StoreAction;

/// Feeds server lines (without CRLF) to the view.
fn feed(view: &mut MailboxView, lines: &[&str]) {
    for line in lines {
        let bytes = format!("{line}\r\n");
        let response = parse::response(bytes.as_bytes()).expect(line);
        view.observe(&response);
    }
}

fn command(text: &str) -> CommandBody<'static> {
    let bytes = format!("t {text}\r\n");
    let command = parse::command(bytes.as_bytes(), &ParseLimits::default()).expect(text);
    command.body.into_static()
}

/// A view after SELECT of three messages with UIDs 10, 20, 30.
fn selected() -> MailboxView {
    let mut view = MailboxView::new();
    view.begin(&command("SELECT INBOX"));
    feed(
        &mut view,
        &[
            "* FLAGS (\\Seen \\Deleted $Label1)",
            "* 3 EXISTS",
            "* 0 RECENT",
            "* OK [UIDVALIDITY 7] ok",
        ],
    );
    view.end(true);
    assert_eq!(view.unknown_uids(), Some((1, 3)));
    view.begin(&command("FETCH 1:* (UID FLAGS)"));
    feed(
        &mut view,
        &[
            "* 1 FETCH (UID 10 FLAGS (\\Seen \\Recent))",
            "* 2 FETCH (UID 20 FLAGS ())",
            "* 3 FETCH (UID 30 FLAGS ($label1))",
        ],
    );
    view.end(true);
    view
}

#[test]
fn a_correct_stream_yields_no_violation() {
    let mut view = selected();
    assert_eq!(view.unknown_uids(), None);
    view.begin(&command("STORE 2 +FLAGS (\\Seen $New)"));
    feed(
        &mut view,
        &[
            "* FLAGS (\\Seen \\Deleted $Label1 $New)",
            "* 2 FETCH (FLAGS (\\Seen $New \\Recent))",
        ],
    );
    view.end(true);
    view.begin(&command("NOOP"));
    feed(
        &mut view,
        &[
            "* 1 EXPUNGE",
            "* 3 EXISTS",
            "* 3 FETCH (UID 31 FLAGS (\\Seen))",
            "* 1 FETCH (FLAGS ())",
        ],
    );
    view.end(true);
    view.begin(&command("STORE 1:2 -FLAGS ($Label1)"));
    feed(&mut view, &["* 1 FETCH (FLAGS ())", "* 2 FETCH (FLAGS ())"]);
    view.end(true);
    view.begin(&command("STORE 3 FLAGS (\\Deleted)"));
    feed(&mut view, &["* 3 FETCH (FLAGS (\\Deleted \\Recent))"]);
    view.end(true);
    view.begin(&command("UID EXPUNGE 31"));
    feed(&mut view, &["* 3 EXPUNGE", "* 2 EXISTS"]);
    view.end(true);
    assert_eq!(view.take_violations(), Vec::new());
    assert_eq!(view.exists(), 2);
    assert_eq!((view.uid(1), view.uid(2)), (Some(20), Some(30)));
    assert_eq!(view.flags(1), Some(&FlagSet::new()));
    assert_eq!(
        view.snapshot(),
        Snapshot(vec![(20, Some(FlagSet::new())), (30, Some(FlagSet::new()))])
    );
}

#[test]
fn expunges_out_of_range_and_shrinking_exists_are_caught() {
    let mut view = selected();
    view.begin(&command("NOOP"));
    feed(&mut view, &["* 4 EXPUNGE"]);
    view.end(true);
    assert_eq!(
        view.take_violations(),
        vec![Violation::ExpungeOutOfRange { seq: 4, exists: 3 }]
    );
    assert_eq!(view.exists(), 3);
    feed(&mut view, &["* 2 EXPUNGE", "* 1 EXISTS"]);
    assert_eq!(
        view.take_violations(),
        vec![Violation::ExistsShrank { from: 2, to: 1 }]
    );
    assert_eq!(view.exists(), 1);
    assert!(view.take_violations().is_empty());
}

#[test]
fn expunge_while_answering_fetch_store_or_search_is_caught() {
    for cmd in [
        "FETCH 1 FLAGS",
        "STORE 1 +FLAGS.SILENT (\\Seen)",
        "SEARCH ALL",
    ] {
        let mut view = selected();
        view.begin(&command(cmd));
        feed(&mut view, &["* 1 EXPUNGE"]);
        view.end(true);
        let v = view.take_violations();
        assert!(
            matches!(v[..], [Violation::ExpungeDuringCommand { seq: 1, .. }]),
            "{cmd}: {v:?}"
        );
    }
    let mut view = selected();
    view.begin(&command("UID FETCH 1:* FLAGS"));
    feed(&mut view, &["* 1 EXPUNGE"]);
    view.end(true);
    assert!(view.take_violations().is_empty());
}

#[test]
fn fetch_beyond_exists_is_caught() {
    let mut view = selected();
    feed(&mut view, &["* 4 FETCH (FLAGS ())"]);
    assert_eq!(
        view.take_violations(),
        vec![Violation::FetchOutOfRange { seq: 4, exists: 3 }]
    );
}

#[test]
fn keywords_must_be_defined_by_the_last_flags() {
    let mut view = selected();
    feed(
        &mut view,
        &["* 1 FETCH (FLAGS (\\Seen $Label2 \\Answered))"],
    );
    let v = view.take_violations();
    assert_eq!(
        v,
        vec![Violation::UndefinedKeyword {
            seq: 1,
            keyword: "$label2".into()
        }]
    );
    assert!(v[0].to_string().contains("keyword used without FLAGS"));
    // A newer FLAGS without $Label1 makes it undefined too.
    feed(
        &mut view,
        &[
            "* FLAGS (\\Seen $Label2)",
            "* 2 FETCH (FLAGS ($LABEL2 $Label1))",
        ],
    );
    assert_eq!(
        view.take_violations(),
        vec![Violation::UndefinedKeyword {
            seq: 2,
            keyword: "$label1".into()
        }]
    );
}

#[test]
fn uids_must_ascend_and_stay() {
    let mut view = selected();
    feed(&mut view, &["* 2 FETCH (UID 5)"]);
    assert_eq!(
        view.take_violations(),
        vec![
            Violation::UidChanged {
                seq: 2,
                was: 20,
                now: 5
            },
            Violation::UidOrder {
                seq: 2,
                uid: 5,
                other_seq: 1,
                other_uid: 10
            }
        ]
    );
    let mut view = selected();
    feed(&mut view, &["* 4 EXISTS", "* 4 FETCH (UID 30)"]);
    assert_eq!(
        view.take_violations(),
        vec![Violation::UidOrder {
            seq: 4,
            uid: 30,
            other_seq: 3,
            other_uid: 30
        }]
    );
    // Unknown neighbours are skipped over to the nearest known one.
    let mut view = MailboxView::new();
    feed(
        &mut view,
        &["* 5 EXISTS", "* 1 FETCH (UID 3)", "* 4 FETCH (UID 2)"],
    );
    assert!(matches!(
        view.take_violations()[..],
        [Violation::UidOrder {
            seq: 4,
            other_seq: 1,
            ..
        }]
    ));
}

#[test]
fn store_results_must_show_the_change() {
    let cases = [
        ("STORE 1 +FLAGS (\\Flagged)", "(\\Seen)"),
        ("STORE 1 -FLAGS (\\Seen)", "(\\Seen)"),
        ("STORE 1 FLAGS (\\Draft)", "(\\Draft \\Seen)"),
        ("STORE 1 FLAGS ()", "(\\Seen)"),
    ];
    for (cmd, returned) in cases {
        let mut view = selected();
        view.begin(&command(cmd));
        feed(&mut view, &[&format!("* 1 FETCH (FLAGS {returned})")]);
        view.end(true);
        let v = view.take_violations();
        assert!(
            matches!(v[..], [Violation::StoreNotApplied { seq: 1, .. }]),
            "{cmd}: {v:?}"
        );
    }
    // \Recent is ignored; a refused STORE is not checked.
    let mut view = selected();
    view.begin(&command("STORE 1 FLAGS (\\Seen)"));
    feed(&mut view, &["* 1 FETCH (FLAGS (\\Recent \\Seen))"]);
    view.end(true);
    view.begin(&command("STORE 2 +FLAGS (\\Seen)"));
    feed(&mut view, &["* 2 FETCH (FLAGS ())"]);
    view.end(false);
    assert!(view.take_violations().is_empty());
    // Contested messages are not checked.
    view.begin(&command("STORE 1:2 +FLAGS (\\Flagged)"));
    feed(&mut view, &["* 1 FETCH (FLAGS ())", "* 2 FETCH (FLAGS ())"]);
    view.end_except(true, |seq| seq == 2);
    let v = view.take_violations();
    assert!(
        matches!(v[..], [Violation::StoreNotApplied { seq: 1, .. }]),
        "{v:?}"
    );
    // Among several FETCHes of one message, one showing the change is
    // enough (another session may change it right after).
    view.begin(&command("STORE 2 +FLAGS (\\Seen)"));
    feed(
        &mut view,
        &["* 2 FETCH (FLAGS (\\Seen))", "* 2 FETCH (FLAGS ())"],
    );
    view.end(true);
    assert!(view.take_violations().is_empty());
}

#[test]
fn silent_stores_make_flags_unknown() {
    let mut view = selected();
    view.begin(&CommandBody::Store {
        uid: true,
        set: "20".parse().unwrap(),
        unchanged_since: None,
        action: StoreAction {
            kind: StoreKind::Add,
            silent: true,
            flags: vec![Flag::Deleted],
        },
    });
    view.end(true);
    assert_eq!(view.flags(2), None);
    assert!(view.flags(1).is_some() && view.flags(3).is_some());
    assert_eq!(view.unknown_uids(), None);
    view.begin(&command("STORE 3 FLAGS.SILENT (\\Seen)"));
    view.end(true);
    assert_eq!(view.flags(3), None);
}

#[test]
fn snapshots_differ_by_uid_order_and_flags() {
    let set = |names: &[&str]| -> Option<FlagSet> {
        Some(names.iter().map(|s| (*s).to_owned()).collect())
    };
    let a = Snapshot(vec![(1, set(&["\\Seen"])), (2, set(&[])), (3, None)]);
    assert_eq!(a.diff(&a.clone()), None);
    // Unknown flags are not compared.
    let b = Snapshot(vec![(1, set(&["\\Seen"])), (2, set(&[])), (3, set(&["x"]))]);
    assert_eq!(a.diff(&b), None);
    let c = Snapshot(vec![(1, set(&[])), (2, set(&[])), (4, set(&[]))]);
    let d = a.diff(&c).unwrap();
    assert!(d.contains("lacks UIDs 3"), "{d}");
    assert!(d.contains("has extra UIDs 4"), "{d}");
    assert!(d.contains("UID 1 (\\Seen) vs ()"), "{d}");
    let e = Snapshot(vec![(2, set(&[])), (1, set(&["\\Seen"])), (3, None)]);
    assert!(a.diff(&e).unwrap().contains("another order"));
}
