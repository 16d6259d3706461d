//! Strategies for commands and their parts.
//!
//! Every generated value encodes (with [`crate::encode::command`]) to bytes
//! that parse back to an equal value: values are in the normal form the
//! parser produces
//! (system flags as their own variants, capabilities via
//! [`Capability::from_atom`], and so on).

use std::num::{NonZeroU32, NonZeroU64};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::strategy::Union;

use crate::types::{
    AString, AppendData, AppendMessage, Atom, Base64, Capability, CatPart, Charset, Command,
    CommandBody, Date, DateTime, EntryType, EventGroup, EventName, FetchAttribute, FetchItems,
    FetchMacro, FetchModifier, Flag, HeaderNames, IString, ListMailbox, ListReturnOption,
    ListSelectOption, Literal, LiteralMode, Mailbox, MailboxFilter, ModSeqEntry, NString,
    NonEmptyVec, NotifyEvent, NotifyRequest, ObjectId, Part, PartialRange, QResync, QuotaLimit,
    QuotaResource, SearchKey, SearchReturnOption, Section, SelectParam, SeqNumber, Sequence,
    SequenceSet, SortCriterion, SortKey, StatusItem, StoreAction, StoreKind, Tag, ThreadAlgorithm,
};

/// A tag made of tag characters.
pub fn arb_tag() -> impl Strategy<Value = Tag<'static>> {
    "[A-Za-z0-9.:_\\-\\]!#&',;<>=?@^`|~]{1,10}"
        .prop_map(|s| Tag::try_from(s).expect("tag characters"))
}

/// An atom.
pub fn arb_atom() -> impl Strategy<Value = Atom<'static>> {
    "[A-Za-z0-9$_.+=\\-]{1,10}".prop_map(|s| Atom::try_from(s).expect("atom characters"))
}

/// An object identifier (RFC 8474): usually short, sometimes the longest
/// the grammar allows (255 characters), sometimes spelled like a keyword.
pub fn arb_object_id() -> impl Strategy<Value = ObjectId<'static>> {
    prop_oneof![
        8 => "[A-Za-z0-9_-]{1,40}",
        1 => "[A-Za-z0-9_-]{255}",
        1 => proptest::sample::select(vec!["NIL", "ALL", "1", "-", "_"]).prop_map(str::to_owned),
    ]
    .prop_map(|s| ObjectId::try_from(s).expect("object id characters"))
}

/// String content of every kind: atom-like, quotable, or needing a literal
/// (CR, LF, 8-bit), possibly empty, never NUL.
pub fn arb_string_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[A-Za-z0-9]{1,8}".prop_map(String::into_bytes),
        "[ -~]{0,12}".prop_map(String::into_bytes),
        vec(1u8..=255, 0..16),
        Just(b"NIL".to_vec()),
    ]
}

/// An `astring`.
pub fn arb_astring() -> impl Strategy<Value = AString<'static>> {
    arb_string_bytes().prop_map(|b| AString::try_from(b).expect("no NUL"))
}

/// A `string`.
pub fn arb_istring() -> impl Strategy<Value = IString<'static>> {
    arb_string_bytes().prop_map(|b| IString::try_from(b).expect("no NUL"))
}

/// A mailbox name (INBOX, ASCII with specials, or Unicode).
pub fn arb_mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    let named = prop_oneof![
        "[A-Za-z0-9 /&.%*~\"\\\\\\]-]{1,12}",
        "[a-zA-Z\u{e0}-\u{ff}\u{3b1}-\u{3c9}\u{65e5}\u{1f4c1}/&]{1,8}",
    ]
    .prop_filter_map("valid mailbox name", |s: String| {
        Mailbox::new(s).ok().map(Mailbox::into_static)
    });
    prop_oneof![1 => Just(Mailbox::INBOX), 6 => named]
}

/// A LIST reference: a mailbox name or the empty name.
pub fn arb_reference() -> impl Strategy<Value = Mailbox<'static>> {
    prop_oneof![
        1 => Just(Mailbox::from_wire(b"").expect("empty name").into_static()),
        3 => arb_mailbox(),
    ]
}

/// A LIST pattern, possibly empty, with wildcards.
pub fn arb_list_mailbox() -> impl Strategy<Value = ListMailbox<'static>> {
    "[A-Za-z0-9 /&.%*\u{e9}\u{65e5}\\]-]{0,10}"
        .prop_map(|s| ListMailbox::new(s).expect("no controls").into_static())
}

