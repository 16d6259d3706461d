// The full-text index behind SEARCH BODY and TEXT (`message_fulltext`), compiled once per
// backend like `ops_impl.rs`: `src/ops.rs` includes this file next to it, in the same module,
// so it shares that file's imports and helpers (`cargo fmt` does not reach included files:
// `rustfmt` this one by hand). The index holds text lowercased as SEARCH lowercases
// ([`IndexText`]), given at append or computed later by the background indexer for the
// messages listed in `unindexed_text`; each backend matches a lowercased needle in it by plain
// substring (SQLite: a case-sensitive FTS5 trigram phrase; PostgreSQL: `LIKE` through
// pg_trgm's GIN indexes), so its answer is exact and needs no second test.

/// Writes the index rows of the messages just inserted as `ids` (in the order of `msgs`):
/// one per message that comes with [`IndexText::indexable`] text. The others are listed in
/// `unindexed_text`: for the background indexer ([`pending_texts`]) when they come without
/// text, as impossible to index when their text is not indexable.
pub(crate) fn index_texts(c: &mut Conn, ids: &[i64], msgs: &[NewMessage]) -> Result<()> {
    let (mut pending, mut impossible) = (Vec::new(), Vec::new());
    for (&id, m) in ids.iter().zip(msgs) {
        match &m.text {
            None => pending.push(id),
            Some(text) if !text.indexable() => impossible.push(id),
            Some(text) => insert_text(c, id, text)?,
        }
    }
    leave_unindexed(c, &pending, false)?;
    leave_unindexed(c, &impossible, true)
}

/// The index row of message `id`.
fn insert_text(c: &mut Conn, id: i64, text: &IndexText) -> Result<()> {
    let mut s = Sql::new(&format!(
        "INSERT INTO message_fulltext ({}, header, body) VALUES (",
        <Conn as Specific>::FULLTEXT_ID
    ));
    s.i64(id)
        .push(", ")
        .arg(Arg::Text(text.header.clone()))
        .push(", ")
        .arg(Arg::Text(text.body.clone()))
        .push(")");
    q(s).execute(c)?;
    Ok(())
}

/// Lists the messages `ids` in `unindexed_text`, as impossible to index or not.
fn leave_unindexed(c: &mut Conn, ids: &[i64], impossible: bool) -> Result<()> {
    for chunk in ids.chunks(MESSAGE_INSERT_CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|&id| {
                (
                    unindexed_text::message_id.eq(id),
                    unindexed_text::cannot_index.eq(i32::from(impossible)),
                )
            })
            .collect();
        diesel::insert_into(unindexed_text::table)
            .values(rows)
            .execute(c)?;
    }
    Ok(())
}

/// Up to `limit` messages waiting for the background indexer, oldest first: their ids and
/// content hashes (see [`crate::Store::pending_texts`]).
pub(crate) fn pending_texts(c: &mut Conn, limit: usize) -> Result<Vec<(MessageId, String)>> {
    Ok(unindexed_text::table
        .inner_join(messages::table)
        .filter(unindexed_text::cannot_index.eq(0))
        .order(unindexed_text::message_id)
        .limit(limit as i64)
        .select((unindexed_text::message_id, messages::content_hash))
        .load::<(i64, String)>(c)?
        .into_iter()
        .map(|(id, hash)| (MessageId(id), hash))
        .collect())
}

/// Stores the texts the background indexer computed (see [`crate::Store::index_texts`]):
/// each message still waiting leaves `unindexed_text` and enters the index, or stays as
/// impossible to index (`None` or text that is not indexable). Messages no longer waiting
/// (deleted meanwhile, or indexed by another instance) are skipped. Returns how many entered
/// the index.
pub(crate) fn store_texts(c: &mut Conn, texts: &[(MessageId, Option<IndexText>)]) -> Result<usize> {
    let mut indexed = 0;
    for (id, text) in texts {
        let waiting = unindexed_text::table
            .filter(unindexed_text::message_id.eq(id.0))
            .filter(unindexed_text::cannot_index.eq(0));
        match text.as_ref().filter(|t| t.indexable()) {
            Some(text) => {
                // Taking the row first: a second instance indexing the same message waits
                // here on PostgreSQL, then finds nothing to take.
                if diesel::delete(waiting).execute(c)? == 1 {
                    insert_text(c, id.0, text)?;
                    indexed += 1;
                }
            }
            None => {
                diesel::update(waiting)
                    .set(unindexed_text::cannot_index.eq(1))
                    .execute(c)?;
            }
        }
    }
    Ok(indexed)
}

