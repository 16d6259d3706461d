//! Strategies that generate valid server responses in canonical form: every
//! value encodes and parses back equal.
//!
//! Canonical means the generator avoids values that the wire cannot tell
//! apart from another value (for example an unknown flag spelled `\Seen`, a
//! `Basic` body part of type `TEXT`, or continuation text that looks like
//! base64); those normalisations are intended and documented on the types.

use std::borrow::Cow;
use std::num::NonZeroU32;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use crate::types::{
    AString, Address, Atom, BinaryData, BodyData, BodyExtension, BodyFields, BodyStructure,
    Capability, Charset, Code, Continue, Data, Date, DateTime, Delimiter, Disposition, ESearch,
    ESearchItem, Envelope, ExtensionTail, FetchItem, Flag, FlagFetch, FlagPerm, Greeting,
    GreetingKind, IString, ListAttribute, ListData, ListExtended, Mailbox, MultiPartExt, NString,
    NamespaceDescr, NonEmptyVec, OtherCode, Params, QuotaUsage, RespText, Response, SeqNumber,
    Sequence, SequenceSet, SinglePartExt, SinglePartKind, Status, StatusItem, StatusKind,
    StatusValue, Tag, Text, Thread, UidSet,
};

use super::commands::{arb_notify_event, arb_number64, arb_object_id, arb_quota_resource};

const MAX_MODSEQ: u64 = i64::MAX as u64;

fn nz() -> impl Strategy<Value = NonZeroU32> {
    prop_oneof![1u32..=20, 1u32..=u32::MAX].prop_map(|n| NonZeroU32::new(n).expect("non-zero"))
}

fn modseq() -> impl Strategy<Value = u64> {
    prop_oneof![1u64..=1000, 1u64..=MAX_MODSEQ]
}

fn atom() -> impl Strategy<Value = Atom<'static>> {
    "[A-Za-z0-9$_.-]{1,10}".prop_map(|s| Atom::try_from(s).expect("atom"))
}

/// An atom starting with `X` that names no known flag, attribute, code or
/// capability.
fn x_atom() -> impl Strategy<Value = Atom<'static>> {
    "X[A-Za-z0-9]{1,8}".prop_map(|s| Atom::try_from(s).expect("atom"))
}

fn tag() -> impl Strategy<Value = Tag<'static>> {
    "[A-Za-z0-9.]{1,8}".prop_map(|s| Tag::try_from(s).expect("tag"))
}

fn text() -> impl Strategy<Value = Text<'static>> {
    "[ -~]{0,20}".prop_map(|s| Text::try_from(s).expect("text"))
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "[ -~]{0,16}".prop_map(String::into_bytes),
        1 => vec(1u8..=255, 0..24),
        1 => Just(b"NIL".to_vec()),
        1 => Just(b"line\r\nbreak".to_vec()),
    ]
}

fn istring() -> impl Strategy<Value = IString<'static>> {
    bytes().prop_map(|b| IString::try_from(b).expect("no NUL"))
}

fn astring() -> impl Strategy<Value = AString<'static>> {
    bytes().prop_map(|b| AString::try_from(b).expect("no NUL"))
}

fn nstring() -> impl Strategy<Value = NString<'static>> {
    option::of(istring()).prop_map(NString)
}

fn mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    prop_oneof![
        Just(Mailbox::INBOX),
        "[A-Za-z0-9 &/._\u{e4}\u{f6}\u{65e5}\u{672c}-]{1,12}"
            .prop_map(|s| Mailbox::new(s).expect("mailbox").into_static()),
    ]
}

fn delimiter() -> impl Strategy<Value = Option<Delimiter>> {
    option::of(select(vec!['/', '.', '"', '\\']).prop_map(|c| Delimiter::new(c).expect("7-bit")))
}

fn flag() -> impl Strategy<Value = Flag<'static>> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        atom().prop_map(Flag::Keyword),
        x_atom().prop_map(Flag::Extension),
    ]
}

