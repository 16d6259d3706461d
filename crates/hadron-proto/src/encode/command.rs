//! The command encoder: [`Command`] → bytes, for test clients and round trips.

use crate::encode::core::{
    astring, atom, charset, date_time, flag, literal, mailbox, nstring, number, paren_list,
    quota_resource, sequence_set, string, string_bytes, tag,
};
use crate::encode::fetch::{fetch_items, fetch_modifiers};
use crate::encode::notify::notify_request;
use crate::encode::search::{return_options, search_keys};
use crate::types::{
    AppendData, CatPart, Command, CommandBody, ListMailbox, ListReturnOption, LiteralMode,
    SelectParam, StoreKind,
};

/// Writes `cmd` as one complete command line, CRLF included.
///
/// Strings that cannot be atoms or quoted strings go out as synchronising
/// literals (`{n}`), which every server accepts; a client writing these
/// bytes must then wait for the server's `+` after each literal header. A
/// client of a server with LITERAL+ can use [`command_with_mode`] with
/// [`LiteralMode::NonSync`] and send everything at once. APPEND message
/// literals keep the framing of their [`crate::types::Literal`].
///
/// The output always parses back (with [`crate::parse::command`]) to a value
/// equal to `cmd`.
///
/// ```
/// use hadron_proto::encode;
/// use hadron_proto::types::{Command, CommandBody, Tag};
/// let cmd = Command { tag: Tag::try_from("a1").unwrap(), body: CommandBody::Noop };
/// let mut out = Vec::new();
/// encode::command(&cmd, &mut out);
/// assert_eq!(out, b"a1 NOOP\r\n");
/// ```
pub fn command(cmd: &Command<'_>, out: &mut Vec<u8>) {
    command_with_mode(cmd, LiteralMode::Sync, out);
}

/// Like [`command`], writing string literals with the given framing.
pub fn command_with_mode(cmd: &Command<'_>, mode: LiteralMode, out: &mut Vec<u8>) {
    tag(out, &cmd.tag);
    out.push(b' ');
    body(out, &cmd.body, mode);
    out.extend_from_slice(b"\r\n");
}

fn is_list_char(b: u8) -> bool {
    crate::types::is_atom_char(b) || matches!(b, b'%' | b'*' | b']')
}

fn list_mailbox(out: &mut Vec<u8>, p: &ListMailbox<'_>, mode: LiteralMode) {
    let wire = p.to_wire();
    let bytes = wire.as_bytes();
    if !bytes.is_empty() && bytes.iter().all(|&b| is_list_char(b)) {
        out.extend_from_slice(bytes);
    } else {
        string_bytes(out, bytes, mode);
    }
}

/// `append-data = literal / literal8 / "CATENATE" SP "(" cat-part *(SP cat-part) ")"`
/// (RFC 4469): literals keep their own framing, a URL is an astring.
fn append_data(out: &mut Vec<u8>, data: &AppendData<'_>, mode: LiteralMode) {
    match data {
        AppendData::Literal(l) => literal(out, l),
        AppendData::Catenate(parts) => {
            out.extend_from_slice(b"CATENATE ");
            paren_list(out, parts, |out, part| match part {
                CatPart::Text(l) => {
                    out.extend_from_slice(b"TEXT ");
                    literal(out, l);
                }
                CatPart::Url(u) => {
                    out.extend_from_slice(b"URL ");
                    astring(out, u, mode);
                }
            });
        }
    }
}

fn uid_prefix(out: &mut Vec<u8>, uid: bool) {
    if uid {
        out.extend_from_slice(b"UID ");
    }
}

