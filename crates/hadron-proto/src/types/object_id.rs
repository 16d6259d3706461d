//! Object identifiers (RFC 8474, OBJECTID): the persistent ids of mailboxes
//! (`MAILBOXID`), messages (`EMAILID`) and threads (`THREADID`).

use std::borrow::Cow;
use std::fmt;

use crate::types::ValidationError;
use crate::types::core::{check_bytes, check_non_empty, str_newtype_common};

/// `ALPHA / DIGIT / "_" / "-"`: a character of an `objectid`.
#[inline]
pub(crate) fn is_objectid_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// An object identifier: `objectid = 1*255(ALPHA / DIGIT / "_" / "-")`
/// (RFC 8474 §7).
///
/// Servers choose the ids; clients treat them as opaque. Comparison is
/// byte-exact: the RFC makes object identifiers case-sensitive.
///
/// ```
/// use hadron_proto::types::ObjectId;
/// let id = ObjectId::try_from("F2212ea87-6097-4256-9d51-71338625").unwrap();
/// assert_eq!(id.as_str(), "F2212ea87-6097-4256-9d51-71338625");
/// assert!(ObjectId::try_from("").is_err());
/// assert!(ObjectId::try_from("a.b").is_err());
/// assert!(ObjectId::try_from("x".repeat(256)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId<'a>(Cow<'a, str>);

impl ObjectId<'_> {
    /// The longest object identifier the grammar allows, in bytes.
    pub const MAX_LEN: usize = 255;

    fn validate(value: &[u8]) -> Result<(), ValidationError> {
        check_non_empty("object id", value)?;
        if value.len() > Self::MAX_LEN {
            return Err(ValidationError::TooLong {
                what: "object id",
                max: Self::MAX_LEN,
                len: value.len(),
            });
        }
        check_bytes("object id", value, is_objectid_char)
    }
}
str_newtype_common!(ObjectId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectid_grammar() {
        for good in ["M6d99ac3275bb4e", "T64b478a75b7ea9", "a", "_-_", "NIL", "0"] {
            assert!(ObjectId::try_from(good).is_ok(), "{good:?}");
        }
        for bad in ["", "a b", "a.b", "a+b", "(a)", "\u{e9}", "a\r\n", "\"a\""] {
            assert!(ObjectId::try_from(bad).is_err(), "{bad:?}");
        }
        assert!(ObjectId::try_from("x".repeat(255)).is_ok());
        let err = ObjectId::try_from("x".repeat(256)).unwrap_err();
        assert!(matches!(
            err,
            ValidationError::TooLong {
                max: 255,
                len: 256,
                ..
            }
        ));
        assert!(err.to_string().contains("255"), "{err}");
    }

    #[test]
    fn objectid_is_case_sensitive() {
        let a = ObjectId::try_from("Mabc").unwrap();
        let b = ObjectId::try_from("MABC").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.to_string(), "Mabc");
        assert_eq!(ObjectId::try_from(&b"Mabc"[..]).unwrap(), a);
        assert_eq!(a.clone().into_static(), a);
    }
}
