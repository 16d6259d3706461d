//! The `[search]` section.

use serde::Deserialize;

/// The `[search]` section: the full-text index of SEARCH `BODY` and `TEXT`.
///
/// A background job reads each new message once more and adds its decoded
/// text to a trigram index, so those searches cost milliseconds instead of
/// reading every message; it yields to incoming mail. The index takes disk
/// space of the order of a few times the text of the mail (measured: 22 KiB
/// a message on the benchmark's generated mail). With it off, SEARCH reads
/// the messages the index does not hold, as it always does for the ones it
/// has not reached yet: the answers are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSection {
    /// Whether the background job fills the full-text index. Default true.
    pub index_text: bool,
}

impl Default for SearchSection {
    fn default() -> Self {
        SearchSection { index_text: true }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    #[test]
    fn the_text_index_is_on_unless_turned_off() {
        assert!(Config::default().search.index_text);
        assert!(Config::from_toml("[search]").unwrap().search.index_text);
        let off = Config::from_toml("[search]\nindex_text = false").unwrap();
        assert!(!off.search.index_text);
        assert!(Config::from_toml("[search]\nindex = false").is_err());
    }
}