fn arb_seq_number() -> impl Strategy<Value = SeqNumber> {
    prop_oneof![
        4 => (1u32..=u32::MAX).prop_map(|n| SeqNumber::Value(NonZeroU32::new(n).expect("non-zero"))),
        1 => Just(SeqNumber::Largest),
    ]
}

/// A sequence set, including `$`.
pub fn arb_sequence_set() -> impl Strategy<Value = SequenceSet> {
    let item = prop_oneof![
        arb_seq_number().prop_map(Sequence::Single),
        (arb_seq_number(), arb_seq_number()).prop_map(|(a, b)| Sequence::Range(a, b)),
    ];
    prop_oneof![
        1 => Just(SequenceSet::Saved),
        8 => vec(item, 1..5).prop_map(|v| SequenceSet::new(v).expect("non-empty")),
    ]
}

/// A settable flag in normal form.
pub fn arb_flag() -> impl Strategy<Value = Flag<'static>> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        arb_atom().prop_map(Flag::Keyword),
        arb_atom().prop_map(Flag::system),
    ]
}

/// A calendar date.
pub fn arb_date() -> impl Strategy<Value = Date> {
    (1u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).expect("valid"))
}

/// A timestamp with zone.
pub fn arb_date_time() -> impl Strategy<Value = DateTime> {
    (arb_date(), 0u8..24, 0u8..60, 0u8..61, -5999i16..=5999)
        .prop_map(|(d, h, m, s, z)| DateTime::new(d, h, m, s, z).expect("valid"))
}

fn arb_charset() -> impl Strategy<Value = Charset<'static>> {
    prop_oneof![
        Just("UTF-8".to_owned()),
        Just("US-ASCII".to_owned()),
        "[A-Za-z0-9_-]{1,10}",
        "[A-Za-z ]{1,6}",
    ]
    .prop_map(|s| Charset::try_from(s).expect("text characters"))
}

/// A search key tree of bounded depth.
pub fn arb_search_key() -> impl Strategy<Value = SearchKey<'static>> {
    use SearchKey as K;
    let leaf = Union::new(vec![
        Just(K::All).boxed(),
        Just(K::Answered).boxed(),
        Just(K::Deleted).boxed(),
        Just(K::Draft).boxed(),
        Just(K::Flagged).boxed(),
        Just(K::New).boxed(),
        Just(K::Old).boxed(),
        Just(K::Recent).boxed(),
        Just(K::Seen).boxed(),
        Just(K::Unanswered).boxed(),
        Just(K::Undeleted).boxed(),
        Just(K::Undraft).boxed(),
        Just(K::Unflagged).boxed(),
        Just(K::Unseen).boxed(),
        arb_astring().prop_map(K::Bcc).boxed(),
        arb_astring().prop_map(K::Body).boxed(),
        arb_astring().prop_map(K::Cc).boxed(),
        arb_astring().prop_map(K::From).boxed(),
        arb_astring().prop_map(K::Subject).boxed(),
        arb_astring().prop_map(K::Text).boxed(),
        arb_astring().prop_map(K::To).boxed(),
        (arb_astring(), arb_astring())
            .prop_map(|(f, v)| K::Header(f, v))
            .boxed(),
        arb_date().prop_map(K::Before).boxed(),
        arb_date().prop_map(K::On).boxed(),
        arb_date().prop_map(K::Since).boxed(),
        arb_date().prop_map(K::SentBefore).boxed(),
        arb_date().prop_map(K::SentOn).boxed(),
        arb_date().prop_map(K::SentSince).boxed(),
        any::<u32>().prop_map(K::Larger).boxed(),
        (1u32..)
            .prop_map(|n| K::Older(NonZeroU32::new(n).expect("non-zero")))
            .boxed(),
        (1u32..)
            .prop_map(|n| K::Younger(NonZeroU32::new(n).expect("non-zero")))
            .boxed(),
        any::<u32>().prop_map(K::Smaller).boxed(),
        arb_atom().prop_map(K::Keyword).boxed(),
        arb_atom().prop_map(K::Unkeyword).boxed(),
        arb_sequence_set().prop_map(K::Uid).boxed(),
        arb_sequence_set().prop_map(K::SequenceSet).boxed(),
        arb_object_id().prop_map(K::EmailId).boxed(),
        arb_object_id().prop_map(K::ThreadId).boxed(),
        arb_date().prop_map(K::SavedBefore).boxed(),
        arb_date().prop_map(K::SavedOn).boxed(),
        arb_date().prop_map(K::SavedSince).boxed(),
        Just(K::SaveDateSupported).boxed(),
        (
            option::of((
                arb_flag(),
                prop_oneof![
                    Just(EntryType::Private),
                    Just(EntryType::Shared),
                    Just(EntryType::All)
                ],
            )),
            0u64..=i64::MAX as u64,
        )
            .prop_map(|(entry, modseq)| K::ModSeq {
                entry: entry.map(|(flag, entry_type)| ModSeqEntry { flag, entry_type }),
                modseq,
            })
            .boxed(),
    ]);
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            vec(inner, 1..4).prop_map(|v| K::And(NonEmptyVec::unvalidated(v))),
        ]
    })
}

