//! The primitive protocol values of RFC 3501 §4 and §9: tags, atoms and strings.
//!
//! Every type here validates on construction, so a value that exists is valid
//! protocol and the encoder can never emit bad bytes. Values borrow from the
//! input where they can (`Cow<'a, _>`); [`into_static`](Tag::into_static)
//! detaches them from it.

use std::borrow::Cow;
use std::fmt;

use crate::types::ValidationError;

/// Characters of `atom-specials` (RFC 3501 §9) that are not controls or space.
const ATOM_SPECIALS: &[u8] = b"(){%*\"\\]";

/// [`is_atom_char`] of every byte, computed once: the parser, the encoder's
/// atom/quoted choice and [`crate::types::WireList`]'s check ask it of every byte.
const ATOM_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x21;
    while b <= 0x7e {
        table[b] = true;
        b += 1;
    }
    let mut i = 0;
    while i < ATOM_SPECIALS.len() {
        table[ATOM_SPECIALS[i] as usize] = false;
        i += 1;
    }
    table
};

/// `ATOM-CHAR = <any CHAR except atom-specials>`
#[inline]
pub(crate) fn is_atom_char(b: u8) -> bool {
    ATOM_CHARS[b as usize]
}

/// `ASTRING-CHAR = ATOM-CHAR / resp-specials`
#[inline]
pub(crate) fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// `tag = 1*<any ASTRING-CHAR except "+">`
#[inline]
pub(crate) fn is_tag_char(b: u8) -> bool {
    is_astring_char(b) && b != b'+'
}

/// `TEXT-CHAR = <any CHAR except CR and LF>` (CHAR excludes NUL and 8-bit).
#[inline]
pub(crate) fn is_text_char(b: u8) -> bool {
    (0x01..=0x7f).contains(&b) && b != b'\r' && b != b'\n'
}

/// `QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials`:
/// the bytes that may appear in a quoted string (escaped or not).
#[inline]
#[allow(dead_code)]
pub(crate) fn is_quotable(b: u8) -> bool {
    is_text_char(b)
}

pub(crate) fn check_non_empty(what: &'static str, value: &[u8]) -> Result<(), ValidationError> {
    if value.is_empty() {
        Err(ValidationError::Empty(what))
    } else {
        Ok(())
    }
}

pub(crate) fn check_bytes(
    what: &'static str,
    value: &[u8],
    allowed: impl Fn(u8) -> bool,
) -> Result<(), ValidationError> {
    match value.iter().position(|&b| !allowed(b)) {
        Some(at) => Err(ValidationError::InvalidByte {
            what,
            byte: value[at],
            at,
        }),
        None => Ok(()),
    }
}

macro_rules! str_newtype_common {
    ($name:ident) => {
        impl<'a> $name<'a> {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Detaches the value from the buffer it was parsed from.
            pub fn into_static(self) -> $name<'static> {
                $name(Cow::Owned(self.0.into_owned()))
            }

            /// Builds the value without checking it; the caller (a parser) has
            /// already matched the grammar.
            #[allow(dead_code)]
            pub(crate) fn unvalidated(value: impl Into<Cow<'a, str>>) -> Self {
                let value = value.into();
                debug_assert!(Self::validate(value.as_bytes()).is_ok(), "{value:?}");
                Self(value)
            }
        }

        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name<'_> {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'a> TryFrom<&'a str> for $name<'a> {
            type Error = ValidationError;
            fn try_from(value: &'a str) -> Result<Self, Self::Error> {
                Self::validate(value.as_bytes())?;
                Ok(Self(Cow::Borrowed(value)))
            }
        }

        impl TryFrom<String> for $name<'static> {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::validate(value.as_bytes())?;
                Ok(Self(Cow::Owned(value)))
            }
        }

        impl<'a> TryFrom<&'a [u8]> for $name<'a> {
            type Error = ValidationError;
            fn try_from(value: &'a [u8]) -> Result<Self, Self::Error> {
                Self::validate(value)?;
                // Validation admits only 7-bit bytes, so this cannot fail.
                let text = std::str::from_utf8(value).map_err(|_| ValidationError::NotUtf8)?;
                Ok(Self(Cow::Borrowed(text)))
            }
        }
    };
}

pub(crate) use str_newtype_common;

/// A command tag: `tag = 1*<any ASTRING-CHAR except "+">`.
///
/// ```
/// use hadron_proto::types::Tag;
/// assert!(Tag::try_from("a001").is_ok());
/// assert!(Tag::try_from("a+1").is_err());
/// assert!(Tag::try_from("").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag<'a>(Cow<'a, str>);

impl Tag<'_> {
    fn validate(value: &[u8]) -> Result<(), ValidationError> {
        check_non_empty("tag", value)?;
        check_bytes("tag", value, is_tag_char)
    }
}
str_newtype_common!(Tag);

/// An atom: `atom = 1*ATOM-CHAR`.
///
/// Atoms name things in the protocol: capabilities, keywords, extension
/// items. Comparison is byte-exact; use [`Atom::eq_ignore_case`] where the
/// RFC makes a name case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom<'a>(Cow<'a, str>);

