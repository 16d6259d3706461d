//! SELECT/EXAMINE parameters (RFC 7162 CONDSTORE and QRESYNC).

use std::num::{NonZeroU32, NonZeroU64};

use crate::types::SequenceSet;

/// `select-param`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SelectParam {
    /// `CONDSTORE`
    CondStore,
    /// `QRESYNC (uidvalidity modseq [known-uids] [seq-match-data])`
    QResync(QResync),
}

/// The arguments of the QRESYNC select parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QResync {
    /// The UIDVALIDITY the client last knew.
    pub uid_validity: NonZeroU32,
    /// The last known HIGHESTMODSEQ.
    pub mod_seq: NonZeroU64,
    /// `known-uids`: UIDs the client knows.
    pub known_uids: Option<SequenceSet>,
    /// `seq-match-data = "(" known-sequence-set SP known-uid-set ")"`.
    pub seq_match: Option<(SequenceSet, SequenceSet)>,
}