fn arb_part() -> impl Strategy<Value = Part> {
    vec(1u32..=u32::MAX, 1..4).prop_map(|v| {
        Part::new(v.into_iter().filter_map(NonZeroU32::new).collect()).expect("non-empty")
    })
}

/// A body section (every form, with part paths and header lists).
pub(crate) fn arb_section() -> impl Strategy<Value = Section<'static>> {
    let names = || vec(arb_astring(), 1..3).prop_map(|v| HeaderNames::new(v).expect("non-empty"));
    prop_oneof![
        Just(Section::Full),
        arb_part().prop_map(Section::Part),
        option::of(arb_part()).prop_map(Section::Header),
        (option::of(arb_part()), names()).prop_map(|(p, n)| Section::HeaderFields(p, n)),
        (option::of(arb_part()), names()).prop_map(|(p, n)| Section::HeaderFieldsNot(p, n)),
        option::of(arb_part()).prop_map(Section::Text),
        arb_part().prop_map(Section::Mime),
    ]
}

fn arb_partial() -> impl Strategy<Value = Option<(u32, NonZeroU32)>> {
    option::of((any::<u32>(), 1u32..=u32::MAX))
        .prop_map(|p| p.map(|(o, l)| (o, NonZeroU32::new(l).expect("non-zero"))))
}

/// A FETCH attribute.
pub fn arb_fetch_attribute() -> impl Strategy<Value = FetchAttribute<'static>> {
    use FetchAttribute as A;
    prop_oneof![
        prop_oneof![
            Just(A::Envelope),
            Just(A::Flags),
            Just(A::InternalDate),
            Just(A::Rfc822),
            Just(A::Rfc822Header),
            Just(A::Rfc822Size),
            Just(A::Rfc822Text),
            Just(A::Body),
            Just(A::BodyStructure),
            Just(A::Uid),
        ],
        Just(A::ModSeq),
        prop_oneof![Just(A::EmailId), Just(A::ThreadId), Just(A::SaveDate)],
        any::<bool>().prop_map(|lazy| A::Preview { lazy }),
        (arb_section(), arb_partial(), any::<bool>()).prop_map(|(section, partial, peek)| {
            A::BodySection {
                section,
                partial,
                peek,
            }
        }),
        (option::of(arb_part()), arb_partial(), any::<bool>()).prop_map(|(part, partial, peek)| {
            A::Binary {
                part,
                partial,
                peek,
            }
        }),
        option::of(arb_part()).prop_map(|part| A::BinarySize { part }),
    ]
}

fn arb_modseq() -> impl Strategy<Value = NonZeroU64> {
    (1u64..=i64::MAX as u64).prop_map(|n| NonZeroU64::new(n).expect("non-zero"))
}

fn arb_select_params() -> impl Strategy<Value = Vec<SelectParam>> {
    let qresync = (
        1u32..=u32::MAX,
        arb_modseq(),
        option::of(arb_sequence_set()),
        option::of((arb_sequence_set(), arb_sequence_set())),
    )
        .prop_map(|(v, m, known_uids, seq_match)| {
            SelectParam::QResync(QResync {
                uid_validity: NonZeroU32::new(v).expect("non-zero"),
                mod_seq: m,
                known_uids,
                seq_match,
            })
        });
    vec(prop_oneof![Just(SelectParam::CondStore), qresync], 0..3)
}

fn arb_literal() -> impl Strategy<Value = Literal<'static>> {
    let mode = prop_oneof![Just(LiteralMode::Sync), Just(LiteralMode::NonSync)];
    prop_oneof![
        (vec(1u8..=255, 0..64), mode.clone())
            .prop_map(|(d, m)| Literal::new(d).expect("no NUL").with_mode(m)),
        (vec(any::<u8>(), 0..64), mode).prop_map(|(d, m)| Literal::binary(d).with_mode(m)),
    ]
}

