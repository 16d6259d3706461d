//! A view's UIDs and flags at a checkpoint, and how two differ.

use std::collections::BTreeMap;

use super::{FlagSet, show};

/// A view's UIDs and flags (`None`: not known), in sequence order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot(pub Vec<(u32, Option<FlagSet>)>);

impl Snapshot {
    /// How `other` differs from `self`, in a line; `None` when they agree
    /// (flags unknown on either side are not compared).
    pub fn diff(&self, other: &Snapshot) -> Option<String> {
        const SHOWN: usize = 5;
        let mine: BTreeMap<u32, &Option<FlagSet>> = self.0.iter().map(|(u, f)| (*u, f)).collect();
        let theirs: BTreeMap<u32, &Option<FlagSet>> =
            other.0.iter().map(|(u, f)| (*u, f)).collect();
        let only = |a: &BTreeMap<u32, _>, b: &BTreeMap<u32, _>| -> Vec<u32> {
            a.keys().filter(|u| !b.contains_key(u)).copied().collect()
        };
        let (missing, extra) = (only(&mine, &theirs), only(&theirs, &mine));
        let flags: Vec<String> = mine
            .iter()
            .filter_map(|(uid, a)| {
                let (Some(a), Some(Some(b))) = (a, theirs.get(uid)) else {
                    return None;
                };
                (a != b).then(|| format!("UID {uid} {} vs {}", show(a), show(b)))
            })
            .collect();
        let mine_order: Vec<u32> = self.0.iter().map(|(u, _)| *u).collect();
        let their_order: Vec<u32> = other.0.iter().map(|(u, _)| *u).collect();
        let reordered = missing.is_empty() && extra.is_empty() && mine_order != their_order;
        if missing.is_empty() && extra.is_empty() && flags.is_empty() && !reordered {
            return None;
        }
        let list = |v: &[u32]| {
            let head: Vec<String> = v.iter().take(SHOWN).map(u32::to_string).collect();
            let more = v.len().saturating_sub(SHOWN);
            if more > 0 {
                format!("{} (+{more})", head.join(","))
            } else {
                head.join(",")
            }
        };
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("lacks UIDs {}", list(&missing)));
        }
        if !extra.is_empty() {
            parts.push(format!("has extra UIDs {}", list(&extra)));
        }
        if reordered {
            parts.push("has the UIDs in another order".to_owned());
        }
        if !flags.is_empty() {
            let more = flags.len().saturating_sub(SHOWN);
            let mut text = flags[..flags.len().min(SHOWN)].join("; ");
            if more > 0 {
                text.push_str(&format!(" (+{more})"));
            }
            parts.push(format!("flags differ: {text}"));
        }
        Some(parts.join(", "))
    }
}
