//! Client commands (RFC 3501 §6 and the extensions Hadron speaks).

use crate::types::{
    AString, AppendMessage, Atom, Base64, Capability, Charset, FetchItems, FetchModifier, IString,
    ListMailbox, ListReturnOption, ListSelectOption, Mailbox, NString, NonEmptyVec, NotifyRequest,
    QuotaLimit, SearchKey, SearchReturnOption, SelectParam, SequenceSet, SortCriterion, StatusItem,
    StoreAction, Tag, ThreadAlgorithm,
};

/// A tagged client command: `command = tag SP (command-any / command-auth /
/// command-nonauth / command-select) CRLF`.
///
/// ```
/// use hadron_proto::parse::{self, ParseLimits};
/// use hadron_proto::types::CommandBody;
/// let cmd = parse::command(b"a1 NOOP\r\n", &ParseLimits::default()).unwrap();
/// assert_eq!(cmd.tag.as_str(), "a1");
/// assert_eq!(cmd.body, CommandBody::Noop);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Command<'a> {
    /// The client's tag, echoed in the tagged response.
    pub tag: Tag<'a>,
    /// What the command asks for.
    pub body: CommandBody<'a>,
}

impl Command<'_> {
    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> Command<'static> {
        Command {
            tag: self.tag.into_static(),
            body: self.body.into_static(),
        }
    }
}

