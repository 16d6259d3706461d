//! CONDSTORE and QRESYNC (RFC 7162): what a session has turned on, the
//! HIGHESTMODSEQ it may report, and the resynchronisation QRESYNC adds to
//! SELECT/EXAMINE and to `UID FETCH`.
//!
//! - **Enabling.** CONDSTORE is on once the client sends `ENABLE
//!   CONDSTORE` (or `ENABLE QRESYNC`, which implies it) or any
//!   CONDSTORE-enabling command (§3.1: `SELECT … (CONDSTORE)`, a `MODSEQ`
//!   fetch item or search key, `CHANGEDSINCE`, `UNCHANGEDSINCE`, STATUS
//!   `HIGHESTMODSEQ`). From then on unsolicited FETCHes carry `MODSEQ`,
//!   SELECT reports `HIGHESTMODSEQ`, and a command that enables it with a
//!   mailbox selected reports that mailbox's HIGHESTMODSEQ (§3.1.2.1).
//!   QRESYNC only by ENABLE; then expunges are told as `* VANISHED`
//!   ([`crate::delivery::Selected::set_qresync`]) and leaving a mailbox by
//!   selecting another says `* OK [CLOSED]`.
//! - **The session's HIGHESTMODSEQ** is [`Selected::modseq`]: below every
//!   change it holds back (RFC 3501 §7.4.1 delays expunges during FETCH,
//!   STORE and SEARCH). A client updates its HIGHESTMODSEQ from the
//!   `MODSEQ` items it reads, so whenever something is held back the
//!   tagged OK is preceded by `* OK [HIGHESTMODSEQ n]` with the lower value
//!   (the RFC 5162 erratum 1810, kept by RFC 7162 §3.2.10): a client that
//!   disconnects then is told the held change when it resynchronises.
//! - **What vanished** since a mod-sequence comes from the store's expunge
//!   history, minus what the session still shows (an expunge it has not
//!   been told of is told the usual way, later). When that history was
//!   pruned past the client's mod-sequence, every UID the client may know
//!   that the session does not show is reported instead: more than what
//!   vanished, never less (RFC 7162 §3.2.5.2 allows it), but none up to
//!   the UID its message sequence match data vouches for ([`vouched_uid`]).
//!
//! [`Selected::modseq`]: crate::delivery::Selected::modseq

use std::collections::{HashMap, HashSet};

use hadron_proto::types::{Capability, Code, Data, FetchItem, SequenceSet};
use hadron_store::UidSet;

use super::messages::wire_uids;
use super::output::{data, flag_fetch, nz, untagged_ok};
use super::{ResponseSink, Session};
use crate::delivery::Untagged;
use crate::engine::EngineError;
use crate::snapshot::Snapshot;
use crate::uid_columns::{missing, positions};

/// What a session told of mod-sequences, so that what it tells next never
/// contradicts it (imaptest checks it; RFC 7162 clients cache it):
///
/// - a message's MODSEQ read from the store (FETCH MODSEQ, STORE, QRESYNC
///   SELECT) is told beside FLAGS from the snapshot, which reflects every
///   change up to the snapshot's mod-sequence and none after it. A newer
///   value (another instance's change the feed has not brought yet, or one
///   held back) is told as the snapshot's: the pair then says what the
///   client sees, `UNCHANGEDSINCE` with it fails on that change, and a
///   client that keeps it as its HIGHESTMODSEQ is told the change later.
///   The change's own event, later, carries the higher value;
/// - the values the last delivery's FETCH events carried (`delivered`): a
///   STORE's own response comes after them and must not report its own,
///   older, mod-sequence for a message another session changed since.
#[derive(Debug, Default)]
pub(super) struct ToldModseqs {
    delivered: HashMap<u32, u64>,
    /// A HIGHESTMODSEQ known to be safe: the last reported, or the
    /// snapshot's when nothing was held back.
    pub(super) floor: u64,
}

