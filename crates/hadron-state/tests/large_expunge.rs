//! Issue 4: an expunge of 100,000 messages by one session reaches another
//! session as EXPUNGE responses whose sequence numbers, applied one by one
//! the way a client applies them, leave exactly the surviving messages.

mod common;

use std::sync::Arc;

use common::{Env, message};
use hadron_state::connector::{Connector, LocalConnector};
use hadron_store::{
    BlobStore, MessageMeta, NewMessage, PackBlobStore, SqliteSync, Store, StoreOptions,
    SystemFlags as StoreFlags,
};

/// Messages expunged.
const EXPUNGED: u32 = 100_000;
/// One message in this many is kept, so the expunged ones are not one run.
const KEEP_EVERY: u32 = 100;

/// Applies `* n EXPUNGE` lines to a client's list of UIDs; any other line
/// but the tagged OK fails.
fn replay(view: &mut Vec<u32>, out: &[String], tag: &str) {
    let (last, untagged) = out.split_last().expect("a tagged response");
    assert!(last.starts_with(&format!("{tag} OK ")), "{last}");
    for l in untagged {
        let n: usize = l
            .strip_prefix("* ")
            .and_then(|r| r.strip_suffix(" EXPUNGE"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected {l:?}"));
        assert!(n >= 1 && n <= view.len(), "* {n} EXPUNGE of {}", view.len());
        view.remove(n - 1);
    }
}

async fn run(env: Env, blobs: &dyn BlobStore) {
    let mut a = env.client("alice").await;
    let account = a.session.account().expect("logged in").id;
    let inbox = env
        .store
        .mailbox_by_name(account, "INBOX")
        .unwrap()
        .unwrap()
        .id;
    // Straight through the store, in large batches: one blob for all.
    let raw = message("bulk");
    let hash = blobs.put(raw.as_bytes()).unwrap();
    let total = EXPUNGED + EXPUNGED / (KEEP_EVERY - 1) + 1;
    let mut uids = Vec::with_capacity(total as usize);
    let mut survivors = Vec::new();
    let mut made = 0;
    while made < total {
        let batch: Vec<NewMessage> = (made..total.min(made + 20_000))
            .map(|i| NewMessage {
                meta: MessageMeta {
                    content_hash: hash.clone(),
                    size: raw.len() as u64,
                    ..MessageMeta::default()
                },
                flags: if i % KEEP_EVERY == 0 {
                    StoreFlags::EMPTY
                } else {
                    StoreFlags::DELETED
                },
                keywords: Vec::new(),
                sent_day: None,
                text: None,
                uid: None,
            })
            .collect();
        let store = env.store.clone();
        let done = tokio::task::spawn_blocking(move || store.append(inbox, batch))
            .await
            .unwrap()
            .unwrap();
        for (k, &uid) in done.uids.iter().enumerate() {
            if (made + k as u32).is_multiple_of(KEEP_EVERY) {
                survivors.push(uid);
            }
        }
        uids.extend(done.uids);
        made += 20_000;
    }
    assert_eq!(uids.len() as u32 - survivors.len() as u32, EXPUNGED);

    let mut b = env.client("alice").await;
    let r = a.run("s SELECT INBOX").await;
    assert!(r.contains(&format!("* {total} EXISTS")), "{:?}", &r[..3]);
    let r = b.run("s SELECT INBOX").await;
    assert!(r.contains(&format!("* {total} EXISTS")), "{:?}", &r[..3]);

    // A expunges; B, in the middle of a FETCH, is not told yet.
    let mut view_a = uids.clone();
    replay(&mut view_a, &a.run("e EXPUNGE").await, "e");
    assert_eq!(view_a, survivors);
    assert_eq!(
        b.run(&format!("f FETCH {total} UID")).await,
        [
            format!("* {total} FETCH (UID {})", uids[total as usize - 1]),
            "f OK [EXPUNGEISSUED] FETCH completed".to_owned(),
        ]
    );

    // B's NOOP: 100,000 EXPUNGEs, numbered so that applying them in order
    // leaves the survivors.
    let mut view_b = uids;
    let out = b.run("n NOOP").await;
    assert_eq!(out.len() as u32, EXPUNGED + 1);
    replay(&mut view_b, &out, "n");
    assert_eq!(view_b, survivors);
    let fetched: Vec<String> = b.run("g FETCH 1:* UID").await;
    let told: Vec<String> = survivors
        .iter()
        .enumerate()
        .map(|(i, u)| format!("* {} FETCH (UID {u})", i + 1))
        .chain(["g OK FETCH completed".to_owned()])
        .collect();
    assert_eq!(fetched, told);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expunging_100_000_messages_tells_another_session_the_right_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        sqlite_sync: SqliteSync::Normal,
        ..StoreOptions::default()
    };
    let store = Store::open_sqlite(&dir.path().join("h.db"), &options).unwrap();
    let blobs = Arc::new(PackBlobStore::open(dir.path().join("blobs")).unwrap());
    let connector: Arc<dyn Connector> = Arc::new(LocalConnector::new(store.clone()));
    let env = Env::with_connector(store, dir, None, connector, blobs.clone());
    run(env, &*blobs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expunging_100_000_messages_tells_another_session_the_right_numbers_postgres() {
    if let Some(env) = Env::postgres() {
        // Bodies are not read: any blob store will do for the one put.
        let dir = tempfile::tempdir().unwrap();
        let blobs = PackBlobStore::open(dir.path().join("blobs")).unwrap();
        run(env, &blobs).await;
    }
}