/// The body of a command, one variant per command. `uid: true` marks the
/// `UID` form of FETCH/STORE/COPY/MOVE/SEARCH/SORT/THREAD.
///
/// Lists the grammar requires to be non-empty are [`NonEmptyVec`]s, so
/// every value can be written on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CommandBody<'a> {
    /// `CAPABILITY`
    Capability,
    /// `NOOP`
    Noop,
    /// `LOGOUT`
    Logout,
    /// `STARTTLS`
    StartTls,
    /// `AUTHENTICATE auth-type [SP (base64 / "=")]` (RFC 4959 SASL-IR).
    Authenticate {
        /// The SASL mechanism name, such as `PLAIN`.
        mechanism: Atom<'a>,
        /// The initial response; `Some(Base64::EMPTY)` is `=`.
        initial_response: Option<Base64<'a>>,
    },
    /// `LOGIN userid password`
    Login {
        /// `userid = astring`
        username: AString<'a>,
        /// `password = astring`
        password: AString<'a>,
    },
    /// `SELECT mailbox [select-params]`
    Select {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// CONDSTORE/QRESYNC parameters (none written when empty).
        params: Vec<SelectParam>,
    },
    /// `EXAMINE mailbox [select-params]`
    Examine {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// CONDSTORE/QRESYNC parameters (none written when empty).
        params: Vec<SelectParam>,
    },
    /// `CREATE mailbox [SP "(" "USE" SP "(" use-attr ... ")" ")"]` (RFC 6154).
    Create {
        /// The new mailbox.
        mailbox: Mailbox<'a>,
        /// Special-use attributes, without the backslash (`Drafts`).
        special_use: Vec<Atom<'a>>,
    },
    /// `DELETE mailbox`
    Delete {
        /// The mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `RENAME mailbox SP mailbox`
    Rename {
        /// The existing name.
        from: Mailbox<'a>,
        /// The new name.
        to: Mailbox<'a>,
    },
    /// `SUBSCRIBE mailbox`
    Subscribe {
        /// The mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `UNSUBSCRIBE mailbox`
    Unsubscribe {
        /// The mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `LIST [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]`
    /// (RFC 3501, RFC 5258).
    List {
        /// Selection options (`()` and none are the same).
        selection: Vec<ListSelectOption>,
        /// The reference name (may be empty).
        reference: Mailbox<'a>,
        /// One or more patterns.
        patterns: NonEmptyVec<ListMailbox<'a>>,
        /// Return options (`RETURN ()` and none are the same).
        return_options: Vec<ListReturnOption>,
    },
    /// `LSUB mailbox SP list-mailbox`
    Lsub {
        /// The reference name (may be empty).
        reference: Mailbox<'a>,
        /// The pattern.
        pattern: ListMailbox<'a>,
    },
    /// `NAMESPACE` (RFC 2342)
    Namespace,
    /// `STATUS mailbox SP "(" status-att *(SP status-att) ")"`
    Status {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// What to report.
        items: NonEmptyVec<StatusItem>,
    },
    /// `APPEND mailbox 1*append-message` (RFC 3502 MULTIAPPEND).
    Append {
        /// The target mailbox.
        mailbox: Mailbox<'a>,
        /// One or more messages.
        messages: NonEmptyVec<AppendMessage<'a>>,
    },
    /// `CHECK`
    Check,
    /// `CLOSE`
    Close,
    /// `UNSELECT` (RFC 3691)
    Unselect,
    /// `UNAUTHENTICATE` (RFC 8437): back to the not authenticated state on
    /// the same connection.
    Unauthenticate,
    /// `EXPUNGE`
    Expunge,
    /// `UID EXPUNGE sequence-set` (RFC 4315 UIDPLUS)
    UidExpunge(SequenceSet),
    /// `[UID] SEARCH [RETURN (...)] [CHARSET charset] 1*(SP search-key)`
    Search {
        /// `UID SEARCH`
        uid: bool,
        /// `RETURN (...)` (RFC 4731): `None` when absent; `Some(vec![])` is
        /// `RETURN ()` (same as `RETURN (ALL)`).
        return_options: Option<Vec<SearchReturnOption>>,
        /// `CHARSET`
        charset: Option<Charset<'a>>,
        /// The keys, all of which must match.
        criteria: NonEmptyVec<SearchKey<'a>>,
    },
    /// `[UID] FETCH sequence-set items [fetch-modifiers]`
    Fetch {
        /// `UID FETCH`
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// What to return.
        items: FetchItems<'a>,
        /// `CHANGEDSINCE` / `VANISHED` (RFC 7162).
        modifiers: Vec<FetchModifier>,
    },
    /// `[UID] STORE sequence-set [(UNCHANGEDSINCE n)] store-att-flags`
    Store {
        /// `UID STORE`
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// `UNCHANGEDSINCE mod-sequence-valzer` (RFC 7162).
        unchanged_since: Option<u64>,
        /// The flag change.
        action: StoreAction<'a>,
    },
    /// `[UID] COPY sequence-set SP mailbox`
    Copy {
        /// `UID COPY`
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// The target.
        mailbox: Mailbox<'a>,
    },
    /// `[UID] MOVE sequence-set SP mailbox` (RFC 6851)
    Move {
        /// `UID MOVE`
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// The target.
        mailbox: Mailbox<'a>,
    },
    /// `IDLE` (RFC 2177); the client ends it with `DONE`
    /// (see [`crate::parse::idle_done`]).
    Idle,
    /// `ID ("(" *(string SP nstring) ")" / nil)` (RFC 2971); `None` is `NIL`.
    Id(Option<Vec<(IString<'a>, NString<'a>)>>),
    /// `ENABLE 1*(SP capability)` (RFC 5161).
    Enable(NonEmptyVec<Capability<'a>>),
    /// `[UID] SORT [RETURN (opts)] (sort-criteria) charset 1*(SP search-key)`
    /// (RFC 5256; `RETURN` is ESORT, RFC 5267)
    Sort {
        /// `UID SORT`
        uid: bool,
        /// `RETURN (...)` (ESORT); `None` when absent (a `* SORT` answer).
        return_options: Option<Vec<SearchReturnOption>>,
        /// Sort order.
        criteria: NonEmptyVec<SortCriterion>,
        /// The charset of the search strings.
        charset: Charset<'a>,
        /// The keys, all of which must match.
        keys: NonEmptyVec<SearchKey<'a>>,
    },
    /// `[UID] THREAD thread-alg SP charset 1*(SP search-key)` (RFC 5256)
    Thread {
        /// `UID THREAD`
        uid: bool,
        /// The threading algorithm.
        algorithm: ThreadAlgorithm<'a>,
        /// The charset of the search strings.
        charset: Charset<'a>,
        /// The keys, all of which must match.
        keys: NonEmptyVec<SearchKey<'a>>,
    },
    /// `COMPRESS algorithm` (RFC 4978); only `DEFLATE` is defined.
    Compress {
        /// The algorithm name.
        algorithm: Atom<'a>,
    },
    /// `CANCELUPDATE 1*(SP tag-string)` (RFC 5267): ends the updating
    /// searches started by these tags.
    CancelUpdate(NonEmptyVec<IString<'a>>),
    /// `GETQUOTA quota-root-name` (RFC 9208).
    GetQuota {
        /// `quota-root-name = astring`
        root: AString<'a>,
    },
    /// `GETQUOTAROOT mailbox` (RFC 9208).
    GetQuotaRoot {
        /// The mailbox whose quota roots are asked for.
        mailbox: Mailbox<'a>,
    },
    /// `SETQUOTA quota-root-name SP setquota-list` (RFC 9208); the list may
    /// be empty (remove every limit).
    SetQuota {
        /// `quota-root-name = astring`
        root: AString<'a>,
        /// The limits asked for, in order.
        limits: Vec<QuotaLimit<'a>>,
    },
    /// `NOTIFY (SET [STATUS] event-groups / NONE)` (RFC 5465).
    Notify(NotifyRequest<'a>),
}

fn keys_static(keys: NonEmptyVec<SearchKey<'_>>) -> NonEmptyVec<SearchKey<'static>> {
    keys.map(SearchKey::into_static)
}

impl CommandBody<'_> {
    /// The command's name as the client would write it (`UID FETCH`, `LIST`).
    pub fn name(&self) -> &'static str {
        use CommandBody as C;
        let uid_name = |uid: bool, plain: &'static str, with_uid: &'static str| {
            if uid { with_uid } else { plain }
        };
        match self {
            C::Capability => "CAPABILITY",
            C::Noop => "NOOP",
            C::Logout => "LOGOUT",
            C::StartTls => "STARTTLS",
            C::Authenticate { .. } => "AUTHENTICATE",
            C::Login { .. } => "LOGIN",
            C::Select { .. } => "SELECT",
            C::Examine { .. } => "EXAMINE",
            C::Create { .. } => "CREATE",
            C::Delete { .. } => "DELETE",
            C::Rename { .. } => "RENAME",
            C::Subscribe { .. } => "SUBSCRIBE",
            C::Unsubscribe { .. } => "UNSUBSCRIBE",
            C::List { .. } => "LIST",
            C::Lsub { .. } => "LSUB",
            C::Namespace => "NAMESPACE",
            C::Status { .. } => "STATUS",
            C::Append { .. } => "APPEND",
            C::Check => "CHECK",
            C::Close => "CLOSE",
            C::Unselect => "UNSELECT",
            C::Unauthenticate => "UNAUTHENTICATE",
            C::Expunge => "EXPUNGE",
            C::UidExpunge(_) => "UID EXPUNGE",
            C::Search { uid, .. } => uid_name(*uid, "SEARCH", "UID SEARCH"),
            C::Fetch { uid, .. } => uid_name(*uid, "FETCH", "UID FETCH"),
            C::Store { uid, .. } => uid_name(*uid, "STORE", "UID STORE"),
            C::Copy { uid, .. } => uid_name(*uid, "COPY", "UID COPY"),
            C::Move { uid, .. } => uid_name(*uid, "MOVE", "UID MOVE"),
            C::Idle => "IDLE",
            C::Id(_) => "ID",
            C::Enable(_) => "ENABLE",
            C::Sort { uid, .. } => uid_name(*uid, "SORT", "UID SORT"),
            C::Thread { uid, .. } => uid_name(*uid, "THREAD", "UID THREAD"),
            C::Compress { .. } => "COMPRESS",
            C::CancelUpdate(_) => "CANCELUPDATE",
            C::GetQuota { .. } => "GETQUOTA",
            C::GetQuotaRoot { .. } => "GETQUOTAROOT",
            C::SetQuota { .. } => "SETQUOTA",
            C::Notify(_) => "NOTIFY",
        }
    }

    /// Detaches the value from the buffer it was parsed from.
    pub fn into_static(self) -> CommandBody<'static> {
        use CommandBody as C;
        match self {
            C::Capability => C::Capability,
            C::Noop => C::Noop,
            C::Logout => C::Logout,
            C::StartTls => C::StartTls,
            C::Authenticate {
                mechanism,
                initial_response,
            } => C::Authenticate {
                mechanism: mechanism.into_static(),
                initial_response: initial_response.map(Base64::into_static),
            },
            C::Login { username, password } => C::Login {
                username: username.into_static(),
                password: password.into_static(),
            },
            C::Select { mailbox, params } => C::Select {
                mailbox: mailbox.into_static(),
                params,
            },
            C::Examine { mailbox, params } => C::Examine {
                mailbox: mailbox.into_static(),
                params,
            },
            C::Create {
                mailbox,
                special_use,
            } => C::Create {
                mailbox: mailbox.into_static(),
                special_use: special_use.into_iter().map(Atom::into_static).collect(),
            },
            C::Delete { mailbox } => C::Delete {
                mailbox: mailbox.into_static(),
            },
            C::Rename { from, to } => C::Rename {
                from: from.into_static(),
                to: to.into_static(),
            },
            C::Subscribe { mailbox } => C::Subscribe {
                mailbox: mailbox.into_static(),
            },
            C::Unsubscribe { mailbox } => C::Unsubscribe {
                mailbox: mailbox.into_static(),
            },
            C::List {
                selection,
                reference,
                patterns,
                return_options,
            } => C::List {
                selection,
                reference: reference.into_static(),
                patterns: patterns.map(ListMailbox::into_static),
                return_options,
            },
            C::Lsub { reference, pattern } => C::Lsub {
                reference: reference.into_static(),
                pattern: pattern.into_static(),
            },
            C::Namespace => C::Namespace,
            C::Status { mailbox, items } => C::Status {
                mailbox: mailbox.into_static(),
                items,
            },
            C::Append { mailbox, messages } => C::Append {
                mailbox: mailbox.into_static(),
                messages: messages.map(AppendMessage::into_static),
            },
            C::Check => C::Check,
            C::Close => C::Close,
            C::Unselect => C::Unselect,
            C::Unauthenticate => C::Unauthenticate,
            C::Expunge => C::Expunge,
            C::UidExpunge(set) => C::UidExpunge(set),
            C::Search {
                uid,
                return_options,
                charset,
                criteria,
            } => C::Search {
                uid,
                return_options,
                charset: charset.map(Charset::into_static),
                criteria: keys_static(criteria),
            },
            C::Fetch {
                uid,
                set,
                items,
                modifiers,
            } => C::Fetch {
                uid,
                set,
                items: items.into_static(),
                modifiers,
            },
            C::Store {
                uid,
                set,
                unchanged_since,
                action,
            } => C::Store {
                uid,
                set,
                unchanged_since,
                action: action.into_static(),
            },
            C::Copy { uid, set, mailbox } => C::Copy {
                uid,
                set,
                mailbox: mailbox.into_static(),
            },
            C::Move { uid, set, mailbox } => C::Move {
                uid,
                set,
                mailbox: mailbox.into_static(),
            },
            C::Idle => C::Idle,
            C::Id(params) => C::Id(params.map(|params| {
                params
                    .into_iter()
                    .map(|(k, v)| (k.into_static(), v.into_static()))
                    .collect()
            })),
            C::Enable(caps) => C::Enable(caps.map(Capability::into_static)),
            C::Sort {
                uid,
                return_options,
                criteria,
                charset,
                keys,
            } => C::Sort {
                uid,
                return_options,
                criteria,
                charset: charset.into_static(),
                keys: keys_static(keys),
            },
            C::Thread {
                uid,
                algorithm,
                charset,
                keys,
            } => C::Thread {
                uid,
                algorithm: algorithm.into_static(),
                charset: charset.into_static(),
                keys: keys_static(keys),
            },
            C::Compress { algorithm } => C::Compress {
                algorithm: algorithm.into_static(),
            },
            C::CancelUpdate(tags) => C::CancelUpdate(NonEmptyVec::unvalidated(
                tags.into_vec()
                    .into_iter()
                    .map(IString::into_static)
                    .collect(),
            )),
            C::GetQuota { root } => C::GetQuota {
                root: root.into_static(),
            },
            C::GetQuotaRoot { mailbox } => C::GetQuotaRoot {
                mailbox: mailbox.into_static(),
            },
            C::SetQuota { root, limits } => C::SetQuota {
                root: root.into_static(),
                limits: limits.into_iter().map(QuotaLimit::into_static).collect(),
            },
            C::Notify(request) => C::Notify(request.into_static()),
        }
    }
}
