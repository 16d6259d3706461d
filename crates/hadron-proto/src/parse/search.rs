//! Parsers for SEARCH criteria (RFC 3501 §6.4.4, RFC 7162, RFC 4731, RFC 8474,
//! RFC 8514).

use crate::parse::core::{
    astring, atom, date, flag, number, number64, nz_number, objectid, partial_range, quoted,
    sequence_set,
};
use crate::parse::error::PResult;
use crate::parse::keyword::{fail, sp, upcase, word};
use crate::parse::limits::Ctx;
use crate::types::{EntryType, ModSeqEntry, NonEmptyVec, SearchKey, SearchReturnOption};

/// `search-key = "ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date /
///   "BODY" SP astring / "CC" SP astring / "DELETED" / "FLAGGED" /
///   "FROM" SP astring / "KEYWORD" SP flag-keyword / "NEW" / "OLD" /
///   "ON" SP date / "RECENT" / "SEEN" / "SINCE" SP date /
///   "SUBJECT" SP astring / "TEXT" SP astring / "TO" SP astring /
///   "UNANSWERED" / "UNDELETED" / "UNFLAGGED" / "UNKEYWORD" SP flag-keyword /
///   "UNSEEN" / "DRAFT" / "HEADER" SP header-fld-name SP astring /
///   "LARGER" SP number / "NOT" SP search-key /
///   "OR" SP search-key SP search-key / "SENTBEFORE" SP date /
///   "SENTON" SP date / "SENTSINCE" SP date / "SMALLER" SP number /
///   "OLDER" SP nz-number / "YOUNGER" SP nz-number (RFC 5032) /
///   "UID" SP sequence-set / "UNDRAFT" / sequence-set /
///   "(" search-key *(SP search-key) ")"`
///
/// `search-key =/ search-modsequence` (RFC 7162)
///
/// `search-key =/ "EMAILID" SP objectid / "THREADID" SP objectid` (RFC 8474)
///
/// `search-key =/ "SAVEDBEFORE" SP date / "SAVEDON" SP date /
///   "SAVEDSINCE" SP date / "SAVEDATESUPPORTED"` (RFC 8514)
///
/// `depth` is this key's nesting level (1 at the top); the context enforces
/// the depth and key-count limits before recursing.
pub(crate) fn search_key<'a>(
    ctx: &Ctx<'_>,
    depth: usize,
    i: &'a [u8],
) -> PResult<'a, SearchKey<'a>> {
    use SearchKey as K;
    ctx.enter_key(i, depth)?;
    match i.first() {
        Some(b'(') => {
            let (mut rest, first) = search_key(ctx, depth + 1, &i[1..])?;
            let mut keys = vec![first];
            while let Some((b' ', after)) = rest.split_first() {
                let (after, key) = search_key(ctx, depth + 1, after)?;
                keys.push(key);
                rest = after;
            }
            match rest.split_first() {
                Some((b')', rest)) => return Ok((rest, K::And(NonEmptyVec::unvalidated(keys)))),
                _ => return Err(fail(rest, "')' or another search key")),
            }
        }
        Some(b) if b.is_ascii_digit() || *b == b'*' || *b == b'$' => {
            let (rest, set) = sequence_set(ctx.limits.max_sequence_items)(i)?;
            return Ok((rest, K::SequenceSet(set)));
        }
        _ => {}
    }
    let (rest, name) = word(i).map_err(|_| fail(i, "a search key"))?;
    // The longest key name: SAVEDATESUPPORTED.
    let mut buf = [0u8; 17];
    let arg_astring = |f: fn(_) -> SearchKey<'a>| -> PResult<'a, SearchKey<'a>> {
        let (rest, _) = sp(rest)?;
        let (rest, s) = astring(rest)?;
        Ok((rest, f(s)))
    };
    let arg_date = |f: fn(_) -> SearchKey<'a>| -> PResult<'a, SearchKey<'a>> {
        let (rest, _) = sp(rest)?;
        let (rest, d) = date(rest).map_err(|e| match e {
            nom::Err::Error(_) => fail(rest, "a date (1-Feb-1994)"),
            e => e,
        })?;
        Ok((rest, f(d)))
    };
    let arg_number = |f: fn(u32) -> SearchKey<'a>| -> PResult<'a, SearchKey<'a>> {
        let (rest, _) = sp(rest)?;
        let (rest, n) = number(rest)?;
        Ok((rest, f(n)))
    };
    let arg_interval = |f: fn(_) -> SearchKey<'a>| -> PResult<'a, SearchKey<'a>> {
        let (rest, _) = sp(rest)?;
        let (rest, n) = nz_number(rest).map_err(|_| fail(rest, "an interval in seconds"))?;
        Ok((rest, f(n)))
    };
    let arg_keyword = |f: fn(_) -> SearchKey<'a>| -> PResult<'a, SearchKey<'a>> {
        let (rest, _) = sp(rest)?;
        let (rest, a) = atom(rest)?;
        Ok((rest, f(a)))
    };
    let arg_objectid = |f: fn(_) -> SearchKey<'a>| -> PResult<'a, SearchKey<'a>> {
        let (rest, _) = sp(rest)?;
        let (rest, id) = objectid(rest).map_err(|e| match e {
            nom::Err::Error(_) => fail(rest, "an object id (letters, digits, '_' or '-')"),
            e => e,
        })?;
        Ok((rest, f(id)))
    };
    let simple = |k: SearchKey<'a>| -> PResult<'a, SearchKey<'a>> { Ok((rest, k)) };
    match upcase(name, &mut buf) {
        b"ALL" => simple(K::All),
        b"ANSWERED" => simple(K::Answered),
        b"BCC" => arg_astring(K::Bcc),
        b"BEFORE" => arg_date(K::Before),
        b"BODY" => arg_astring(K::Body),
        b"CC" => arg_astring(K::Cc),
        b"DELETED" => simple(K::Deleted),
        b"DRAFT" => simple(K::Draft),
        b"FLAGGED" => simple(K::Flagged),
        b"FROM" => arg_astring(K::From),
        b"HEADER" => {
            let (rest, _) = sp(rest)?;
            let (rest, field) = astring(rest)?;
            let (rest, _) = sp(rest)?;
            let (rest, value) = astring(rest)?;
            Ok((rest, K::Header(field, value)))
        }
        b"KEYWORD" => arg_keyword(K::Keyword),
        b"LARGER" => arg_number(K::Larger),
        b"NEW" => simple(K::New),
        b"NOT" => {
            let (rest, _) = sp(rest)?;
            let (rest, key) = search_key(ctx, depth + 1, rest)?;
            Ok((rest, K::Not(Box::new(key))))
        }
        b"OLD" => simple(K::Old),
        b"OLDER" => arg_interval(K::Older),
        b"YOUNGER" => arg_interval(K::Younger),
        b"ON" => arg_date(K::On),
        b"OR" => {
            let (rest, _) = sp(rest)?;
            let (rest, a) = search_key(ctx, depth + 1, rest)?;
            let (rest, _) = sp(rest)?;
            let (rest, b) = search_key(ctx, depth + 1, rest)?;
            Ok((rest, K::Or(Box::new(a), Box::new(b))))
        }
        b"RECENT" => simple(K::Recent),
        b"SEEN" => simple(K::Seen),
        b"SENTBEFORE" => arg_date(K::SentBefore),
        b"SENTON" => arg_date(K::SentOn),
        b"SENTSINCE" => arg_date(K::SentSince),
        b"SINCE" => arg_date(K::Since),
        b"SMALLER" => arg_number(K::Smaller),
        b"SUBJECT" => arg_astring(K::Subject),
        b"TEXT" => arg_astring(K::Text),
        b"TO" => arg_astring(K::To),
        b"UID" => {
            let (rest, _) = sp(rest)?;
            let (rest, set) = sequence_set(ctx.limits.max_sequence_items)(rest)?;
            Ok((rest, K::Uid(set)))
        }
        b"UNANSWERED" => simple(K::Unanswered),
        b"UNDELETED" => simple(K::Undeleted),
        b"UNDRAFT" => simple(K::Undraft),
        b"UNFLAGGED" => simple(K::Unflagged),
        b"UNKEYWORD" => arg_keyword(K::Unkeyword),
        b"UNSEEN" => simple(K::Unseen),
        b"MODSEQ" => search_modsequence(rest),
        b"EMAILID" => arg_objectid(K::EmailId),
        b"THREADID" => arg_objectid(K::ThreadId),
        b"SAVEDBEFORE" => arg_date(K::SavedBefore),
        b"SAVEDON" => arg_date(K::SavedOn),
        b"SAVEDSINCE" => arg_date(K::SavedSince),
        b"SAVEDATESUPPORTED" => simple(K::SaveDateSupported),
        _ => Err(fail(i, "a search key")),
    }
}

