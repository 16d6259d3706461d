//! What `mixed` and `imaptest` share: a connection that keeps its view of
//! the selected mailbox and checks every response against it, the
//! checkpoints where all clients' views must agree, and the joining of the
//! client tasks.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hadron_proto::types::{
    CommandBody, FetchAttribute, FetchItems, Flag, NonEmptyVec, Response, SequenceSet, Status,
    StoreAction, StoreKind,
};
use tokio::sync::Barrier;
use tokio::task::JoinHandle;

use super::{mailbox, range};
use crate::BenchError;
use crate::client::{Client, ErrorCounts, Reply};
use crate::stats::Histogram;
use crate::view::{MailboxView, Snapshot};

/// The `STORE`s of all clients of one mailbox, by UID: a client checks
/// that the flags its `STORE` returns show its change only where no other
/// client may have changed them meanwhile, since the server may return
/// those changes too.
#[derive(Debug, Default)]
pub(crate) struct StoreLog {
    uids: Mutex<HashMap<u32, Claims>>,
}

/// The `STORE`s on one message.
#[derive(Debug, Default, Clone, Copy)]
struct Claims {
    /// How many were sent.
    started: u64,
    /// How many are waiting for their completion.
    in_flight: u32,
    /// Whether one set `\Deleted`: the message may be expunged at any time.
    deleted: bool,
}

/// A `STORE` in flight: its messages (sequence number, UID if known) and
/// their claims when it was sent.
#[derive(Debug)]
struct Claim {
    targets: Vec<(u32, Option<(u32, Claims)>)>,
    deletes: bool,
}

impl StoreLog {
    fn start(&self, targets: Vec<(u32, Option<u32>)>, deletes: bool) -> Claim {
        let mut uids = self.uids.lock().expect("not poisoned");
        let targets = targets
            .into_iter()
            .map(|(seq, uid)| {
                let claimed = uid.map(|u| {
                    let claims = uids.entry(u).or_default();
                    let before = *claims;
                    claims.started += 1;
                    claims.in_flight += 1;
                    (u, before)
                });
                (seq, claimed)
            })
            .collect();
        Claim { targets, deletes }
    }

    /// The messages of `claim` that another `STORE` may have changed while
    /// it ran (or that may be expunged), by sequence number.
    fn finish(&self, claim: Claim) -> BTreeSet<u32> {
        let mut uids = self.uids.lock().expect("not poisoned");
        let mut contested = BTreeSet::new();
        for (seq, claimed) in claim.targets {
            let Some((uid, before)) = claimed else {
                contested.insert(seq);
                continue;
            };
            let claims = uids.entry(uid).or_default();
            if before.deleted || before.in_flight > 0 || claims.started > before.started + 1 {
                contested.insert(seq);
            }
            claims.in_flight = claims.in_flight.saturating_sub(1);
            claims.deleted |= claim.deletes;
        }
        contested
    }
}

/// A connection and its view of the selected mailbox: every untagged
/// response is checked against the view, and each contradiction counted
/// as a state error.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) client: Client,
    pub(crate) view: MailboxView,
    /// The `STORE`s of the other clients, when there are any.
    log: Option<Arc<StoreLog>>,
    /// State errors found so far.
    state: ErrorCounts,
}

impl Session {
    pub(crate) fn new(client: Client) -> Self {
        Session {
            client,
            view: MailboxView::new(),
            log: None,
            state: ErrorCounts::default(),
        }
    }

    /// The session of one of several clients whose `STORE`s go to `log`.
    pub(crate) fn shared(client: Client, log: &Arc<StoreLog>) -> Self {
        Session {
            log: Some(log.clone()),
            ..Session::new(client)
        }
    }

    /// Runs a command, feeding the view.
    pub(crate) async fn run(&mut self, body: CommandBody<'_>) -> Result<Reply, BenchError> {
        let claim = match (&self.log, &body) {
            (
                Some(log),
                CommandBody::Store {
                    uid, set, action, ..
                },
            ) => {
                let deletes =
                    action.kind != StoreKind::Remove && action.flags.contains(&Flag::Deleted);
                Some((log.clone(), log.start(self.targets(*uid, set), deletes)))
            }
            _ => None,
        };
        self.view.begin(&body);
        let view = &mut self.view;
        let reply = self.client.execute_with(body, |r| view.observe(r)).await;
        let contested = claim
            .map(|(log, claim)| log.finish(claim))
            .unwrap_or_default();
        let reply = reply?;
        self.view
            .end_except(reply.is_ok(), |seq| contested.contains(&seq));
        self.collect();
        Ok(reply)
    }