impl Atom<'_> {
    fn validate(value: &[u8]) -> Result<(), ValidationError> {
        check_non_empty("atom", value)?;
        check_bytes("atom", value, is_atom_char)
    }

    /// ASCII case-insensitive comparison, as IMAP uses for names.
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}
str_newtype_common!(Atom);

/// Human-readable text: `text = 1*TEXT-CHAR` (used in `resp-text`).
///
/// The RFC requires at least one character; servers and clients in the wild
/// send empty text, so the empty string is admitted and encoded as nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text<'a>(Cow<'a, str>);

impl Text<'_> {
    fn validate(value: &[u8]) -> Result<(), ValidationError> {
        check_bytes("text", value, is_text_char)
    }
}
str_newtype_common!(Text);

macro_rules! bytes_newtype_common {
    ($name:ident) => {
        impl<'a> $name<'a> {
            /// The content bytes (after unescaping / without literal framing).
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// The content as UTF-8 text, if it is valid UTF-8.
            pub fn to_str(&self) -> Result<&str, ValidationError> {
                std::str::from_utf8(&self.0).map_err(|_| ValidationError::NotUtf8)
            }

            /// The content, keeping the borrow.
            pub(crate) fn into_cow(self) -> Cow<'a, [u8]> {
                self.0
            }

            /// The content bytes, owned.
            pub fn into_bytes(self) -> Vec<u8> {
                self.0.into_owned()
            }

            /// Detaches the value from the buffer it was parsed from.
            pub fn into_static(self) -> $name<'static> {
                $name(Cow::Owned(self.0.into_owned()))
            }

            /// Builds the value without checking it; the caller (a parser) has
            /// already matched the grammar.
            #[allow(dead_code)]
            pub(crate) fn unvalidated(value: impl Into<Cow<'a, [u8]>>) -> Self {
                let value = value.into();
                debug_assert!(Self::validate(&value).is_ok());
                Self(value)
            }

            fn validate(value: &[u8]) -> Result<(), ValidationError> {
                match memchr::memchr(0, value) {
                    Some(at) => Err(ValidationError::InvalidByte {
                        what: stringify!($name),
                        byte: 0,
                        at,
                    }),
                    None => Ok(()),
                }
            }
        }

        impl<'a> TryFrom<&'a [u8]> for $name<'a> {
            type Error = ValidationError;
            fn try_from(value: &'a [u8]) -> Result<Self, Self::Error> {
                Self::validate(value)?;
                Ok(Self(Cow::Borrowed(value)))
            }
        }

        impl<'a> TryFrom<&'a str> for $name<'a> {
            type Error = ValidationError;
            fn try_from(value: &'a str) -> Result<Self, Self::Error> {
                Self::try_from(value.as_bytes())
            }
        }

        impl TryFrom<Vec<u8>> for $name<'static> {
            type Error = ValidationError;
            fn try_from(value: Vec<u8>) -> Result<Self, Self::Error> {
                Self::validate(&value)?;
                Ok(Self(Cow::Owned(value)))
            }
        }

        impl TryFrom<String> for $name<'static> {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::try_from(value.into_bytes())
            }
        }

        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&String::from_utf8_lossy(&self.0))
            }
        }
    };
}

/// A string: `string = quoted / literal` (RFC 3501 §4.3).
///
/// The value is the content only; how it travels (quoted or literal) is the
/// encoder's choice, made by content: quoted when every byte is a 7-bit
/// `TEXT-CHAR` and the string is short, otherwise a literal. Any byte except
/// NUL may appear.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IString<'a>(Cow<'a, [u8]>);
bytes_newtype_common!(IString);

/// An atom-or-string: `astring = 1*ASTRING-CHAR / string`.
///
/// Same content rules as [`IString`]; the encoder may additionally write it
/// as a bare atom when every byte is an `ASTRING-CHAR`.
///
/// ```
/// use hadron_proto::types::AString;
/// let s = AString::try_from("hello world").unwrap();
/// assert_eq!(s.as_bytes(), b"hello world");
/// assert!(AString::try_from(&b"nul\0"[..]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AString<'a>(Cow<'a, [u8]>);
bytes_newtype_common!(AString);

impl<'a> From<IString<'a>> for AString<'a> {
    fn from(value: IString<'a>) -> Self {
        AString(value.0)
    }
}

impl<'a> From<AString<'a>> for IString<'a> {
    fn from(value: AString<'a>) -> Self {
        IString(value.0)
    }
}

impl<'a> From<Atom<'a>> for AString<'a> {
    fn from(value: Atom<'a>) -> Self {
        AString(match value.0 {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        })
    }
}

/// A string or `NIL`: `nstring = string / nil`.
///
/// `NString(None)` is `NIL`; a string whose content is the three letters
/// `NIL` is `NString(Some(..))` and is always encoded quoted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NString<'a>(pub Option<IString<'a>>);

impl<'a> NString<'a> {
    /// `NIL`.
    pub const NIL: NString<'static> = NString(None);

    /// The content, if not `NIL`.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        self.0.as_ref().map(IString::as_bytes)
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> NString<'static> {
        NString(self.0.map(IString::into_static))
    }
}

