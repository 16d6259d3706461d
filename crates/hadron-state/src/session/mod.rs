//! One IMAP session (one client connection): the RFC 3501 states and a
//! handler per command, writing responses through a [`ResponseSink`].
//!
//! The server parses a command, calls [`Session::execute`], and encodes
//! what the sink received, in order. The session never does socket I/O.
//! Updates from other sessions reach the client only where RFC 3501
//! §7.4.1 allows: every handler that runs in the Selected state delivers
//! queued updates (through [`crate::delivery`]) with its command's context,
//! before its own responses.
//!
//! IDLE (RFC 2177): [`Session::execute`] answers `IDLE` with `+ idling`
//! (after delivering what is queued); the server then loops on
//! [`Session::wait_for_updates`] (selecting on the socket as well) and
//! [`Session::idle_poll`], which writes what arrived, until the client
//! sends `DONE`; [`Session::idle_done`] writes the tagged OK.
//!
//! ```no_run
//! # async fn f(engine: std::sync::Arc<hadron_state::engine::Engine>) {
//! use hadron_proto::parse::{self, ParseLimits};
//! use hadron_state::session::{Output, Session};
//! let mut session = Session::new(engine);
//! let mut out: Vec<Output> = Vec::new();
//! let cmd = parse::command(b"a LOGIN alice secret\r\n", &ParseLimits::default()).unwrap();
//! session.execute(cmd, &mut out).await;
//! # }
//! ```

mod catenate;
mod condstore;
mod contexts;
mod dispatch;
mod enable;
mod esearch;
mod fetch;
mod fetch_body;
mod list;
mod messages;
mod names;
mod notify;
mod output;
mod quota;
mod search;
mod search_source;
mod select;
mod sort;
mod thread;

pub use self::enable::{ENABLEABLE, Enabled};
pub use self::output::{Output, ResponseSink};

use std::sync::Arc;

use hadron_proto::types::{
    Capability, Code, Command, CommandBody, Data, Flag, FlagPerm, Response, StatusKind, Tag,
};
use hadron_store::MailboxInfo;

use self::dispatch::refusal;
use self::output::{data, event, resp_text, tagged, untagged_ok};
use crate::connector::ConnectorError;
use crate::delivery::{CloseReason, CommandContext, Selected, Untagged};
use crate::engine::{Account, Engine, EngineError};
use crate::flags::FlagSet;
use crate::snapshot::Snapshot;
use crate::update::{SessionId, Subscription};

/// The IMAP connection states (RFC 3501 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Before LOGIN.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected,
    /// LOGOUT done, or closed with `* BYE`: the server closes the
    /// connection.
    Logout,
}

/// The selected mailbox of a session.
struct SelectedMailbox {
    info: MailboxInfo,
    read_only: bool,
    subscription: Subscription,
    selected: Selected,
    /// How many of the snapshot's defined keywords the client was told of
    /// in a `FLAGS` response; see [`SelectedMailbox::announce_keywords`].
    announced: usize,
    /// The saved search result `$` (RFC 5182) as UIDs; `None` until a
    /// `SEARCH RETURN (SAVE)` in this selection.
    saved: Option<Vec<u32>>,
    /// Per-message MODSEQ values told beyond the snapshot (CONDSTORE); see
    /// [`condstore::ToldModseqs`].
    told: condstore::ToldModseqs,
    /// The updating searches (RFC 5267) in this selection.
    contexts: contexts::Contexts,
}

impl SelectedMailbox {
    /// Sends `* FLAGS` and `* OK [PERMANENTFLAGS]` when the snapshot has
    /// gained keywords since the client was last told: RFC 3501 §7.2.6
    /// wants the defined flags announced before any response uses them
    /// (another session's `STORE +FLAGS ($New)`, an APPEND with a new
    /// keyword). Called before every batch of delivered events.
    fn announce_keywords(&mut self, out: &mut dyn ResponseSink) {
        let defined = self.selected.snapshot().defined_keywords().len();
        if defined > self.announced {
            self.announced = defined;
            for o in flag_responses(self.selected.snapshot(), self.read_only) {
                out.send(o);
            }
        }
    }
}

/// `* FLAGS (...)` and `* OK [PERMANENTFLAGS (...)]` for a snapshot: the
/// system flags and every defined keyword; a read-write mailbox also
/// lets clients create keywords (`\*`), a read-only one changes nothing.
fn flag_responses(snap: &Snapshot, read_only: bool) -> [Output; 2] {
    let flags: Vec<Flag<'static>> = [
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ]
    .into_iter()
    .chain(snap.defined_keywords().iter().cloned())
    .collect();
    let permanent: Vec<FlagPerm<'static>> = if read_only {
        Vec::new()
    } else {
        flags
            .iter()
            .cloned()
            .map(FlagPerm::Flag)
            .chain([FlagPerm::Asterisk])
            .collect()
    };
    let text = if read_only {
        "no permanent flags"
    } else {
        "limited"
    };
    [
        data(Data::Flags(flags)),
        untagged_ok(Some(Code::PermanentFlags(permanent)), text),
    ]
}