/// An IMAP URL as a client names a message of its own (RFC 5092 forms,
/// with `%`-escapes), or any astring: the URL is kept as sent.
fn arb_cat_url() -> impl Strategy<Value = AString<'static>> {
    prop_oneof![
        (
            "[A-Za-z0-9%]{1,12}",
            option::of(1u32..),
            1u32..,
            option::of("[0-9]{1,2}(\\.[0-9]{1,2}){0,2}|HEADER|TEXT|1\\.MIME"),
        )
            .prop_map(|(mailbox, validity, uid, section)| {
                let validity = validity.map_or(String::new(), |v| format!(";UIDVALIDITY={v}"));
                let section = section.map_or(String::new(), |s| format!("/;SECTION={s}"));
                let url = format!("/{mailbox}{validity}/;UID={uid}{section}");
                AString::try_from(url).expect("no NUL")
            }),
        arb_astring(),
    ]
}

/// `append-data`: a message literal, or CATENATE (RFC 4469) of TEXT and
/// URL parts.
fn arb_append_data() -> impl Strategy<Value = AppendData<'static>> {
    let part = prop_oneof![
        arb_literal().prop_map(CatPart::Text),
        arb_cat_url().prop_map(CatPart::Url),
    ];
    prop_oneof![
        3 => arb_literal().prop_map(AppendData::Literal),
        1 => vec(part, 1..4).prop_map(|p| AppendData::Catenate(NonEmptyVec::unvalidated(p))),
    ]
}

fn arb_status_items() -> impl Strategy<Value = NonEmptyVec<StatusItem>> {
    vec(proptest::sample::select(StatusItem::ALL.to_vec()), 1..4).prop_map(NonEmptyVec::unvalidated)
}

/// A quota resource name (RFC 9208): one of the four RFC 9208 defines,
/// or another atom.
pub fn arb_quota_resource() -> impl Strategy<Value = QuotaResource<'static>> {
    prop_oneof![
        Just(QuotaResource::Storage),
        Just(QuotaResource::Message),
        Just(QuotaResource::Mailbox),
        Just(QuotaResource::AnnotationStorage),
        arb_atom().prop_map(QuotaResource::from_atom),
    ]
}

/// A `number64` (RFC 9051): below 2^63, small or large.
pub(crate) fn arb_number64() -> impl Strategy<Value = u64> {
    prop_oneof![0..1_000_000u64, 0..=i64::MAX as u64]
}

fn uid() -> impl Strategy<Value = bool> {
    any::<bool>()
}

