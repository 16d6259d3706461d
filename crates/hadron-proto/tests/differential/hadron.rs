//! Hadron's `Command` → the neutral canonical form, plus the facts about it
//! that decide whether a difference is an intended one.

use hadron_proto::types::ListMailbox;
use hadron_proto::types::{
    AppendData, CatPart, Command, CommandBody, Date, DateTime, EntryType, FetchAttribute,
    FetchItems, FetchMacro, FetchModifier, Flag, Literal, LiteralMode, Mailbox, SearchKey,
    SearchReturnOption, Section, SelectParam, SeqNumber, Sequence, SequenceSet, StatusItem,
    StoreKind,
};

use super::{bytes, list, mailbox_token, opt, part, seq_number, text};

/// What the parse used that imap-codec cannot express, and other facts.
#[derive(Debug, Default, Clone)]
pub(crate) struct Facts {
    /// A Hadron-only extension (name) the command uses.
    pub(crate) extension: Option<&'static str>,
    /// The deepest search key nesting (a plain top-level key is 1).
    pub(crate) search_depth: usize,
    /// A date-time with second 60.
    pub(crate) leap_second: bool,
    /// A date-time zone at or beyond ±24:00.
    pub(crate) zone_beyond_day: bool,
    /// COMPRESS with an algorithm other than DEFLATE.
    pub(crate) compress_other: bool,
}

struct W {
    facts: Facts,
}

/// The canonical form of a command Hadron parsed, and its facts.
pub(crate) fn canon(cmd: &Command<'_>) -> (String, Facts) {
    let mut w = W {
        facts: Facts::default(),
    };
    let body = w.body(&cmd.body);
    (format!("{} {body}", text(cmd.tag.as_str())), w.facts)
}

fn uid(uid: bool, name: &str) -> String {
    if uid {
        format!("UID {name}")
    } else {
        name.to_owned()
    }
}

fn mbox(m: &Mailbox<'_>) -> String {
    if m.is_raw() {
        mailbox_token(None, m.as_str().as_bytes())
    } else {
        mailbox_token(Some(m.as_str()), m.as_str().as_bytes())
    }
}

/// A LIST pattern, marked when it is not valid modified UTF-7 (as the
/// imap-codec side marks it).
fn pattern(p: &ListMailbox<'_>) -> String {
    if p.is_raw() {
        format!("pattern-invalid:{}", bytes(p.as_str().as_bytes()))
    } else {
        format!("pattern:{}", text(p.as_str()))
    }
}

fn status_item(i: StatusItem) -> String {
    i.name().to_owned()
}

fn date(d: Date) -> String {
    super::date(
        i32::from(d.year()),
        u32::from(d.month()),
        u32::from(d.day()),
    )
}

fn flag(f: &Flag<'_>) -> String {
    // System flags are canonical, keywords and extensions as written.
    format!("flag:{}", text(&f.to_string()))
}

fn literal(l: &Literal<'_>) -> String {
    let mode = match l.mode() {
        LiteralMode::Sync => "sync",
        LiteralMode::NonSync => "nonsync",
    };
    let kind = if l.is_binary() { "literal8" } else { "literal" };
    format!("{kind}/{mode}:{}", bytes(l.data()))
}

