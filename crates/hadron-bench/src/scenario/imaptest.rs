//! `imaptest`: the command mix of Dovecot's imaptest stress tool with its
//! default settings, so that servers are compared on what its clients do.
//!
//! N clients share one mailbox kept near [`TARGET`] messages. Each works in
//! cycles: a cycle walks imaptest's states in imaptest's order and does each
//! with imaptest's default probability, some again with its probability of
//! repeating (see [`PROFILE`]). As in imaptest, APPEND is skipped while the
//! mailbox holds about [`TARGET`] messages or more, and the `\Deleted`
//! STORE marks more messages the further the mailbox is above it. With
//! re-login, a cycle connects, logs in, selects and ends with LOGOUT; without,
//! each client logs in and selects once before the clock starts (imaptest's
//! `logout=0`).
//!
//! Unlike imaptest, a client sends one command at a time (imaptest
//! pipelines up to ten), SELECTs without CONDSTORE, asks for the UID in
//! every FETCH, and learns the UIDs and flags of new messages with a FETCH of
//! its own (reported apart, not among "all commands"): every client checks
//! each response against its view of the mailbox (see [`crate::view`]).
//!
//! Which commands a cycle sends, with which items, flags and kind, depends
//! only on the seed, the client and the cycle; sequence numbers and counts
//! scale with the mailbox size the client sees.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hadron_proto::types::{
    AString, CommandBody, FetchAttribute, Flag, HeaderNames, Part, Section, SeqNumber, Sequence,
    SequenceSet, StatusItem, StoreKind,
};

use super::session::{Outcome, Session, StoreLog, fetch, join, store};
use super::{Ctx, Metric, Target, append_body, append_with, list_all, mailbox, range, select};
use crate::BenchError;
use crate::client::{Client, ErrorCounts};
use crate::mailgen::MailGen;
use crate::rng::Rng;
use crate::stats::Histogram;

/// The mailbox size imaptest keeps near (its `MESSAGE_COUNT_THRESHOLD`).
pub(crate) const TARGET: u32 = 30;

/// At most this many repetitions of one command in a cycle.
const MAX_AGAIN: u32 = 8;

/// imaptest's states that its defaults enable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Login,
    List,
    Status,
    Select,
    Fetch,
    Fetch2,
    Store,
    Delete,
    Expunge,
    Append,
    Logout,
}

/// The states in imaptest's order, each with imaptest's default chance (%)
/// of doing it in a cycle, its chance (%) of doing it once more, and the
/// name of its measurement. Its other states (COPY, SEARCH, SORT, NOOP,
/// IDLE, ...) are off by default.
const PROFILE: [(Cmd, u32, u32, &str); 11] = [
    (Cmd::Login, 100, 0, "LOGIN"),
    (Cmd::List, 50, 0, "LIST \"\" *"),
    (Cmd::Status, 50, 0, "STATUS (MESSAGES UNSEEN RECENT)"),
    (Cmd::Select, 100, 0, "SELECT"),
    (Cmd::Fetch, 100, 0, "FETCH ≤100 messages, 1-4 items"),
    (Cmd::Fetch2, 100, 30, "FETCH 1 message's body or header"),
    (Cmd::Store, 50, 0, "STORE random flags"),
    (Cmd::Delete, 100, 0, "STORE +FLAGS \\Deleted"),
    (Cmd::Expunge, 100, 0, "EXPUNGE"),
    (Cmd::Append, 100, 5, "APPEND"),
    (Cmd::Logout, 100, 0, "LOGOUT"),
];

/// The histogram of the view's own FETCHes, after those of [`PROFILE`].
const SYNC: usize = PROFILE.len();

/// The commands of one cycle.
fn plan(rng: &mut Rng, relogin: bool) -> Vec<Cmd> {
    let mut plan = Vec::new();
    for &(cmd, chance, again, _) in &PROFILE {
        let once = matches!(cmd, Cmd::Login | Cmd::Select | Cmd::Logout);
        if (once && !relogin) || rng.below(100) >= u64::from(chance) {
            continue;
        }
        plan.push(cmd);
        for _ in 0..MAX_AGAIN {
            if rng.below(100) >= u64::from(again) {
                break;
            }
            plan.push(cmd);
        }
    }
    plan
}