/// One client's session; see the [module docs](self).
pub struct Session {
    engine: Arc<Engine>,
    id: SessionId,
    account: Option<Account>,
    mailbox: Option<SelectedMailbox>,
    logged_out: bool,
    idling: Option<Tag<'static>>,
    wake: Arc<tokio::sync::Notify>,
    /// What the client turned on with ENABLE (RFC 5161).
    enabled: Enabled,
    /// The largest message APPEND accepts, as the server limits literals
    /// (RFC 7889 `APPENDLIMIT`); `None` when the embedder sets none.
    append_limit: Option<u64>,
    /// The host names by which absolute IMAP URLs may name this server
    /// (CATENATE, RFC 4469; [`Session::with_url_hosts`]).
    url_hosts: Vec<String>,
    /// What NOTIFY (RFC 5465) asked for; `None` without it.
    notify: Option<notify::NotifyState>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// The `NO` (with a response code where one fits) for an engine error.
fn no_for(tag: &Tag<'_>, e: &EngineError) -> Output {
    if let EngineError::Store(store) = e
        && store.is_out_of_space()
    {
        // As Dovecot answers it: clients show OVERQUOTA to the user as
        // "no room", and freeing space (expunging) is what helps.
        return tagged(
            tag,
            StatusKind::No,
            Some(Code::OverQuota),
            "not enough disk space on the server".to_owned(),
        );
    }
    let code = match e {
        EngineError::Connector(ConnectorError::AuthenticationFailed) => {
            Some(Code::AuthenticationFailed)
        }
        EngineError::Connector(ConnectorError::Unavailable(_)) => Some(Code::Unavailable),
        EngineError::NoSuchMailbox(_) => Some(Code::NonExistent),
        EngineError::MailboxExists(_) => Some(Code::AlreadyExists),
        EngineError::InboxNotDeletable | EngineError::RenameIntoItself(_) => Some(Code::Cannot),
        EngineError::Store(hadron_store::StoreError::TooManyKeywords(_)) => Some(Code::Limit),
        EngineError::Internal(_) => Some(Code::ServerBug),
        EngineError::OverQuota(_) => Some(Code::OverQuota),
        _ => None,
    };
    tagged(tag, StatusKind::No, code, e.to_string())
}

impl Drop for Session {
    /// A session dropped while selected (its connection closed without
    /// LOGOUT) leaves its mailbox, so the messages kept for it (deferred
    /// deletion) are not kept forever.
    fn drop(&mut self) {
        self.leave();
    }
}

impl Session {
    /// A new session in the Not Authenticated state.
    pub fn new(engine: Arc<Engine>) -> Session {
        let id = engine.hub().new_session_id();
        Session {
            engine,
            id,
            account: None,
            mailbox: None,
            logged_out: false,
            idling: None,
            wake: Arc::new(tokio::sync::Notify::new()),
            enabled: Enabled::default(),
            append_limit: None,
            url_hosts: Vec::new(),
            notify: None,
        }
    }

    /// Tells the session the largest message the server accepts in an
    /// APPEND (its literal limit), which the `APPENDLIMIT` STATUS item
    /// reports (RFC 7889 §3; the server advertises the `APPENDLIMIT=`
    /// capability itself).
    pub fn with_append_limit(mut self, limit: Option<u64>) -> Session {
        self.append_limit = limit;
        self
    }

    /// This session's id in the hub.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The current state.
    pub fn state(&self) -> State {
        if self.logged_out {
            State::Logout
        } else if self.mailbox.is_some() {
            State::Selected
        } else if self.account.is_some() {
            State::Authenticated
        } else {
            State::NotAuthenticated
        }
    }

    /// The logged-in account.
    pub fn account(&self) -> Option<&Account> {
        self.account.as_ref()
    }

    /// The selected mailbox's current name and whether it is read-only.
    pub fn selected_mailbox(&self) -> Option<(&str, bool)> {
        self.mailbox
            .as_ref()
            .map(|m| (m.info.name.as_str(), m.read_only))
    }

    /// The selected mailbox's snapshot (what this client has been told).
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.mailbox.as_ref().map(|m| m.selected.snapshot())
    }

