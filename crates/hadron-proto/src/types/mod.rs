//! The vocabulary of IMAP: validated values that cannot hold invalid protocol.
//!
//! Nothing here parses bytes or writes them; [`crate::parse`] and
//! [`crate::encode`] do. Constructors check their input, so a value that
//! exists can always be encoded.

mod capability;
mod core;
mod datetime;
mod error;
mod flag;
mod mailbox;
mod object_id;
mod section;
mod sequence;
mod status;
pub mod utf7;

pub use self::capability::Capability;
pub use self::core::{AString, Atom, Charset, IString, Literal, LiteralMode, NString, Tag, Text};
pub(crate) use self::core::{is_astring_char, is_atom_char, is_tag_char, is_text_char};
pub use self::datetime::{Date, DateTime};
pub(crate) use self::datetime::{month_from_name, month_name};
pub use self::error::ValidationError;
pub use self::flag::{Flag, FlagFetch, FlagPerm};
pub use self::mailbox::Mailbox;
pub use self::object_id::ObjectId;
pub(crate) use self::object_id::is_objectid_char;
pub use self::section::{HeaderNames, Part, Section};
pub use self::sequence::{SeqNumber, Sequence, SequenceSet};
pub use self::status::{StatusItem, StatusValue};

mod body;
mod code;
mod response;
mod response_data;
mod response_fetch;

pub use self::body::{
    Address, BodyExtension, BodyFields, BodyStructure, Disposition, Envelope, ExtensionTail,
    MultiPartExt, Params, SinglePartExt, SinglePartKind,
};
pub use self::code::{Code, OtherCode, UidSet};
pub use self::response::{
    Continue, Greeting, GreetingKind, RespText, Response, Status, StatusKind,
};
pub use self::response_data::{
    Data, Delimiter, ESearch, ESearchItem, ListAttribute, ListData, ListExtended, NamespaceDescr,
    Thread,
};
pub use self::response_fetch::{BinaryData, BodyData, FetchItem};

mod wire_list;
pub use self::wire_list::WireList;

mod append;
mod auth;
mod command;
mod fetch;
mod list;
mod notify;
mod quota;
mod search;
mod select;
mod sort;
mod store;

pub use self::append::{AppendData, AppendMessage, CatPart};
pub use self::auth::{AuthContinuation, Base64};
pub use self::command::{Command, CommandBody};
pub use self::fetch::{FetchAttribute, FetchItems, FetchMacro, FetchModifier, Partial};
pub use self::list::{ListMailbox, ListReturnOption, ListSelectOption};
pub use self::notify::{EventGroup, EventName, MailboxFilter, NotifyEvent, NotifyRequest};
pub use self::quota::{QuotaLimit, QuotaResource, QuotaUsage};
pub use self::search::{EntryType, ModSeqEntry, PartialRange, SearchKey, SearchReturnOption};
pub use self::select::{QResync, SelectParam};
pub use self::sort::{SortCriterion, SortKey, ThreadAlgorithm};
pub use self::store::{StoreAction, StoreKind};
mod nonempty;
pub use self::nonempty::NonEmptyVec;
