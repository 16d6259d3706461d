//! The sizes and counts of a run ([`Params`]) and the suites that set
//! them: `quick` (minutes), `full` (hours) and `bigbox` (one corpus of a
//! million messages); the sizes of `resync` ([`ResyncParams`]).

use serde::{Deserialize, Serialize};

use super::ScenarioKind;
use crate::BenchError;

/// MULTIAPPEND commands in flight on the one connection that times
/// MULTIAPPEND into a scratch mailbox (1 without LITERAL+).
pub const MULTIAPPEND_IN_FLIGHT: usize = 4;

/// The scenarios that work on the corpus, in the order they run.
pub const CORPUS_SCENARIOS: &[ScenarioKind] = &[
    ScenarioKind::Fill,
    ScenarioKind::Select,
    ScenarioKind::Fetch,
    ScenarioKind::Search,
    ScenarioKind::Sort,
    ScenarioKind::Store,
];

/// The sizes and counts of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The suite's name (`quick`, `full`, `bigbox`), followed by
    /// ` (custom)` when options changed it.
    pub suite: String,
    /// Corpus sizes: `fill` tops the corpus up to each in turn, and the
    /// corpus scenarios run again at each size.
    pub corpus_sizes: Vec<u64>,
    /// Parallel connections of `fill`.
    pub fill_clients: usize,
    /// APPENDs in flight per `fill` connection (1 without LITERAL+); when
    /// the corpus is filled with MULTIAPPEND (see
    /// [`Params::fills_corpus_with_multiappend`]), MULTIAPPEND commands.
    pub fill_pipeline: usize,
    /// Messages `fill` also appends with MULTIAPPEND into a scratch
    /// mailbox from one connection, [`MULTIAPPEND_IN_FLIGHT`] commands in
    /// flight (0: none; skipped without MULTIAPPEND).
    #[serde(default)]
    pub multiappend_messages: usize,
    /// Messages per MULTIAPPEND command (Hadron takes at most 128
    /// literals per command by default).
    #[serde(default)]
    pub multiappend_batch: usize,
    /// Repetitions of each timed command in `select`, `fetch`, `search`,
    /// `sort` and `store`.
    pub repeat: usize,
    /// Mailboxes `status-list` creates.
    pub mailboxes: usize,
    /// Connections of `mixed`.
    pub mixed_clients: usize,
    /// How long `mixed` runs, and `imaptest` with each client count.
    pub mixed_secs: f64,
    /// Seconds between the checkpoints of `mixed`, where every client stops
    /// and their views of the mailbox must agree (`None`: no checkpoints).
    #[serde(default)]
    pub checkpoint_secs: Option<f64>,
    /// Most seconds to wait, before a scenario that reads the corpus, for
    /// the server to finish its background work (a text index catching up
    /// after the fill): until it uses under 5% of a core, measured by its
    /// pid. 0, or no pid, skips the wait.
    #[serde(default)]
    pub settle_secs: f64,
    /// The client counts `imaptest` runs with, each with and without a new
    /// login per cycle (empty: `mixed_clients`).
    #[serde(default)]
    pub imaptest_clients: Vec<usize>,
    /// Connections in IDLE in `idle`.
    pub idle_connections: usize,
    /// Messages the writer of `idle` appends.
    pub idle_messages: usize,
    /// Clients of the `mixed` mix working on a mailbox of their own while
    /// the writer of `idle` appends (0: `idle` measures an idle server).
    #[serde(default)]
    pub idle_load_clients: usize,
    /// LMTP connections of `lmtp`.
    #[serde(default)]
    pub lmtp_clients: usize,
    /// Messages `lmtp` delivers (4 KB each).
    #[serde(default)]
    pub lmtp_messages: usize,
    /// The seed of the generated mail and of every random choice.
    pub seed: u64,
    /// Whether to print progress to stderr every 2 s.
    pub progress: bool,
    /// Whether to delete the run's mailboxes at the end.
    pub cleanup: bool,
}

