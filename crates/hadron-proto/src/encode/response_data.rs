//! Writers for untagged response data (`* CAPABILITY`, `* LIST`, `* SEARCH`,
//! `* n EXISTS`, ...).

use crate::encode::core::{
    astring, atom, flag, mailbox, nstring, number, paren_list, paren_objectid, partial_range,
    quota_resource, quoted, sequence_set, string, string_bytes,
};
use crate::encode::response_fetch::fetch_item;
use crate::encode::response_status::{capabilities, uid_set};
use crate::types::{
    Data, Delimiter, ESearch, ESearchItem, ListAttribute, ListData, ListExtended, LiteralMode,
    NamespaceDescr, StatusValue, Thread,
};

const SYNC: LiteralMode = LiteralMode::Sync;

fn delimiter(out: &mut Vec<u8>, d: Option<Delimiter>) {
    match d {
        None => out.extend_from_slice(b"NIL"),
        Some(d) => quoted(out, &[d.byte()]),
    }
}

fn list_data(out: &mut Vec<u8>, l: &ListData<'_>) {
    paren_list(out, &l.attributes, |out, a| {
        out.push(b'\\');
        match a {
            ListAttribute::Extension(a) => atom(out, a),
            known => out.extend_from_slice(known.name().as_bytes()),
        }
    });
    out.push(b' ');
    delimiter(out, l.delimiter);
    out.push(b' ');
    mailbox(out, &l.mailbox, SYNC);
    if !l.extended.is_empty() {
        out.push(b' ');
        paren_list(out, &l.extended, |out, e| match e {
            ListExtended::ChildInfo(v) => {
                out.extend_from_slice(b"\"CHILDINFO\" ");
                paren_list(out, v, |out, s| string_bytes(out, s.as_bytes(), SYNC));
            }
            ListExtended::OldName(m) => {
                out.extend_from_slice(b"\"OLDNAME\" (");
                mailbox(out, m, SYNC);
                out.push(b')');
            }
        });
    }
}

/// Writes `"(" [status-att-list] ")"`. A `Number` entry for an item without
/// a plain number (`MAILBOXID`, `APPENDLIMIT`) is not valid protocol and is
/// left out.
fn status_values(out: &mut Vec<u8>, items: &[StatusValue<'_>]) {
    out.push(b'(');
    let mut first = true;
    for value in items {
        if let StatusValue::Number(item, _) = value
            && !item.is_numeric()
        {
            continue;
        }
        if !first {
            out.push(b' ');
        }
        first = false;
        out.extend_from_slice(value.item().name().as_bytes());
        out.push(b' ');
        match value {
            StatusValue::Number(_, n) => number(out, *n),
            StatusValue::MailboxId(id) => paren_objectid(out, id),
            StatusValue::AppendLimit(Some(n)) => number(out, *n),
            StatusValue::AppendLimit(None) => out.extend_from_slice(b"NIL"),
        }
    }
    out.push(b')');
}

fn numbers_with_modseq(out: &mut Vec<u8>, ids: &[std::num::NonZeroU32], modseq: Option<u64>) {
    for id in ids {
        out.push(b' ');
        number(out, u64::from(id.get()));
    }
    if let Some(m) = modseq {
        out.extend_from_slice(b" (MODSEQ ");
        number(out, m);
        out.push(b')');
    }
}

fn esearch(out: &mut Vec<u8>, e: &ESearch<'_>) {
    out.extend_from_slice(b"ESEARCH");
    if let Some(t) = &e.tag {
        out.extend_from_slice(b" (TAG ");
        string(out, t, SYNC);
        out.push(b')');
    }
    if e.uid {
        out.extend_from_slice(b" UID");
    }
    for item in &e.items {
        out.push(b' ');
        match item {
            ESearchItem::Min(n) => {
                out.extend_from_slice(b"MIN ");
                number(out, u64::from(n.get()));
            }
            ESearchItem::Max(n) => {
                out.extend_from_slice(b"MAX ");
                number(out, u64::from(n.get()));
            }
            ESearchItem::All(set) => {
                out.extend_from_slice(b"ALL ");
                sequence_set(out, set);
            }
            ESearchItem::Count(n) => {
                out.extend_from_slice(b"COUNT ");
                number(out, u64::from(*n));
            }
            ESearchItem::ModSeq(n) => {
                out.extend_from_slice(b"MODSEQ ");
                number(out, *n);
            }
            ESearchItem::AddTo(pairs) | ESearchItem::RemoveFrom(pairs) => {
                out.extend_from_slice(if matches!(item, ESearchItem::AddTo(_)) {
                    b"ADDTO ("
                } else {
                    b"REMOVEFROM ("
                });
                for (n, (position, set)) in pairs.iter().enumerate() {
                    if n > 0 {
                        out.push(b' ');
                    }
                    number(out, u64::from(*position));
                    out.push(b' ');
                    sequence_set(out, set);
                }
                out.push(b')');
            }
            ESearchItem::Partial(range, set) => {
                out.extend_from_slice(b"PARTIAL (");
                partial_range(out, *range);
                out.push(b' ');
                match set {
                    Some(set) => sequence_set(out, set),
                    None => out.extend_from_slice(b"NIL"),
                }
                out.push(b')');
            }
        }
    }
}

fn namespace(out: &mut Vec<u8>, list: &[NamespaceDescr<'_>]) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for d in list {
        out.push(b'(');
        string(out, &d.prefix, SYNC);
        out.push(b' ');
        delimiter(out, d.delimiter);
        for (name, values) in &d.extensions {
            out.push(b' ');
            string(out, name, SYNC);
            out.push(b' ');
            paren_list(out, values, |out, v| string(out, v, SYNC));
        }
        out.push(b')');
    }
    out.push(b')');
}

fn thread(out: &mut Vec<u8>, t: &Thread) {
    out.push(b'(');
    for (i, m) in t.members.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        number(out, u64::from(m.get()));
    }
    if !t.members.is_empty() && !t.children.is_empty() {
        out.push(b' ');
    }
    for c in &t.children {
        thread(out, c);
    }
    out.push(b')');
}