    /// The extensions the client has turned on with ENABLE (see
    /// [`Enabled`]).
    pub fn enabled(&self) -> &Enabled {
        &self.enabled
    }

    /// The capabilities this engine implements (the server adds its own,
    /// such as STARTTLS). UNAUTHENTICATE (RFC 8437) is implemented by
    /// [`Session::execute`] but not listed: RFC 8437 §8 wants servers able
    /// to turn it off, and it must not be offered under a layer it cannot
    /// end, so the server advertises it.
    pub fn capabilities() -> Vec<Capability<'static>> {
        [
            "IMAP4rev1",
            "IDLE",
            "UNSELECT",
            "UIDPLUS",
            "MULTIAPPEND",
            "MOVE",
            "CHILDREN",
            "LIST-EXTENDED",
            "LIST-STATUS",
            "SPECIAL-USE",
            "CREATE-SPECIAL-USE",
            "STATUS=SIZE",
            "NAMESPACE",
            "ESEARCH",
            "SEARCHRES",
            "ENABLE",
            "CONDSTORE",
            "QRESYNC",
            "OBJECTID",
            "SAVEDATE",
            "PREVIEW",
            "SORT",
            "SORT=DISPLAY",
            "ESORT",
            "PARTIAL",
            "CONTEXT=SEARCH",
            "CONTEXT=SORT",
            "WITHIN",
            "QUOTA",
            "QUOTA=RES-STORAGE",
            "QUOTA=RES-MESSAGE",
            "BINARY",
            "CATENATE",
            "NOTIFY",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain(thread::ALGORITHMS.map(|a| format!("THREAD={a}")))
        .filter_map(|c| hadron_proto::types::Atom::try_from(c).ok())
        .map(|a| Capability::from_atom(a).into_static())
        .collect()
    }

    /// Waits until an update is queued for the selected mailbox (IDLE).
    /// Returns at once if one is already waiting.
    pub async fn wait_for_updates(&self) {
        if self
            .mailbox
            .as_ref()
            .is_some_and(|m| m.subscription.pending() > 0)
            || self.notifications_pending()
        {
            return;
        }
        self.wake.notified().await;
    }

    /// During IDLE: writes every queued update at once (RFC 2177).
    pub fn idle_poll(&mut self, out: &mut dyn ResponseSink) {
        self.deliver(CommandContext::Idle, out);
    }

    /// Whether an IDLE is in progress (waiting for `DONE`).
    pub fn is_idling(&self) -> bool {
        self.idling.is_some()
    }

    /// The client sent `DONE`: delivers what is left and ends the IDLE
    /// command with its tagged OK. Does nothing when not idling.
    pub fn idle_done(&mut self, out: &mut dyn ResponseSink) {
        if let Some(tag) = self.idling.take() {
            let issued = self.deliver(CommandContext::Idle, out);
            self.ok(&tag, issued, "IDLE terminated", out);
        }
    }

    /// Executes one command, writing its untagged responses and its tagged
    /// status to `out`.
    pub async fn execute(&mut self, command: Command<'_>, out: &mut dyn ResponseSink) {
        let Command { tag, body } = command.into_static();
        if self.logged_out {
            out.send(tagged(&tag, StatusKind::Bad, None, "logged out"));
            return;
        }
        let state = self.state();
        let authenticated = state != State::NotAuthenticated;
        let selected = state == State::Selected;
        if authenticated && let Some(refusal) = names::refuse_raw(&tag, &body) {
            if matches!(
                body,
                CommandBody::Select { .. } | CommandBody::Examine { .. }
            ) {
                // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
                self.leave();
            }
            return out.send(refusal);
        }
        if self
            .mailbox
            .as_ref()
            .is_some_and(|m| !m.contexts.is_empty())
        {
            // Updating searches report what the command changed before its
            // tagged response (RFC 5267 §4.3).
            let mut held = HoldTagged {
                inner: out,
                tagged: None,
            };
            self.run(&tag, body, state, selected, &mut held).await;
            self.refresh_contexts(&mut held).await;
            if let Some(t) = held.tagged.take() {
                held.inner.send(t);
            }
            return;
        }
        self.run(&tag, body, state, selected, out).await;
    }

    /// Runs a command in `state` (`selected`: a mailbox is selected).
    async fn run(
        &mut self,
        tag: &Tag<'static>,
        body: CommandBody<'static>,
        state: State,
        selected: bool,
        out: &mut dyn ResponseSink,
    ) {
        let Some(body) = self.any_state(tag, body, selected, out).await else {
            return;
        };
        let unhandled = match state {
            State::NotAuthenticated => self.not_authenticated(tag, body, out).await,
            State::Authenticated => self.authenticated(tag, body, out).await,
            State::Selected => match self.selected(tag, body, out).await {
                Some(body) => self.authenticated(tag, body, out).await,
                None => None,
            },
            // Answered above ("logged out").
            State::Logout => Some(body),
        };
        if let Some(body) = unhandled {
            out.send(refusal(tag, state, &body));
        }
    }