    /// The messages a `STORE` names: sequence numbers, and UIDs if known.
    fn targets(&self, uid: bool, set: &SequenceSet) -> Vec<(u32, Option<u32>)> {
        let exists = self.view.exists();
        if uid {
            let max = (1..=exists)
                .filter_map(|s| self.view.uid(s))
                .max()
                .unwrap_or(0);
            (1..=exists)
                .filter_map(|seq| {
                    let u = self.view.uid(seq)?;
                    set.contains(u, max).then_some((seq, Some(u)))
                })
                .collect()
        } else {
            set.iter_clipped(exists)
                .map(|seq| (seq, self.view.uid(seq)))
                .collect()
        }
    }

    /// Moves the view's violations into the counts.
    fn collect(&mut self) {
        for v in self.view.take_violations() {
            self.state.state_error(v);
        }
    }

    /// Counts a state error found outside the view.
    pub(crate) fn state_error(&mut self, what: impl std::fmt::Display) {
        self.state.state_error(what);
    }

    /// `SELECT name` with a fresh view (its UIDs are still to be learned,
    /// see [`Session::learn`]).
    pub(crate) async fn select(&mut self, name: &str) -> Result<Reply, BenchError> {
        self.view.reset();
        self.run(CommandBody::Select {
            mailbox: mailbox(name)?,
            params: Vec::new(),
        })
        .await
    }

    /// `FETCH a:b (UID FLAGS)` of the messages from the first whose UID is
    /// unknown (all of them after SELECT, the new ones after EXISTS grew);
    /// the time it took, or `None` when every UID is known.
    pub(crate) async fn learn(&mut self) -> Result<Option<Duration>, BenchError> {
        let Some((a, b)) = self.view.unknown_uids() else {
            return Ok(None);
        };
        let t = Instant::now();
        self.run(fetch(
            range(a, b),
            vec![FetchAttribute::Uid, FetchAttribute::Flags],
        ))
        .await?;
        Ok(Some(t.elapsed()))
    }

    /// `LOGOUT`, which must be answered with `BYE` first.
    pub(crate) async fn logout(&mut self) -> Result<Reply, BenchError> {
        let mut bye = false;
        let view = &mut self.view;
        let reply = self
            .client
            .execute_with(CommandBody::Logout, |r| {
                bye |= matches!(r, Response::Status(Status::Bye(_)));
                view.observe(r);
            })
            .await?;
        self.collect();
        if !bye {
            self.state.state_error("LOGOUT answered without BYE");
        }
        Ok(reply)
    }

    /// The failed commands and state errors of this connection.
    pub(crate) fn errors(&self) -> ErrorCounts {
        let mut all = self.client.errors();
        all.add(self.state.clone());
        all
    }
}

/// A `FETCH` by sequence number.
pub(crate) fn fetch(
    set: SequenceSet,
    attributes: Vec<FetchAttribute<'static>>,
) -> CommandBody<'static> {
    CommandBody::Fetch {
        uid: false,
        set,
        items: FetchItems::Attributes(NonEmptyVec::new(attributes).expect("not empty")),
        modifiers: Vec::new(),
    }
}

/// `[UID] STORE set ±FLAGS[.SILENT] (flags)`.
pub(crate) fn store(
    uid: bool,
    set: SequenceSet,
    kind: StoreKind,
    silent: bool,
    flags: Vec<Flag<'static>>,
) -> CommandBody<'static> {
    CommandBody::Store {
        uid,
        set,
        unchanged_since: None,
        action: StoreAction {
            kind,
            silent,
            flags,
        },
    }
}

/// What a client task hands back: its histograms and errors.
pub(crate) type Outcome = Result<(Vec<Histogram>, ErrorCounts), BenchError>;

