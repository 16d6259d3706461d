//! Writers for SEARCH criteria.

use crate::encode::core::{
    astring, atom, date, flag, number, objectid, paren_list, partial_range, quoted, sequence_set,
};
use crate::types::{LiteralMode, SearchKey, SearchReturnOption};

/// Writes `SP "RETURN" SP "(" … ")"`: search return options (RFC 4731,
/// RFC 5267, RFC 9394).
pub(crate) fn return_options(out: &mut Vec<u8>, opts: &[SearchReturnOption]) {
    out.extend_from_slice(b" RETURN ");
    paren_list(out, opts, |out, o| {
        out.extend_from_slice(o.name().as_bytes());
        if let SearchReturnOption::Partial(r) = o {
            out.push(b' ');
            partial_range(out, *r);
        }
    });
}

/// Writes keys separated by SP (the top level of a search program).
pub(crate) fn search_keys(out: &mut Vec<u8>, keys: &[SearchKey<'_>], mode: LiteralMode) {
    for (n, key) in keys.iter().enumerate() {
        if n > 0 {
            out.push(b' ');
        }
        search_key(out, key, mode);
    }
}

/// Writes one `search-key`.
pub(crate) fn search_key(out: &mut Vec<u8>, key: &SearchKey<'_>, mode: LiteralMode) {
    use SearchKey as K;
    let kw = |out: &mut Vec<u8>, name: &[u8]| {
        out.extend_from_slice(name);
    };
    let with_string = |out: &mut Vec<u8>, name: &[u8], s| {
        out.extend_from_slice(name);
        out.push(b' ');
        astring(out, s, mode);
    };
    let with_date = |out: &mut Vec<u8>, name: &[u8], d| {
        out.extend_from_slice(name);
        out.push(b' ');
        date(out, d);
    };
    let with_number = |out: &mut Vec<u8>, name: &[u8], n: u32| {
        out.extend_from_slice(name);
        out.push(b' ');
        number(out, u64::from(n));
    };
    match key {
        K::All => kw(out, b"ALL"),
        K::Answered => kw(out, b"ANSWERED"),
        K::Bcc(s) => with_string(out, b"BCC", s),
        K::Before(d) => with_date(out, b"BEFORE", *d),
        K::Body(s) => with_string(out, b"BODY", s),
        K::Cc(s) => with_string(out, b"CC", s),
        K::Deleted => kw(out, b"DELETED"),
        K::Draft => kw(out, b"DRAFT"),
        K::Flagged => kw(out, b"FLAGGED"),
        K::From(s) => with_string(out, b"FROM", s),
        K::Header(f, s) => {
            with_string(out, b"HEADER", f);
            out.push(b' ');
            astring(out, s, mode);
        }
        K::Keyword(a) => {
            kw(out, b"KEYWORD ");
            atom(out, a);
        }
        K::Larger(n) => with_number(out, b"LARGER", *n),
        K::Older(n) => with_number(out, b"OLDER", n.get()),
        K::Younger(n) => with_number(out, b"YOUNGER", n.get()),
        K::New => kw(out, b"NEW"),
        K::Not(k) => {
            kw(out, b"NOT ");
            search_key(out, k, mode);
        }
        K::Old => kw(out, b"OLD"),
        K::On(d) => with_date(out, b"ON", *d),
        K::Or(a, b) => {
            kw(out, b"OR ");
            search_key(out, a, mode);
            out.push(b' ');
            search_key(out, b, mode);
        }
        K::Recent => kw(out, b"RECENT"),
        K::Seen => kw(out, b"SEEN"),
        K::SentBefore(d) => with_date(out, b"SENTBEFORE", *d),
        K::SentOn(d) => with_date(out, b"SENTON", *d),
        K::SentSince(d) => with_date(out, b"SENTSINCE", *d),
        K::Since(d) => with_date(out, b"SINCE", *d),
        K::Smaller(n) => with_number(out, b"SMALLER", *n),
        K::Subject(s) => with_string(out, b"SUBJECT", s),
        K::Text(s) => with_string(out, b"TEXT", s),
        K::To(s) => with_string(out, b"TO", s),
        K::Uid(set) => {
            kw(out, b"UID ");
            sequence_set(out, set);
        }
        K::Unanswered => kw(out, b"UNANSWERED"),
        K::Undeleted => kw(out, b"UNDELETED"),
        K::Undraft => kw(out, b"UNDRAFT"),
        K::Unflagged => kw(out, b"UNFLAGGED"),
        K::Unkeyword(a) => {
            kw(out, b"UNKEYWORD ");
            atom(out, a);
        }
        K::Unseen => kw(out, b"UNSEEN"),
        K::SequenceSet(set) => sequence_set(out, set),
        K::And(keys) => {
            out.push(b'(');
            search_keys(out, keys, mode);
            out.push(b')');
        }
        K::ModSeq { entry, modseq } => {
            kw(out, b"MODSEQ ");
            if let Some(entry) = entry {
                let mut name = b"/flags/".to_vec();
                flag(&mut name, &entry.flag);
                quoted(out, &name);
                out.push(b' ');
                out.extend_from_slice(entry.entry_type.name().as_bytes());
                out.push(b' ');
            }
            number(out, *modseq);
        }
        K::EmailId(id) => {
            kw(out, b"EMAILID ");
            objectid(out, id);
        }
        K::ThreadId(id) => {
            kw(out, b"THREADID ");
            objectid(out, id);
        }
        K::SavedBefore(d) => with_date(out, b"SAVEDBEFORE", *d),
        K::SavedOn(d) => with_date(out, b"SAVEDON", *d),
        K::SavedSince(d) => with_date(out, b"SAVEDSINCE", *d),
        K::SaveDateSupported => kw(out, b"SAVEDATESUPPORTED"),
    }
}