/// `search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer`
///
/// `search-modseq-ext = SP entry-name SP entry-type-req`,
/// `entry-name = DQUOTE "/flags/" attr-flag DQUOTE` (here after "MODSEQ").
fn search_modsequence(i: &[u8]) -> PResult<'_, SearchKey<'_>> {
    let (i, _) = sp(i)?;
    let (i, entry) = if i.first() == Some(&b'"') {
        let start = i;
        let (i, name) = quoted(i)?;
        // ABNF string literals are case-insensitive (RFC 5234 §2.3).
        let prefix = b"/flags/";
        let flag = name
            .get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .and_then(|_| match flag(&name[prefix.len()..]) {
                Ok((b"", flag)) => Some(flag.into_static()),
                _ => None,
            })
            .ok_or_else(|| fail(start, "an entry name \"/flags/<flag>\""))?;
        let (i, _) = sp(i)?;
        let (i, ty) = word(i)?;
        let mut buf = [0u8; 16];
        let entry_type = match upcase(ty, &mut buf) {
            b"PRIV" => EntryType::Private,
            b"SHARED" => EntryType::Shared,
            b"ALL" => EntryType::All,
            _ => return Err(fail(ty, "priv, shared or all")),
        };
        let (i, _) = sp(i)?;
        (i, Some(ModSeqEntry { flag, entry_type }))
    } else {
        (i, None)
    };
    let (i, modseq) = number64(i)?;
    Ok((i, SearchKey::ModSeq { entry, modseq }))
}

