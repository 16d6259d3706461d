// The reads behind SEARCH that use an index of their own (dates, sizes, the Date: day, header
// text), compiled once per backend like `ops_impl.rs`: `src/ops.rs` includes this file next to
// it, in the same module, so it shares that file's imports and helpers.

/// Below this many characters a search string has no trigram, and the text index cannot help.
const TRIGRAM: usize = 3;

/// The UIDs a `SELECT … AS id` statement returns, ascending (sorted here, so that the
/// statement needs no ORDER BY that could pull the planner off its index).
fn sorted_uids(c: &mut Conn, s: Sql) -> Result<Vec<u32>> {
    let mut uids: Vec<u32> = q(s)
        .load::<IdRow>(c)?
        .into_iter()
        .map(|r| r.id as u32)
        .collect();
    uids.sort_unstable();
    Ok(uids)
}

/// The UIDs of the messages of `mailbox` whose `field` is `value`, ascending (OBJECTID's
/// SEARCH EMAILID / THREADID): through the column's index on `messages`, then each message's
/// mailbox rows.
pub(crate) fn uids_with_id(
    c: &mut Conn,
    mailbox: MailboxId,
    field: IdField,
    value: &str,
) -> Result<Vec<u32>> {
    mailbox_row(c, mailbox)?;
    let column = match field {
        IdField::ContentHash => "content_hash",
        IdField::ThreadId => "thread_id",
    };
    let mut s = Sql::new(
        "SELECT mm.uid AS id FROM messages m JOIN mailbox_messages mm ON mm.message_id = m.id \
         WHERE m.",
    );
    s.push(column).push(" = ").arg(Arg::Text(value.to_owned()));
    s.push(" AND mm.mailbox_id = ").i64(mailbox.0);
    sorted_uids(c, s)
}

/// The UIDs of the messages whose internal date, size, `Date:` day or save date lies in
/// `range`, ascending: through the column's index, so the cost follows the answer.
pub(crate) fn uids_in_range(
    c: &mut Conn,
    mailbox: MailboxId,
    range: ColumnRange,
) -> Result<Vec<u32>> {
    mailbox_row(c, mailbox)?;
    let (column, lo, hi) = match range {
        ColumnRange::InternalDate { from, until } => ("internal_date", from, until),
        ColumnRange::Size { from, until } => ("size", from, until),
        // Above the "no usable header" marker even when open below.
        ColumnRange::SentDay { from, until } => (
            "sent_day",
            Some(from.unwrap_or(i64::from(NO_SENT_DAY) + 1)),
            until,
        ),
        ColumnRange::SaveDate { from, until } => {
            // The rows with a save date (NULL is in no range), then those without one by
            // their internal date, through the partial index `mailbox_messages_save_unknown`
            // (its condition written as in the index, so both planners see it applies).
            let mut uids = sorted_uids(c, in_range(mailbox, "save_date", from, until))?;
            let mut unknown = in_range(mailbox, "internal_date", from, until);
            unknown.push(" AND save_date IS NULL");
            uids.extend(sorted_uids(c, unknown)?);
            uids.sort_unstable();
            return Ok(uids);
        }
    };
    sorted_uids(c, in_range(mailbox, column, lo, hi))
}

/// `SELECT uid AS id` of the rows of `mailbox` whose `column` is in `lo..hi` (`None`: open).
/// No ORDER BY: the caller sorts the hits, which keeps the planner on the column's index (an
/// ordered walk of the primary key would read every row of the mailbox).
fn in_range(mailbox: MailboxId, column: &str, lo: Option<i64>, hi: Option<i64>) -> Sql {
    let mut s = Sql::new("SELECT uid AS id FROM mailbox_messages WHERE mailbox_id = ");
    s.i64(mailbox.0);
    if let Some(lo) = lo {
        s.push(&format!(" AND {column} >= ")).i64(lo);
    }
    if let Some(hi) = hi {
        s.push(&format!(" AND {column} < ")).i64(hi);
    }
    s
}