impl W {
    fn set(&mut self, s: &SequenceSet) -> String {
        match s {
            SequenceSet::Saved => {
                self.facts.extension = Some("SEARCHRES `$`");
                "$".to_owned()
            }
            SequenceSet::List(items) => items
                .iter()
                .map(|item| {
                    let n = |n: &SeqNumber| {
                        seq_number(match n {
                            SeqNumber::Value(v) => Some(v.get()),
                            SeqNumber::Largest => None,
                        })
                    };
                    match item {
                        Sequence::Single(a) => n(a),
                        Sequence::Range(a, b) => format!("{}:{}", n(a), n(b)),
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    fn date_time(&mut self, dt: &DateTime) -> String {
        let (h, m, s) = dt.time();
        if s == 60 {
            self.facts.leap_second = true;
        }
        if dt.zone_minutes().unsigned_abs() >= 24 * 60 {
            self.facts.zone_beyond_day = true;
        }
        super::date_time(
            date(dt.date()),
            u32::from(h),
            u32::from(m),
            u32::from(s),
            i32::from(dt.zone_minutes()),
        )
    }

    fn keys(&mut self, keys: &[SearchKey<'_>], depth: usize) -> String {
        list(keys.iter().map(|k| self.key(k, depth)))
    }

    fn key(&mut self, k: &SearchKey<'_>, depth: usize) -> String {
        use SearchKey as K;
        self.facts.search_depth = self.facts.search_depth.max(depth);
        let s = |name: &str, v: &[u8]| format!("{name} {}", bytes(v));
        match k {
            K::All => "ALL".into(),
            K::Answered => "ANSWERED".into(),
            K::Bcc(v) => s("BCC", v.as_bytes()),
            K::Before(d) => format!("BEFORE {}", date(*d)),
            K::Body(v) => s("BODY", v.as_bytes()),
            K::Cc(v) => s("CC", v.as_bytes()),
            K::Deleted => "DELETED".into(),
            K::Draft => "DRAFT".into(),
            K::Flagged => "FLAGGED".into(),
            K::From(v) => s("FROM", v.as_bytes()),
            K::Header(f, v) => format!("HEADER {} {}", bytes(f.as_bytes()), bytes(v.as_bytes())),
            K::Keyword(a) => format!("KEYWORD {}", text(a.as_str())),
            K::Larger(n) => format!("LARGER {n}"),
            K::Older(n) => {
                self.facts.extension = Some("WITHIN");
                format!("OLDER {n}")
            }
            K::Younger(n) => {
                self.facts.extension = Some("WITHIN");
                format!("YOUNGER {n}")
            }
            K::New => "NEW".into(),
            K::Not(k) => format!("NOT ({})", self.key(k, depth + 1)),
            K::Old => "OLD".into(),
            K::On(d) => format!("ON {}", date(*d)),
            K::Or(a, b) => {
                let a = self.key(a, depth + 1);
                let b = self.key(b, depth + 1);
                format!("OR ({a}) ({b})")
            }
            K::Recent => "RECENT".into(),
            K::Seen => "SEEN".into(),
            K::SentBefore(d) => format!("SENTBEFORE {}", date(*d)),
            K::SentOn(d) => format!("SENTON {}", date(*d)),
            K::SentSince(d) => format!("SENTSINCE {}", date(*d)),
            K::Since(d) => format!("SINCE {}", date(*d)),
            K::Smaller(n) => format!("SMALLER {n}"),
            K::Subject(v) => s("SUBJECT", v.as_bytes()),
            K::Text(v) => s("TEXT", v.as_bytes()),
            K::To(v) => s("TO", v.as_bytes()),
            K::Uid(set) => format!("UID {}", self.set(set)),
            K::Unanswered => "UNANSWERED".into(),
            K::Undeleted => "UNDELETED".into(),
            K::Undraft => "UNDRAFT".into(),
            K::Unflagged => "UNFLAGGED".into(),
            K::Unkeyword(a) => format!("UNKEYWORD {}", text(a.as_str())),
            K::Unseen => "UNSEEN".into(),
            K::SequenceSet(set) => format!("SET {}", self.set(set)),
            K::And(keys) => format!("AND {}", self.keys(keys, depth + 1)),
            K::EmailId(id) => {
                self.facts.extension = Some("OBJECTID");
                format!("EMAILID {}", text(id.as_str()))
            }
            K::ThreadId(id) => {
                self.facts.extension = Some("OBJECTID");
                format!("THREADID {}", text(id.as_str()))
            }
            K::SavedBefore(d) | K::SavedOn(d) | K::SavedSince(d) => {
                self.facts.extension = Some("SAVEDATE");
                let name = match k {
                    K::SavedBefore(_) => "SAVEDBEFORE",
                    K::SavedOn(_) => "SAVEDON",
                    _ => "SAVEDSINCE",
                };
                format!("{name} {}", date(*d))
            }
            K::SaveDateSupported => {
                self.facts.extension = Some("SAVEDATE");
                "SAVEDATESUPPORTED".into()
            }
            K::ModSeq { entry, modseq } => {
                let entry = entry.as_ref().map(|e| {
                    let kind = match e.entry_type {
                        EntryType::Private => "priv",
                        EntryType::Shared => "shared",
                        EntryType::All => "all",
                    };
                    format!("{} {kind}", flag(&e.flag))
                });
                format!("MODSEQ {} {modseq}", opt(entry))
            }
        }
    }

    fn section(&mut self, s: &Section<'_>) -> String {
        let p = |p: &Option<hadron_proto::types::Part>| opt(p.as_ref().map(|p| part(&path(p))));
        let names = |n: &hadron_proto::types::HeaderNames<'_>| {
            list(n.names().iter().map(|a| bytes(a.as_bytes())))
        };
        match s {
            Section::Full => "FULL".into(),
            Section::Part(pp) => format!("PART {}", part(&path(pp))),
            Section::Header(pp) => format!("HEADER {}", p(pp)),
            Section::HeaderFields(pp, n) => format!("FIELDS {} {}", p(pp), names(n)),
            Section::HeaderFieldsNot(pp, n) => format!("FIELDS.NOT {} {}", p(pp), names(n)),
            Section::Text(pp) => format!("TEXT {}", p(pp)),
            Section::Mime(pp) => format!("MIME {}", part(&path(pp))),
        }
    }

    fn attribute(&mut self, a: &FetchAttribute<'_>) -> String {
        use FetchAttribute as A;
        let partial =
            |p: &Option<(u32, std::num::NonZeroU32)>| opt(p.map(|(o, l)| format!("<{o}.{l}>")));
        let bin = |p: &Option<hadron_proto::types::Part>| {
            format!(
                "[{}]",
                p.as_ref().map(|p| part(&path(p))).unwrap_or_default()
            )
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
            A::SaveDate => {
                self.facts.extension = Some("SAVEDATE");
                "SAVEDATE".into()
            }
            A::Preview { lazy } => {
                self.facts.extension = Some("PREVIEW");
                if *lazy { "PREVIEW (LAZY)" } else { "PREVIEW" }.into()
            }
            A::EmailId | A::ThreadId => {
                self.facts.extension = Some("OBJECTID");
                if matches!(a, A::EmailId) {
                    "EMAILID".into()
                } else {
                    "THREADID".into()
                }
            }
            A::BodySection {
                section,
                partial: pa,
                peek,
            } => format!(
                "BODYSECTION peek={peek} {} {}",
                self.section(section),
                partial(pa)
            ),
            A::Binary {
                part: pp,
                partial: pa,
                peek,
            } => format!("BINARY peek={peek} {} {}", bin(pp), partial(pa)),
            A::BinarySize { part: pp } => format!("BINARY.SIZE {}", bin(pp)),
        }
    }

    fn body(&mut self, b: &CommandBody<'_>) -> String {
        use CommandBody as C;
        match b {
            C::Capability => "CAPABILITY".into(),
            C::Noop => "NOOP".into(),
            C::Logout => "LOGOUT".into(),
            C::StartTls => "STARTTLS".into(),
            C::Authenticate {
                mechanism,
                initial_response,
            } => format!(
                "AUTHENTICATE {} {}",
                mechanism.as_str().to_ascii_uppercase(),
                opt(initial_response.as_ref().map(|r| bytes(&r.decode())))
            ),
            C::Login { username, password } => format!(
                "LOGIN {} {}",
                bytes(username.as_bytes()),
                bytes(password.as_bytes())
            ),
            C::Select { mailbox, params } | C::Examine { mailbox, params } => {
                let name = if matches!(b, C::Select { .. }) {
                    "SELECT"
                } else {
                    "EXAMINE"
                };
                let params = list(params.iter().map(|p| match p {
                    SelectParam::CondStore => "CONDSTORE".to_owned(),
                    SelectParam::QResync(q) => {
                        let known = q.known_uids.as_ref().map(|s| self.set(s));
                        let seq_match = q
                            .seq_match
                            .as_ref()
                            .map(|(a, b)| format!("{} {}", self.set(a), self.set(b)));
                        format!(
                            "QRESYNC {} {} {} {}",
                            q.uid_validity,
                            q.mod_seq,
                            opt(known),
                            opt(seq_match)
                        )
                    }
                }));
                format!("{name} {} {params}", mbox(mailbox))
            }
            C::Create {
                mailbox,
                special_use,
            } => {
                if !special_use.is_empty() {
                    self.facts.extension = Some("CREATE-SPECIAL-USE");
                }
                let uses = list(special_use.iter().map(|a| text(a.as_str())));
                if special_use.is_empty() {
                    format!("CREATE {}", mbox(mailbox))
                } else {
                    format!("CREATE {} USE {uses}", mbox(mailbox))
                }
            }
            C::Delete { mailbox } => format!("DELETE {}", mbox(mailbox)),
            C::Rename { from, to } => format!("RENAME {} {}", mbox(from), mbox(to)),
            C::Subscribe { mailbox } => format!("SUBSCRIBE {}", mbox(mailbox)),
            C::Unsubscribe { mailbox } => format!("UNSUBSCRIBE {}", mbox(mailbox)),
            C::List {
                selection,
                reference,
                patterns,
                return_options,
            } => {
                let pats = list(patterns.iter().map(pattern));
                if selection.is_empty() && patterns.len() == 1 && return_options.is_empty() {
                    format!("LIST {} {}", mbox(reference), pattern(patterns.first()))
                } else {
                    self.facts.extension = Some("LIST-EXTENDED");
                    format!(
                        "LIST-EXTENDED {selection:?} {} {pats} {return_options:?}",
                        mbox(reference)
                    )
                }
            }
            C::Lsub { reference, pattern } => {
                format!("LSUB {} {}", mbox(reference), self::pattern(pattern))
            }
            C::Namespace => "NAMESPACE".into(),
            C::Status { mailbox, items } => {
                if items.contains(&StatusItem::MailboxId) {
                    self.facts.extension = Some("OBJECTID");
                }
                if items.contains(&StatusItem::AppendLimit) {
                    self.facts.extension = Some("APPENDLIMIT");
                }
                format!(
                    "STATUS {} {}",
                    mbox(mailbox),
                    list(items.iter().copied().map(status_item))
                )
            }
            C::Append { mailbox, messages } => {
                if messages.len() > 1 {
                    self.facts.extension = Some("MULTIAPPEND");
                }
                let msgs = list(messages.iter().map(|m| {
                    let dt = m.date.as_ref().map(|d| self.date_time(d));
                    let data = match &m.data {
                        AppendData::Literal(l) => literal(l),
                        AppendData::Catenate(parts) => {
                            self.facts.extension = Some("CATENATE");
                            let parts = parts.iter().map(|p| match p {
                                CatPart::Text(l) => format!("TEXT {}", literal(l)),
                                CatPart::Url(u) => format!("URL {}", bytes(u.as_bytes())),
                            });
                            format!("CATENATE {}", list(parts))
                        }
                    };
                    format!("{} {} {data}", list(m.flags.iter().map(flag)), opt(dt))
                }));
                format!("APPEND {} {msgs}", mbox(mailbox))
            }
            C::Check => "CHECK".into(),
            C::Close => "CLOSE".into(),
            C::Unselect => "UNSELECT".into(),
            C::Unauthenticate => {
                self.facts.extension = Some("UNAUTHENTICATE");
                "UNAUTHENTICATE".into()
            }
            C::Expunge => "EXPUNGE".into(),
            C::UidExpunge(set) => format!("UID EXPUNGE {}", self.set(set)),
            C::Search {
                uid: u,
                return_options,
                charset,
                criteria,
            } => {
                let ret = return_options.as_ref().map(|r| {
                    self.facts.extension = Some("ESEARCH RETURN");
                    format!("RETURN {}", list(r.iter().map(return_option)))
                });
                format!(
                    "{}{} {} {}",
                    uid(*u, "SEARCH"),
                    ret.map(|r| format!(" {r}")).unwrap_or_default(),
                    opt(charset.as_ref().map(|c| text(c.as_str()))),
                    self.keys(criteria, 1)
                )
            }
            C::Fetch {
                uid: u,
                set,
                items,
                modifiers,
            } => {
                let set = self.set(set);
                let items = match items {
                    FetchItems::Macro(m) => match m {
                        FetchMacro::All => "MACRO ALL".to_owned(),
                        FetchMacro::Fast => "MACRO FAST".to_owned(),
                        FetchMacro::Full => "MACRO FULL".to_owned(),
                    },
                    FetchItems::Attributes(atts) => list(atts.iter().map(|a| self.attribute(a))),
                };
                let mods = list(modifiers.iter().map(|m| match m {
                    FetchModifier::ChangedSince(n) => format!("CHANGEDSINCE {n}"),
                    FetchModifier::Vanished => "VANISHED".to_owned(),
                }));
                format!("{} {set} {items} {mods}", uid(*u, "FETCH"))
            }
            C::Store {
                uid: u,
                set,
                unchanged_since,
                action,
            } => {
                let kind = match action.kind {
                    StoreKind::Replace => "REPLACE",
                    StoreKind::Add => "ADD",
                    StoreKind::Remove => "REMOVE",
                };
                format!(
                    "{} {} unchangedsince={} {kind} silent={} {}",
                    uid(*u, "STORE"),
                    self.set(set),
                    opt(unchanged_since.map(|n| n.to_string())),
                    action.silent,
                    list(action.flags.iter().map(flag))
                )
            }
            C::Copy {
                uid: u,
                set,
                mailbox,
            } => format!("{} {} {}", uid(*u, "COPY"), self.set(set), mbox(mailbox)),
            C::Move {
                uid: u,
                set,
                mailbox,
            } => format!("{} {} {}", uid(*u, "MOVE"), self.set(set), mbox(mailbox)),
            C::Idle => "IDLE".into(),
            C::Id(params) => format!(
                "ID {}",
                opt(params.as_ref().map(|ps| list(ps.iter().map(|(k, v)| {
                    format!("{}={}", bytes(k.as_bytes()), opt(v.as_bytes().map(bytes)))
                }))))
            ),
            C::Enable(caps) => format!(
                "ENABLE {}",
                list(
                    caps.iter()
                        .map(|c| text(&c.to_string().to_ascii_uppercase()))
                )
            ),
            C::Sort {
                uid: u,
                return_options,
                criteria,
                charset,
                keys,
            } => {
                if return_options.is_some() {
                    self.facts.extension = Some("ESORT RETURN");
                }
                let crit = list(criteria.iter().map(|c| {
                    format!(
                        "{}{}",
                        if c.reverse { "REVERSE " } else { "" },
                        c.key.name()
                    )
                }));
                format!(
                    "{} {crit} {} {}",
                    uid(*u, "SORT"),
                    text(charset.as_str()),
                    self.keys(keys, 1)
                )
            }
            C::Thread {
                uid: u,
                algorithm,
                charset,
                keys,
            } => format!(
                "{} {} {} {}",
                uid(*u, "THREAD"),
                text(&algorithm.name().to_ascii_uppercase()),
                text(charset.as_str()),
                self.keys(keys, 1)
            ),
            C::CancelUpdate(tags) => {
                self.facts.extension = Some("CANCELUPDATE");
                format!(
                    "CANCELUPDATE {}",
                    list(tags.iter().map(|t| bytes(t.as_bytes())))
                )
            }
            C::Compress { algorithm } => {
                if !algorithm.eq_ignore_case("DEFLATE") {
                    self.facts.compress_other = true;
                }
                format!("COMPRESS {}", algorithm.as_str().to_ascii_uppercase())
            }
            C::GetQuota { root } => format!("GETQUOTA {}", bytes(root.as_bytes())),
            C::GetQuotaRoot { mailbox } => format!("GETQUOTAROOT {}", mbox(mailbox)),
            C::SetQuota { root, limits } => format!(
                "SETQUOTA {} {}",
                bytes(root.as_bytes()),
                list(limits.iter().map(|l| format!(
                    "{}={}",
                    l.resource.name().to_ascii_uppercase(),
                    l.limit
                )))
            ),
            // Not generated (imap-codec has no NOTIFY): see generate.rs.
            C::Notify(_) => "NOTIFY".to_owned(),
        }
    }
}

fn path(p: &hadron_proto::types::Part) -> Vec<u32> {
    p.path().iter().map(|n| n.get()).collect()
}

/// A search return option as text (`PARTIAL` with its range).
fn return_option(o: &SearchReturnOption) -> String {
    match o {
        SearchReturnOption::Partial(r) => {
            let minus = if r.from_end() { "-" } else { "" };
            format!("PARTIAL {minus}{}:{minus}{}", r.low(), r.high())
        }
        o => o.name().to_owned(),
    }
}