fn flag_fetch() -> impl Strategy<Value = FlagFetch<'static>> {
    prop_oneof![4 => flag().prop_map(FlagFetch::Flag), 1 => Just(FlagFetch::Recent)]
}

fn flag_perm() -> impl Strategy<Value = FlagPerm<'static>> {
    prop_oneof![4 => flag().prop_map(FlagPerm::Flag), 1 => Just(FlagPerm::Asterisk)]
}

fn capability() -> impl Strategy<Value = Capability<'static>> {
    let known = [
        "IMAP4rev1",
        "IMAP4rev2",
        "STARTTLS",
        "LOGINDISABLED",
        "IDLE",
        "UNSELECT",
        "UIDPLUS",
        "MOVE",
        "ID",
        "ENABLE",
        "NAMESPACE",
        "LITERAL+",
        "CONDSTORE",
        "QRESYNC",
        "SORT",
        "ESEARCH",
        "STATUS=SIZE",
        "OBJECTID",
        "AUTH=PLAIN",
        "THREAD=REFERENCES",
        "COMPRESS=DEFLATE",
    ];
    prop_oneof![
        select(known.to_vec())
            .prop_map(|s| Capability::from_atom(Atom::try_from(s).expect("atom")).into_static()),
        "[A-Z0-9-]{1,8}".prop_map(|s| Capability::Auth(Atom::try_from(s).expect("atom"))),
        x_atom().prop_map(Capability::Other),
    ]
}

fn charset() -> impl Strategy<Value = Charset<'static>> {
    "[ -~]{1,10}".prop_map(|s| Charset::try_from(s).expect("charset"))
}

fn seq_number(star: bool) -> impl Strategy<Value = SeqNumber> {
    let star = if star { 1 } else { 0 };
    prop_oneof![4 => nz().prop_map(SeqNumber::Value), star => Just(SeqNumber::Largest)]
}

fn sequence_set(star: bool) -> impl Strategy<Value = SequenceSet> {
    let seq = prop_oneof![
        seq_number(star).prop_map(Sequence::Single),
        (seq_number(star), seq_number(star)).prop_map(|(a, b)| Sequence::Range(a, b)),
    ];
    vec(seq, 1..4).prop_map(|v| SequenceSet::new(v).expect("non-empty"))
}

fn uid_set() -> impl Strategy<Value = UidSet> {
    sequence_set(false).prop_map(|s| UidSet::new(s).expect("no star"))
}

fn code() -> impl Strategy<Value = Code<'static>> {
    let other_text = option::of("[ -\\\\^-~]{1,12}".prop_map(|s| Text::try_from(s).expect("text")));
    prop_oneof![
        select(Code::SIMPLE.to_vec()),
        vec(charset(), 0..3).prop_map(Code::BadCharset),
        vec(capability(), 0..4).prop_map(Code::Capability),
        vec(flag_perm(), 0..4).prop_map(Code::PermanentFlags),
        nz().prop_map(Code::UidNext),
        nz().prop_map(Code::UidValidity),
        nz().prop_map(Code::Unseen),
        (nz(), uid_set()).prop_map(|(uid_validity, uids)| Code::AppendUid { uid_validity, uids }),
        (nz(), uid_set(), uid_set()).prop_map(|(uid_validity, source, destination)| {
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            }
        }),
        modseq().prop_map(Code::HighestModSeq),
        sequence_set(true).prop_map(Code::Modified),
        arb_object_id().prop_map(Code::MailboxId),
        vec(arb_notify_event(), 1..4).prop_map(|v| Code::BadEvent(NonEmptyVec::unvalidated(v))),
        (x_atom(), other_text)
            .prop_map(|(n, t)| Code::Other(OtherCode::new(n, t).expect("unknown code"))),
    ]
}