/// Any command body.
pub fn arb_command_body() -> impl Strategy<Value = CommandBody<'static>> {
    use CommandBody as C;
    let keys = || vec(arb_search_key(), 1..4).prop_map(NonEmptyVec::unvalidated);
    Union::new(vec![
        prop_oneof![
            Just(C::Capability),
            Just(C::Noop),
            Just(C::Logout),
            Just(C::StartTls),
            Just(C::Namespace),
            Just(C::Check),
            Just(C::Close),
            Just(C::Unselect),
            Just(C::Unauthenticate),
            Just(C::Expunge),
            Just(C::Idle),
        ]
        .boxed(),
        (
            arb_atom(),
            option::of(vec(any::<u8>(), 0..20).prop_map(|d| Base64::encode(&d))),
        )
            .prop_map(|(mechanism, initial_response)| C::Authenticate {
                mechanism,
                initial_response,
            })
            .boxed(),
        (arb_astring(), arb_astring())
            .prop_map(|(username, password)| C::Login { username, password })
            .boxed(),
        (arb_mailbox(), arb_select_params(), any::<bool>())
            .prop_map(|(mailbox, params, examine)| {
                if examine {
                    C::Examine { mailbox, params }
                } else {
                    C::Select { mailbox, params }
                }
            })
            .boxed(),
        (arb_mailbox(), vec(arb_atom(), 0..3))
            .prop_map(|(mailbox, special_use)| C::Create {
                mailbox,
                special_use,
            })
            .boxed(),
        (arb_mailbox(), 0..3u8)
            .prop_map(|(mailbox, which)| match which {
                0 => C::Delete { mailbox },
                1 => C::Subscribe { mailbox },
                _ => C::Unsubscribe { mailbox },
            })
            .boxed(),
        (arb_mailbox(), arb_mailbox())
            .prop_map(|(from, to)| C::Rename { from, to })
            .boxed(),
        (
            vec(
                proptest::sample::select(ListSelectOption::ALL.to_vec()),
                0..3,
            ),
            arb_reference(),
            vec(arb_list_mailbox(), 1..3).prop_map(NonEmptyVec::unvalidated),
            vec(
                prop_oneof![
                    Just(ListReturnOption::Subscribed),
                    Just(ListReturnOption::Children),
                    Just(ListReturnOption::SpecialUse),
                    arb_status_items().prop_map(ListReturnOption::Status),
                ],
                0..3,
            ),
        )
            .prop_map(|(mut selection, reference, patterns, return_options)| {
                if selection.contains(&ListSelectOption::RecursiveMatch)
                    && !selection.contains(&ListSelectOption::Subscribed)
                {
                    selection.push(ListSelectOption::Subscribed);
                }
                C::List {
                    selection,
                    reference,
                    patterns,
                    return_options,
                }
            })
            .boxed(),
        (arb_reference(), arb_list_mailbox())
            .prop_map(|(reference, pattern)| C::Lsub { reference, pattern })
            .boxed(),
        (arb_mailbox(), arb_status_items())
            .prop_map(|(mailbox, items)| C::Status { mailbox, items })
            .boxed(),
        (
            arb_mailbox(),
            vec(
                (
                    vec(arb_flag(), 0..3),
                    option::of(arb_date_time()),
                    arb_append_data(),
                )
                    .prop_map(|(flags, date, data)| AppendMessage {
                        flags,
                        date,
                        data,
                    }),
                1..3,
            ),
        )
            .prop_map(|(mailbox, messages)| C::Append {
                mailbox,
                messages: NonEmptyVec::unvalidated(messages),
            })
            .boxed(),
        arb_sequence_set().prop_map(C::UidExpunge).boxed(),
        (
            uid(),
            option::of(vec(arb_search_return_option(), 0..3)),
            option::of(arb_charset()),
            keys(),
        )
            .prop_map(|(uid, return_options, charset, criteria)| C::Search {
                uid,
                return_options,
                charset,
                criteria,
            })
            .boxed(),
        (
            uid(),
            arb_sequence_set(),
            prop_oneof![
                prop_oneof![
                    Just(FetchMacro::All),
                    Just(FetchMacro::Fast),
                    Just(FetchMacro::Full)
                ]
                .prop_map(FetchItems::Macro),
                vec(arb_fetch_attribute(), 1..4)
                    .prop_map(|v| FetchItems::Attributes(NonEmptyVec::unvalidated(v))),
            ],
            vec(
                prop_oneof![
                    arb_modseq().prop_map(FetchModifier::ChangedSince),
                    Just(FetchModifier::Vanished),
                ],
                0..3,
            ),
        )
            .prop_map(|(uid, set, items, modifiers)| C::Fetch {
                uid,
                set,
                items,
                modifiers,
            })
            .boxed(),
        (
            uid(),
            arb_sequence_set(),
            option::of(0u64..=i64::MAX as u64),
            prop_oneof![
                Just(StoreKind::Replace),
                Just(StoreKind::Add),
                Just(StoreKind::Remove)
            ],
            any::<bool>(),
            vec(arb_flag(), 0..4),
        )
            .prop_map(
                |(uid, set, unchanged_since, kind, silent, flags)| C::Store {
                    uid,
                    set,
                    unchanged_since,
                    action: StoreAction {
                        kind,
                        silent,
                        flags,
                    },
                },
            )
            .boxed(),
        (uid(), arb_sequence_set(), arb_mailbox(), any::<bool>())
            .prop_map(|(uid, set, mailbox, is_move)| {
                if is_move {
                    C::Move { uid, set, mailbox }
                } else {
                    C::Copy { uid, set, mailbox }
                }
            })
            .boxed(),
        option::of(vec(
            (arb_istring(), option::of(arb_istring()).prop_map(NString)),
            0..3,
        ))
        .prop_map(C::Id)
        .boxed(),
        vec(arb_atom().prop_map(Capability::from_atom), 1..4)
            .prop_map(|v| C::Enable(NonEmptyVec::unvalidated(v)))
            .boxed(),
        (
            uid(),
            option::of(vec(arb_search_return_option(), 0..3)),
            vec(
                (
                    any::<bool>(),
                    proptest::sample::select(SortKey::ALL.to_vec()),
                )
                    .prop_map(|(reverse, key)| SortCriterion { reverse, key }),
                1..4,
            )
            .prop_map(NonEmptyVec::unvalidated),
            arb_charset(),
            keys(),
        )
            .prop_map(|(uid, return_options, criteria, charset, keys)| C::Sort {
                uid,
                return_options,
                criteria,
                charset,
                keys,
            })
            .boxed(),
        (
            uid(),
            arb_atom().prop_map(ThreadAlgorithm::from_atom),
            arb_charset(),
            keys(),
        )
            .prop_map(|(uid, algorithm, charset, keys)| C::Thread {
                uid,
                algorithm,
                charset,
                keys,
            })
            .boxed(),
        arb_atom()
            .prop_map(|algorithm| C::Compress { algorithm })
            .boxed(),
        vec(arb_istring(), 1..3)
            .prop_map(|tags| C::CancelUpdate(NonEmptyVec::unvalidated(tags)))
            .boxed(),
        arb_astring().prop_map(|root| C::GetQuota { root }).boxed(),
        arb_mailbox()
            .prop_map(|mailbox| C::GetQuotaRoot { mailbox })
            .boxed(),
        (
            arb_astring(),
            vec(
                (arb_quota_resource(), arb_number64())
                    .prop_map(|(resource, limit)| QuotaLimit { resource, limit }),
                0..4,
            ),
        )
            .prop_map(|(root, limits)| C::SetQuota { root, limits })
            .boxed(),
        arb_notify_request().prop_map(C::Notify).boxed(),
    ])
}

