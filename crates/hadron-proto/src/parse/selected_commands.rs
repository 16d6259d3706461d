//! Selected-state commands: SELECT/EXAMINE (with their CONDSTORE and
//! QRESYNC parameters), SEARCH, FETCH, STORE, COPY, MOVE, SORT and THREAD.

use crate::parse::core::{
    atom, charset, flag, flag_list, mailbox, number64, nz_number, sequence_set,
};
use crate::parse::error::PResult;
use crate::parse::fetch::{fetch_items, fetch_modifiers, mod_sequence_value};
use crate::parse::keyword::{fail, from_names, paren_words, sp, upcase, word};
use crate::parse::limits::Ctx;
use crate::parse::search::{search_keys, search_return_opts};
use crate::types::{
    CommandBody, NonEmptyVec, QResync, SelectParam, SortCriterion, SortKey, StoreAction, StoreKind,
    ThreadAlgorithm,
};

/// `select = "SELECT" SP mailbox [select-params]`,
/// `examine = "EXAMINE" SP mailbox [select-params]`
///
/// `select-params = SP "(" select-param *(SP select-param) ")"`
pub(super) fn select<'a>(
    ctx: &Ctx<'_>,
    i: &'a [u8],
    examine: bool,
) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (mut i, mailbox) = mailbox(i)?;
    let mut params = Vec::new();
    if let [b' ', b'(', rest @ ..] = i {
        let mut rest = rest;
        loop {
            let (after, p) = select_param(ctx, rest)?;
            params.push(p);
            match after.split_first() {
                Some((b' ', after)) => rest = after,
                Some((b')', after)) => {
                    i = after;
                    break;
                }
                _ => return Err(fail(after, "')' or another select parameter")),
            }
        }
    }
    Ok((
        i,
        if examine {
            CommandBody::Examine { mailbox, params }
        } else {
            CommandBody::Select { mailbox, params }
        },
    ))
}

/// `select-param = "CONDSTORE" / "QRESYNC" SP "(" uidvalidity SP
///   mod-sequence-value [SP known-uids] [SP seq-match-data] ")"`
///
/// `seq-match-data = "(" known-sequence-set SP known-uid-set ")"`
fn select_param<'a>(ctx: &Ctx<'_>, i: &'a [u8]) -> PResult<'a, SelectParam> {
    let (rest, name) = word(i).map_err(|_| fail(i, "a select parameter"))?;
    let mut buf = [0u8; 16];
    match upcase(name, &mut buf) {
        b"CONDSTORE" => Ok((rest, SelectParam::CondStore)),
        b"QRESYNC" => {
            let (i, _) = sp(rest)?;
            let Some((b'(', i)) = i.split_first() else {
                return Err(fail(i, "'(' after QRESYNC"));
            };
            let (i, uid_validity) = nz_number(i)?;
            let (i, _) = sp(i)?;
            let (mut i, mod_seq) = mod_sequence_value(i)?;
            let set = sequence_set(ctx.limits.max_sequence_items);
            let mut known_uids = None;
            let mut seq_match = None;
            if let [b' ', c, ..] = i
                && *c != b'('
            {
                let (rest, s) = set(&i[1..])?;
                known_uids = Some(s);
                i = rest;
            }
            if let [b' ', b'(', rest @ ..] = i {
                let (rest, seqs) = set(rest)?;
                let (rest, _) = sp(rest)?;
                let (rest, uids) = set(rest)?;
                let Some((b')', rest)) = rest.split_first() else {
                    return Err(fail(rest, "')' after the sequence match data"));
                };
                seq_match = Some((seqs, uids));
                i = rest;
            }
            let Some((b')', i)) = i.split_first() else {
                return Err(fail(i, "')' to end QRESYNC"));
            };
            Ok((
                i,
                SelectParam::QResync(QResync {
                    uid_validity,
                    mod_seq,
                    known_uids,
                    seq_match,
                }),
            ))
        }
        _ => Err(fail(i, "CONDSTORE or QRESYNC")),
    }
}

/// `search = "SEARCH" [search-return-opts] [SP "CHARSET" SP charset]
///   1*(SP search-key)` (RFC 3501, RFC 4731)
pub(super) fn search<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let mut i = i;
    let mut return_options = None;
    let mut charset_ = None;
    if let Some((b' ', rest)) = i.split_first()
        && let Ok((after, w)) = word(rest)
        && w.eq_ignore_ascii_case(b"RETURN")
    {
        let (after, _) = sp(after)?;
        let (after, opts) = search_return_opts(after)?;
        return_options = Some(opts);
        i = after;
    }
    if let Some((b' ', rest)) = i.split_first()
        && let Ok((after, w)) = word(rest)
        && w.eq_ignore_ascii_case(b"CHARSET")
    {
        let (after, _) = sp(after)?;
        let (after, c) = charset(after).map_err(|_| fail(after, "a charset name"))?;
        charset_ = Some(c);
        i = after;
    }
    let (i, criteria) = search_keys(ctx, i)?;
    Ok((
        i,
        CommandBody::Search {
            uid,
            return_options,
            charset: charset_,
            criteria,
        },
    ))
}

/// `fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
///   "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]`
pub(super) fn fetch<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (i, set) = sequence_set(ctx.limits.max_sequence_items)(i)?;
    let (i, _) = sp(i)?;
    let (mut i, items) = fetch_items(i)?;
    let mut modifiers = Vec::new();
    if let [b' ', rest @ ..] = i {
        let (rest, mods) = fetch_modifiers(rest)?;
        modifiers = mods;
        i = rest;
    }
    Ok((
        i,
        CommandBody::Fetch {
            uid,
            set,
            items,
            modifiers,
        },
    ))
}

