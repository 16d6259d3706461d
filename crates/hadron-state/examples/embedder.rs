//! An embedder: Hadron in front of a mail backend of its own — here an
//! in-memory one — through the [`Connector`] trait and the backend update
//! stream.
//!
//! Run it with `cargo run -p hadron-state --example embedder`; the test
//! `tests/embedder.rs` runs the same scenario.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use hadron_proto::parse::{self, ParseLimits};
use hadron_state::connector::{
    Applied, BackendId, BackendUpdate, Connector, ConnectorError, FlagMode, IncomingMessage,
    OutgoingMessage, update_channel,
};
use hadron_state::engine::Engine;
use hadron_state::flags::{FlagSet, SystemFlags};
use hadron_state::session::{Output, Session};
use hadron_store::{FsBlobStore, Store, StoreOptions};

/// One message as the backend keeps it.
#[derive(Debug, Clone)]
struct StoredMail {
    id: BackendId,
    /// The UID Hadron gave it, once told.
    uid: Option<u32>,
    raw: Vec<u8>,
    flags: FlagSet,
}

#[derive(Debug, Default)]
struct Mem {
    mailboxes: BTreeMap<String, Vec<StoredMail>>,
    next_id: u64,
}

impl Mem {
    fn new_id(&mut self) -> BackendId {
        self.next_id += 1;
        BackendId(format!("m{}", self.next_id))
    }

    fn mailbox(&mut self, name: &str) -> Result<&mut Vec<StoredMail>, ConnectorError> {
        self.mailboxes
            .get_mut(name)
            .ok_or_else(|| ConnectorError::Refused(format!("backend has no mailbox {name:?}")))
    }
}

/// The in-memory backend: one user, mailboxes by name, messages with
/// backend ids. It refuses mailboxes whose names start with `Forbidden`.
#[derive(Debug)]
pub(crate) struct MemoryBackend {
    passwords: HashMap<String, String>,
    mem: Mutex<Mem>,
}