    fn acct(&self) -> &Account {
        // Only called in handlers guarded by `authenticated`.
        self.account
            .as_ref()
            .unwrap_or_else(|| unreachable!("handler guarded by the Authenticated state"))
    }

    fn finish(
        &mut self,
        tag: &Tag<'_>,
        r: Result<(), EngineError>,
        ok: &str,
        out: &mut dyn ResponseSink,
    ) {
        match r {
            Ok(()) => out.send(tagged(tag, StatusKind::Ok, None, ok)),
            Err(e) => out.send(no_for(tag, &e)),
        }
    }

    /// NOOP / CHECK: catch up with other instances, deliver everything,
    /// then OK.
    async fn poll(
        &mut self,
        tag: &Tag<'_>,
        context: CommandContext,
        ok: &str,
        out: &mut dyn ResponseSink,
    ) {
        self.catch_up().await;
        let issued = self.deliver(context, out);
        self.ok(tag, issued, ok, out);
    }

    /// Publishes what other processes (other instances, administration
    /// commands) committed to the selected mailbox and this instance has
    /// not yet heard of, so
    /// that what the session delivers next reports it under the usual
    /// rules. The commands clients poll with (NOOP, CHECK, IDLE) do it
    /// first; a server calls it before [`Session::idle_done`] too. Other
    /// commands report what the change feed delivered by then (tens of
    /// milliseconds behind), so that they never wait for the mailbox's
    /// writers. A failed read only delays that to the feed's next wake-up.
    pub async fn catch_up(&self) {
        let Some(id) = self.mailbox.as_ref().map(|m| m.info.id) else {
            return;
        };
        if let Err(e) = self.engine.catch_up_if_behind(id).await {
            tracing::warn!(mailbox = id.0, error = %e, "reading other instances' changes failed");
        }
    }

    /// The tagged OK, with `[EXPUNGEISSUED]` when delivery asked for it; or
    /// nothing if delivery closed the session (`* BYE` was sent).
    fn ok(&mut self, tag: &Tag<'_>, expunge_issued: bool, s: &str, out: &mut dyn ResponseSink) {
        if self.logged_out {
            return;
        }
        self.tell_held_modseq(out);
        let code = expunge_issued.then_some(Code::ExpungeIssued);
        out.send(tagged(tag, StatusKind::Ok, code, s));
    }

    /// The tagged OK of a command that expunged (EXPUNGE, MOVE): with
    /// QRESYNC on and nothing held back, it carries the HIGHESTMODSEQ after
    /// the expunge; otherwise as [`Session::ok`].
    fn ok_after_expunge(
        &mut self,
        tag: &Tag<'_>,
        expunge_issued: bool,
        s: &str,
        out: &mut dyn ResponseSink,
    ) {
        if self.qresync()
            && !expunge_issued
            && !self.logged_out
            && let Some(modseq) = self.session_modseq()
        {
            let code = Code::HighestModSeq(modseq);
            return out.send(tagged(tag, StatusKind::Ok, Some(code), s));
        }
        self.ok(tag, expunge_issued, s, out);
    }