/// `search-return-opts = SP "RETURN" SP "(" [search-return-opt
///   *(SP search-return-opt)] ")"` (here after `RETURN SP`)
///
/// `search-return-opt = "MIN" / "MAX" / "ALL" / "COUNT" / "SAVE" /
///   "PARTIAL" SP partial-range / "UPDATE" / "CONTEXT"` (RFC 4731, RFC 5182,
///   RFC 9394, RFC 5267)
pub(crate) fn search_return_opts(i: &[u8]) -> PResult<'_, Vec<SearchReturnOption>> {
    let Some((b'(', mut i)) = i.split_first() else {
        return Err(fail(i, "'(' after RETURN"));
    };
    let mut opts = Vec::new();
    loop {
        if let Some((b')', rest)) = i.split_first() {
            return Ok((rest, opts));
        }
        if !opts.is_empty() {
            (i, _) = sp(i)?;
        }
        let (rest, name) = word(i).map_err(|_| fail(i, "a search return option"))?;
        let (rest, opt) = if name.eq_ignore_ascii_case(b"PARTIAL") {
            let (rest, _) = sp(rest)?;
            let (rest, range) = partial_range(rest)?;
            (rest, SearchReturnOption::Partial(range))
        } else {
            let opt = SearchReturnOption::ALL
                .into_iter()
                .find(|o| o.name().as_bytes().eq_ignore_ascii_case(name))
                .ok_or_else(|| fail(i, "MIN, MAX, ALL, COUNT, SAVE, PARTIAL, UPDATE or CONTEXT"))?;
            (rest, opt)
        };
        opts.push(opt);
        i = rest;
    }
}

/// `1*(SP search-key)`: the keys of a search program, all of which must match.
pub(crate) fn search_keys<'a>(
    ctx: &Ctx<'_>,
    i: &'a [u8],
) -> PResult<'a, NonEmptyVec<SearchKey<'a>>> {
    let mut keys = Vec::new();
    let mut i = i;
    while let Some((b' ', rest)) = i.split_first() {
        let (rest, key) = search_key(ctx, 1, rest)?;
        keys.push(key);
        i = rest;
    }
    if keys.is_empty() {
        return Err(fail(i, "a search key"));
    }
    Ok((i, NonEmptyVec::unvalidated(keys)))
}