fn resp_text() -> impl Strategy<Value = RespText<'static>> {
    (option::of(code()), text()).prop_map(|(code, text)| {
        let text = if code.is_none() && text.as_str().starts_with('[') {
            Text::try_from(format!("x{text}")).expect("text")
        } else {
            text
        };
        RespText::new(code, text).expect("valid resp-text")
    })
}

/// A status response: tagged or untagged OK/NO/BAD, or BYE.
pub fn arb_status() -> impl Strategy<Value = Status<'static>> {
    let kind = select(vec![StatusKind::Ok, StatusKind::No, StatusKind::Bad]);
    prop_oneof![
        (tag(), kind.clone(), resp_text()).prop_map(|(tag, kind, text)| Status::Tagged {
            tag,
            kind,
            text
        }),
        (kind, resp_text()).prop_map(|(kind, text)| Status::Untagged { kind, text }),
        resp_text().prop_map(Status::Bye),
    ]
}

/// A server greeting.
pub fn arb_greeting() -> impl Strategy<Value = Greeting<'static>> {
    (
        select(vec![
            GreetingKind::Ok,
            GreetingKind::PreAuth,
            GreetingKind::Bye,
        ]),
        resp_text(),
    )
        .prop_map(|(kind, text)| Greeting { kind, text })
}

fn list_data() -> impl Strategy<Value = ListData<'static>> {
    let attr = prop_oneof![
        select(ListAttribute::KNOWN.to_vec()),
        x_atom().prop_map(ListAttribute::Extension),
    ];
    let ext = prop_oneof![
        vec(astring(), 1..3).prop_map(ListExtended::ChildInfo),
        mailbox().prop_map(ListExtended::OldName),
    ];
    (vec(attr, 0..4), delimiter(), mailbox(), vec(ext, 0..3)).prop_map(
        |(attributes, delimiter, mailbox, extended)| ListData {
            attributes,
            delimiter,
            mailbox,
            extended,
        },
    )
}

fn ids_with_modseq() -> impl Strategy<Value = (Vec<NonZeroU32>, Option<u64>)> {
    (vec(nz(), 0..6), option::of(modseq()))
        .prop_map(|(ids, m)| (ids.clone(), if ids.is_empty() { None } else { m }))
}

fn esearch() -> impl Strategy<Value = ESearch<'static>> {
    let item = prop_oneof![
        nz().prop_map(ESearchItem::Min),
        nz().prop_map(ESearchItem::Max),
        sequence_set(true).prop_map(ESearchItem::All),
        any::<u32>().prop_map(ESearchItem::Count),
        modseq().prop_map(ESearchItem::ModSeq),
        (
            crate::testing::commands::arb_partial_range(),
            proptest::option::of(sequence_set(true)),
        )
            .prop_map(|(range, set)| ESearchItem::Partial(range, set)),
        vec((any::<u32>(), sequence_set(true)), 1..3).prop_map(ESearchItem::AddTo),
        vec((any::<u32>(), sequence_set(true)), 1..3).prop_map(ESearchItem::RemoveFrom),
    ];
    (option::of(istring()), any::<bool>(), vec(item, 0..4)).prop_map(|(tag, uid, items)| ESearch {
        tag,
        uid,
        items,
    })
}

fn namespace() -> impl Strategy<Value = Vec<NamespaceDescr<'static>>> {
    let descr = (
        istring(),
        delimiter(),
        vec((istring(), vec(istring(), 1..3)), 0..2),
    )
        .prop_map(|(prefix, delimiter, extensions)| NamespaceDescr {
            prefix,
            delimiter,
            extensions,
        });
    vec(descr, 0..3)
}

fn thread() -> impl Strategy<Value = Thread> {
    let leaf = vec(nz(), 1..4).prop_map(|members| Thread {
        members,
        children: Vec::new(),
    });
    leaf.prop_recursive(3, 16, 3, |inner| {
        (vec(nz(), 0..3), vec(inner, 2..4))
            .prop_map(|(members, children)| Thread { members, children })
    })
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (
        1u16..=9999,
        1u8..=12,
        1u8..=28,
        0u8..=23,
        0u8..=59,
        0u8..=60,
        -5999i16..=5999,
    )
        .prop_map(|(y, mo, d, h, mi, s, z)| {
            DateTime::new(Date::new(y, mo, d).expect("date"), h, mi, s, z).expect("date-time")
        })
}

