//! STORE actions (RFC 3501 §6.4.6, RFC 7162 `UNCHANGEDSINCE`).

use crate::types::Flag;

/// How STORE changes the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// `store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreAction<'a> {
    /// Replace, add or remove.
    pub kind: StoreKind,
    /// `.SILENT`: no untagged FETCH for the change.
    pub silent: bool,
    /// The flags (may be empty: `FLAGS ()` clears every flag).
    pub flags: Vec<Flag<'a>>,
}

impl StoreAction<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> StoreAction<'static> {
        StoreAction {
            kind: self.kind,
            silent: self.silent,
            flags: self.flags.into_iter().map(Flag::into_static).collect(),
        }
    }
}