/// The UIDs of the rows whose `sent_day` was never computed (written before the column
/// existed), ascending, through a partial index.
pub(crate) fn sent_day_unknown(c: &mut Conn, mailbox: MailboxId) -> Result<Vec<u32>> {
    mailbox_row(c, mailbox)?;
    let mut s = Sql::new("SELECT uid AS id FROM mailbox_messages WHERE mailbox_id = ");
    s.i64(mailbox.0).push(" AND sent_day IS NULL ORDER BY uid");
    Ok(q(s)
        .load::<IdRow>(c)?
        .into_iter()
        .map(|r| r.id as u32)
        .collect())
}

/// Forgets every stored `sent_day` of `mailbox`, as for rows written before the column
/// existed (a test helper).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn forget_sent_days(c: &mut Conn, mailbox: MailboxId) -> Result<usize> {
    Ok(
        diesel::update(mailbox_messages::table.filter(mailbox_messages::mailbox_id.eq(mailbox.0)))
            .set(mailbox_messages::sent_day.eq(None::<i32>))
            .execute(c)?,
    )
}

/// Sets the save date of every row of `mailbox` (`None`: as for rows written before the
/// column existed; a test helper).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn set_save_dates(c: &mut Conn, mailbox: MailboxId, when: Option<i64>) -> Result<usize> {
    Ok(
        diesel::update(mailbox_messages::table.filter(mailbox_messages::mailbox_id.eq(mailbox.0)))
            .set(mailbox_messages::save_date.eq(when))
            .execute(c)?,
    )
}

/// Forgets the SORT and THREAD keys of every message of `mailbox`, as for rows written before the
/// columns existed (a test helper).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn forget_sort_keys(c: &mut Conn, mailbox: MailboxId) -> Result<usize> {
    let in_mailbox = mailbox_messages::table
        .filter(mailbox_messages::mailbox_id.eq(mailbox.0))
        .select(mailbox_messages::message_id);
    Ok(
        diesel::update(messages::table.filter(messages::id.eq_any(in_mailbox)))
            .set((
                messages::sort_subject.eq(None::<String>),
                messages::sort_addresses.eq(None::<String>),
                messages::thread_refs.eq(None::<String>),
            ))
            .execute(c)?,
    )
}

/// Forgets the previews of every message of `mailbox`, as for rows written before the column
/// existed (a test helper).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn forget_previews(c: &mut Conn, mailbox: MailboxId) -> Result<usize> {
    let in_mailbox = mailbox_messages::table
        .filter(mailbox_messages::mailbox_id.eq(mailbox.0))
        .select(mailbox_messages::message_id);
    Ok(
        diesel::update(messages::table.filter(messages::id.eq_any(in_mailbox)))
            .set(messages::preview.eq(None::<String>))
            .execute(c)?,
    )
}

/// `(uid, value)` of the messages whose `field` may contain `needle` (lowercase), ascending
/// by UID; messages without the field are left out. A superset of the case-insensitive
/// matches, which the caller tests exactly: from the trigram index where there is one and it
/// narrows enough (see [`indexed_header_candidates`]), else every value that contains the
/// needle with ASCII letters compared case-insensitively plus every value with a non-ASCII
/// character (SQL's lower() is not Unicode's).
pub(crate) fn header_candidates(
    c: &mut Conn,
    mailbox: MailboxId,
    field: SearchField,
    needle: &str,
) -> Result<Vec<(u32, String)>> {
    let row = mailbox_row(c, mailbox)?;
    let rows = match indexed_header_candidates(c, &row, field, needle)? {
        Some(rows) => rows,
        None => scanned_header_candidates(c, mailbox, field, needle)?,
    };
    let mut rows: Vec<(u32, String)> = rows.into_iter().map(|r| (r.uid as u32, r.value)).collect();
    rows.sort_unstable_by_key(|r| r.0);
    Ok(rows)
}