fn address() -> impl Strategy<Value = Address<'static>> {
    (nstring(), nstring(), nstring(), nstring()).prop_map(|(name, adl, mailbox, host)| Address {
        name,
        adl,
        mailbox,
        host,
    })
}

/// Any envelope.
pub fn arb_envelope() -> impl Strategy<Value = Envelope<'static>> {
    let list = || vec(address(), 0..3);
    (
        (nstring(), nstring(), nstring(), nstring()),
        (list(), list(), list(), list(), list(), list()),
    )
        .prop_map(
            |((date, subject, in_reply_to, message_id), (from, sender, reply_to, to, cc, bcc))| {
                Envelope {
                    date,
                    subject,
                    from,
                    sender,
                    reply_to,
                    to,
                    cc,
                    bcc,
                    in_reply_to,
                    message_id,
                }
            },
        )
}

fn params() -> impl Strategy<Value = Params<'static>> {
    vec((istring(), istring()), 0..3)
}

fn body_fields() -> impl Strategy<Value = BodyFields<'static>> {
    (params(), nstring(), nstring(), istring(), any::<u32>()).prop_map(
        |(params, id, description, encoding, octets)| BodyFields {
            params,
            id,
            description,
            encoding,
            octets,
        },
    )
}

fn body_extension() -> impl Strategy<Value = BodyExtension<'static>> {
    let leaf = prop_oneof![
        nstring().prop_map(BodyExtension::NString),
        any::<u32>().prop_map(BodyExtension::Number),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        vec(inner, 1..3).prop_map(BodyExtension::List)
    })
}

fn tail() -> impl Strategy<Value = ExtensionTail<'static>> {
    let dsp =
        option::of((istring(), params()).prop_map(|(kind, params)| Disposition { kind, params }));
    (
        dsp,
        vec(istring(), 0..3),
        nstring(),
        vec(body_extension(), 0..2),
    )
        .prop_map(
            |(disposition, language, location, extensions)| ExtensionTail {
                disposition,
                language,
                location,
                extensions,
            },
        )
}

fn media_type() -> impl Strategy<Value = IString<'static>> {
    prop_oneof![
        select(vec!["APPLICATION", "IMAGE", "AUDIO", "VIDEO", "MESSAGE"])
            .prop_map(|s| IString::try_from(s).expect("string")),
        istring(),
    ]
    .prop_filter("TEXT is its own kind", |t| {
        !t.as_bytes().eq_ignore_ascii_case(b"TEXT")
    })
}

/// A body structure; with `ext`, parts may carry extension data.
pub fn arb_body(ext: bool) -> impl Strategy<Value = BodyStructure<'static>> {
    let single_ext = move || {
        if ext {
            option::of((nstring(), tail()).prop_map(|(md5, tail)| SinglePartExt { md5, tail }))
                .boxed()
        } else {
            Just(None).boxed()
        }
    };
    let multi_ext = move || {
        if ext {
            option::of((params(), tail()).prop_map(|(params, tail)| MultiPartExt { params, tail }))
                .boxed()
        } else {
            Just(None).boxed()
        }
    };
    let basic = (media_type(), istring())
        .prop_filter("MESSAGE/RFC822 is its own kind", |(t, s)| {
            !(t.as_bytes().eq_ignore_ascii_case(b"MESSAGE")
                && s.as_bytes().eq_ignore_ascii_case(b"RFC822"))
        })
        .prop_map(|(media_type, subtype)| SinglePartKind::Basic {
            media_type,
            subtype,
        });
    let text = (istring(), any::<u32>())
        .prop_map(|(subtype, lines)| SinglePartKind::Text { subtype, lines });
    let leaf = (prop_oneof![basic, text], body_fields(), single_ext())
        .prop_map(|(kind, fields, ext)| BodyStructure::Single { kind, fields, ext });
    leaf.prop_recursive(3, 12, 3, move |inner| {
        prop_oneof![
            (vec(inner.clone(), 1..3), istring(), multi_ext()).prop_map(|(parts, subtype, ext)| {
                BodyStructure::Multi {
                    parts,
                    subtype,
                    ext,
                }
            }),
            (
                arb_envelope(),
                inner,
                any::<u32>(),
                body_fields(),
                single_ext()
            )
                .prop_map(|(envelope, body, lines, fields, ext)| {
                    BodyStructure::Single {
                        kind: SinglePartKind::Message {
                            envelope: Box::new(envelope),
                            body: Box::new(body),
                            lines,
                        },
                        fields,
                        ext,
                    }
                }),
        ]
    })
}

