//! What imports need of the store, on SQLite and (with `HADRON_TEST_PG`) PostgreSQL: appends
//! that ask for UIDs, adopting a source's UIDVALIDITY, raising UIDNEXT, and listing content
//! hashes for a resumed import.

mod common;

use common::{check_counters, msg};
use hadron_store::{NewMessage, StoreError, SystemFlags};

fn with_uid(i: u32, uid: Option<u32>) -> NewMessage {
    NewMessage {
        uid,
        ..msg(i, SystemFlags::EMPTY, &[])
    }
}

both! {
    fn appends_keep_the_uids_asked_for(db) {
        let s = db.store();
        let u = s.create_user("imp", "x").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap();

        // Asked-for UIDs with gaps; a message without one takes the next after its
        // predecessor.
        let done = s
            .append(mb.id, vec![with_uid(1, Some(5)), with_uid(2, None), with_uid(3, Some(10))])
            .unwrap();
        assert_eq!(done.uids, vec![5, 6, 10]);
        let info = s.mailbox_status(mb.id).unwrap();
        assert_eq!((info.uidnext, info.messages), (11, 3));
        check_counters(s, mb.id);

        // Below UIDNEXT, or not ascending within one append: refused whole.
        for batch in [
            vec![with_uid(4, Some(10))],
            vec![with_uid(4, Some(20)), with_uid(5, Some(20))],
            vec![with_uid(4, Some(30)), with_uid(5, Some(12))],
        ] {
            assert!(matches!(s.append(mb.id, batch), Err(StoreError::InvalidInput(_))));
        }
        assert_eq!(s.mailbox_status(mb.id).unwrap().uidnext, 11);
        // The last UID there is cannot be asked for.
        assert!(matches!(
            s.append(mb.id, vec![with_uid(4, Some(u32::MAX))]),
            Err(StoreError::UidsExhausted(_))
        ));
        // Plain appends go on after the highest.
        assert_eq!(s.append(mb.id, vec![with_uid(4, None)]).unwrap().uids, vec![11]);
        check_counters(s, mb.id);
    }

    fn a_fresh_mailbox_adopts_a_uidvalidity(db) {
        let s = db.store();
        let u = s.create_user("imp", "x").unwrap();
        let fresh = s.create_mailbox(u, "Fresh", None).unwrap();
        let used = s.create_mailbox(u, "Used", None).unwrap();
        assert!(matches!(
            s.adopt_uid_validity(fresh.id, 0),
            Err(StoreError::InvalidInput(_))
        ));
        assert!(s.adopt_uid_validity(fresh.id, 1_234_567).unwrap());
        assert_eq!(s.mailbox_status(fresh.id).unwrap().uidvalidity, 1_234_567);
        // Again with the same value (a resumed import), even with messages now.
        s.append(fresh.id, vec![with_uid(1, Some(3))]).unwrap();
        assert!(s.adopt_uid_validity(fresh.id, 1_234_567).unwrap());
        // A mailbox that has given a UID keeps its UIDVALIDITY, even once empty again.
        s.append(used.id, vec![with_uid(1, None)]).unwrap();
        s.expunge(used.id, &hadron_store::UidSet::range(1, 1)).unwrap();
        assert!(!s.adopt_uid_validity(used.id, 7).unwrap());
        assert_eq!(s.mailbox_status(used.id).unwrap().uidvalidity, used.uidvalidity);
        assert!(!s.adopt_uid_validity(fresh.id, 7).unwrap());
    }

    fn uidnext_is_only_raised(db) {
        let s = db.store();
        let u = s.create_user("imp", "x").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap();
        assert_eq!(s.raise_uidnext(mb.id, 40).unwrap(), 40);
        assert_eq!(s.raise_uidnext(mb.id, 20).unwrap(), 40);
        assert_eq!(s.mailbox_status(mb.id).unwrap().uidnext, 40);
        assert!(matches!(s.raise_uidnext(mb.id, u32::MAX), Err(StoreError::UidsExhausted(_))));
        assert_eq!(s.append(mb.id, vec![with_uid(1, None)]).unwrap().uids, vec![40]);
        assert!(matches!(
            s.append(mb.id, vec![with_uid(2, Some(39))]),
            Err(StoreError::InvalidInput(_))
        ));
    }

    fn content_hashes_by_uid(db) {
        let s = db.store();
        let u = s.create_user("imp", "x").unwrap();
        let mb = s.create_mailbox(u, "INBOX", None).unwrap();
        let other = s.create_mailbox(u, "Other", None).unwrap();
        let msgs = vec![with_uid(7, None), with_uid(8, None), with_uid(7, None)];
        let hashes: Vec<String> = msgs.iter().map(|m| m.meta.content_hash.clone()).collect();
        s.append(mb.id, msgs).unwrap();
        s.append(other.id, vec![with_uid(9, None)]).unwrap();
        s.expunge(mb.id, &hadron_store::UidSet::range(2, 2)).unwrap();
        assert_eq!(
            s.content_hashes(mb.id).unwrap(),
            vec![(1, hashes[0].clone()), (3, hashes[2].clone())]
        );
        assert!(matches!(
            s.content_hashes(hadron_store::MailboxId(999_999)),
            Err(StoreError::UnknownMailbox(_))
        ));
    }
}

/// A completion may hold the last handle of the store and drop it on the SQLite writer
/// thread (a command-line import that ends while its last append commits): the store
/// closes without the writer trying to join itself.
#[test]
fn the_writer_thread_may_drop_the_last_handle() {
    let dir = tempfile::tempdir().unwrap();
    let store = hadron_store::Store::open_sqlite(
        &dir.path().join("db.sqlite"),
        &hadron_store::StoreOptions::default(),
    )
    .unwrap();
    let u = store.create_user("w", "x").unwrap();
    let mb = store.create_mailbox(u, "INBOX", None).unwrap();
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let (done, result) = std::sync::mpsc::channel::<bool>();
    let last = store.clone();
    store
        .append_then(mb.id, vec![with_uid(1, None)], move |r| {
            assert!(r.is_ok());
            // Wait until this closure holds the only handle, then drop it here.
            wait.recv().unwrap();
            let dropped =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(last)));
            done.send(dropped.is_ok()).unwrap();
        })
        .unwrap();
    drop(store);
    go.send(()).unwrap();
    assert!(
        result.recv().unwrap(),
        "dropping the last handle on the writer thread panicked"
    );
}
