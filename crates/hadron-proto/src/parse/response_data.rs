//! Parsers for untagged data: LIST/LSUB, STATUS, SEARCH/SORT, ESEARCH, ID,
//! NAMESPACE and THREAD.

use std::num::NonZeroU32;

use nom::branch::alt;
use nom::bytes::complete::tag_no_case;
use nom::character::complete::char;
use nom::combinator::{map, opt};
use nom::multi::{many0, many1, separated_list0, separated_list1};
use nom::sequence::{delimited, pair, preceded, terminated, tuple};

use crate::parse::core::{
    astring, atom, mailbox, nil, nstring, number, number64, nz_number, objectid, partial_range,
    quoted, resource_name, sequence_set, sp, string,
};
use crate::parse::error::{PError, PResult, Reason};
use crate::parse::response::MAX_DEPTH;
use crate::types::{
    Data, Delimiter, ESearch, ESearchItem, IString, ListAttribute, ListData, ListExtended, NString,
    NamespaceDescr, NonEmptyVec, QuotaUsage, StatusItem, StatusValue, Thread,
};

/// `DQUOTE QUOTED-CHAR DQUOTE / nil` (a hierarchy delimiter)
fn delimiter(i: &[u8]) -> PResult<'_, Option<Delimiter>> {
    if i.first() != Some(&b'"') {
        return map(nil, |()| None)(i);
    }
    let (rest, q) = quoted(i)?;
    match &*q {
        [b] => Ok((
            rest,
            Some(Delimiter::new(char::from(*b)).map_err(|e| PError::invalid(i, e))?),
        )),
        _ => Err(nom::Err::Failure(PError::new(
            i,
            Reason::Expected("a single-character hierarchy delimiter"),
        ))),
    }
}

/// `mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil)
///  SP mailbox [SP mbox-list-extended]`
///
/// `mbx-list-flags = mbx-list-flag *(SP mbx-list-flag)`, each `"\" atom`
pub(crate) fn mailbox_list(i: &[u8]) -> PResult<'_, ListData<'_>> {
    let attr = map(preceded(char('\\'), atom), ListAttribute::from_atom);
    let (i, attributes) = delimited(char('('), separated_list0(sp, attr), char(')'))(i)?;
    let (i, _) = sp(i)?;
    let (i, delimiter) = delimiter(i)?;
    let (i, _) = sp(i)?;
    let (i, mailbox) = mailbox(i)?;
    let (i, extended) = opt(preceded(
        sp,
        delimited(char('('), separated_list1(sp, list_extended), char(')')),
    ))(i)?;
    Ok((
        i,
        ListData {
            attributes,
            delimiter,
            mailbox,
            extended: extended.unwrap_or_default(),
        },
    ))
}

/// `mbox-list-extended-item = mbox-list-extended-item-tag SP tagged-ext-val`,
/// for `CHILDINFO` (RFC 5258) and `OLDNAME` (RFC 5465)
fn list_extended(i: &[u8]) -> PResult<'_, ListExtended<'_>> {
    let start = i;
    let (i, name) = astring(i)?;
    let (i, _) = sp(i)?;
    if name.as_bytes().eq_ignore_ascii_case(b"CHILDINFO") {
        return map(
            delimited(char('('), separated_list1(sp, astring), char(')')),
            ListExtended::ChildInfo,
        )(i);
    }
    if name.as_bytes().eq_ignore_ascii_case(b"OLDNAME") {
        return map(
            delimited(char('('), mailbox, char(')')),
            ListExtended::OldName,
        )(i);
    }
    Err(nom::Err::Failure(PError::new(
        start,
        Reason::Expected("CHILDINFO or OLDNAME extended data"),
    )))
}