/// Waits for every client task and merges their `ops` histograms (and
/// errors, into `errors`); the first failure, if any, after all ended.
pub(crate) async fn join(
    tasks: Vec<JoinHandle<Outcome>>,
    ops: usize,
    errors: &mut ErrorCounts,
) -> Result<Vec<Histogram>, BenchError> {
    let mut hists: Vec<Histogram> = (0..ops).map(|_| Histogram::new()).collect();
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok((h, e))) => {
                for (all, one) in hists.iter_mut().zip(&h) {
                    all.merge(one);
                }
                errors.add(e);
            }
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(e) => first_error = first_error.or(Some(BenchError::Protocol(e.to_string()))),
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(hists),
    }
}

/// How long a client waits for the others at a checkpoint.
const CHECKPOINT_TIMEOUT: Duration = Duration::from_secs(120);

/// Where every client stops until all have, drains pending updates with
/// two rounds of `NOOP`, and compares its view with the others': they must
/// hold the same UIDs in the same order with the same flags.
#[derive(Debug)]
pub(crate) struct Checkpoint {
    barrier: Barrier,
    snapshots: Mutex<Vec<(usize, Snapshot)>>,
    rounds: AtomicU64,
    times: Vec<Instant>,
}

impl Checkpoint {
    /// Checkpoints for `clients` clients every `every` from `start` until
    /// `deadline` (none when `every` is `None`).
    pub(crate) fn new(
        clients: usize,
        every: Option<Duration>,
        start: Instant,
        deadline: Instant,
    ) -> Arc<Self> {
        let mut times = Vec::new();
        if let Some(every) = every.filter(|d| !d.is_zero()) {
            let mut at = start + every;
            while at < deadline {
                times.push(at);
                at += every;
            }
        }
        Arc::new(Checkpoint {
            barrier: Barrier::new(clients),
            snapshots: Mutex::new(Vec::new()),
            rounds: AtomicU64::new(0),
            times,
        })
    }

    /// Whether checkpoint `done` (counted from 0) is due: always once
    /// `finished`, so that every client takes part in every checkpoint.
    pub(crate) fn due(&self, done: usize, finished: bool) -> bool {
        done < self.times.len() && (finished || Instant::now() >= self.times[done])
    }

    /// How many checkpoints were completed.
    pub(crate) fn rounds(&self) -> u64 {
        self.rounds.load(Ordering::Relaxed)
    }

    async fn wait(&self) -> Result<bool, BenchError> {
        tokio::time::timeout(CHECKPOINT_TIMEOUT, self.barrier.wait())
            .await
            .map(|r| r.is_leader())
            .map_err(|_| {
                BenchError::Timeout("a client did not reach the checkpoint (it failed?)".into())
            })
    }