impl Params {
    /// The quick suite: the whole run in a few minutes.
    pub fn quick() -> Self {
        Params {
            suite: "quick".into(),
            corpus_sizes: vec![5_000],
            fill_clients: 4,
            fill_pipeline: 8,
            multiappend_messages: 2_000,
            multiappend_batch: 100,
            repeat: 20,
            mailboxes: 1_000,
            mixed_clients: 50,
            mixed_secs: 10.0,
            checkpoint_secs: None,
            settle_secs: 600.0,
            imaptest_clients: vec![10],
            idle_connections: 200,
            idle_messages: 20,
            idle_load_clients: 0,
            lmtp_clients: 8,
            lmtp_messages: 4_000,
            seed: 1,
            progress: true,
            cleanup: true,
        }
    }

    /// The full suite: 100k and 1M messages, 10,000 IDLE connections,
    /// 10,000 mailboxes (hours, and about 23 GB of mail).
    pub fn full() -> Self {
        Params {
            suite: "full".into(),
            corpus_sizes: vec![100_000, 1_000_000],
            fill_clients: 8,
            fill_pipeline: 8,
            multiappend_messages: 20_000,
            multiappend_batch: 100,
            repeat: 20,
            mailboxes: 10_000,
            mixed_clients: 50,
            mixed_secs: 60.0,
            checkpoint_secs: None,
            settle_secs: 600.0,
            imaptest_clients: vec![10, 50],
            idle_connections: 10_000,
            idle_messages: 50,
            idle_load_clients: 0,
            lmtp_clients: 8,
            lmtp_messages: 20_000,
            seed: 1,
            progress: true,
            cleanup: true,
        }
    }

    /// The bigbox suite: one corpus of 1,000,000 messages (about 23 GB),
    /// filled with MULTIAPPEND when the server has it, and by default only
    /// the corpus scenarios (`fill`, `select`, `fetch`, `search`, `sort`, `store`).
    /// `--messages` sets another size (100,000 for PostgreSQL).
    pub fn bigbox() -> Self {
        Params {
            suite: "bigbox".into(),
            corpus_sizes: vec![1_000_000],
            fill_clients: 4,
            fill_pipeline: 4,
            multiappend_messages: 20_000,
            repeat: 10,
            ..Params::full()
        }
    }

    /// The suite called `name`.
    pub fn suite(name: &str) -> Result<Self, BenchError> {
        match name {
            "quick" => Ok(Params::quick()),
            "full" => Ok(Params::full()),
            "bigbox" => Ok(Params::bigbox()),
            other => Err(BenchError::Invalid(format!(
                "unknown suite {other:?} (quick, full or bigbox)"
            ))),
        }
    }

    /// The suite's own name, without the ` (custom)` that options add.
    pub fn base_suite(&self) -> &str {
        self.suite
            .split_once(' ')
            .map_or(self.suite.as_str(), |(base, _)| base)
    }

    /// The scenarios the suite runs when none are named: the corpus ones
    /// for `bigbox`, all of them otherwise.
    pub fn default_scenarios(&self) -> &'static [ScenarioKind] {
        if self.base_suite() == "bigbox" {
            CORPUS_SCENARIOS
        } else {
            ScenarioKind::ALL
        }
    }

    /// Whether `fill` tops the corpus up with MULTIAPPEND (batches of
    /// [`Params::multiappend_batch`], [`Params::fill_pipeline`] commands in
    /// flight per connection) when the server announces it: the fastest
    /// way in, for `bigbox`. The other suites append one message per
    /// command, so their APPEND row stays comparable between runs.
    pub fn fills_corpus_with_multiappend(&self) -> bool {
        self.base_suite() == "bigbox"
    }
}

/// The sizes of the `resync` scenario: the messages of its own mailbox and
/// how many of them change between the two sessions of a reconnecting
/// client. They are kept beside [`Params`] (passed to
/// [`crate::scenario::run_with`]) rather than in it, so that code building
/// a [`Params`] field by field keeps compiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResyncParams {
    /// Messages in the `resync` mailbox.
    pub messages: u64,
    /// Messages that get `\Seen` while the client is away (at most a third
    /// of [`ResyncParams::messages`]).
    pub changed: u64,
    /// Other messages expunged while it is away (at most a third of
    /// [`ResyncParams::messages`]).
    pub expunged: u64,
}

