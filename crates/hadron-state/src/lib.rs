//! The state engine of Hadron: what each IMAP session knows about its
//! selected mailbox, and when it may be told about changes.
//!
//! It has two layers (DESIGN.md §2, §4):
//!
//! - **The core** — [`snapshot`], [`flags`], [`update`], [`delivery`],
//!   [`message`] — is pure and synchronous: no SQL, no async, no I/O.
//! - **The session layer** on top — [`connector`], [`engine`],
//!   [`mailboxes`], [`session`] — drives the core for a server: it calls
//!   the embedder's [`connector::Connector`] (async), reads and writes the
//!   `hadron-store` database (blocking calls on tokio's blocking pool),
//!   and turns parsed `hadron-proto` commands into typed responses through
//!   a [`session::ResponseSink`]. It still knows nothing of sockets: the
//!   server crate owns connections, framing, TLS and encoding.
//!
//! # Code map
//!
//! - [`connector`]: the embedder boundary — the async `Connector` trait,
//!   the backend update stream with completion handles, and
//!   `LocalConnector` (the backend is the Hadron database; argon2
//!   passwords).
//! - [`engine`]: the shared `Engine` (connector + store + blobs + hub +
//!   per-mailbox write locks and deferred-deletion metadata); every
//!   mutation is *connector call → store commit → hub publish*.
//! - [`mailboxes`]: CREATE, DELETE, RENAME, SUBSCRIBE, LIST/LSUB and extended LIST
//!   (LIST-EXTENDED, LIST-STATUS), STATUS.
//! - [`session`]: one per connection; the IMAP states and a handler per
//!   command (FETCH in `session/fetch.rs`, message changes in
//!   `session/messages.rs`).
//! - [`search`]: SEARCH evaluation, pure over a snapshot and a
//!   `MessageSource`; the session answers SEARCH, UID SEARCH, ESEARCH
//!   result options and `$` in `session/search.rs`, reading the store
//!   through `session/search_source.rs`.
//! - [`sort`]: SORT ordering (RFC 5256: base subject, keys, comparison);
//!   the session answers SORT and UID SORT in `session/sort.rs`, from
//!   the mailbox's keys kept in memory by [`sort_index`].
//! - [`thread`]: THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256);
//!   the session answers THREAD and UID THREAD in `session/thread.rs`,
//!   from the mailbox's keys kept in memory by [`thread_index`].
//! - [`imap_url`]: IMAP URLs (RFC 5092) of messages and sections, which
//!   `session/catenate.rs` reads for CATENATE (RFC 4469).
//!
//! # Persistent state and session state
//!
//! The **persistent state** of a mailbox — its messages, UIDs and flags —
//! lives in the store (SQL). It is the truth, and it changes the moment a
//! command or the connector commits a change.
//!
//! The **session state** is what one client has been told. IMAP clients
//! address messages by sequence number (1..N in UID order), so a session
//! must keep seeing the mailbox as it last described it until the server
//! is allowed to tell it what changed: when another session expunges
//! message 3, this session's message 4 stays message 4 until it receives
//! `* 3 EXPUNGE`, which RFC 3501 §7.4.1 forbids during FETCH, STORE and
//! SEARCH. Each selected session therefore holds a
//! [`snapshot::Snapshot`]: the ordered (UID, flags, `\Recent`,
//! pending-expunge) list as *it* knows it, 9 bytes per message. Snapshots
//! live in memory only and are rebuilt at SELECT.
//!
//! # Where updates come from
//!
//! Every committed change — by any session, or arriving from the
//! connector — is published once as an [`update::Update`] (messages added,
//! flags changed, messages expunged, mailbox renamed or deleted,
//! UIDVALIDITY changed) to the [`update::Hub`]. The hub puts it, without
//! blocking, on the bounded queue of every session that has the mailbox
//! selected and wakes them through their [`update::Notify`] hook. A
//! session whose queue overflows is marked; it will be closed with a clear
//! `* BYE` rather than left silently wrong.
//!
//! # When they are delivered
//!
//! A session applies its queued updates to its snapshot only at points
//! where it may be told, in [`delivery::Selected::deliver`], given the
//! [`delivery::CommandContext`] of the command being answered:
//!
//! - NOOP, CHECK, EXPUNGE, MOVE, APPEND, STATUS and IDLE: everything, in
//!   order — `* n EXPUNGE` (descending), `* n EXISTS`, `* n RECENT`,
//!   `* n FETCH (FLAGS ...)`.
//! - FETCH, STORE, SEARCH, COPY: everything except expunges. A held
//!   expunge marks its messages *pending* (FETCH answers them from last
//!   known data), holds back every later addition so that EXISTS never
//!   overtakes it, and asks for `[EXPUNGEISSUED]` on the tagged OK.
//! - Between commands (not in IDLE): nothing is sent.
//! - Mailbox deleted or UIDVALIDITY changed: the session is closed
//!   ([`delivery::CloseReason`]); renamed: it keeps working.
//!
//! `\Recent` goes to exactly one session, chosen by the hub. A session's
//! own STORE is applied to its snapshot without being echoed; its command
//! writes its own FETCH responses after the delivered events.
//!
//! # Messages
//!
//! [`message`] turns a raw RFC 5322 message, once at ingest, into what IMAP
//! serves from it: ENVELOPE, BODY and BODYSTRUCTURE in wire form, decoded
//! header fields for SEARCH, and a part map from which any
//! `BODY[section]<partial>` is cut without re-parsing.
//!
//! # SEARCH
//!
//! [`search::search`] evaluates a SEARCH command's keys on a snapshot.
//! Flag, sequence-set and UID keys are answered from the snapshot alone;
//! size, date and `MODSEQ` keys read compact metadata in batches, and text
//! keys read decoded header fields and body text, from a
//! [`search::MessageSource`] — only for the messages still candidates
//! after the cheaper keys. Sessions evaluate inside `spawn_blocking` with a
//! source over the store (metadata in batches, FROM/TO/CC/SUBJECT from the
//! decoded columns stored at ingest, other headers and text from the
//! blob), after delivering updates with EXPUNGE held back.
//!
//! # Example
//!
//! Session A is in the middle of a FETCH when session B expunges a message
//! and appends another:
//!
//! ```
//! use hadron_state::delivery::{CommandContext, Selected};
//! use hadron_state::flags::FlagSet;
//! use hadron_state::snapshot::Snapshot;
//! use hadron_state::update::{AddedMessage, Hub, MailboxId, Update};
//!
//! let hub = Hub::new(1024);
//! let inbox = MailboxId(1);
//! let (a, b) = (hub.new_session_id(), hub.new_session_id());
//!
//! // SELECT: subscribe first, then read the mailbox (here: UIDs 1, 2, 3).
//! let sub_a = hub.subscribe(inbox, a, None);
//! let read = (1..=3).map(|uid| (uid, FlagSet::default()));
//! let mut session_a = Selected::new(a, Snapshot::from_messages(read).unwrap());
//! session_a.deliver(&sub_a, CommandContext::Select);
//!
//! // B expunges UID 2, then appends UID 4 (after committing to the store).
//! hub.publish(inbox, Update::MessagesExpunged { uids: vec![2], origin: Some(b), modseq: None });
//! let added = AddedMessage { uid: 4, flags: FlagSet::default() };
//! hub.publish(inbox, Update::MessagesAdded { messages: vec![added], recent_for: None, origin: Some(b), modseq: None });
//!
//! // A's FETCH ends: nothing may be said yet, but the tagged OK carries
//! // [EXPUNGEISSUED], and message 2 still answers from its last known data.
//! let d = session_a.deliver(&sub_a, CommandContext::Fetch);
//! assert!(d.events.is_empty());
//! assert!(d.expunge_issued);
//! assert!(session_a.snapshot().is_pending_expunge(2));
//!
//! // A's NOOP: the expunge, then the addition, in that order.
//! let d = session_a.deliver(&sub_a, CommandContext::Noop);
//! let lines: Vec<String> = d.events.iter().map(ToString::to_string).collect();
//! assert_eq!(lines, ["* 2 EXPUNGE", "* 3 EXISTS", "* 1 RECENT"]);
//! assert_eq!(session_a.snapshot().uids(), &[1, 3, 4]);
//! ```
#![forbid(unsafe_code)]

mod backend_updates;
pub mod connector;
pub mod delivery;
pub mod engine;
pub mod flags;
pub mod imap_url;
pub mod mailbox_events;
pub mod mailboxes;
pub mod message;
pub mod objectid;
pub mod search;
pub mod session;
pub mod snapshot;
pub mod sort;
pub mod sort_index;
pub mod thread;
pub mod thread_index;
mod tombstones;
mod uid_columns;
pub mod update;
