//! imap-codec's `Command` → the neutral canonical form, plus the facts about
//! it that decide whether a difference is an intended one.

use imap_codec::imap_types::{
    command::{Command, CommandBody, FetchModifier, SelectParameter, StoreModifier},
    core::{AString, Charset, IString, LiteralMode, NString},
    datetime::{DateTime, NaiveDate},
    extensions::{binary::LiteralOrLiteral8, condstore_qresync::EntryTypeReq, sort::SortKey},
    fetch::{Macro, MacroOrMessageDataItemNames, MessageDataItemName, Part, Section},
    flag::{Flag, StoreResponse, StoreType},
    mailbox::{ListMailbox, Mailbox},
    search::SearchKey,
    sequence::{SeqOrUid, Sequence, SequenceSet},
    status::StatusDataItemName,
};

use super::{bytes, list, mailbox_token, opt, part, seq_number, text, utf7};

/// Facts about what imap-codec accepted.
#[derive(Debug, Default, Clone)]
pub(crate) struct Facts {
    /// A mailbox name or LIST pattern that is not valid modified UTF-7.
    pub(crate) invalid_mailbox: bool,
    /// A date or date-time in year 0.
    pub(crate) year_zero: bool,
    /// `STATUS mailbox ()`.
    pub(crate) empty_status: bool,
    /// `FETCH set ()`.
    pub(crate) empty_fetch: bool,
    /// A mod-sequence above 2^63 - 1.
    pub(crate) modseq_above_63_bits: bool,
    /// A SETQUOTA limit above 2^63 - 1.
    pub(crate) quota_limit_above_63_bits: bool,
    /// More than one STORE modifier.
    pub(crate) several_store_modifiers: bool,
    /// An empty SASL-IR initial response (written `=` or nothing at all).
    pub(crate) empty_initial_response: bool,
    /// What imap-codec parsed that Hadron does not speak.
    pub(crate) extension: Option<&'static str>,
}

struct W {
    facts: Facts,
}

/// The canonical form of a command imap-codec parsed, and its facts.
pub(crate) fn canon(cmd: &Command<'_>) -> (String, Facts) {
    let mut w = W {
        facts: Facts::default(),
    };
    let body = w.body(&cmd.body);
    (format!("{} {body}", text(cmd.tag.as_ref())), w.facts)
}

fn uid(uid: bool, name: &str) -> String {
    if uid {
        format!("UID {name}")
    } else {
        name.to_owned()
    }
}

fn astring(a: &AString<'_>) -> String {
    bytes(a.as_ref())
}

fn istring(s: &IString<'_>) -> String {
    bytes(s.as_ref())
}

fn charset(c: &Charset<'_>) -> String {
    text(c.as_ref())
}

fn flag(f: &Flag<'_>) -> String {
    format!("flag:{}", text(&f.to_string()))
}