impl ToldModseqs {
    /// Nothing told yet but HIGHESTMODSEQ `floor`.
    pub(super) fn reported(floor: u64) -> ToldModseqs {
        ToldModseqs {
            floor,
            ..ToldModseqs::default()
        }
    }

    /// A delivery begins: the last one's values no longer matter.
    pub(super) fn start_delivery(&mut self) {
        self.delivered.clear();
    }

    /// Records the MODSEQ `e` tells (a FETCH event of a delivery, applied
    /// to the snapshot), for the command's own responses after it.
    pub(super) fn told_event(&mut self, e: &Untagged) {
        if let Untagged::Fetch(f) = e
            && let Some(m) = f.modseq
        {
            self.delivered.insert(f.uid, m);
        }
    }

    /// The MODSEQ to tell for `uid` beside its flags in the snapshot,
    /// given `m` read from the store or the command, and `snapshot`, the
    /// snapshot's mod-sequence (0: unknown, `m` is told as it is).
    pub(super) fn tell(&self, uid: u32, m: u64, snapshot: u64) -> u64 {
        as_of_snapshot(m, snapshot).max(self.delivered.get(&uid).copied().unwrap_or(0))
    }
}

/// A mod-sequence `m` read from the store, as a session whose snapshot
/// reflects the changes up to `snapshot` may tell it (see [`ToldModseqs`]);
/// `snapshot` 0 is unknown.
pub(super) fn as_of_snapshot(m: u64, snapshot: u64) -> u64 {
    if snapshot == 0 { m } else { m.min(snapshot) }
}

impl Session {
    /// Whether CONDSTORE is on for this session.
    pub(super) fn condstore(&self) -> bool {
        self.enabled.contains(&Capability::CondStore)
    }

    /// Whether QRESYNC is on for this session.
    pub(super) fn qresync(&self) -> bool {
        self.enabled.contains(&Capability::QResync)
    }

    /// Turns CONDSTORE on for a CONDSTORE-enabling command (RFC 7162
    /// §3.1); the first time with a mailbox selected, tells its
    /// HIGHESTMODSEQ.
    pub(super) fn enable_condstore(&mut self, out: &mut dyn ResponseSink) {
        let cap = [Capability::CondStore];
        if self.enabled.enable(&cap, &cap).is_empty() {
            return;
        }
        if let Some(m) = self.session_modseq() {
            out.send(highest_modseq(m));
        }
    }

    /// Before a tagged OK: with CONDSTORE on and changes held back, the
    /// HIGHESTMODSEQ below them (see the [module docs](self)).
    pub(super) fn tell_held_modseq(&mut self, out: &mut dyn ResponseSink) {
        if !self.condstore() {
            return;
        }
        let held = self
            .mailbox
            .as_ref()
            .is_some_and(|m| m.selected.modseq() < m.selected.snapshot().modseq());
        if held && let Some(safe) = self.session_modseq() {
            out.send(highest_modseq(safe));
        }
    }

    /// The session's HIGHESTMODSEQ to report, when a mailbox is selected:
    /// [`Selected::modseq`], never below one reported before (a held
    /// change's mod-sequence may be known only as a lower bound, which can
    /// be below it; the change itself is above anything reported).
    pub(super) fn session_modseq(&mut self) -> Option<u64> {
        self.mailbox.as_mut().map(|m| {
            let now = m.selected.modseq().max(m.told.floor).max(1);
            m.told.floor = now;
            now
        })
    }

