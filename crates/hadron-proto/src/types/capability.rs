//! Capability names (RFC 3501 §7.2.1 and extensions).

use std::fmt;

use crate::types::Atom;

macro_rules! capabilities {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// A capability, as advertised in CAPABILITY and named in ENABLE.
        ///
        /// Known names are variants (matched case-insensitively); anything
        /// else is kept as [`Capability::Other`]. Parameterised capabilities
        /// (`AUTH=`, `THREAD=`, `COMPRESS=`) carry their parameter.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Capability<'a> {
            $($(#[$doc])* $variant,)*
            /// `AUTH=<mechanism>`
            Auth(Atom<'a>),
            /// `THREAD=<algorithm>`
            Thread(Atom<'a>),
            /// `COMPRESS=<algorithm>`
            Compress(Atom<'a>),
            /// Any other capability.
            Other(Atom<'a>),
        }

        impl<'a> Capability<'a> {
            /// Interprets a capability atom.
            pub fn from_atom(atom: Atom<'a>) -> Capability<'a> {
                let name = atom.as_str();
                $(if name.eq_ignore_ascii_case($name) { return Capability::$variant; })*
                for (prefix, make) in [
                    ("AUTH=", Capability::Auth as fn(Atom<'a>) -> Capability<'a>),
                    ("THREAD=", Capability::Thread),
                    ("COMPRESS=", Capability::Compress),
                ] {
                    if name.len() > prefix.len()
                        && name.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
                    {
                        let param = Atom::try_from(name[prefix.len()..].to_owned())
                            .expect("a suffix of an atom is an atom");
                        return make(param);
                    }
                }
                Capability::Other(atom)
            }

            /// Detaches the value from the buffer it was parsed from.
            pub fn into_static(self) -> Capability<'static> {
                match self {
                    $(Capability::$variant => Capability::$variant,)*
                    Capability::Auth(a) => Capability::Auth(a.into_static()),
                    Capability::Thread(a) => Capability::Thread(a.into_static()),
                    Capability::Compress(a) => Capability::Compress(a.into_static()),
                    Capability::Other(a) => Capability::Other(a.into_static()),
                }
            }
        }

        impl fmt::Display for Capability<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Capability::$variant => f.write_str($name),)*
                    Capability::Auth(a) => write!(f, "AUTH={a}"),
                    Capability::Thread(a) => write!(f, "THREAD={a}"),
                    Capability::Compress(a) => write!(f, "COMPRESS={a}"),
                    Capability::Other(a) => write!(f, "{a}"),
                }
            }
        }
    };
}

capabilities! {
    /// `IMAP4rev1` (RFC 3501)
    Imap4Rev1 => "IMAP4rev1",
    /// `IMAP4rev2` (RFC 9051)
    Imap4Rev2 => "IMAP4rev2",
    /// `STARTTLS`
    StartTls => "STARTTLS",
    /// `LOGINDISABLED`
    LoginDisabled => "LOGINDISABLED",
    /// `IDLE` (RFC 2177)
    Idle => "IDLE",
    /// `UNSELECT` (RFC 3691)
    Unselect => "UNSELECT",
    /// `UIDPLUS` (RFC 4315)
    UidPlus => "UIDPLUS",
    /// `MOVE` (RFC 6851)
    Move => "MOVE",
    /// `ID` (RFC 2971)
    Id => "ID",
    /// `ENABLE` (RFC 5161)
    Enable => "ENABLE",
    /// `NAMESPACE` (RFC 2342)
    Namespace => "NAMESPACE",
    /// `LITERAL+` (RFC 7888)
    LiteralPlus => "LITERAL+",
    /// `LITERAL-` (RFC 7888)
    LiteralMinus => "LITERAL-",
    /// `SASL-IR` (RFC 4959)
    SaslIr => "SASL-IR",
    /// `CHILDREN` (RFC 3348)
    Children => "CHILDREN",
    /// `SPECIAL-USE` (RFC 6154)
    SpecialUse => "SPECIAL-USE",
    /// `CONDSTORE` (RFC 7162)
    CondStore => "CONDSTORE",
    /// `QRESYNC` (RFC 7162)
    QResync => "QRESYNC",
    /// `LIST-EXTENDED` (RFC 5258)
    ListExtended => "LIST-EXTENDED",
    /// `LIST-STATUS` (RFC 5819)
    ListStatus => "LIST-STATUS",
    /// `STATUS=SIZE` (RFC 8438)
    StatusSize => "STATUS=SIZE",
    /// `ESEARCH` (RFC 4731)
    ESearch => "ESEARCH",
    /// `SEARCHRES` (RFC 5182)
    SearchRes => "SEARCHRES",
    /// `SORT` (RFC 5256)
    Sort => "SORT",
    /// `MULTIAPPEND` (RFC 3502)
    MultiAppend => "MULTIAPPEND",
    /// `BINARY` (RFC 3516)
    Binary => "BINARY",
    /// `CATENATE` (RFC 4469)
    Catenate => "CATENATE",
    /// `UTF8=ACCEPT` (RFC 6855)
    Utf8Accept => "UTF8=ACCEPT",
    /// `OBJECTID` (RFC 8474)
    ObjectId => "OBJECTID",
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(s: &str) -> Capability<'_> {
        Capability::from_atom(Atom::try_from(s).unwrap())
    }

    #[test]
    fn names_are_case_insensitive_and_round_trip() {
        assert_eq!(cap("imap4REV1"), Capability::Imap4Rev1);
        assert_eq!(cap("literal+"), Capability::LiteralPlus);
        assert_eq!(cap("ObjectID"), Capability::ObjectId);
        assert_eq!(Capability::ObjectId.to_string(), "OBJECTID");
        assert_eq!(cap("AUTH=PLAIN").to_string(), "AUTH=PLAIN");
        assert_eq!(
            cap("auth=plain"),
            Capability::Auth(Atom::try_from("plain").unwrap())
        );
        assert_eq!(
            cap("XFOO"),
            Capability::Other(Atom::try_from("XFOO").unwrap())
        );
        assert_eq!(
            cap("AUTH="),
            Capability::Other(Atom::try_from("AUTH=").unwrap())
        );
    }
}