impl<'a> From<IString<'a>> for NString<'a> {
    fn from(value: IString<'a>) -> Self {
        NString(Some(value))
    }
}

/// The framing a literal uses on the wire (RFC 3501 §4.3, RFC 7888, RFC 3516).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LiteralMode {
    /// `{n}`: the sender waits for a `+` continuation before the data.
    #[default]
    Sync,
    /// `{n+}` (LITERAL+ / LITERAL-): the data follows without waiting.
    NonSync,
}

/// A literal whose exact bytes matter, such as an APPEND message.
///
/// `literal = "{" number64 ["+"] "}" CRLF *CHAR8` (CHAR8 excludes NUL);
/// `literal8 = "~{" number64 ["+"] "}" CRLF *OCTET` (RFC 3516) admits NUL and
/// is marked [`binary`](Literal::is_binary).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Literal<'a> {
    data: Cow<'a, [u8]>,
    binary: bool,
    mode: LiteralMode,
}

impl<'a> Literal<'a> {
    /// A `literal` (no NUL bytes).
    pub fn new(data: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValidationError> {
        let data = data.into();
        if let Some(at) = memchr::memchr(0, &data) {
            return Err(ValidationError::InvalidByte {
                what: "literal",
                byte: 0,
                at,
            });
        }
        Ok(Self {
            data,
            binary: false,
            mode: LiteralMode::Sync,
        })
    }

    /// A `literal8` (any bytes).
    pub fn binary(data: impl Into<Cow<'a, [u8]>>) -> Self {
        Self {
            data: data.into(),
            binary: true,
            mode: LiteralMode::Sync,
        }
    }

    /// The same literal sent with the given framing.
    pub fn with_mode(mut self, mode: LiteralMode) -> Self {
        self.mode = mode;
        self
    }

    /// The literal's bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Whether this is a `literal8` (`~{n}`).
    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// The framing the literal was (or will be) sent with.
    pub fn mode(&self) -> LiteralMode {
        self.mode
    }

    /// The literal's bytes, keeping the borrow.
    pub(crate) fn into_cow(self) -> Cow<'a, [u8]> {
        self.data
    }

    /// The literal's bytes, owned.
    pub fn into_data(self) -> Vec<u8> {
        self.data.into_owned()
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Literal<'static> {
        Literal {
            data: Cow::Owned(self.data.into_owned()),
            binary: self.binary,
            mode: self.mode,
        }
    }
}

/// A charset name, as in `SEARCH CHARSET x` (`charset = atom / quoted`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Charset<'a>(Cow<'a, str>);

impl Charset<'_> {
    fn validate(value: &[u8]) -> Result<(), ValidationError> {
        check_non_empty("charset", value)?;
        check_bytes("charset", value, is_text_char)
    }

    /// Whether this names UTF-8 (case-insensitive).
    pub fn is_utf8(&self) -> bool {
        self.0.eq_ignore_ascii_case("UTF-8")
    }

    /// Whether this names US-ASCII (case-insensitive).
    pub fn is_us_ascii(&self) -> bool {
        self.0.eq_ignore_ascii_case("US-ASCII")
    }
}
str_newtype_common!(Charset);

#[cfg(test)]
mod tests {

    #[test]
    fn the_atom_char_table_is_rfc_3501s_definition() {
        for b in 0..=255u8 {
            let atom_special = b"(){ %*\"\\]".contains(&b) || b < 0x20 || b == 0x7f;
            assert_eq!(is_atom_char(b), b < 0x80 && !atom_special, "byte {b:#x}");
        }
    }

    use super::*;

    #[test]
    fn tag_rejects_plus_space_and_specials() {
        for bad in [
            "", "a+", "a b", "a(", "a{", "a%", "a*", "a\"", "a\\", "\u{e9}",
        ] {
            assert!(Tag::try_from(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "A001", "x]", "*"[1..].to_owned().as_str(), "tag.1-2_3"] {
            if !good.is_empty() {
                assert!(Tag::try_from(good).is_ok(), "{good:?}");
            }
        }
    }

    #[test]
    fn atom_excludes_resp_specials() {
        assert!(Atom::try_from("foo]").is_err());
        assert!(Atom::try_from("\\Seen").is_err());
        assert!(Atom::try_from("$Junk").is_ok());
        assert!(Atom::try_from("foo").unwrap().eq_ignore_case("FOO"));
    }

    #[test]
    fn strings_reject_nul_only() {
        assert!(IString::try_from(&b"a\r\n\xff"[..]).is_ok());
        let err = IString::try_from(&b"ab\0"[..]).unwrap_err();
        assert!(err.to_string().contains("0x00"), "{err}");
        assert!(AString::try_from("").is_ok());
    }

    #[test]
    fn text_rejects_line_breaks() {
        assert!(Text::try_from("all good").is_ok());
        assert!(Text::try_from("bad\r\n").is_err());
    }

    #[test]
    fn literal8_admits_nul() {
        assert!(Literal::new(&b"\0"[..]).is_err());
        assert!(Literal::binary(&b"\0"[..]).is_binary());
    }
}