/// What the full-text index says about `needle` (lowercased, as the index text is) in
/// `scope` for `mailbox` (see [`crate::Store::text_hits`]); `None` when it cannot answer: a
/// needle shorter than a trigram or holding NUL, or one so common in the whole store that
/// testing the mailbox's messages one by one is cheaper than mapping every hit to it.
pub(crate) fn text_hits(
    c: &mut Conn,
    mailbox: MailboxId,
    scope: TextScope,
    needle: &str,
) -> Result<Option<TextHits>> {
    let row = mailbox_row(c, mailbox)?;
    if needle.chars().nth(TRIGRAM - 1).is_none() || needle.contains('\0') {
        return Ok(None);
    }
    // The hits are read for the whole store: a needle common among other users' messages
    // costs a lookup per hit. Beyond a few times the mailbox's size, its own messages are
    // cheaper to test.
    let cap = row.message_count.saturating_mul(8).saturating_add(10_000);
    let mut s = Sql::new(&format!(
        "SELECT {} AS id FROM message_fulltext WHERE ",
        <Conn as Specific>::FULLTEXT_ID
    ));
    <Conn as Specific>::fulltext_match(&mut s, scope, needle);
    s.push(" LIMIT ").i64(cap + 1);
    let hits: Vec<i64> = q(s).load::<IdRow>(c)?.into_iter().map(|r| r.id).collect();
    if hits.len() as i64 > cap {
        return Ok(None);
    }
    // Each hit's rows in this mailbox, through the `message_id` index.
    let mut found = Vec::with_capacity(hits.len());
    for chunk in hits.chunks(crate::backend::MAX_SINGLES_PER_STATEMENT) {
        let mut s = Sql::new("SELECT uid AS id FROM mailbox_messages WHERE mailbox_id = ");
        s.i64(mailbox.0)
            .push(" AND ")
            .in_list("message_id", chunk.iter().copied());
        found.extend(q(s).load::<IdRow>(c)?.into_iter().map(|r| r.id as u32));
    }
    found.sort_unstable();
    // The messages the index does not hold, in the whole store (few once the rows older
    // than the index are gone), then their rows in this mailbox.
    let mut s = Sql::new(&format!(
        "SELECT mm.uid AS id FROM unindexed_text u {} mailbox_messages mm \
         ON mm.message_id = u.message_id WHERE mm.mailbox_id = ",
        <Conn as Specific>::OUTER_FIRST_JOIN
    ));
    s.i64(mailbox.0);
    let unindexed = sorted_uids(c, s)?;
    Ok(Some(TextHits { found, unindexed }))
}

/// Takes every message of `mailbox` out of the full-text index for good (a test helper: the
/// messages are then read, as rows stored before the index are until they are indexed).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn forget_text_index(c: &mut Conn, mailbox: MailboxId) -> Result<usize> {
    let ids: std::collections::BTreeSet<i64> = mailbox_messages::table
        .filter(mailbox_messages::mailbox_id.eq(mailbox.0))
        .select(mailbox_messages::message_id)
        .load::<i64>(c)?
        .into_iter()
        .collect();
    let ids: Vec<i64> = ids.into_iter().collect();
    for chunk in ids.chunks(crate::backend::MAX_SINGLES_PER_STATEMENT) {
        let mut s = Sql::new("DELETE FROM message_fulltext WHERE ");
        s.in_list(<Conn as Specific>::FULLTEXT_ID, chunk.iter().copied());
        q(s).execute(c)?;
        diesel::delete(unindexed_text::table.filter(unindexed_text::message_id.eq_any(chunk)))
            .execute(c)?;
    }
    leave_unindexed(c, &ids, true)?;
    Ok(ids.len())
}