/// imaptest's random flags: each system flag but `\Deleted` with chance
/// 1/2, each of `$Label1`..`$Label5` with chance 1/4.
fn random_flags(rng: &mut Rng) -> Vec<Flag<'static>> {
    let mut flags = Vec::new();
    for flag in [
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ] {
        if rng.below(2) == 0 && flag != Flag::Deleted {
            flags.push(flag);
        }
    }
    for i in 1..=5 {
        if rng.below(4) == 0 {
            flags.push(
                Flag::keyword(&format!("$Label{i}"))
                    .expect("an atom")
                    .into_static(),
            );
        }
    }
    flags
}

/// `count` random sequence numbers of `1..=msgs` (repeats merge) as a set.
fn random_set(rng: &mut Rng, msgs: u32, count: u32) -> SequenceSet {
    let seqs: BTreeSet<u32> = (0..count)
        .map(|_| 1 + rng.below(u64::from(msgs)) as u32)
        .collect();
    let n = |v: u32| SeqNumber::Value(NonZeroU32::new(v).expect("not zero"));
    let mut items: Vec<Sequence> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    for seq in seqs.into_iter().chain([0]) {
        match run {
            Some((a, b)) if seq == b + 1 => run = Some((a, seq)),
            _ => {
                if let Some((a, b)) = run {
                    items.push(if a == b {
                        Sequence::Single(n(a))
                    } else {
                        Sequence::Range(n(a), n(b))
                    });
                }
                run = Some((seq, seq));
            }
        }
    }
    SequenceSet::new(items).expect("count > 0")
}

/// UID and 1 to 4 of imaptest's FETCH items: a header-fields section a
/// quarter of the time, else a plain item.
fn fetch_items(rng: &mut Rng) -> Vec<FetchAttribute<'static>> {
    const HEADERS: [&str; 7] = [
        "From",
        "To",
        "Cc",
        "Subject",
        "References",
        "In-Reply-To",
        "Message-ID",
    ];
    let plain = [
        FetchAttribute::Uid,
        FetchAttribute::Flags,
        FetchAttribute::Envelope,
        FetchAttribute::InternalDate,
        FetchAttribute::Body,
        FetchAttribute::BodyStructure,
        FetchAttribute::Rfc822Size,
    ];
    let mut items = vec![FetchAttribute::Uid];
    for _ in 0..1 + rng.below(4) {
        let item = if rng.below(4) != 0 {
            rng.pick(&plain).clone()
        } else {
            let names = (0..1 + rng.below(4))
                .map(|_| AString::try_from(*rng.pick(&HEADERS)).expect("a header name"))
                .collect();
            FetchAttribute::BodySection {
                section: Section::HeaderFields(None, HeaderNames::new(names).expect("not empty")),
                partial: None,
                peek: true,
            }
        };
        if !items.contains(&item) {
            items.push(item);
        }
    }
    items
}

/// imaptest's second FETCH: UID and the header, the whole message, its
/// first part or its text.
fn fetch2_item(rng: &mut Rng) -> FetchAttribute<'static> {
    let peek = |section| FetchAttribute::BodySection {
        section,
        partial: None,
        peek: true,
    };
    match rng.below(5) {
        0 => peek(Section::Header(None)),
        1 => FetchAttribute::Rfc822Header,
        2 => peek(Section::Full),
        3 => peek(Section::Part(
            Part::new(vec![NonZeroU32::MIN]).expect("not empty"),
        )),
        _ => peek(Section::Text(None)),
    }
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let name = ctx.mailbox("imaptest");
    let mut setup = ctx.target.connect().await?;
    ctx.create(&mut setup, &name).await?;
    ctx.add_errors(&setup);
    setup.logout().await;
    let counts = if ctx.params.imaptest_clients.is_empty() {
        vec![ctx.params.mixed_clients]
    } else {
        ctx.params.imaptest_clients.clone()
    };
    let mut variant = 0;
    for clients in counts {
        for relogin in [true, false] {
            measure(ctx, &name, clients.max(1), relogin, variant).await?;
            variant += 1;
        }
    }
    Ok(())
}

/// Appends messages until `name` holds [`TARGET`] (untimed).
async fn top_up(ctx: &mut Ctx, name: &str, variant: u64) -> Result<(), BenchError> {
    let mut client = ctx.target.connect().await?;
    let (reply, exists) = select(&mut client, name, false).await?;
    reply.ok("SELECT")?;
    let mode = client.literal_mode();
    for i in exists..TARGET {
        let message = ctx.mail.message((2 << 40) + variant * 1000 + u64::from(i));
        client
            .execute(append_body(name, &message, mode)?)
            .await?
            .ok("APPEND")?;
    }
    ctx.add_errors(&client);
    client.logout().await;
    Ok(())
}