/// One FETCH data item (never deferred).
pub fn arb_fetch_item() -> impl Strategy<Value = FetchItem<'static>> {
    prop_oneof![
        vec(flag_fetch(), 0..4).prop_map(FetchItem::Flags),
        nz().prop_map(FetchItem::Uid),
        date_time().prop_map(FetchItem::InternalDate),
        any::<u32>().prop_map(FetchItem::Rfc822Size),
        nstring().prop_map(|s| FetchItem::Rfc822(BodyData::Inline(s))),
        nstring().prop_map(|s| FetchItem::Rfc822Header(BodyData::Inline(s))),
        nstring().prop_map(|s| FetchItem::Rfc822Text(BodyData::Inline(s))),
        arb_envelope().prop_map(|e| FetchItem::Envelope(Box::new(e))),
        arb_body(false).prop_map(|b| FetchItem::Body(Box::new(b))),
        arb_body(true).prop_map(|b| FetchItem::BodyStructure(Box::new(b))),
        (
            super::commands::arb_section(),
            option::of(any::<u32>()),
            nstring()
        )
            .prop_map(|(section, origin, s)| {
                FetchItem::BodySection {
                    section,
                    origin,
                    data: BodyData::Inline(s),
                }
            }),
        (
            vec(nz(), 0..3),
            option::of(any::<u32>()),
            option::of(vec(any::<u8>(), 0..24).prop_map(|b| BinaryData::Bytes(Cow::Owned(b))))
        )
            .prop_map(|(part, origin, data)| FetchItem::Binary {
                part,
                origin,
                data: data.unwrap_or(BinaryData::Nil),
            }),
        (vec(nz(), 0..3), any::<u32>())
            .prop_map(|(part, size)| FetchItem::BinarySize { part, size }),
        modseq().prop_map(FetchItem::ModSeq),
        arb_object_id().prop_map(FetchItem::EmailId),
        option::of(arb_object_id()).prop_map(FetchItem::ThreadId),
        option::of(date_time()).prop_map(FetchItem::SaveDate),
        nstring().prop_map(FetchItem::Preview),
    ]
}

/// One `status-att-value`: a numeric item with a number, `MAILBOXID` or
/// `APPENDLIMIT` (a number or `NIL`).
fn status_value() -> impl Strategy<Value = StatusValue<'static>> {
    let numeric: Vec<StatusItem> = StatusItem::ALL
        .into_iter()
        .filter(|i| i.is_numeric())
        .collect();
    prop_oneof![
        4 => (select(numeric), 0..=MAX_MODSEQ).prop_map(|(item, n)| StatusValue::Number(item, n)),
        1 => arb_object_id().prop_map(StatusValue::MailboxId),
        1 => option::of(0..=MAX_MODSEQ).prop_map(StatusValue::AppendLimit),
    ]
}

