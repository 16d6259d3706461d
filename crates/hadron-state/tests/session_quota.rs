//! QUOTA (RFC 9208) and the APPENDLIMIT STATUS item (RFC 7889) through a
//! session, against the store: GETQUOTAROOT and GETQUOTA as usage changes,
//! APPEND, MULTIAPPEND and COPY refused `NO [OVERQUOTA]` with nothing
//! changed, MOVE allowed at the limit, SETQUOTA refused; limits are set
//! through the engine as `hadron user quota` sets them.

mod common;

use common::{Client, Env, message};
use hadron_state::session::Session;
use hadron_store::QuotaLimits;

async fn limit(env: &Env, user: &str, storage_kib: Option<u64>, messages: Option<u64>) {
    let limits = QuotaLimits {
        storage_kib,
        messages,
    };
    env.engine.set_quota_limits(user, limits).await.unwrap();
}

async fn append(c: &mut Client, tag: &str, mailbox: &str, raw: &str) -> Vec<String> {
    c.append(tag, mailbox, "", raw).await
}

async fn messages_in(c: &mut Client, mailbox: &str) -> String {
    let r = c.run(&format!("s STATUS {mailbox} (MESSAGES)")).await;
    assert_eq!(r.len(), 2, "{r:?}");
    r[0].clone()
}

/// A message of exactly `size` bytes.
fn sized(size: usize) -> String {
    let head = "Subject: big\r\n\r\n";
    format!("{head}{}\r\n", "x".repeat(size - head.len() - 2))
}