/// `"STATUS" SP mailbox SP "(" [status-att-list] ")"`,
/// `status-att-list = status-att-value *(SP status-att-value)`,
/// `status-att-value = status-att SP number`, and
/// `status-att-value =/ "MAILBOXID" SP "(" objectid ")"` (RFC 8474),
/// `status-att-value =/ "APPENDLIMIT" SP (number / nil)` (RFC 7889)
pub(crate) fn status_data(i: &[u8]) -> PResult<'_, Data<'_>> {
    let item = |i| {
        let start = i;
        let (i, name) = atom(i)?;
        let item = StatusItem::from_name(name.as_str().as_bytes())
            .ok_or_else(|| PError::expected(start, "a STATUS item"))?;
        let (i, _) = sp(i)?;
        if item == StatusItem::MailboxId {
            return map(
                delimited(char('('), objectid, char(')')),
                StatusValue::MailboxId,
            )(i);
        }
        if item == StatusItem::AppendLimit {
            if let Ok((i, ())) = nil(i) {
                return Ok((i, StatusValue::AppendLimit(None)));
            }
            let (i, n) = number64(i)?;
            return Ok((i, StatusValue::AppendLimit(Some(n))));
        }
        let (i, n) = number64(i)?;
        Ok((i, StatusValue::Number(item, n)))
    };
    let (i, _) = sp(i)?;
    let (i, mailbox) = mailbox(i)?;
    let (i, _) = sp(i)?;
    let (i, items) = delimited(char('('), separated_list0(sp, item), char(')'))(i)?;
    Ok((i, Data::Status { mailbox, items }))
}

/// `quota-response = "QUOTA" SP quota-root-name SP quota-list` (RFC 9208),
/// after the keyword
///
/// `quota-list = "(" quota-resource *(SP quota-resource) ")"`,
/// `quota-resource = resource-name SP resource-usage SP resource-limit`,
/// `resource-usage = number64`, `resource-limit = number64`
pub(crate) fn quota_data(i: &[u8]) -> PResult<'_, Data<'_>> {
    let resource = map(
        tuple((resource_name, sp, number64, sp, number64)),
        |(resource, _, usage, _, limit)| QuotaUsage {
            resource,
            usage,
            limit,
        },
    );
    let (i, _) = sp(i)?;
    let (i, root) = astring(i)?;
    let (i, _) = sp(i)?;
    let (i, resources) = delimited(char('('), separated_list1(sp, resource), char(')'))(i)?;
    let resources = NonEmptyVec::unvalidated(resources);
    Ok((i, Data::Quota { root, resources }))
}

/// `quotaroot-response = "QUOTAROOT" SP mailbox *(SP quota-root-name)`
/// (RFC 9208), after the keyword
pub(crate) fn quotaroot_data(i: &[u8]) -> PResult<'_, Data<'_>> {
    let (i, _) = sp(i)?;
    let (i, mailbox) = mailbox(i)?;
    let (i, roots) = many0(preceded(sp, astring))(i)?;
    Ok((i, Data::QuotaRoot { mailbox, roots }))
}

/// `*(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"]`
pub(crate) fn ids_with_modseq(i: &[u8]) -> PResult<'_, (Vec<NonZeroU32>, Option<u64>)> {
    let (i, ids) = many0(preceded(sp, nz_number))(i)?;
    let (i, modseq) = opt(preceded(
        sp,
        delimited(tag_no_case("(MODSEQ "), number64, char(')')),
    ))(i)?;
    Ok((i, (ids, modseq)))
}

/// `esearch-response = "ESEARCH" [search-correlator] [SP "UID"]
///  *(SP search-return-data)`
///
/// `search-correlator = SP "(" "TAG" SP tag-string ")"`
pub(crate) fn esearch(i: &[u8]) -> PResult<'_, ESearch<'_>> {
    let (i, tag) = opt(preceded(
        tag_no_case(" (TAG "),
        terminated(string, char(')')),
    ))(i)?;
    let (i, uid) = opt(tuple((sp, tag_no_case("UID"))))(i)?;
    let (i, items) = many0(preceded(sp, esearch_item))(i)?;
    Ok((
        i,
        ESearch {
            tag,
            uid: uid.is_some(),
            items,
        },
    ))
}