/// `store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags`
///
/// `store-modifiers = SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"` (RFC 7162),
/// `store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
///   (flag-list / (flag *(SP flag)))`
pub(super) fn store<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (mut i, set) = sequence_set(ctx.limits.max_sequence_items)(i)?;
    let mut unchanged_since = None;
    if let [b' ', b'(', rest @ ..] = i {
        let (rest, w) = word(rest)?;
        if !w.eq_ignore_ascii_case(b"UNCHANGEDSINCE") {
            return Err(fail(&i[2..], "UNCHANGEDSINCE"));
        }
        let (rest, _) = sp(rest)?;
        let (rest, n) = number64(rest)?;
        let Some((b')', rest)) = rest.split_first() else {
            return Err(fail(rest, "')' after UNCHANGEDSINCE"));
        };
        unchanged_since = Some(n);
        i = rest;
    }
    let (i, _) = sp(i)?;
    let (i, kind) = match i.first() {
        Some(b'+') => (&i[1..], StoreKind::Add),
        Some(b'-') => (&i[1..], StoreKind::Remove),
        _ => (i, StoreKind::Replace),
    };
    let (rest, w) = word(i).map_err(|_| fail(i, "FLAGS or FLAGS.SILENT"))?;
    let silent = if w.eq_ignore_ascii_case(b"FLAGS") {
        false
    } else if w.eq_ignore_ascii_case(b"FLAGS.SILENT") {
        true
    } else {
        return Err(fail(i, "FLAGS or FLAGS.SILENT"));
    };
    let (mut i, _) = sp(rest)?;
    let flags = if i.first() == Some(&b'(') {
        let (rest, flags) = flag_list(i).map_err(|_| fail(i, "a flag list"))?;
        i = rest;
        flags
    } else {
        let (rest, first) = flag(i).map_err(|_| fail(i, "a flag"))?;
        let mut flags = vec![first];
        i = rest;
        while let [b' ', rest @ ..] = i {
            let (rest, f) = flag(rest).map_err(|_| fail(rest, "a flag"))?;
            flags.push(f);
            i = rest;
        }
        flags
    };
    Ok((
        i,
        CommandBody::Store {
            uid,
            set,
            unchanged_since,
            action: StoreAction {
                kind,
                silent,
                flags,
            },
        },
    ))
}

/// `copy = "COPY" SP sequence-set SP mailbox`, `move = "MOVE" SP sequence-set SP mailbox`
pub(super) fn copy_move<'a>(
    ctx: &Ctx<'_>,
    i: &'a [u8],
    uid: bool,
    is_move: bool,
) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (i, set) = sequence_set(ctx.limits.max_sequence_items)(i)?;
    let (i, _) = sp(i)?;
    let (i, mailbox) = mailbox(i)?;
    Ok((
        i,
        if is_move {
            CommandBody::Move { uid, set, mailbox }
        } else {
            CommandBody::Copy { uid, set, mailbox }
        },
    ))
}

/// `sort = ["UID" SP] "SORT" [search-return-opts] SP sort-criteria SP
///   search-criteria` (RFC 5256; the return options are ESORT's, RFC 5267)
///
/// `sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"`,
/// `sort-criterion = ["REVERSE" SP] sort-key`,
/// `search-criteria = charset 1*(SP search-key)`
pub(super) fn sort<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let (mut i, _) = sp(i)?;
    let mut return_options = None;
    if let Ok((after, w)) = word(i)
        && w.eq_ignore_ascii_case(b"RETURN")
    {
        let (after, _) = sp(after)?;
        let (after, opts) = search_return_opts(after)?;
        let (after, _) = sp(after)?;
        return_options = Some(opts);
        i = after;
    }
    let key = from_names(&SortKey::ALL, SortKey::name, "a sort key");
    let (i, criteria) = paren_words(i, false, "a sort criterion", |i| {
        let (rest, w) = word(i).map_err(|_| fail(i, "a sort criterion"))?;
        if w.eq_ignore_ascii_case(b"REVERSE") {
            let (rest, _) = sp(rest)?;
            let (rest, key) = key(rest)?;
            Ok((rest, SortCriterion { reverse: true, key }))
        } else {
            let (rest, key) = key(i)?;
            Ok((
                rest,
                SortCriterion {
                    reverse: false,
                    key,
                },
            ))
        }
    })?;
    let criteria = NonEmptyVec::unvalidated(criteria);
    let (i, _) = sp(i)?;
    let (i, charset) = charset(i).map_err(|_| fail(i, "a charset name"))?;
    let (i, keys) = search_keys(ctx, i)?;
    Ok((
        i,
        CommandBody::Sort {
            uid,
            return_options,
            criteria,
            charset,
            keys,
        },
    ))
}

/// `thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria` (RFC 5256)
pub(super) fn thread<'a>(ctx: &Ctx<'_>, i: &'a [u8], uid: bool) -> PResult<'a, CommandBody<'a>> {
    let (i, _) = sp(i)?;
    let (i, alg) = atom(i).map_err(|_| fail(i, "a threading algorithm"))?;
    let (i, _) = sp(i)?;
    let (i, charset) = charset(i).map_err(|_| fail(i, "a charset name"))?;
    let (i, keys) = search_keys(ctx, i)?;
    Ok((
        i,
        CommandBody::Thread {
            uid,
            algorithm: ThreadAlgorithm::from_atom(alg),
            charset,
            keys,
        },
    ))
}