    /// Applies queued updates as `context` allows and writes the events.
    /// Returns whether the tagged OK needs `[EXPUNGEISSUED]`. A close
    /// reason ends the session with `* BYE`.
    fn deliver(&mut self, context: CommandContext, out: &mut dyn ResponseSink) -> bool {
        let condstore = self.condstore();
        let Some(m) = self.mailbox.as_mut() else {
            return false;
        };
        let epoch = self.engine.expunge_epoch(m.info.id);
        // Updating searches (RFC 5267) report expunges numbered as before.
        let before = (!m.contexts.is_empty()).then(|| m.selected.snapshot().clone());
        let mut d = m.selected.deliver(&m.subscription, context);
        if d.close == Some(CloseReason::QueueOverflow) {
            m.contexts.mark_all();
            // Fell too far behind: catch up from the shared index when it
            // is still current, told under the usual rules; else `* BYE`.
            m.announce_keywords(out);
            for o in d.events.iter().filter_map(|e| event(e, condstore)) {
                out.send(o);
            }
            m.subscription.reset();
            if let Some(fresh) = self.engine.shared_index(m.info.id)
                && m.selected.resync(&fresh)
            {
                d = m.selected.deliver(&m.subscription, context);
            } else {
                d.events.clear();
            }
        }
        m.announce_keywords(out);
        let safe = m.selected.modseq();
        if safe >= m.selected.snapshot().modseq() {
            // Nothing held back: everything up to here has been told, and
            // whatever is held later comes after it.
            m.told.floor = m.told.floor.max(safe);
        }
        let mut removals = Vec::new();
        if let Some(before) = &before {
            let after = m.selected.snapshot();
            if d.events
                .iter()
                .any(|e| matches!(e, Untagged::Expunge(_) | Untagged::Vanished(_)))
            {
                removals = m.contexts.before_expunges(before, after);
            }
            let changed = d.events.iter().filter_map(|e| match e {
                Untagged::Fetch(f) => Some(f.uid),
                _ => None,
            });
            let arrived = after
                .uids()
                .iter()
                .rev()
                .take_while(|&&u| u > before.max_uid());
            m.contexts.mark(changed.chain(arrived.copied()));
        }
        m.told.start_delivery();
        for e in &d.events {
            if matches!(e, Untagged::Expunge(_) | Untagged::Vanished(_)) {
                // Numbered as the client numbers them before any EXPUNGE.
                for o in removals.drain(..) {
                    out.send(o);
                }
            }
            m.told.told_event(e);
            if let Some(o) = event(e, condstore) {
                out.send(o);
            }
        }
        if let Some(name) = d.renamed_to {
            m.info.name = name.as_str().to_owned();
        }
        if d.close.is_none() && m.selected.snapshot().pending_expunge_count() == 0 {
            self.engine.caught_up(m.info.id, self.id, epoch);
        }
        if let Some(reason) = d.close {
            out.send(Output::new(Response::Status(
                hadron_proto::types::Status::Bye(resp_text(None, reason.bye_text())),
            )));
            self.leave();
            self.logged_out = true;
        }
        d.expunge_issued
    }

    /// Leaves the selected mailbox (no responses); also when the session
    /// is dropped (the connection went away without LOGOUT).
    fn leave(&mut self) {
        if let Some(m) = self.mailbox.take() {
            let id = m.info.id;
            drop(m);
            self.engine.forget_session(id, self.id);
            self.engine.release(id);
        }
    }

    /// UNAUTHENTICATE (RFC 8437): back to the Not Authenticated state,
    /// keeping nothing of the user — the selected mailbox is left without
    /// expunging (as UNSELECT; other sessions see nothing), which also ends
    /// its saved search result `$` (RFC 5182), updating searches (RFC 5267)
    /// and per-message MODSEQ bookkeeping; ENABLEd extensions (CONDSTORE,
    /// QRESYNC) are off again; the session gets a fresh id in the hub. Quota
    /// is read per command from the account, so nothing of it stays. Never
    /// `NO` (RFC 8437 §3). What belongs to the connection (TLS, the
    /// per-user session count) is the server's to reset.
    fn unauthenticate(&mut self, tag: &Tag<'_>, out: &mut dyn ResponseSink) {
        self.leave();
        self.account = None;
        self.enabled = Enabled::default();
        self.idling = None;
        self.notify = None;
        self.id = self.engine.hub().new_session_id();
        out.send(tagged(
            tag,
            StatusKind::Ok,
            None,
            "UNAUTHENTICATE completed; not authenticated",
        ));
    }

    async fn logout(&mut self, tag: &Tag<'_>, out: &mut dyn ResponseSink) {
        self.leave();
        out.send(Output::new(Response::Status(
            hadron_proto::types::Status::Bye(resp_text(None, "logging out")),
        )));
        out.send(tagged(tag, StatusKind::Ok, None, "LOGOUT completed"));
        self.logged_out = true;
    }
}

/// The flags of a STORE/APPEND flag list as a [`FlagSet`] (`\Recent`
/// cannot be stored and is not in the list type).
pub(crate) fn flag_set(flags: &[Flag<'_>]) -> FlagSet {
    FlagSet::from_flags(flags.iter().cloned())
}

/// A sink that passes everything on but a tagged response, which it keeps
/// until the command's updating searches are brought up to date.
struct HoldTagged<'a> {
    inner: &'a mut dyn ResponseSink,
    tagged: Option<Output>,
}

impl ResponseSink for HoldTagged<'_> {
    fn send(&mut self, output: Output) {
        if matches!(
            output.response,
            Response::Status(hadron_proto::types::Status::Tagged { .. })
        ) {
            self.tagged = Some(output);
        } else {
            self.inner.send(output);
        }
    }

    fn flush(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.inner.flush()
    }
}