fn set(s: &SequenceSet) -> String {
    s.0.as_ref()
        .iter()
        .map(|item| {
            let n = |n: &SeqOrUid| {
                seq_number(match n {
                    SeqOrUid::Value(v) => Some(v.get()),
                    SeqOrUid::Asterisk => None,
                })
            };
            match item {
                Sequence::Single(a) => n(a),
                Sequence::Range(a, b) => format!("{}:{}", n(a), n(b)),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn status_item(i: &StatusDataItemName) -> String {
    match i {
        StatusDataItemName::Messages => "MESSAGES",
        StatusDataItemName::Recent => "RECENT",
        StatusDataItemName::UidNext => "UIDNEXT",
        StatusDataItemName::UidValidity => "UIDVALIDITY",
        StatusDataItemName::Unseen => "UNSEEN",
        StatusDataItemName::Deleted => "DELETED",
        StatusDataItemName::DeletedStorage => "DELETED-STORAGE",
        StatusDataItemName::Size => "SIZE",
        StatusDataItemName::HighestModSeq => "HIGHESTMODSEQ",
    }
    .to_owned()
}

fn path(p: &Part) -> String {
    let v: Vec<u32> = p.0.as_ref().iter().map(|n| n.get()).collect();
    part(&v)
}

impl W {
    fn mbox(&mut self, m: &Mailbox<'_>) -> String {
        match m {
            Mailbox::Inbox => mailbox_token(Some("INBOX"), b"INBOX"),
            Mailbox::Other(other) => {
                let raw: &[u8] = other.as_ref();
                let decoded = utf7::decode(raw);
                if decoded.is_none() {
                    self.facts.invalid_mailbox = true;
                }
                mailbox_token(decoded.as_deref(), raw)
            }
        }
    }

    fn pattern(&mut self, p: &ListMailbox<'_>) -> String {
        let raw: &[u8] = match p {
            ListMailbox::Token(t) => t.as_ref(),
            ListMailbox::String(s) => s.as_ref(),
        };
        match utf7::decode(raw) {
            Some(s) => format!("pattern:{}", text(&s)),
            None => {
                self.facts.invalid_mailbox = true;
                format!("pattern-invalid:{}", bytes(raw))
            }
        }
    }

    fn date(&mut self, d: &NaiveDate) -> String {
        // imap-types exposes the chrono date only through Debug (ISO 8601).
        let iso = format!("{d:?}");
        let mut parts = iso.splitn(3, '-');
        let mut next = || parts.next().and_then(|p| p.parse::<i32>().ok()).unwrap();
        let (y, m, day) = (next(), next(), next());
        if y == 0 {
            self.facts.year_zero = true;
        }
        super::date(y, m as u32, day as u32)
    }

    fn date_time(&mut self, dt: &DateTime) -> String {
        let dt = dt.as_ref();
        let local = dt.format("%Y %m %d %H %M %S").to_string();
        let f: Vec<i32> = local.split(' ').map(|p| p.parse().unwrap()).collect();
        if f[0] == 0 {
            self.facts.year_zero = true;
        }
        super::date_time(
            super::date(f[0], f[1] as u32, f[2] as u32),
            f[3] as u32,
            f[4] as u32,
            f[5] as u32,
            dt.offset().local_minus_utc() / 60,
        )
    }

    fn modseq(&mut self, n: u64) -> String {
        if n > i64::MAX as u64 {
            self.facts.modseq_above_63_bits = true;
        }
        n.to_string()
    }

    fn keys(&mut self, keys: &[SearchKey<'_>]) -> String {
        list(keys.iter().map(|k| self.key(k)))
    }

    fn key(&mut self, k: &SearchKey<'_>) -> String {
        use SearchKey as K;
        let s = |name: &str, v: &AString<'_>| format!("{name} {}", astring(v));
        match k {
            K::All => "ALL".into(),
            K::Answered => "ANSWERED".into(),
            K::Bcc(v) => s("BCC", v),
            K::Before(d) => format!("BEFORE {}", self.date(d)),
            K::Body(v) => s("BODY", v),
            K::Cc(v) => s("CC", v),
            K::Deleted => "DELETED".into(),
            K::Draft => "DRAFT".into(),
            K::Flagged => "FLAGGED".into(),
            K::From(v) => s("FROM", v),
            K::Header(f, v) => format!("HEADER {} {}", astring(f), astring(v)),
            K::Keyword(a) => format!("KEYWORD {}", text(a.as_ref())),
            K::Larger(n) => format!("LARGER {n}"),
            K::New => "NEW".into(),
            K::Not(k) => format!("NOT ({})", self.key(k)),
            K::Old => "OLD".into(),
            K::On(d) => format!("ON {}", self.date(d)),
            K::Or(a, b) => {
                let a = self.key(a);
                let b = self.key(b);
                format!("OR ({a}) ({b})")
            }
            K::Recent => "RECENT".into(),
            K::Seen => "SEEN".into(),
            K::SentBefore(d) => format!("SENTBEFORE {}", self.date(d)),
            K::SentOn(d) => format!("SENTON {}", self.date(d)),
            K::SentSince(d) => format!("SENTSINCE {}", self.date(d)),
            K::Since(d) => format!("SINCE {}", self.date(d)),
            K::Smaller(n) => format!("SMALLER {n}"),
            K::Subject(v) => s("SUBJECT", v),
            K::Text(v) => s("TEXT", v),
            K::To(v) => s("TO", v),
            K::Uid(v) => format!("UID {}", set(v)),
            K::Unanswered => "UNANSWERED".into(),
            K::Undeleted => "UNDELETED".into(),
            K::Undraft => "UNDRAFT".into(),
            K::Unflagged => "UNFLAGGED".into(),
            K::Unkeyword(a) => format!("UNKEYWORD {}", text(a.as_ref())),
            K::Unseen => "UNSEEN".into(),
            K::SequenceSet(v) => format!("SET {}", set(v)),
            K::And(keys) => format!("AND {}", self.keys(keys.as_ref())),
            K::ModSequence { entry, modseq } => {
                let entry = entry.as_ref().map(|(f, t)| {
                    let kind = match t {
                        EntryTypeReq::Private => "priv",
                        EntryTypeReq::Shared => "shared",
                        EntryTypeReq::All => "all",
                    };
                    // imap-types writes the entry flag escaped for a quoted string.
                    let f = f.to_string().replace("\\\\", "\\");
                    format!("flag:{} {kind}", text(&f))
                });
                let modseq = self.modseq(*modseq);
                format!("MODSEQ {} {modseq}", opt(entry))
            }
            #[allow(unreachable_patterns)]
            _ => {
                self.facts.extension = Some("search key Hadron lacks");
                format!("{k:?}")
            }
        }
    }

    fn section(s: &Option<Section<'_>>) -> String {
        let p = |p: &Option<Part>| opt(p.as_ref().map(path));
        let names = |n: &imap_codec::imap_types::core::Vec1<AString<'_>>| {
            list(n.as_ref().iter().map(astring))
        };
        match s {
            None => "FULL".into(),
            Some(Section::Part(pp)) => format!("PART {}", path(pp)),
            Some(Section::Header(pp)) => format!("HEADER {}", p(pp)),
            Some(Section::HeaderFields(pp, n)) => format!("FIELDS {} {}", p(pp), names(n)),
            Some(Section::HeaderFieldsNot(pp, n)) => format!("FIELDS.NOT {} {}", p(pp), names(n)),
            Some(Section::Text(pp)) => format!("TEXT {}", p(pp)),
            Some(Section::Mime(pp)) => format!("MIME {}", path(pp)),
        }
    }

    fn attribute(a: &MessageDataItemName<'_>) -> String {
        use MessageDataItemName as A;
        let partial =
            |p: &Option<(u32, std::num::NonZeroU32)>| opt(p.map(|(o, l)| format!("<{o}.{l}>")));
        let bin = |s: &[std::num::NonZeroU32]| {
            let v: Vec<u32> = s.iter().map(|n| n.get()).collect();
            format!("[{}]", part(&v))
        };
        match a {
            A::Envelope => "ENVELOPE".into(),
            A::Flags => "FLAGS".into(),
            A::InternalDate => "INTERNALDATE".into(),
            A::Rfc822 => "RFC822".into(),
            A::Rfc822Header => "RFC822.HEADER".into(),
            A::Rfc822Size => "RFC822.SIZE".into(),
            A::Rfc822Text => "RFC822.TEXT".into(),
            A::Body => "BODY".into(),
            A::BodyStructure => "BODYSTRUCTURE".into(),
            A::Uid => "UID".into(),
            A::ModSeq => "MODSEQ".into(),
            A::BodyExt {
                section,
                partial: pa,
                peek,
            } => format!(
                "BODYSECTION peek={peek} {} {}",
                Self::section(section),
                partial(pa)
            ),
            A::Binary {
                section,
                partial: pa,
                peek,
            } => format!("BINARY peek={peek} {} {}", bin(section), partial(pa)),
            A::BinarySize { section } => format!("BINARY.SIZE {}", bin(section)),
        }
    }

    fn body(&mut self, b: &CommandBody<'_>) -> String {
        use CommandBody as C;
        match b {
            C::Capability => "CAPABILITY".into(),
            C::Noop => "NOOP".into(),
            C::Logout => "LOGOUT".into(),
            C::StartTLS => "STARTTLS".into(),
            C::Authenticate {
                mechanism,
                initial_response,
            } => {
                let ir = initial_response.as_ref().map(|s| {
                    let data: &[u8] = s.declassify();
                    if data.is_empty() {
                        self.facts.empty_initial_response = true;
                    }
                    bytes(data)
                });
                format!(
                    "AUTHENTICATE {} {}",
                    mechanism.to_string().to_ascii_uppercase(),
                    opt(ir)
                )
            }
            C::Login { username, password } => format!(
                "LOGIN {} {}",
                astring(username),
                astring(password.declassify())
            ),
            C::Select {
                mailbox,
                parameters,
            }
            | C::Examine {
                mailbox,
                parameters,
            } => {
                let name = if matches!(b, C::Select { .. }) {
                    "SELECT"
                } else {
                    "EXAMINE"
                };
                let mb = self.mbox(mailbox);
                let params = list(parameters.iter().map(|p| match p {
                    SelectParameter::CondStore => "CONDSTORE".to_owned(),
                    SelectParameter::QResync {
                        uid_validity,
                        mod_sequence_value,
                        known_uids,
                        seq_match_data,
                    } => {
                        let m = self.modseq(mod_sequence_value.get());
                        format!(
                            "QRESYNC {uid_validity} {m} {} {}",
                            opt(known_uids.as_ref().map(set)),
                            opt(seq_match_data.as_ref().map(|(a, b)| format!(
                                "{} {}",
                                set(a),
                                set(b)
                            )))
                        )
                    }
                }));
                format!("{name} {mb} {params}")
            }
            C::Unselect => "UNSELECT".into(),
            C::Create { mailbox } => format!("CREATE {}", self.mbox(mailbox)),
            C::Delete { mailbox } => format!("DELETE {}", self.mbox(mailbox)),
            C::Rename { from, to } => {
                let from = self.mbox(from);
                let to = self.mbox(to);
                format!("RENAME {from} {to}")
            }
            C::Subscribe { mailbox } => format!("SUBSCRIBE {}", self.mbox(mailbox)),
            C::Unsubscribe { mailbox } => format!("UNSUBSCRIBE {}", self.mbox(mailbox)),
            C::List {
                reference,
                mailbox_wildcard,
            } => {
                let r = self.mbox(reference);
                format!("LIST {r} {}", self.pattern(mailbox_wildcard))
            }
            C::Lsub {
                reference,
                mailbox_wildcard,
            } => {
                let r = self.mbox(reference);
                format!("LSUB {r} {}", self.pattern(mailbox_wildcard))
            }
            C::Status {
                mailbox,
                item_names,
            } => {
                if item_names.is_empty() {
                    self.facts.empty_status = true;
                }
                if item_names.contains(&StatusDataItemName::DeletedStorage) {
                    self.facts.extension = Some("STATUS DELETED-STORAGE");
                }
                format!(
                    "STATUS {} {}",
                    self.mbox(mailbox),
                    list(item_names.iter().map(status_item))
                )
            }
            C::Append {
                mailbox,
                flags,
                date,
                message,
            } => {
                let mb = self.mbox(mailbox);
                let dt = date.as_ref().map(|d| self.date_time(d));
                let (kind, mode, data) = match message {
                    LiteralOrLiteral8::Literal(l) => ("literal", l.mode(), l.data()),
                    LiteralOrLiteral8::Literal8(l) => ("literal8", l.mode, l.data.as_ref()),
                };
                let mode = match mode {
                    LiteralMode::Sync => "sync",
                    LiteralMode::NonSync => "nonsync",
                };
                format!(
                    "APPEND {mb} [{} {} {kind}/{mode}:{}]",
                    list(flags.iter().map(flag)),
                    opt(dt),
                    bytes(data)
                )
            }
            C::Check => "CHECK".into(),
            C::Close => "CLOSE".into(),
            C::Expunge => "EXPUNGE".into(),
            C::ExpungeUid { sequence_set } => format!("UID EXPUNGE {}", set(sequence_set)),
            C::Search {
                charset: cs,
                criteria,
                uid: u,
            } => format!(
                "{} {} {}",
                uid(*u, "SEARCH"),
                opt(cs.as_ref().map(charset)),
                self.keys(criteria.as_ref())
            ),
            C::Sort {
                sort_criteria,
                charset: cs,
                search_criteria,
                uid: u,
            } => {
                let crit = list(sort_criteria.as_ref().iter().map(|c| {
                    let key = match c.key {
                        SortKey::Arrival => "ARRIVAL",
                        SortKey::Cc => "CC",
                        SortKey::Date => "DATE",
                        SortKey::From => "FROM",
                        SortKey::Size => "SIZE",
                        SortKey::Subject => "SUBJECT",
                        SortKey::To => "TO",
                        SortKey::DisplayFrom => "DISPLAYFROM",
                        SortKey::DisplayTo => "DISPLAYTO",
                    };
                    format!("{}{key}", if c.reverse { "REVERSE " } else { "" })
                }));
                format!(
                    "{} {crit} {} {}",
                    uid(*u, "SORT"),
                    charset(cs),
                    self.keys(search_criteria.as_ref())
                )
            }
            C::Thread {
                algorithm,
                charset: cs,
                search_criteria,
                uid: u,
            } => format!(
                "{} {} {} {}",
                uid(*u, "THREAD"),
                text(&algorithm.to_string().to_ascii_uppercase()),
                charset(cs),
                self.keys(search_criteria.as_ref())
            ),
            C::Fetch {
                sequence_set,
                macro_or_item_names,
                uid: u,
                modifiers,
            } => {
                let items = match macro_or_item_names {
                    MacroOrMessageDataItemNames::Macro(m) => match m {
                        Macro::All => "MACRO ALL".to_owned(),
                        Macro::Fast => "MACRO FAST".to_owned(),
                        Macro::Full => "MACRO FULL".to_owned(),
                        #[allow(unreachable_patterns)]
                        other => format!("MACRO {other:?}"),
                    },
                    MacroOrMessageDataItemNames::MessageDataItemNames(names) => {
                        if names.is_empty() {
                            self.facts.empty_fetch = true;
                        }
                        list(names.iter().map(Self::attribute))
                    }
                };
                let mods = list(modifiers.iter().map(|m| match m {
                    FetchModifier::ChangedSince(n) => {
                        format!("CHANGEDSINCE {}", self.modseq(n.get()))
                    }
                    FetchModifier::Vanished => "VANISHED".to_owned(),
                }));
                format!("{} {} {items} {mods}", uid(*u, "FETCH"), set(sequence_set))
            }
            C::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid: u,
                modifiers,
            } => {
                if modifiers.len() > 1 {
                    self.facts.several_store_modifiers = true;
                }
                let unchanged = modifiers.iter().map(|m| match m {
                    StoreModifier::UnchangedSince(n) => self.modseq(*n),
                });
                let unchanged: Vec<String> = unchanged.collect();
                let unchanged = if unchanged.is_empty() {
                    "-".to_owned()
                } else {
                    unchanged.join(",")
                };
                let kind = match kind {
                    StoreType::Replace => "REPLACE",
                    StoreType::Add => "ADD",
                    StoreType::Remove => "REMOVE",
                };
                format!(
                    "{} {} unchangedsince={unchanged} {kind} silent={} {}",
                    uid(*u, "STORE"),
                    set(sequence_set),
                    matches!(response, StoreResponse::Silent),
                    list(flags.iter().map(flag))
                )
            }
            C::Copy {
                sequence_set,
                mailbox,
                uid: u,
            } => format!(
                "{} {} {}",
                uid(*u, "COPY"),
                set(sequence_set),
                self.mbox(mailbox)
            ),
            C::Move {
                sequence_set,
                mailbox,
                uid: u,
            } => format!(
                "{} {} {}",
                uid(*u, "MOVE"),
                set(sequence_set),
                self.mbox(mailbox)
            ),
            C::Idle => "IDLE".into(),
            C::Enable { capabilities } => format!(
                "ENABLE {}",
                list(
                    capabilities
                        .as_ref()
                        .iter()
                        .map(|c| text(&c.to_string().to_ascii_uppercase()))
                )
            ),
            C::Compress { algorithm } => {
                format!("COMPRESS {}", algorithm.to_string().to_ascii_uppercase())
            }
            C::Id { parameters } => format!(
                "ID {}",
                opt(parameters.as_ref().map(|ps| list(ps.iter().map(
                    |(k, v): &(IString<'_>, NString<'_>)| {
                        format!("{}={}", istring(k), opt(v.0.as_ref().map(istring)))
                    }
                ))))
            ),
            C::Namespace => "NAMESPACE".into(),
            C::GetQuota { root } => format!("GETQUOTA {}", astring(root)),
            C::GetQuotaRoot { mailbox } => format!("GETQUOTAROOT {}", self.mbox(mailbox)),
            C::SetQuota { root, quotas } => {
                let limits: Vec<String> = quotas
                    .iter()
                    .map(|q| {
                        if q.limit > i64::MAX as u64 {
                            self.facts.quota_limit_above_63_bits = true;
                        }
                        format!(
                            "{}={}",
                            q.resource.to_string().to_ascii_uppercase(),
                            q.limit
                        )
                    })
                    .collect();
                format!("SETQUOTA {} {}", astring(root), list(limits))
            }
            #[allow(unreachable_patterns)]
            _ => {
                self.facts.extension = Some("command Hadron lacks");
                format!("{b:?}")
            }
        }
    }
}