/// Untagged data of every kind.
pub fn arb_data() -> impl Strategy<Value = Data<'static>> {
    prop_oneof![
        vec(capability(), 1..5).prop_map(Data::Capability),
        list_data().prop_map(Data::List),
        list_data().prop_map(Data::Lsub),
        (mailbox(), vec(status_value(), 0..4))
            .prop_map(|(mailbox, items)| Data::Status { mailbox, items }),
        ids_with_modseq().prop_map(|(ids, modseq)| Data::Search { ids, modseq }),
        esearch().prop_map(Data::ESearch),
        vec(flag(), 0..5).prop_map(Data::Flags),
        any::<u32>().prop_map(Data::Exists),
        any::<u32>().prop_map(Data::Recent),
        nz().prop_map(Data::Expunge),
        (any::<bool>(), uid_set()).prop_map(|(earlier, uids)| Data::Vanished { earlier, uids }),
        (nz(), vec(arb_fetch_item(), 1..4)).prop_map(|(seq, items)| Data::Fetch { seq, items }),
        vec(capability(), 0..3).prop_map(Data::Enabled),
        vec((istring(), nstring()), 0..3).prop_map(Data::Id),
        (namespace(), namespace(), namespace()).prop_map(|(personal, other, shared)| {
            Data::Namespace {
                personal,
                other,
                shared,
            }
        }),
        ids_with_modseq().prop_map(|(ids, modseq)| Data::Sort { ids, modseq }),
        vec(thread(), 0..4).prop_map(Data::Thread),
        (astring(), vec(quota_usage(), 1..4)).prop_map(|(root, resources)| Data::Quota {
            root,
            resources: NonEmptyVec::new(resources).expect("1..4 resources"),
        }),
        (mailbox(), vec(astring(), 0..3))
            .prop_map(|(mailbox, roots)| Data::QuotaRoot { mailbox, roots }),
    ]
}

/// One `quota-resource` of a QUOTA response (RFC 9208).
fn quota_usage() -> impl Strategy<Value = QuotaUsage<'static>> {
    (arb_quota_resource(), arb_number64(), arb_number64()).prop_map(|(resource, usage, limit)| {
        QuotaUsage {
            resource,
            usage,
            limit,
        }
    })
}

/// A continuation request; text never looks like base64 (see [`Continue`]).
pub fn arb_continue() -> impl Strategy<Value = Continue<'static>> {
    prop_oneof![
        resp_text()
            .prop_filter("text that reads as base64", |t| {
                t.code().is_some()
                    || crate::parse::decode_base64_for_tests(t.text().as_str().as_bytes()).is_none()
            })
            .prop_map(Continue::Text),
        vec(any::<u8>(), 1..24).prop_map(|b| Continue::Base64(Cow::Owned(b))),
    ]
}

/// Any response: status, untagged data or continuation request.
pub fn arb_response() -> impl Strategy<Value = Response<'static>> {
    prop_oneof![
        2 => arb_status().prop_map(Response::Status),
        5 => arb_data().prop_map(Response::Data),
        1 => arb_continue().prop_map(Response::Continue),
    ]
}

/// The check a response fuzz target runs on arbitrary bytes: whatever
/// [`parse::response`](crate::parse::response) accepts must encode to bytes
/// that parse back to an equal value. Panics (with the wire) otherwise.
///
/// ```
/// hadron_proto::testing::check_response_round_trip(b"* 3 EXISTS\r\n");
/// hadron_proto::testing::check_response_round_trip(b"not a response");
/// ```
pub fn check_response_round_trip(input: &[u8]) {
    let Ok(parsed) = crate::parse::response(input) else {
        return;
    };
    let mut wire = Vec::new();
    crate::encode::response(&parsed, &mut wire);
    match crate::parse::response(&wire) {
        Ok(again) => assert_eq!(
            again,
            parsed,
            "re-parse differs; wire {:?}",
            String::from_utf8_lossy(&wire)
        ),
        Err(e) => panic!(
            "encoder wrote what the parser refuses: {e}; wire {:?}",
            String::from_utf8_lossy(&wire)
        ),
    }
}