impl MemoryBackend {
    pub(crate) fn new() -> MemoryBackend {
        let mut mem = Mem::default();
        for name in ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"] {
            mem.mailboxes.insert(name.to_owned(), Vec::new());
        }
        MemoryBackend {
            passwords: HashMap::from([("alice".to_owned(), "secret".to_owned())]),
            mem: Mutex::new(mem),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Mem) -> T) -> T {
        f(&mut self.mem.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The raw message with `uid` in `mailbox`.
    pub(crate) fn raw(&self, mailbox: &str, uid: u32) -> Option<Vec<u8>> {
        self.with(|m| {
            m.mailboxes
                .get(mailbox)?
                .iter()
                .find(|s| s.uid == Some(uid))
                .map(|s| s.raw.clone())
        })
    }

    /// The backend's view of a mailbox: (UID, flags) of each message.
    pub(crate) fn contents(&self, mailbox: &str) -> Vec<(Option<u32>, FlagSet)> {
        self.with(|m| {
            m.mailboxes
                .get(mailbox)
                .map(|v| v.iter().map(|s| (s.uid, s.flags.clone())).collect())
                .unwrap_or_default()
        })
    }
}

#[async_trait]
impl Connector for MemoryBackend {
    async fn authenticate(&self, username: &str, password: &str) -> Result<(), ConnectorError> {
        match self.passwords.get(username) {
            Some(p) if p == password => Ok(()),
            _ => Err(ConnectorError::AuthenticationFailed),
        }
    }

    async fn create_mailbox(&self, _user: &str, name: &str) -> Result<BackendId, ConnectorError> {
        if name.starts_with("Forbidden") {
            return Err(ConnectorError::Refused(
                "the backend forbids that name".into(),
            ));
        }
        self.with(|m| m.mailboxes.insert(name.to_owned(), Vec::new()));
        Ok(BackendId(name.to_owned()))
    }

    async fn rename_mailbox(
        &self,
        _user: &str,
        from: &str,
        to: &str,
    ) -> Result<(), ConnectorError> {
        self.with(|m| {
            let prefix = format!("{from}/");
            let names: Vec<String> = m
                .mailboxes
                .keys()
                .filter(|n| *n == from || n.starts_with(&prefix))
                .cloned()
                .collect();
            for n in names {
                if let Some(v) = m.mailboxes.remove(&n) {
                    m.mailboxes.insert(format!("{to}{}", &n[from.len()..]), v);
                }
            }
        });
        Ok(())
    }

    async fn delete_mailbox(&self, _user: &str, name: &str) -> Result<(), ConnectorError> {
        self.with(|m| m.mailboxes.remove(name));
        Ok(())
    }

    async fn create_messages(
        &self,
        _user: &str,
        mailbox: &str,
        messages: &[OutgoingMessage<'_>],
    ) -> Result<Vec<BackendId>, ConnectorError> {
        self.with(|m| {
            let ids: Vec<BackendId> = messages.iter().map(|_| m.new_id()).collect();
            let v = m.mailbox(mailbox)?;
            for (msg, id) in messages.iter().zip(&ids) {
                v.push(StoredMail {
                    id: id.clone(),
                    uid: None,
                    raw: msg.raw.to_vec(),
                    flags: msg.flags.clone(),
                });
            }
            Ok(ids)
        })
    }

    async fn add_messages(
        &self,
        _user: &str,
        from: &str,
        uids: &[u32],
        to: &str,
    ) -> Result<Vec<BackendId>, ConnectorError> {
        self.with(|m| {
            let copies: Vec<StoredMail> = m
                .mailbox(from)?
                .iter()
                .filter(|s| s.uid.is_some_and(|u| uids.contains(&u)))
                .cloned()
                .collect();
            let mut ids = Vec::new();
            for mut c in copies {
                c.id = m.new_id();
                c.uid = None;
                ids.push(c.id.clone());
                m.mailbox(to)?.push(c);
            }
            Ok(ids)
        })
    }

    async fn remove_messages(
        &self,
        _user: &str,
        mailbox: &str,
        uids: &[u32],
    ) -> Result<(), ConnectorError> {
        self.with(|m| {
            m.mailbox(mailbox)?
                .retain(|s| !s.uid.is_some_and(|u| uids.contains(&u)));
            Ok(())
        })
    }

    async fn uids_assigned(&self, _user: &str, mailbox: &str, assigned: &[(BackendId, u32)]) {
        self.with(|m| {
            if let Ok(v) = m.mailbox(mailbox) {
                for s in v.iter_mut() {
                    if let Some((_, uid)) = assigned.iter().find(|(id, _)| *id == s.id) {
                        s.uid = Some(*uid);
                    }
                }
            }
        });
    }

    async fn set_flags(
        &self,
        _user: &str,
        mailbox: &str,
        uids: &[u32],
        mode: FlagMode,
        flags: &FlagSet,
    ) -> Result<(), ConnectorError> {
        self.with(|m| {
            for s in m.mailbox(mailbox)?.iter_mut() {
                if s.uid.is_some_and(|u| uids.contains(&u)) {
                    s.flags = match mode {
                        FlagMode::Add => s.flags.union(flags),
                        FlagMode::Remove => s.flags.difference(flags),
                        FlagMode::Replace => flags.clone(),
                    };
                }
            }
            Ok(())
        })
    }
}

/// Sends one command line and returns the response lines.
async fn run(session: &mut Session, line: &str) -> Vec<String> {
    let input = format!("{line}\r\n");
    let cmd = parse::command(input.as_bytes(), &ParseLimits::default()).expect("command parses");
    let mut out: Vec<Output> = Vec::new();
    session.execute(cmd, &mut out).await;
    out.iter()
        .map(|o| {
            let s = String::from_utf8_lossy(&o.to_bytes()).into_owned();
            s.trim_end().to_owned()
        })
        .collect()
}

/// The scenario: a client and the backend change the same account; each
/// side sees the other's changes.
pub(crate) async fn demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("cache.db").display());
    let store = Store::open(&url, &StoreOptions::default()).expect("store");
    let blobs = Arc::new(FsBlobStore::open(dir.path().join("blobs")).expect("blobs"));
    let backend = Arc::new(MemoryBackend::new());
    let engine = Engine::new(backend.clone(), store, blobs, 1024);

    // The backend's update stream, applied by the engine.
    let (updates, receiver) = update_channel(64);
    let applier = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run_backend_updates(receiver).await })
    };

    let mut client = Session::new(engine.clone());
    assert_eq!(
        run(&mut client, "a LOGIN alice wrong").await,
        ["a NO [AUTHENTICATIONFAILED] authentication failed"]
    );
    assert_eq!(
        run(&mut client, "b LOGIN alice secret").await,
        ["b OK LOGIN completed"]
    );

    // A refused CREATE changes nothing.
    assert_eq!(
        run(&mut client, "c CREATE Forbidden").await,
        ["c NO the backend forbids that name"]
    );
    assert_eq!(
        run(&mut client, "d LIST \"\" Forbidden").await,
        ["d OK LIST completed"]
    );

    // The client appends; the backend stores it and learns its UID.
    let raw = "Subject: from the client\r\n\r\nhi\r\n";
    let r = run(
        &mut client,
        &format!("e APPEND INBOX {{{}}}\r\n{raw}", raw.len()),
    )
    .await;
    assert!(r[0].starts_with("e OK [APPENDUID "), "{r:?}");
    assert_eq!(backend.contents("INBOX"), [(Some(1), FlagSet::default())]);
    assert_eq!(backend.raw("INBOX", 1).as_deref(), Some(raw.as_bytes()));
    run(&mut client, "f SELECT INBOX").await;

    // Mail arrives in the backend; the engine applies it and says so.
    let applied = updates
        .send(BackendUpdate::MessagesCreated {
            user: "alice".into(),
            mailbox: "INBOX".into(),
            messages: vec![IncomingMessage {
                raw: b"Subject: from the backend\r\n\r\nhello\r\n".to_vec(),
                flags: FlagSet::default(),
                internal_date: 0,
            }],
        })
        .await;
    assert_eq!(applied, Ok(Applied::Uids(vec![2])));
    assert_eq!(
        run(&mut client, "g NOOP").await,
        ["* 2 EXISTS", "* 2 RECENT", "g OK NOOP completed"]
    );

    // The client flags it; the backend sees the change.
    run(&mut client, "h STORE 1 +FLAGS.SILENT (\\Flagged)").await;
    assert_eq!(
        backend.contents("INBOX")[0].1,
        FlagSet::system(SystemFlags::FLAGGED)
    );

    // The backend reads the other one and deletes the first.
    let seen = FlagSet::system(SystemFlags::SEEN);
    let flags = BackendUpdate::FlagsChanged {
        user: "alice".into(),
        mailbox: "INBOX".into(),
        uid: 2,
        flags: seen,
    };
    assert_eq!(updates.send(flags).await, Ok(Applied::Done));
    let deleted = BackendUpdate::MessagesDeleted {
        user: "alice".into(),
        mailbox: "INBOX".into(),
        uids: vec![1],
    };
    assert_eq!(updates.send(deleted).await, Ok(Applied::Done));
    assert_eq!(
        updates.send(BackendUpdate::Barrier).await,
        Ok(Applied::Done)
    );
    assert_eq!(
        run(&mut client, "i FETCH 1:* (UID FLAGS)").await,
        [
            "* 2 FETCH (FLAGS (\\Seen \\Recent) UID 2)",
            "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))",
            "* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))",
            "i OK [EXPUNGEISSUED] FETCH completed",
        ]
    );
    assert_eq!(
        run(&mut client, "j NOOP").await,
        ["* 1 EXPUNGE", "j OK NOOP completed"]
    );

    drop(updates);
    applier
        .await
        .expect("the applier ends when the backend hangs up");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    demo().await;
    println!("embedder scenario passed");
}