/// The candidates from the trigram index (`message_text`, SQLite only), or `None` when it
/// cannot answer: no index on this backend, a needle shorter than a trigram or not ASCII (the
/// index folds case its own way, which agrees with SEARCH's only on ASCII needles; see the
/// migration), or a needle so common in the whole store that reading the mailbox once is
/// cheaper than looking up each hit (more than an eighth of the mailbox's size).
fn indexed_header_candidates(
    c: &mut Conn,
    mailbox: &MailboxRow,
    field: SearchField,
    needle: &str,
) -> Result<Option<Vec<UidTextRow>>> {
    if !<Conn as Specific>::TEXT_INDEX || !needle.is_ascii() || needle.len() < TRIGRAM {
        return Ok(None);
    }
    let col = field.column();
    // One FTS5 phrase on one column: within double quotes only `"` needs escaping (doubled).
    let query = format!("{col} : \"{}\"", needle.replace('"', "\"\""));
    let cap = (mailbox.message_count / 8).max(1_000);
    // The index is read once: its hits (in the whole store), up to one more than the cap.
    let mut s = Sql::new("SELECT rowid AS id FROM message_text WHERE message_text MATCH ");
    s.arg(Arg::Text(query)).push(" LIMIT ").i64(cap + 1);
    let hits: Vec<i64> = q(s).load::<IdRow>(c)?.into_iter().map(|r| r.id).collect();
    if hits.len() as i64 > cap {
        return Ok(None);
    }
    // Then each hit's row in this mailbox (the `message_id` index) and its value (the
    // primary key).
    let mut rows = Vec::new();
    for chunk in hits.chunks(crate::backend::MAX_SINGLES_PER_STATEMENT) {
        let mut s = Sql::new(&format!(
            "SELECT mm.uid AS uid, m.{col} AS value FROM mailbox_messages mm \
             JOIN messages m ON m.id = mm.message_id WHERE mm.mailbox_id = "
        ));
        s.i64(mailbox.id)
            .push(&format!(" AND m.{col} IS NOT NULL AND "))
            .in_list("mm.message_id", chunk.iter().copied());
        rows.extend(q(s).load::<UidTextRow>(c)?);
    }
    Ok(Some(rows))
}

/// The candidates from one read of the mailbox's rows (see [`header_candidates`]).
fn scanned_header_candidates(
    c: &mut Conn,
    mailbox: MailboxId,
    field: SearchField,
    needle: &str,
) -> Result<Vec<UidTextRow>> {
    let col = format!("m.{}", field.column());
    let mut s = Sql::new(&format!(
        "SELECT mm.uid AS uid, {col} AS value \
         FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id \
         WHERE mm.mailbox_id = "
    ));
    s.i64(mailbox.0).push(&format!(
        " AND {col} IS NOT NULL AND ({}",
        <Conn as Specific>::has_non_ascii(&col)
    ));
    if needle.is_ascii() {
        // A non-ASCII needle can only be in a non-ASCII value.
        let (before, after) = <Conn as Specific>::contains_ascii_ci(&col);
        s.push(" OR ")
            .push(&before)
            .arg(Arg::Text(needle.to_owned()))
            .push(after);
    }
    s.push(")");
    Ok(q(s).load::<UidTextRow>(c)?)
}

