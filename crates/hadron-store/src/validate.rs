//! Input validation, done before anything is written.

use crate::error::{Result, StoreError};

/// Longest accepted user name, in bytes.
pub const MAX_USER_NAME_LEN: usize = 255;
/// Longest accepted mailbox name (full path), in bytes.
pub const MAX_MAILBOX_NAME_LEN: usize = 1024;
/// Longest accepted keyword, in bytes.
pub const MAX_KEYWORD_LEN: usize = 255;
/// The hierarchy delimiter of stored mailbox names.
pub const HIERARCHY_DELIMITER: char = '/';

fn invalid(name: &str, reason: &'static str) -> StoreError {
    StoreError::InvalidName {
        name: name.to_owned(),
        reason,
    }
}

fn length(name: &str, max: usize) -> Result<()> {
    if name.is_empty() {
        return Err(invalid(name, "empty"));
    }
    if name.len() > max {
        return Err(StoreError::NameTooLong {
            len: name.len(),
            max,
        });
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(name, "contains a control character"));
    }
    Ok(())
}

pub(crate) fn user_name(name: &str) -> Result<()> {
    length(name, MAX_USER_NAME_LEN)
}

pub(crate) fn mailbox_name(name: &str) -> Result<()> {
    length(name, MAX_MAILBOX_NAME_LEN)?;
    if name.starts_with(HIERARCHY_DELIMITER) || name.ends_with(HIERARCHY_DELIMITER) {
        return Err(invalid(name, "starts or ends with the hierarchy delimiter"));
    }
    if name.contains("//") {
        return Err(invalid(name, "empty hierarchy level"));
    }
    Ok(())
}

pub(crate) fn keyword(name: &str) -> Result<()> {
    length(name, MAX_KEYWORD_LEN)?;
    let ok = name.bytes().all(|b| {
        b.is_ascii_graphic() && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
    });
    if ok {
        Ok(())
    } else {
        Err(invalid(name, "not an IMAP atom"))
    }
}

pub(crate) fn special_use(attr: &str) -> Result<()> {
    length(attr, 64)?;
    let ok = attr
        .strip_prefix('\\')
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(invalid(attr, "not a special-use attribute"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(mailbox_name("INBOX/Work").is_ok());
        assert!(matches!(
            mailbox_name(""),
            Err(StoreError::InvalidName { .. })
        ));
        assert!(matches!(
            mailbox_name("a\0b"),
            Err(StoreError::InvalidName { .. })
        ));
        assert!(matches!(
            mailbox_name("a//b"),
            Err(StoreError::InvalidName { .. })
        ));
        assert!(matches!(
            mailbox_name(&"x".repeat(2000)),
            Err(StoreError::NameTooLong { len: 2000, .. })
        ));
        assert!(keyword("$Forwarded").is_ok());
        assert!(keyword("\\Seen").is_err() && keyword("a b").is_err());
        assert!(special_use("\\Sent").is_ok() && special_use("Sent").is_err());
    }
}