    /// What changed among `asked` after mod-sequence `since`, as far as
    /// the selected session shows it, in one read of the store: the UIDs
    /// that vanished and that the session no longer shows (`* VANISHED
    /// (EARLIER)`, when `vanished`; see the [module docs](self) for a
    /// pruned history), and the messages it shows whose mod-sequence is
    /// above `since`, with their sequence number and stored mod-sequence,
    /// ascending by UID. When the session already knows everything up to
    /// `since`, only changes in flight can be found: a small read, done in
    /// place.
    /// `vouched`: the client knows of every expunge up to this UID (from
    /// its sequence match data, [`vouched_uid`]); it matters only when the
    /// history was pruned and every absent UID would be told.
    pub(super) async fn changes_since(
        &self,
        asked: &UidSet,
        since: u64,
        vanished: bool,
        vouched: u32,
    ) -> Result<SinceChanges, EngineError> {
        let Some(m) = self.mailbox.as_ref() else {
            return Ok(SinceChanges::default());
        };
        let id = m.info.id;
        let small = since >= m.selected.snapshot().modseq();
        let set = asked.clone();
        let (history, changed) = self
            .engine
            .read_sized(small, move |store, _| {
                let history = match vanished {
                    true => store.expunged_since(id, since)?,
                    false => Some(Vec::new()),
                };
                Ok((history, store.changed_since(id, &set, since)?))
            })
            .await?;
        let snap = m.selected.snapshot();
        // The store gave only asked UIDs, ascending.
        let uids: Vec<u32> = changed.iter().map(|r| r.uid).collect();
        let changed = changed
            .into_iter()
            .zip(positions(snap.uids(), &uids))
            .filter_map(|(r, at)| {
                Some(Changed {
                    seq: at? as u32 + 1,
                    uid: r.uid,
                    modseq: r.modseq,
                })
            })
            .collect();
        let vanished = match history {
            Some(mut uids) => {
                uids.retain(|&u| asked.contains(u));
                missing(snap.uids(), &uids)
            }
            None => {
                let top = m.info.uidnext.saturating_sub(1).max(snap.max_uid());
                let mut absent = absent_uids(asked, snap, top);
                absent.retain(|&u| u > vouched);
                absent
            }
        };
        Ok(SinceChanges { vanished, changed })
    }

    /// `* VANISHED (EARLIER) uids` then `* n FETCH (UID u FLAGS (…)
    /// MODSEQ (m))` for each of `changed`, flags as the session knows
    /// them: a QRESYNC SELECT's resynchronisation (RFC 7162 §3.2.5).
    pub(super) fn tell_resync(
        &mut self,
        vanished: &[u32],
        changed: &[Changed],
        out: &mut dyn ResponseSink,
    ) {
        let Some(m) = self.mailbox.as_mut() else {
            return;
        };
        if let Some(uids) = wire_uids(vanished.iter().copied()) {
            out.send(data(Data::Vanished {
                earlier: true,
                uids,
            }));
        }
        let snap = m.selected.snapshot();
        for c in changed {
            let Some(msg) = snap.get(c.seq) else {
                continue;
            };
            out.send(data(Data::Fetch {
                seq: nz(c.seq),
                items: vec![
                    FetchItem::Uid(nz(c.uid)),
                    FetchItem::Flags(flag_fetch(&msg.flags(), msg.recent)),
                    FetchItem::ModSeq(m.told.tell(c.uid, c.modseq, snap.modseq())),
                ],
            }));
        }
    }
}

/// What [`Session::changes_since`] found.
#[derive(Debug, Default)]
pub(super) struct SinceChanges {
    /// UIDs gone, ascending.
    pub(super) vanished: Vec<u32>,
    /// Messages changed, ascending by UID.
    pub(super) changed: Vec<Changed>,
}

/// A message [`Session::changes_since`] found changed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Changed {
    /// Its sequence number in the session's snapshot.
    pub(super) seq: u32,
    pub(super) uid: u32,
    /// Its stored mod-sequence (see [`ToldModseqs::tell`] for telling it).
    pub(super) modseq: u64,
}

/// `* OK [HIGHESTMODSEQ n]`.
pub(super) fn highest_modseq(n: u64) -> super::Output {
    untagged_ok(Some(Code::HighestModSeq(n.max(1))), "highest mod-sequence")
}

/// The UIDs of `asked` up to `top` (the highest UID the mailbox has
/// given) that the session does not show, ascending: what may have
/// vanished when the history to say it exactly is gone.
fn absent_uids(asked: &UidSet, snap: &Snapshot, top: u32) -> Vec<u32> {
    let shown: HashSet<u32> = snap.uids().iter().copied().collect();
    let mut out = Vec::new();
    for &(a, b) in asked.ranges() {
        for u in a..=b.min(top) {
            if !shown.contains(&u) {
                out.push(u);
            }
        }
    }
    out
}