/// A NOTIFY event (RFC 5465): every defined one, `MessageNew` with or
/// without FETCH items, or an extension event.
pub fn arb_notify_event() -> impl Strategy<Value = NotifyEvent<'static>> {
    use NotifyEvent as E;
    prop_oneof![
        vec(arb_fetch_attribute(), 0..3).prop_map(E::MessageNew),
        proptest::sample::select(vec![
            E::MessageExpunge,
            E::FlagChange,
            E::AnnotationChange,
            E::MailboxName,
            E::SubscriptionChange,
            E::MailboxMetadataChange,
            E::ServerMetadataChange,
        ]),
        arb_atom().prop_filter_map("an extension event", |a| EventName::new(a)
            .ok()
            .map(E::Other)),
    ]
}

/// A NOTIFY command's arguments: `NONE`, or `SET [STATUS]` with one to
/// three event groups of every filter kind (events or `NONE`).
pub fn arb_notify_request() -> impl Strategy<Value = NotifyRequest<'static>> {
    let names = || vec(arb_mailbox(), 1..3).prop_map(NonEmptyVec::unvalidated);
    let filter = prop_oneof![
        Just(MailboxFilter::Selected),
        Just(MailboxFilter::SelectedDelayed),
        Just(MailboxFilter::Inboxes),
        Just(MailboxFilter::Personal),
        Just(MailboxFilter::Subscribed),
        names().prop_map(MailboxFilter::Subtree),
        names().prop_map(MailboxFilter::Mailboxes),
    ];
    let group = (filter, vec(arb_notify_event(), 0..4))
        .prop_map(|(filter, events)| EventGroup { filter, events });
    prop_oneof![
        1 => Just(NotifyRequest::None),
        4 => (any::<bool>(), vec(group, 1..4)).prop_map(|(status, groups)| NotifyRequest::Set {
            status,
            groups: NonEmptyVec::unvalidated(groups),
        }),
    ]
}

/// Any command: a tag and a body.
pub fn arb_command() -> impl Strategy<Value = Command<'static>> {
    (arb_tag(), arb_command_body()).prop_map(|(tag, body)| Command { tag, body })
}

/// A `search-return-opt`: one without a parameter, or `PARTIAL` with a
/// range from either end.
pub(crate) fn arb_search_return_option() -> impl Strategy<Value = SearchReturnOption> {
    prop_oneof![
        4 => proptest::sample::select(SearchReturnOption::ALL.to_vec()),
        1 => arb_partial_range().prop_map(SearchReturnOption::Partial),
    ]
}

/// A `partial-range` (RFC 9394).
pub(crate) fn arb_partial_range() -> impl Strategy<Value = PartialRange> {
    let position = (1u32..=u32::MAX).prop_map(|n| NonZeroU32::new(n).expect("non-zero"));
    (any::<bool>(), position.clone(), position)
        .prop_map(|(from_end, a, b)| PartialRange::new(from_end, a, b))
}