pub(super) fn data(out: &mut Vec<u8>, d: &Data<'_>) {
    out.extend_from_slice(b"* ");
    match d {
        Data::Capability(caps) => {
            out.extend_from_slice(b"CAPABILITY");
            capabilities(out, caps);
        }
        Data::List(l) => {
            out.extend_from_slice(b"LIST ");
            list_data(out, l);
        }
        Data::Lsub(l) => {
            out.extend_from_slice(b"LSUB ");
            list_data(out, l);
        }
        Data::Status { mailbox: m, items } => {
            out.extend_from_slice(b"STATUS ");
            mailbox(out, m, SYNC);
            out.push(b' ');
            status_values(out, items);
        }
        Data::Search { ids, modseq } => {
            out.extend_from_slice(b"SEARCH");
            numbers_with_modseq(out, ids, *modseq);
        }
        Data::Sort { ids, modseq } => {
            out.extend_from_slice(b"SORT");
            numbers_with_modseq(out, ids, *modseq);
        }
        Data::ESearch(e) => esearch(out, e),
        Data::Flags(flags) => {
            out.extend_from_slice(b"FLAGS ");
            paren_list(out, flags, |out, f| flag(out, f));
        }
        Data::Exists(n) => {
            number(out, u64::from(*n));
            out.extend_from_slice(b" EXISTS");
        }
        Data::Recent(n) => {
            number(out, u64::from(*n));
            out.extend_from_slice(b" RECENT");
        }
        Data::Expunge(n) => {
            number(out, u64::from(n.get()));
            out.extend_from_slice(b" EXPUNGE");
        }
        Data::Vanished { earlier, uids } => {
            out.extend_from_slice(if *earlier {
                b"VANISHED (EARLIER) "
            } else {
                b"VANISHED "
            });
            uid_set(out, uids);
        }
        Data::Fetch { seq, items } => {
            // Reached only through `write_whole`, which ResponseWriter never
            // uses for FETCH; kept for completeness.
            number(out, u64::from(seq.get()));
            out.extend_from_slice(b" FETCH ");
            paren_list(out, items, |out, i| {
                fetch_item(out, i);
            });
        }
        Data::Enabled(caps) => {
            out.extend_from_slice(b"ENABLED");
            capabilities(out, caps);
        }
        Data::Id(params) => {
            out.extend_from_slice(b"ID ");
            if params.is_empty() {
                out.extend_from_slice(b"NIL");
            } else {
                paren_list(out, params, |out, (k, v)| {
                    string(out, k, SYNC);
                    out.push(b' ');
                    nstring(out, v, SYNC);
                });
            }
        }
        Data::Namespace {
            personal,
            other,
            shared,
        } => {
            out.extend_from_slice(b"NAMESPACE ");
            namespace(out, personal);
            out.push(b' ');
            namespace(out, other);
            out.push(b' ');
            namespace(out, shared);
        }
        Data::Thread(threads) => {
            out.extend_from_slice(b"THREAD");
            if !threads.is_empty() {
                out.push(b' ');
            }
            for t in threads {
                thread(out, t);
            }
        }
        Data::Quota { root, resources } => {
            out.extend_from_slice(b"QUOTA ");
            astring(out, root, SYNC);
            out.push(b' ');
            paren_list(out, resources.as_slice(), |out, r| {
                quota_resource(out, &r.resource);
                out.push(b' ');
                number(out, r.usage);
                out.push(b' ');
                number(out, r.limit);
            });
        }
        Data::QuotaRoot { mailbox: m, roots } => {
            out.extend_from_slice(b"QUOTAROOT ");
            mailbox(out, m, SYNC);
            for root in roots {
                out.push(b' ');
                astring(out, root, SYNC);
            }
        }
    }
}