/// The highest UID that the client's message sequence match data (RFC
/// 7162 §3.2.5.2: message numbers and the UIDs the client knows at them,
/// pairwise) vouches for: walking the pairs in order, the last one whose
/// UID is still at that message number in `snap`. As no UID below it can
/// appear, the client then knows every message below it: none of them was
/// expunged, and no `VANISHED` need name one. 0 when the first pair does
/// not match, or the two sets differ in size.
pub(super) fn vouched_uid(seq_match: &(SequenceSet, SequenceSet), snap: &Snapshot) -> u32 {
    let (seqs, uids) = seq_match;
    // Walked lazily: a pair that does not match ends the walk, and past
    // the snapshot's last message none can match.
    let count = |set: &SequenceSet| -> u64 {
        set.items()
            .iter()
            .map(|s| {
                let (a, b) = range_of(s);
                u64::from(b - a) + 1
            })
            .sum()
    };
    if count(seqs) != count(uids) {
        return 0;
    }
    let mut vouched = 0;
    for (seq, uid) in members(seqs).zip(members(uids)) {
        if snap.uid(seq) != Some(uid) {
            break;
        }
        vouched = uid;
    }
    vouched
}

/// The members of a wire set, in the order given.
fn members(set: &SequenceSet) -> impl Iterator<Item = u32> + '_ {
    set.items().iter().flat_map(|s| {
        let (a, b) = range_of(s);
        a..=b
    })
}

/// The bounds of one item of a wire set, low first, `*` as `u32::MAX`.
fn range_of(s: &hadron_proto::types::Sequence) -> (u32, u32) {
    use hadron_proto::types::Sequence;
    let n = |s: hadron_proto::types::SeqNumber| s.resolve(u32::MAX);
    match *s {
        Sequence::Single(a) => (n(a), n(a)),
        Sequence::Range(a, b) => (n(a).min(n(b)), n(a).max(n(b))),
    }
}

/// A store UID set from a wire UID set (`known-uids`), `*` standing for
/// every UID.
pub(super) fn uid_set_of(set: &SequenceSet) -> UidSet {
    UidSet::from_ranges(set.items().iter().map(range_of))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::FlagSet;

    fn pairs(seqs: &str, uids: &str) -> (SequenceSet, SequenceSet) {
        (seqs.parse().unwrap(), uids.parse().unwrap())
    }

    #[test]
    fn sequence_match_data_vouches_up_to_the_last_matching_pair() {
        // UIDs 3, 6, 9, 12, 15 shown; the client knew 1:15 (RFC 7162
        // example B04 shape).
        let snap = Snapshot::from_messages((1..=5).map(|i| (3 * i, FlagSet::default()))).unwrap();
        assert_eq!(vouched_uid(&pairs("1,4", "3,12"), &snap), 12);
        assert_eq!(vouched_uid(&pairs("1:3", "3,6,9"), &snap), 9, "ranges");
        // The walk stops at the first pair that does not match: UID 10
        // was expunged (or never existed) before message 4.
        assert_eq!(vouched_uid(&pairs("1,4,5", "3,10,15"), &snap), 3);
        assert_eq!(vouched_uid(&pairs("2", "3"), &snap), 0, "first pair off");
        assert_eq!(vouched_uid(&pairs("1,4", "3"), &snap), 0, "sizes differ");
        assert_eq!(
            vouched_uid(&pairs("5:6", "15:16"), &snap),
            15,
            "past the end"
        );
        // A huge range is walked only while it matches.
        assert_eq!(
            vouched_uid(&pairs("1:4000000000", "3:4000000002"), &snap),
            3
        );
        assert_eq!(vouched_uid(&pairs("1:*", "3:*"), &snap), 0, "sizes differ");
    }
}