both! {
    async fn getquotaroot_and_getquota_report_usage_as_it_changes(env) {
        let mut c = env.client("alice").await;
        // No limit: no quota root.
        assert_eq!(
            c.run("a GETQUOTAROOT INBOX").await,
            ["* QUOTAROOT INBOX", "a OK GETQUOTAROOT completed"]
        );
        let r = c.run("b GETQUOTA \"\"").await;
        assert!(r[0].starts_with("b NO [NONEXISTENT]"), "{r:?}");

        limit(&env, "alice", Some(10), Some(5)).await;
        // RFC 9208 §4.2: the roots, then each root's QUOTA.
        assert_eq!(
            c.run("c GETQUOTAROOT INBOX").await,
            [
                "* QUOTAROOT INBOX \"\"",
                "* QUOTA \"\" (STORAGE 0 10 MESSAGE 0 5)",
                "c OK GETQUOTAROOT completed"
            ]
        );
        let (m1, m2) = (message("one"), sized(1500));
        assert!(append(&mut c, "d", "INBOX", &m1).await[0].starts_with("d OK"));
        assert!(append(&mut c, "e", "INBOX", &m2).await[0].starts_with("e OK"));
        // STORAGE is the sum of RFC822.SIZE in KiB, rounded up.
        let kib = (m1.len() + m2.len()).div_ceil(1024);
        assert_eq!(
            c.run("f GETQUOTA \"\"").await,
            [
                format!("* QUOTA \"\" (STORAGE {kib} 10 MESSAGE 2 5)"),
                "f OK GETQUOTA completed".to_owned()
            ]
        );
        // Every mailbox of the user has the same root.
        let r = c.run("g GETQUOTAROOT Archive").await;
        assert_eq!(r[0], "* QUOTAROOT Archive \"\"");
        // COPY adds, EXPUNGE removes.
        c.run("h SELECT INBOX").await;
        assert!(c.run("i COPY 2 Archive").await.last().unwrap().starts_with("i OK"));
        let kib3 = (m1.len() + 2 * m2.len()).div_ceil(1024);
        assert_eq!(
            c.run("j GETQUOTA \"\"").await[0],
            format!("* QUOTA \"\" (STORAGE {kib3} 10 MESSAGE 3 5)")
        );
        c.run("k STORE 2 +FLAGS.SILENT (\\Deleted)").await;
        c.run("l EXPUNGE").await;
        let kib2 = (m1.len() + m2.len()).div_ceil(1024);
        assert_eq!(
            c.run("m GETQUOTA \"\"").await[0],
            format!("* QUOTA \"\" (STORAGE {kib2} 10 MESSAGE 2 5)")
        );
        // Only unlimited resources are left out.
        limit(&env, "alice", None, Some(5)).await;
        assert_eq!(c.run("n GETQUOTA \"\"").await[0], "* QUOTA \"\" (MESSAGE 2 5)");

        // Unknown roots and mailboxes are NO.
        let r = c.run("o GETQUOTA \"#user/alice\"").await;
        assert!(r[0].starts_with("o NO [NONEXISTENT]"), "{r:?}");
        let r = c.run("p GETQUOTAROOT Nowhere").await;
        assert!(r[0].starts_with("p NO [NONEXISTENT]"), "{r:?}");
        // Other users' limits are their own.
        let mut b = env.client("bob").await;
        assert_eq!(b.run("q GETQUOTAROOT INBOX").await[0], "* QUOTAROOT INBOX");
    }

    async fn append_and_multiappend_past_a_limit_change_nothing(env) {
        let mut c = env.client("alice").await;
        limit(&env, "alice", None, Some(2)).await;
        assert!(append(&mut c, "a", "INBOX", &message("1")).await[0].starts_with("a OK"));
        // MULTIAPPEND: all or nothing.
        let (x, y) = (message("x"), message("y"));
        let r = c
            .run(&format!(
                "b APPEND INBOX {{{}}}\r\n{x} {{{}}}\r\n{y}",
                x.len(),
                y.len()
            ))
            .await;
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].starts_with("b NO [OVERQUOTA]"), "{r:?}");
        assert_eq!(messages_in(&mut c, "INBOX").await, "* STATUS INBOX (MESSAGES 1)");
        assert!(append(&mut c, "c", "INBOX", &x).await[0].starts_with("c OK"));
        let r = append(&mut c, "d", "Sent", &y).await;
        assert!(r[0].starts_with("d NO [OVERQUOTA]"), "{r:?}");
        assert_eq!(messages_in(&mut c, "Sent").await, "* STATUS Sent (MESSAGES 0)");

        // STORAGE: 2 KiB; a 1,500-byte message fits, a second does not.
        limit(&env, "alice", Some(2), None).await;
        let used = 2 * x.len();
        let first = sized(1500);
        assert!(used + first.len() <= 2048);
        assert!(append(&mut c, "e", "INBOX", &first).await[0].starts_with("e OK"));
        let r = append(&mut c, "f", "INBOX", &sized(1500)).await;
        assert!(r[0].starts_with("f NO [OVERQUOTA]"), "{r:?}");
        assert_eq!(messages_in(&mut c, "INBOX").await, "* STATUS INBOX (MESSAGES 3)");

        // A limit lowered below the usage removes nothing; expunging
        // brings the user back under it.
        limit(&env, "alice", None, Some(1)).await;
        assert_eq!(messages_in(&mut c, "INBOX").await, "* STATUS INBOX (MESSAGES 3)");
        let r = append(&mut c, "g", "INBOX", &x).await;
        assert!(r[0].starts_with("g NO [OVERQUOTA]"), "{r:?}");
        c.run("h SELECT INBOX").await;
        c.run("i STORE 1:3 +FLAGS.SILENT (\\Deleted)").await;
        c.run("j EXPUNGE").await;
        assert!(append(&mut c, "k", "INBOX", &x).await.last().unwrap().starts_with("k OK"));
    }

    async fn copy_past_a_limit_is_refused_and_move_is_allowed_at_it(env) {
        let mut c = env.client("alice").await;
        for (i, tag) in ["a", "b"].into_iter().enumerate() {
            append(&mut c, tag, "INBOX", &message(&i.to_string())).await;
        }
        limit(&env, "alice", None, Some(3)).await;
        c.run("c SELECT INBOX").await;
        let r = c.run("d COPY 1:2 Archive").await;
        assert!(r.last().unwrap().starts_with("d NO [OVERQUOTA]"), "{r:?}");
        assert_eq!(messages_in(&mut c, "Archive").await, "* STATUS Archive (MESSAGES 0)");
        let r = c.run("e UID COPY 1 Archive").await;
        assert!(r.last().unwrap().starts_with("e OK"), "{r:?}");
        // At the limit: MOVE does not change the usage.
        let r = c.run("f MOVE 2 Archive").await;
        assert!(r.last().unwrap().starts_with("f OK"), "{r:?}");
        assert_eq!(messages_in(&mut c, "Archive").await, "* STATUS Archive (MESSAGES 2)");
        let r = c.run("g COPY 1 Trash").await;
        assert!(r.last().unwrap().starts_with("g NO [OVERQUOTA]"), "{r:?}");
        assert_eq!(messages_in(&mut c, "Trash").await, "* STATUS Trash (MESSAGES 0)");
        assert_eq!(
            c.run("h GETQUOTA \"\"").await[0],
            "* QUOTA \"\" (MESSAGE 3 3)"
        );
    }

    async fn setquota_is_refused_and_changes_nothing(env) {
        let mut c = env.client("alice").await;
        limit(&env, "alice", Some(10), None).await;
        let r = c.run("a SETQUOTA \"\" (STORAGE 100000 MESSAGE 100)").await;
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].starts_with("a NO [NOPERM]"), "{r:?}");
        assert_eq!(c.run("b GETQUOTA \"\"").await[0], "* QUOTA \"\" (STORAGE 0 10)");
        // Not before LOGIN.
        let mut anon = Client::new(env.engine.clone());
        let r = anon.run("c GETQUOTAROOT INBOX").await;
        assert!(r[0].starts_with("c BAD"), "{r:?}");
    }

    async fn status_appendlimit_is_the_server_limit_or_the_storage_left(env) {
        let mut c = env.client("alice").await;
        // Without a server limit or a quota: NIL.
        assert_eq!(
            c.run("a STATUS INBOX (APPENDLIMIT)").await,
            ["* STATUS INBOX (APPENDLIMIT NIL)", "a OK STATUS completed"]
        );
        let mut s = Client {
            session: Session::new(env.engine.clone()).with_append_limit(Some(5000)),
        };
        s.run("L LOGIN alice pw").await;
        assert_eq!(
            s.run("b STATUS INBOX (MESSAGES APPENDLIMIT)").await[0],
            "* STATUS INBOX (MESSAGES 0 APPENDLIMIT 5000)"
        );
        let m = message("x");
        append(&mut s, "c", "INBOX", &m).await;
        limit(&env, "alice", Some(2), None).await;
        let left = 2048 - m.len();
        assert_eq!(
            s.run("d STATUS INBOX (APPENDLIMIT)").await[0],
            format!("* STATUS INBOX (APPENDLIMIT {left})")
        );
        assert_eq!(
            c.run("e STATUS Archive (APPENDLIMIT)").await[0],
            format!("* STATUS Archive (APPENDLIMIT {left})")
        );
        // LIST-STATUS (RFC 5819) answers it too.
        assert_eq!(
            s.run("f LIST \"\" INBOX RETURN (STATUS (MESSAGES APPENDLIMIT))").await,
            [
                "* LIST (\\HasNoChildren) \"/\" INBOX".to_owned(),
                format!("* STATUS INBOX (MESSAGES 1 APPENDLIMIT {left})"),
                "f OK LIST completed".to_owned()
            ]
        );
        limit(&env, "alice", Some(100), None).await;
        assert_eq!(
            s.run("g STATUS INBOX (APPENDLIMIT)").await[0],
            "* STATUS INBOX (APPENDLIMIT 5000)"
        );
    }
}