/// What SORT compares of the messages of `uids` ([`crate::Store::sort_rows`]), in UID order:
/// the fixed-size keys from the mailbox rows and `messages.sent_date`, and the text keys of
/// `columns`, with the search columns they derive from for rows stored before the sort keys
/// were (`CASE`: nothing more is read for newer rows). Read by UID chunks through the
/// `(mailbox_id, uid)` key, like FETCH.
pub(crate) fn sort_rows(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
    columns: SortColumns,
) -> Result<Vec<SortRow>> {
    mailbox_row(c, mailbox)?;
    let null = "CAST(NULL AS TEXT)";
    let legacy = |wanted: bool, key: &str, stored: &str, column: &str| {
        if wanted {
            format!("CASE WHEN m.{stored} IS NULL THEN m.{column} END AS legacy_{key}")
        } else {
            format!("{null} AS legacy_{key}")
        }
    };
    let (from, to) = (
        columns.from || columns.display_from,
        columns.to || columns.display_to,
    );
    let addresses = from || to || columns.cc;
    let select = format!(
        "SELECT mm.uid, mm.size, mm.internal_date, m.sent_date, {} AS sort_subject, {}, \
         {} AS sort_addresses, {}, {}, {} \
         FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id \
         WHERE mm.mailbox_id = ",
        if columns.subject {
            "m.sort_subject"
        } else {
            null
        },
        legacy(columns.subject, "subject", "sort_subject", "subject"),
        if addresses { "m.sort_addresses" } else { null },
        legacy(from, "from", "sort_addresses", "from_addr"),
        legacy(to, "to", "sort_addresses", "to_addr"),
        legacy(columns.cc, "cc", "sort_addresses", "cc_addr"),
    );
    let key = |wanted: bool, stored: Option<String>, legacy: Option<String>| match stored {
        _ if !wanted => SortText::NotRead,
        Some(k) => SortText::Key(k),
        None => SortText::Legacy(legacy.filter(|l| !l.is_empty())),
    };
    // The parts of `sort_addresses`, in stored order (see `split_addresses`).
    let address_parts = [
        columns.from,
        columns.to,
        columns.cc,
        columns.display_from,
        columns.display_to,
    ];
    select_by_uid_chunks(
        c,
        mailbox,
        uids,
        &select,
        "mm.uid",
        |r: SortRowSql| {
            // Only the wanted parts are copied out: a SORT by one key of a
            // large mailbox would otherwise allocate four unused strings a row.
            let [from, to, cc, display_from, display_to] = match &r.sort_addresses {
                Some(stored) => {
                    let mut parts = stored.splitn(5, '\n');
                    address_parts.map(|wanted| {
                        let part = parts.next().unwrap_or_default();
                        wanted.then(|| part.to_owned())
                    })
                }
                None => [None, None, None, None, None],
            };
            SortRow {
                uid: r.uid as u32,
                size: r.size as u64,
                internal_date: r.internal_date,
                sent_date: r.sent_date,
                subject: key(columns.subject, r.sort_subject, r.legacy_subject),
                from: key(columns.from, from, r.legacy_from.clone()),
                to: key(columns.to, to, r.legacy_to.clone()),
                cc: key(columns.cc, cc, r.legacy_cc),
                display_from: key(columns.display_from, display_from, r.legacy_from),
                display_to: key(columns.display_to, display_to, r.legacy_to),
            }
        },
        |r| r.uid,
    )
}

/// What THREAD orders and links the messages of `uids` by ([`crate::Store::thread_rows`]), in
/// UID order: dates, the decoded subject and the links stored at ingest, with the content hash
/// of rows stored before the links were. Read by UID chunks through the `(mailbox_id, uid)`
/// key, like FETCH.
pub(crate) fn thread_rows(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
) -> Result<Vec<ThreadRow>> {
    mailbox_row(c, mailbox)?;
    select_by_uid_chunks(
        c,
        mailbox,
        uids,
        "SELECT mm.uid, mm.internal_date, m.sent_date, m.subject, m.thread_refs, \
         CASE WHEN m.thread_refs IS NULL THEN m.content_hash END AS legacy_hash \
         FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id \
         WHERE mm.mailbox_id = ",
        "mm.uid",
        |r: ThreadRowSql| ThreadRow {
            uid: r.uid as u32,
            internal_date: r.internal_date,
            sent_date: r.sent_date,
            subject: r.subject,
            thread_refs: r.thread_refs,
            content_hash: r.legacy_hash,
        },
        |r| r.uid,
    )
}