/// One run of `clients` clients for `mixed_secs`, with or without
/// re-login.
async fn measure(
    ctx: &mut Ctx,
    name: &str,
    clients: usize,
    relogin: bool,
    variant: u64,
) -> Result<(), BenchError> {
    top_up(ctx, name, variant).await?;
    let log = Arc::new(StoreLog::default());
    let mut sessions = Vec::with_capacity(clients);
    for i in 0..clients {
        sessions.push(if relogin {
            None
        } else {
            let mut session = Session::shared(ctx.target.connect_to(i).await?, &log);
            session.select(name).await?.ok("SELECT")?;
            session.learn().await?;
            Some(session)
        });
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(ctx.params.mixed_secs.max(0.1));
    let mut tasks = Vec::with_capacity(clients);
    for (i, session) in sessions.into_iter().enumerate() {
        let id = i as u64;
        let worker = Worker {
            target: ctx.target.clone(),
            instance: i,
            mailbox: name.to_owned(),
            mail: ctx.mail,
            relogin,
            seed: ctx
                .rng(0x1A7E_0000 ^ (variant << 40) ^ (id << 8))
                .next_u64(),
            index_base: (1 << 40) + (variant << 34) + (id << 26),
            deadline,
            log: log.clone(),
            session,
            errors: ErrorCounts::default(),
            hists: vec![Histogram::new(); SYNC + 1],
        };
        tasks.push(tokio::spawn(worker.work()));
    }
    let hists = join(tasks, SYNC + 1, &mut ctx.errors).await?;
    let elapsed = start.elapsed();
    let label = format!(
        "{clients} clients, {}",
        if relogin { "re-login" } else { "no re-login" }
    );
    let mut total = Histogram::new();
    for ((cmd, _, _, op), hist) in PROFILE.iter().zip(&hists) {
        let op = format!("{label}: {op}");
        if *cmd == Cmd::Login {
            ctx.throughput(&op, hist, elapsed);
        } else {
            ctx.latency(&op, hist, elapsed);
        }
        total.merge(hist);
    }
    let note = Some(format!(
        "{:.0} s, {} errors so far",
        elapsed.as_secs_f64(),
        ctx.errors.total()
    ));
    let op = format!("{label}: all commands");
    ctx.push(&op, Metric::Throughput, &total, elapsed, None, note);
    let op = format!("{label}: FETCH (UID FLAGS) of new messages");
    ctx.latency(&op, &hists[SYNC], elapsed);
    Ok(())
}

/// One client of the profile.
struct Worker {
    target: Target,
    /// The instance of `target` it connects to.
    instance: usize,
    mailbox: String,
    mail: MailGen,
    relogin: bool,
    /// The seed of this client's cycles.
    seed: u64,
    /// The first mail index of its APPENDs.
    index_base: u64,
    deadline: Instant,
    /// The STOREs of all clients.
    log: Arc<StoreLog>,
    /// The connection, while logged in.
    session: Option<Session>,
    /// Errors of its past connections.
    errors: ErrorCounts,
    /// By [`PROFILE`] position, then [`SYNC`].
    hists: Vec<Histogram>,
}

impl Worker {
    async fn work(mut self) -> Outcome {
        let mut cycle = 0;
        while Instant::now() < self.deadline {
            self.cycle(cycle).await?;
            cycle += 1;
        }
        if let Some(session) = self.session.take() {
            self.errors.add(session.errors());
            session.client.logout().await;
        }
        Ok((self.hists, self.errors))
    }

    /// One cycle of the profile (cut short at the deadline).
    async fn cycle(&mut self, cycle: u64) -> Result<(), BenchError> {
        let mut rng = Rng::for_item(self.seed, cycle);
        let plan = plan(&mut rng, self.relogin);
        for (step, cmd) in plan.into_iter().enumerate() {
            // Each command its own generator: what one draws does not
            // shift the others' choices.
            let step_rng = Rng::new(rng.next_u64());
            if Instant::now() >= self.deadline {
                break;
            }
            let index = self.index_base + cycle * 32 + step as u64;
            if let Some(d) = self.step(cmd, step_rng, index).await? {
                self.hists[cmd as usize].record(d);
            }
            if let Some(session) = &mut self.session
                && let Some(d) = session.learn().await?
            {
                self.hists[SYNC].record(d);
            }
        }
        Ok(())
    }

    /// Does `cmd`; the time of its command, or `None` if skipped (the
    /// mailbox is empty, or APPEND finds it full enough).
    async fn step(
        &mut self,
        cmd: Cmd,
        mut rng: Rng,
        index: u64,
    ) -> Result<Option<Duration>, BenchError> {
        if cmd == Cmd::Login {
            let t = &self.target;
            let mut client = Client::connect(t.instance_addr(self.instance)).await?;
            let start = Instant::now();
            client.login_only(&t.user, &t.password).await?;
            let d = start.elapsed();
            self.session = Some(Session::shared(client, &self.log));
            return Ok(Some(d));
        }
        let Some(s) = self.session.as_mut() else {
            return Ok(None);
        };
        let msgs = s.view.exists();
        let selected_only = matches!(
            cmd,
            Cmd::Fetch | Cmd::Fetch2 | Cmd::Store | Cmd::Delete | Cmd::Expunge
        );
        if selected_only && msgs == 0 {
            return Ok(None);
        }
        let start = Instant::now();
        match cmd {
            Cmd::Login => unreachable!("handled above"),
            Cmd::Logout => {
                s.logout().await?;
                let d = start.elapsed();
                let session = self.session.take().expect("logged in");
                self.errors.add(session.errors());
                return Ok(Some(d));
            }
            Cmd::List => {
                s.run(list_all()?).await?;
            }
            Cmd::Status => {
                let items = [StatusItem::Messages, StatusItem::Unseen, StatusItem::Recent];
                let body = CommandBody::Status {
                    mailbox: mailbox(&self.mailbox)?,
                    items: items.to_vec().try_into().expect("three items"),
                };
                s.run(body).await?;
            }
            Cmd::Select => {
                s.select(&self.mailbox).await?;
            }
            Cmd::Fetch => {
                let set = random_set(&mut rng, msgs, msgs.min(100));
                s.run(fetch(set, fetch_items(&mut rng))).await?;
            }
            Cmd::Fetch2 => {
                let seq = 1 + rng.below(u64::from(msgs)) as u32;
                let items = vec![FetchAttribute::Uid, fetch2_item(&mut rng)];
                s.run(fetch(range(seq, seq), items)).await?;
            }
            Cmd::Store => {
                let most = if msgs < 10 { msgs } else { (msgs / 5).min(50) };
                let count = rng.below(u64::from(most)) as u32;
                if count == 0 {
                    return Ok(None);
                }
                let set = random_set(&mut rng, msgs, count);
                let kind = match rng.below(3) {
                    0 => StoreKind::Add,
                    1 => StoreKind::Remove,
                    _ => StoreKind::Replace,
                };
                let silent = rng.below(2) == 0;
                let flags = random_flags(&mut rng);
                s.run(store(false, set, kind, silent, flags)).await?;
            }
            Cmd::Delete => {
                // imaptest's bound: 1 + (APPEND% + DELETE%/2) / DELETE%,
                // plus the excess once the mailbox is 5 above its target.
                let excess = if msgs > TARGET + 5 { msgs - TARGET } else { 0 };
                let bound = 2 + excess;
                let count = (rng.below(u64::from(bound)) as u32).min(1000);
                if count == 0 {
                    return Ok(None);
                }
                let set = random_set(&mut rng, msgs, count);
                let silent = rng.below(2) == 0;
                s.run(store(
                    false,
                    set,
                    StoreKind::Add,
                    silent,
                    vec![Flag::Deleted],
                ))
                .await?;
            }
            Cmd::Expunge => {
                s.run(CommandBody::Expunge).await?;
            }
            Cmd::Append => {
                if msgs - msgs / 8 >= TARGET {
                    return Ok(None);
                }
                let flags = if rng.below(2) == 0 {
                    random_flags(&mut rng)
                } else {
                    Vec::new()
                };
                let message = self.mail.message(index);
                let date = (rng.below(2) == 0).then_some(message.date);
                let mode = s.client.literal_mode();
                s.run(append_with(&self.mailbox, &message, flags, date, mode)?)
                    .await?;
            }
        }
        Ok(Some(start.elapsed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_follow_imaptest_order_and_odds() {
        let (mut lists, mut fetch2, mut appends, cycles) = (0, 0, 0, 4000);
        for cycle in 0..cycles {
            let p = plan(&mut Rng::for_item(9, cycle), true);
            assert_eq!(p, plan(&mut Rng::for_item(9, cycle), true), "deterministic");
            assert_eq!(p.first(), Some(&Cmd::Login));
            assert_eq!(p.last(), Some(&Cmd::Logout));
            let order: Vec<usize> = p.iter().map(|&c| c as usize).collect();
            assert!(order.windows(2).all(|w| w[0] <= w[1]), "{p:?}");
            for always in [Cmd::Select, Cmd::Fetch, Cmd::Delete, Cmd::Expunge] {
                assert_eq!(p.iter().filter(|&&c| c == always).count(), 1, "{p:?}");
            }
            lists += p.iter().filter(|&&c| c == Cmd::List).count();
            fetch2 += p.iter().filter(|&&c| c == Cmd::Fetch2).count();
            appends += p.iter().filter(|&&c| c == Cmd::Append).count();
            let once = plan(&mut Rng::for_item(9, cycle), false);
            assert!(
                !once
                    .iter()
                    .any(|c| matches!(c, Cmd::Login | Cmd::Select | Cmd::Logout)),
                "{once:?}"
            );
        }
        let per_cycle = |n: usize| n as f64 / cycles as f64;
        assert!((per_cycle(lists) - 0.5).abs() < 0.05, "{lists}");
        // Geometric repeats: 1 / (1 - 0.3) ≈ 1.43 FETCH2s, 1 / 0.95 ≈ 1.05 APPENDs.
        assert!((per_cycle(fetch2) - 1.43).abs() < 0.06, "{fetch2}");
        assert!((per_cycle(appends) - 1.05).abs() < 0.03, "{appends}");
    }

    #[test]
    fn random_flags_never_include_deleted() {
        let mut rng = Rng::new(3);
        let mut seen = BTreeSet::new();
        for _ in 0..500 {
            for f in random_flags(&mut rng) {
                assert_ne!(f, Flag::Deleted);
                seen.insert(f.to_string());
            }
        }
        let all = [
            "\\Answered",
            "\\Flagged",
            "\\Seen",
            "\\Draft",
            "$Label1",
            "$Label2",
            "$Label3",
            "$Label4",
            "$Label5",
        ];
        assert_eq!(seen, all.iter().map(|s| (*s).to_owned()).collect());
    }

    #[test]
    fn random_sets_merge_runs_and_stay_inside() {
        let mut rng = Rng::new(4);
        for _ in 0..200 {
            let msgs = 1 + rng.below(40) as u32;
            let count = 1 + rng.below(100) as u32;
            let set = random_set(&mut rng, msgs, count);
            let members: Vec<u32> = set.iter_clipped(u32::MAX).collect();
            assert!(!members.is_empty() && members.len() <= count as usize);
            assert!(members.iter().all(|&s| (1..=msgs).contains(&s)));
            // Runs are written as ranges: no two items are adjacent.
            let items = set.normalized(msgs);
            assert_eq!(items.len(), set.items().len(), "{set}");
        }
        assert_eq!(random_set(&mut rng, 1, 5).to_string(), "1");
        assert_eq!(random_set(&mut rng, 3, 100).to_string(), "1:3");
    }

    #[test]
    fn fetches_always_ask_for_the_uid() {
        let mut rng = Rng::new(5);
        let mut header_fields = 0;
        for _ in 0..400 {
            let items = fetch_items(&mut rng);
            assert_eq!(items[0], FetchAttribute::Uid);
            assert!((2..=5).contains(&items.len()) || items.len() == 1);
            assert!(items[1..].iter().all(|i| *i != FetchAttribute::Uid));
            header_fields += items
                .iter()
                .filter(|i| matches!(i, FetchAttribute::BodySection { peek: true, .. }))
                .count();
            let item = fetch2_item(&mut rng);
            assert!(matches!(
                item,
                FetchAttribute::Rfc822Header | FetchAttribute::BodySection { peek: true, .. }
            ));
        }
        assert!(header_fields > 100, "{header_fields}");
    }
}