fn body(out: &mut Vec<u8>, body: &CommandBody<'_>, mode: LiteralMode) {
    use CommandBody as C;
    let name = |out: &mut Vec<u8>, name: &str| out.extend_from_slice(name.as_bytes());
    match body {
        C::Capability
        | C::Noop
        | C::Logout
        | C::StartTls
        | C::Namespace
        | C::Check
        | C::Close
        | C::Unselect
        | C::Unauthenticate
        | C::Expunge
        | C::Idle => name(out, body.name()),
        C::Authenticate {
            mechanism,
            initial_response,
        } => {
            name(out, "AUTHENTICATE ");
            atom(out, mechanism);
            if let Some(r) = initial_response {
                out.push(b' ');
                if r.is_empty() {
                    out.push(b'=');
                } else {
                    out.extend_from_slice(r.as_str().as_bytes());
                }
            }
        }
        C::Login { username, password } => {
            name(out, "LOGIN ");
            astring(out, username, mode);
            out.push(b' ');
            astring(out, password, mode);
        }
        C::Select { mailbox: m, params } | C::Examine { mailbox: m, params } => {
            name(out, body.name());
            out.push(b' ');
            mailbox(out, m, mode);
            if !params.is_empty() {
                out.push(b' ');
                paren_list(out, params, select_param);
            }
        }
        C::Create {
            mailbox: m,
            special_use,
        } => {
            name(out, "CREATE ");
            mailbox(out, m, mode);
            if !special_use.is_empty() {
                out.extend_from_slice(b" (USE ");
                paren_list(out, special_use, |out, a| {
                    out.push(b'\\');
                    atom(out, a);
                });
                out.push(b')');
            }
        }
        C::Delete { mailbox: m } | C::Subscribe { mailbox: m } | C::Unsubscribe { mailbox: m } => {
            name(out, body.name());
            out.push(b' ');
            mailbox(out, m, mode);
        }
        C::Rename { from, to } => {
            name(out, "RENAME ");
            mailbox(out, from, mode);
            out.push(b' ');
            mailbox(out, to, mode);
        }
        C::List {
            selection,
            reference,
            patterns,
            return_options,
        } => {
            name(out, "LIST ");
            if !selection.is_empty() {
                paren_list(out, selection, |out, o| name(out, o.name()));
                out.push(b' ');
            }
            mailbox(out, reference, mode);
            out.push(b' ');
            if patterns.len() == 1 {
                list_mailbox(out, &patterns[0], mode);
            } else {
                paren_list(out, patterns, |out, p| list_mailbox(out, p, mode));
            }
            if !return_options.is_empty() {
                name(out, " RETURN ");
                paren_list(out, return_options, |out, o| match o {
                    ListReturnOption::Subscribed => name(out, "SUBSCRIBED"),
                    ListReturnOption::Children => name(out, "CHILDREN"),
                    ListReturnOption::SpecialUse => name(out, "SPECIAL-USE"),
                    ListReturnOption::Status(items) => {
                        name(out, "STATUS ");
                        paren_list(out, items, |out, i| name(out, i.name()));
                    }
                });
            }
        }
        C::Lsub { reference, pattern } => {
            name(out, "LSUB ");
            mailbox(out, reference, mode);
            out.push(b' ');
            list_mailbox(out, pattern, mode);
        }
        C::Status { mailbox: m, items } => {
            name(out, "STATUS ");
            mailbox(out, m, mode);
            out.push(b' ');
            paren_list(out, items, |out, i| name(out, i.name()));
        }
        C::Append {
            mailbox: m,
            messages,
        } => {
            name(out, "APPEND ");
            mailbox(out, m, mode);
            for msg in messages {
                out.push(b' ');
                if !msg.flags.is_empty() {
                    paren_list(out, &msg.flags, flag);
                    out.push(b' ');
                }
                if let Some(d) = msg.date {
                    date_time(out, d);
                    out.push(b' ');
                }
                append_data(out, &msg.data, mode);
            }
        }
        C::UidExpunge(set) => {
            name(out, "UID EXPUNGE ");
            sequence_set(out, set);
        }
        C::Search {
            uid,
            return_options: opts,
            charset: cs,
            criteria,
        } => {
            uid_prefix(out, *uid);
            name(out, "SEARCH");
            if let Some(opts) = opts {
                return_options(out, opts);
            }
            if let Some(cs) = cs {
                name(out, " CHARSET ");
                charset(out, cs);
            }
            out.push(b' ');
            search_keys(out, criteria, mode);
        }
        C::Fetch {
            uid,
            set,
            items,
            modifiers,
        } => {
            uid_prefix(out, *uid);
            name(out, "FETCH ");
            sequence_set(out, set);
            out.push(b' ');
            fetch_items(out, items);
            fetch_modifiers(out, modifiers);
        }
        C::Store {
            uid,
            set,
            unchanged_since,
            action,
        } => {
            uid_prefix(out, *uid);
            name(out, "STORE ");
            sequence_set(out, set);
            if let Some(n) = unchanged_since {
                name(out, " (UNCHANGEDSINCE ");
                number(out, *n);
                out.push(b')');
            }
            out.push(b' ');
            match action.kind {
                StoreKind::Replace => {}
                StoreKind::Add => out.push(b'+'),
                StoreKind::Remove => out.push(b'-'),
            }
            name(
                out,
                if action.silent {
                    "FLAGS.SILENT "
                } else {
                    "FLAGS "
                },
            );
            paren_list(out, &action.flags, flag);
        }
        C::Copy {
            uid,
            set,
            mailbox: m,
        }
        | C::Move {
            uid,
            set,
            mailbox: m,
        } => {
            uid_prefix(out, *uid);
            name(
                out,
                if matches!(body, C::Move { .. }) {
                    "MOVE "
                } else {
                    "COPY "
                },
            );
            sequence_set(out, set);
            out.push(b' ');
            mailbox(out, m, mode);
        }
        C::Id(params) => {
            name(out, "ID ");
            match params {
                None => name(out, "NIL"),
                Some(params) => paren_list(out, params, |out, (k, v)| {
                    string(out, k, mode);
                    out.push(b' ');
                    nstring(out, v, mode);
                }),
            }
        }
        C::Enable(caps) => {
            name(out, "ENABLE");
            for cap in caps {
                out.push(b' ');
                out.extend_from_slice(cap.to_string().as_bytes());
            }
        }
        C::Sort {
            uid,
            return_options: opts,
            criteria,
            charset: cs,
            keys,
        } => {
            uid_prefix(out, *uid);
            name(out, "SORT");
            if let Some(opts) = opts {
                return_options(out, opts);
            }
            out.push(b' ');
            paren_list(out, criteria, |out, c| {
                if c.reverse {
                    name(out, "REVERSE ");
                }
                name(out, c.key.name());
            });
            out.push(b' ');
            charset(out, cs);
            out.push(b' ');
            search_keys(out, keys, mode);
        }
        C::Thread {
            uid,
            algorithm,
            charset: cs,
            keys,
        } => {
            uid_prefix(out, *uid);
            name(out, "THREAD ");
            name(out, algorithm.name());
            out.push(b' ');
            charset(out, cs);
            out.push(b' ');
            search_keys(out, keys, mode);
        }
        C::CancelUpdate(tags) => {
            name(out, "CANCELUPDATE");
            for t in tags.iter() {
                out.push(b' ');
                string(out, t, mode);
            }
        }
        C::Compress { algorithm } => {
            name(out, "COMPRESS ");
            atom(out, algorithm);
        }
        C::GetQuota { root } => {
            name(out, "GETQUOTA ");
            astring(out, root, mode);
        }
        C::GetQuotaRoot { mailbox: m } => {
            name(out, "GETQUOTAROOT ");
            mailbox(out, m, mode);
        }
        C::SetQuota { root, limits } => {
            name(out, "SETQUOTA ");
            astring(out, root, mode);
            out.push(b' ');
            paren_list(out, limits, |out, l| {
                quota_resource(out, &l.resource);
                out.push(b' ');
                number(out, l.limit);
            });
        }
        C::Notify(request) => {
            name(out, "NOTIFY ");
            notify_request(out, request, mode);
        }
    }
}

fn select_param(out: &mut Vec<u8>, p: &SelectParam) {
    match p {
        SelectParam::CondStore => out.extend_from_slice(b"CONDSTORE"),
        SelectParam::QResync(q) => {
            out.extend_from_slice(b"QRESYNC (");
            number(out, u64::from(q.uid_validity.get()));
            out.push(b' ');
            number(out, q.mod_seq.get());
            if let Some(uids) = &q.known_uids {
                out.push(b' ');
                sequence_set(out, uids);
            }
            if let Some((seqs, uids)) = &q.seq_match {
                out.extend_from_slice(b" (");
                sequence_set(out, seqs);
                out.push(b' ');
                sequence_set(out, uids);
                out.push(b')');
            }
            out.push(b')');
        }
    }
}