/// `search-return-data = "MIN" SP nz-number / "MAX" SP nz-number /
///  "ALL" SP sequence-set / "COUNT" SP number / "MODSEQ" SP mod-sequence-value /
///  "PARTIAL" SP "(" partial-range SP partial-results ")" /
///  "ADDTO" SP "(" context-position SP sequence-set *(SP context-position SP
///  sequence-set) ")" / "REMOVEFROM" SP "(" ... ")"`,
/// `partial-results = sequence-set / "NIL"` (RFC 9394, RFC 5267)
fn esearch_item(i: &[u8]) -> PResult<'_, ESearchItem> {
    let pairs = || {
        delimited(
            char('('),
            separated_list1(
                char(' '),
                tuple((number, preceded(char(' '), sequence_set(usize::MAX)))),
            ),
            char(')'),
        )
    };
    alt((
        map(preceded(tag_no_case("ADDTO "), pairs()), ESearchItem::AddTo),
        map(
            preceded(tag_no_case("REMOVEFROM "), pairs()),
            ESearchItem::RemoveFrom,
        ),
        map(
            delimited(
                tag_no_case("PARTIAL ("),
                pair(
                    partial_range,
                    preceded(
                        char(' '),
                        alt((
                            map(tag_no_case("NIL"), |_| None),
                            map(sequence_set(usize::MAX), Some),
                        )),
                    ),
                ),
                char(')'),
            ),
            |(range, set)| ESearchItem::Partial(range, set),
        ),
        map(preceded(tag_no_case("MIN "), nz_number), ESearchItem::Min),
        map(preceded(tag_no_case("MAX "), nz_number), ESearchItem::Max),
        map(
            preceded(tag_no_case("ALL "), sequence_set(usize::MAX)),
            ESearchItem::All,
        ),
        map(preceded(tag_no_case("COUNT "), number), ESearchItem::Count),
        map(
            preceded(tag_no_case("MODSEQ "), number64),
            ESearchItem::ModSeq,
        ),
    ))(i)
}

type IdParams<'a> = Vec<(IString<'a>, NString<'a>)>;

/// `id-params-list = "(" *(string SP nstring) ")" / nil` (RFC 2971)
pub(crate) fn id_params(i: &[u8]) -> PResult<'_, IdParams<'_>> {
    alt((
        map(nil, |()| Vec::new()),
        delimited(
            char('('),
            separated_list0(sp, map(tuple((string, sp, nstring)), |(k, _, v)| (k, v))),
            char(')'),
        ),
    ))(i)
}

/// `Namespace = nil / "(" 1*Namespace-Descr ")"`
///
/// `Namespace-Descr = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil)
///  *(Namespace-Response-Extension) ")"`
///
/// `Namespace-Response-Extension = SP string SP "(" string *(SP string) ")"`
pub(crate) fn namespace(i: &[u8]) -> PResult<'_, Vec<NamespaceDescr<'_>>> {
    let ext = map(
        tuple((
            sp,
            string,
            sp,
            delimited(char('('), separated_list1(sp, string), char(')')),
        )),
        |(_, k, _, v)| (k, v),
    );
    let descr = map(
        delimited(
            char('('),
            tuple((string, sp, delimiter, many0(ext))),
            char(')'),
        ),
        |(prefix, _, delimiter, extensions)| NamespaceDescr {
            prefix,
            delimiter,
            extensions,
        },
    );
    alt((
        map(nil, |()| Vec::new()),
        delimited(char('('), many1(descr), char(')')),
    ))(i)
}

/// `thread-list = "(" (thread-members / thread-nested) ")"`
///
/// `thread-members = nz-number *(SP nz-number) [SP thread-nested]`,
/// `thread-nested = 2*thread-list` (a single nested list is tolerated)
pub(crate) fn thread_list(i: &[u8], depth: usize) -> PResult<'_, Thread> {
    if depth >= MAX_DEPTH {
        return Err(nom::Err::Failure(PError::new(
            i,
            Reason::TooDeep(MAX_DEPTH),
        )));
    }
    let (i, _) = char('(')(i)?;
    let (i, members) = separated_list0(sp, nz_number)(i)?;
    let (i, _) = if members.is_empty() {
        (i, None)
    } else {
        opt(sp)(i)?
    };
    let (i, children) = many0(|i| thread_list(i, depth + 1))(i)?;
    let (i, _) = char(')')(i)?;
    if members.is_empty() && children.is_empty() {
        return Err(PError::expected(i, "a non-empty thread"));
    }
    Ok((i, Thread { members, children }))
}