impl Default for ResyncParams {
    /// 10,000 messages, 1,000 changed and 1,000 expunged.
    fn default() -> Self {
        ResyncParams {
            messages: ResyncParams::MESSAGES,
            changed: 1_000,
            expunged: 1_000,
        }
    }
}

impl ResyncParams {
    /// The size of the `resync` mailbox unless the corpus is smaller.
    pub const MESSAGES: u64 = 10_000;

    /// The sizes for a run with `params`: in `bigbox`, a mailbox of the
    /// corpus's (largest) size; otherwise [`ResyncParams::MESSAGES`], or
    /// the largest corpus size when that is smaller, so that a run of small
    /// corpora stays small. 1,000 changed and 1,000 expunged.
    pub fn for_params(params: &Params) -> Self {
        let largest = params.corpus_sizes.iter().copied().max().unwrap_or(0);
        let messages = if params.base_suite() == "bigbox" {
            largest.max(1)
        } else {
            ResyncParams::MESSAGES.min(largest.max(1))
        };
        ResyncParams {
            messages,
            ..ResyncParams::default()
        }
    }

    /// The counts actually used: changed and expunged each cut to a third
    /// of the mailbox (so that both sets and untouched messages fit), and
    /// whether that cut anything.
    pub fn scaled(&self) -> (u64, u64, bool) {
        let third = self.messages / 3;
        let (changed, expunged) = (self.changed.min(third), self.expunged.min(third));
        let cut = changed < self.changed || expunged < self.expunged;
        (changed, expunged, cut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resync_sizes_follow_the_suite() {
        let quick = ResyncParams::for_params(&Params::quick());
        assert_eq!(quick.messages, 5_000, "no larger than the quick corpus");
        assert_eq!((quick.changed, quick.expunged), (1_000, 1_000));
        assert_eq!(ResyncParams::for_params(&Params::full()).messages, 10_000);
        let mut bigbox = Params::bigbox();
        assert_eq!(ResyncParams::for_params(&bigbox).messages, 1_000_000);
        bigbox.corpus_sizes = vec![100_000];
        bigbox.suite = "bigbox (custom)".into();
        assert_eq!(ResyncParams::for_params(&bigbox).messages, 100_000);
        let mut tiny = Params::quick();
        tiny.corpus_sizes = vec![30];
        let tiny = ResyncParams::for_params(&tiny);
        assert_eq!(tiny.messages, 30);
        assert_eq!(tiny.scaled(), (10, 10, true));
        assert_eq!(ResyncParams::default().scaled(), (1_000, 1_000, false));
        let none = ResyncParams {
            messages: 2,
            changed: 5,
            expunged: 0,
        };
        assert_eq!(none.scaled(), (0, 0, true));
    }

    #[test]
    fn suites_by_name() {
        for name in ["quick", "full", "bigbox"] {
            let p = Params::suite(name).unwrap();
            assert_eq!(p.suite, name);
            assert_eq!(p.base_suite(), name);
        }
        assert!(Params::suite("huge").is_err());
    }

    #[test]
    fn bigbox_is_one_large_corpus_filled_with_multiappend() {
        let mut p = Params::bigbox();
        assert_eq!(p.corpus_sizes, [1_000_000]);
        assert_eq!(p.default_scenarios(), CORPUS_SCENARIOS);
        assert!(p.fills_corpus_with_multiappend());
        assert!(p.multiappend_batch > 1);
        assert!(CORPUS_SCENARIOS.iter().all(|k| k.per_corpus_size()));
        // Options keep the suite's character.
        p.suite = format!("{} (custom)", p.suite);
        assert_eq!(p.base_suite(), "bigbox");
        assert!(p.fills_corpus_with_multiappend());
        assert_eq!(p.default_scenarios(), CORPUS_SCENARIOS);
        for other in [Params::quick(), Params::full()] {
            assert!(!other.fills_corpus_with_multiappend());
            assert_eq!(other.default_scenarios(), ScenarioKind::ALL);
        }
    }
}