    /// Client `id`'s part in a checkpoint. One client (the last to arrive)
    /// compares the views and counts each that differs from the lowest
    /// client's as a state error.
    pub(crate) async fn run(&self, id: usize, session: &mut Session) -> Result<(), BenchError> {
        self.wait().await?;
        session.run(CommandBody::Noop).await?;
        // Updates published during the first round arrive in the second.
        self.wait().await?;
        session.run(CommandBody::Noop).await?;
        session.learn().await?;
        self.snapshots
            .lock()
            .expect("not poisoned")
            .push((id, session.view.snapshot()));
        if self.wait().await? {
            let round = self.rounds.fetch_add(1, Ordering::Relaxed) + 1;
            let mut all = std::mem::take(&mut *self.snapshots.lock().expect("not poisoned"));
            all.sort_by_key(|(id, _)| *id);
            if let Some(((first_id, first), rest)) = all.split_first() {
                for (other_id, other) in rest {
                    if let Some(diff) = first.diff(other) {
                        session.state_error(format!(
                            "checkpoint {round}: client {other_id} differs from client {first_id}: {diff}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// A one-connection server answering every command `OK`, after the
    /// given untagged lines for `NOOP` and `BYE` for `LOGOUT` when `bye`.
    async fn fake_server(noop: &[&str], bye: bool) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let noop: Vec<String> = noop.iter().map(|l| format!("{l}\r\n")).collect();
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            write.write_all(b"* OK fake\r\n").await.unwrap();
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let (tag, command) = line.split_once(' ').unwrap_or((&line, ""));
                let mut out = String::new();
                if command.eq_ignore_ascii_case("NOOP") {
                    out.extend(noop.iter().cloned());
                }
                if command.eq_ignore_ascii_case("LOGOUT") && bye {
                    out.push_str("* BYE bye\r\n");
                }
                out.push_str(&format!("{tag} OK done\r\n"));
                if write.write_all(out.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
        addr
    }

    async fn session(noop: &[&str], bye: bool) -> Session {
        let addr = fake_server(noop, bye).await;
        Session::new(Client::connect(&addr).await.unwrap())
    }

    #[tokio::test]
    async fn views_that_differ_at_a_checkpoint_are_counted_once() {
        let same = ["* 2 EXISTS", "* 1 FETCH (UID 4 FLAGS ())"];
        let a = session(
            &[same[0], same[1], "* 2 FETCH (UID 9 FLAGS (\\Seen))"],
            true,
        )
        .await;
        let b = session(
            &[same[0], same[1], "* 2 FETCH (UID 9 FLAGS (\\Seen))"],
            true,
        )
        .await;
        let c = session(&[same[0], same[1], "* 2 FETCH (UID 8 FLAGS ())"], true).await;
        let now = Instant::now();
        let checkpoint = Checkpoint::new(3, None, now, now);
        let mut tasks = Vec::new();
        for (id, mut s) in [a, b, c].into_iter().enumerate() {
            let checkpoint = checkpoint.clone();
            tasks.push(tokio::spawn(async move {
                checkpoint.run(id, &mut s).await.unwrap();
                s.errors()
            }));
        }
        let mut all = ErrorCounts::default();
        for task in tasks {
            all.add(task.await.unwrap());
        }
        assert_eq!(checkpoint.rounds(), 1);
        assert_eq!(all.state, 1, "{all:?}");
        assert_eq!(all.total(), 1, "{all:?}");
        let sample = &all.samples[0];
        assert!(
            sample.contains("client 2 differs from client 0")
                && sample.contains("lacks UIDs 9")
                && sample.contains("extra UIDs 8"),
            "{sample}"
        );
    }

    #[tokio::test]
    async fn agreeing_views_pass_and_logout_needs_bye() {
        let lines = ["* 1 EXISTS", "* 1 FETCH (UID 3 FLAGS ())"];
        let now = Instant::now();
        let checkpoint = Checkpoint::new(2, None, now, now);
        let (mut a, mut b) = (session(&lines, true).await, session(&lines, false).await);
        let (ra, rb) = tokio::join!(checkpoint.run(0, &mut a), checkpoint.run(1, &mut b));
        ra.unwrap();
        rb.unwrap();
        a.logout().await.unwrap();
        b.logout().await.unwrap();
        assert_eq!(a.errors().total(), 0, "{:?}", a.errors());
        assert_eq!(b.errors().state, 1);
        assert!(b.errors().samples[0].contains("without BYE"));
    }

    #[test]
    fn stores_are_contested_when_they_overlap_or_may_be_expunged() {
        let log = StoreLog::default();
        let set = |v: &[u32]| v.iter().copied().collect::<BTreeSet<u32>>();
        // One after the other: nothing contested; an unknown UID always is.
        let a = log.start(vec![(1, Some(10)), (2, None)], false);
        assert_eq!(log.finish(a), set(&[2]));
        let b = log.start(vec![(5, Some(10))], false);
        assert_eq!(log.finish(b), set(&[]));
        // Overlapping on UID 10 (not on 11): both contested there.
        let a = log.start(vec![(1, Some(10)), (2, Some(11))], false);
        let b = log.start(vec![(7, Some(10))], false);
        assert_eq!(log.finish(a), set(&[1]));
        assert_eq!(log.finish(b), set(&[7]));
        let c = log.start(vec![(1, Some(10))], false);
        assert_eq!(log.finish(c), set(&[]));
        // Once \Deleted was set, the message may vanish at any time.
        let d = log.start(vec![(2, Some(11))], true);
        assert_eq!(log.finish(d), set(&[]));
        let e = log.start(vec![(2, Some(11))], false);
        assert_eq!(log.finish(e), set(&[2]));
    }

    #[test]
    fn checkpoints_are_due_on_time_and_all_at_the_end() {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(10);
        let c = Checkpoint::new(1, Some(Duration::from_secs(3)), start, deadline);
        // At 3, 6 and 9 s; none is due yet, all are once finished.
        assert!(!c.due(0, false));
        assert!(c.due(0, true) && c.due(2, true));
        assert!(!c.due(3, true));
        let none = Checkpoint::new(1, None, start, deadline);
        assert!(!none.due(0, true));
    }
}
