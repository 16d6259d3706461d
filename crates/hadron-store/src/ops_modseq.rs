// The mod-sequence history behind CONDSTORE and QRESYNC (RFC 7162): the UIDs expunged since a
// mod-sequence, their pruning, and the messages changed since one. Compiled once per backend
// like `ops_impl.rs`: `src/ops.rs` includes this file next to it, in the same module, so it
// shares that file's imports and helpers.

pub(crate) fn expunged_since(
    c: &mut Conn,
    mailbox: MailboxId,
    modseq: u64,
) -> Result<Option<Vec<u32>>> {
    let mb = mailbox_row(c, mailbox)?;
    if (modseq as i64) < mb.expunged_floor {
        // Some of what vanished after `modseq` has been forgotten.
        return Ok(None);
    }
    Ok(Some(
        expunged::table
            .filter(expunged::mailbox_id.eq(mailbox.0))
            .filter(expunged::modseq.gt(modseq as i64))
            .order(expunged::uid)
            .select(expunged::uid)
            .load::<i64>(c)?
            .into_iter()
            .map(|u| u as u32)
            .collect(),
    ))
}

pub(crate) fn prune_expunged(c: &mut Conn, mailbox: MailboxId, up_to_modseq: u64) -> Result<usize> {
    let mb = locked(c, mailbox)?;
    let up_to = (up_to_modseq as i64).min(mb.highest_modseq);
    let n = diesel::delete(
        expunged::table
            .filter(expunged::mailbox_id.eq(mailbox.0))
            .filter(expunged::modseq.le(up_to)),
    )
    .execute(c)?;
    if up_to > mb.expunged_floor {
        diesel::update(mailboxes::table.find(mb.id))
            .set(mailboxes::expunged_floor.eq(up_to))
            .execute(c)?;
    }
    Ok(n)
}

/// Forgets, in every mailbox, the expunged UIDs recorded before `cutoff` (Unix seconds) and
/// those expunged at the same mod-sequences (one expunge is forgotten whole); returns how many.
pub(crate) fn prune_expunged_before(c: &mut Conn, cutoff: i64) -> Result<usize> {
    #[derive(QueryableByName)]
    struct Old {
        #[diesel(sql_type = BigInt)]
        mailbox_id: i64,
        #[diesel(sql_type = BigInt)]
        up_to: i64,
    }
    let mut s =
        Sql::new("SELECT mailbox_id, MAX(modseq) AS up_to FROM expunged WHERE expunged_at < ");
    s.i64(cutoff).push(" GROUP BY mailbox_id");
    let old = q(s).load::<Old>(c)?;
    let mut n = 0;
    for o in old {
        match prune_expunged(c, MailboxId(o.mailbox_id), o.up_to as u64) {
            Ok(k) => n += k,
            // Deleted meanwhile: its rows went with it.
            Err(StoreError::UnknownMailbox(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The messages of `uids` whose mod-sequence is above `modseq`, ascending (CONDSTORE
/// `CHANGEDSINCE`, QRESYNC): found through the `(mailbox_id, modseq)` index, so the cost is
/// that of the answer.
pub(crate) fn changed_since(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
    modseq: u64,
) -> Result<Vec<MessageFlags>> {
    mailbox_row(c, mailbox)?;
    // A typed query (its statement is prepared once per connection),
    // through the covering mod-sequence index; decoded by position.
    let rows = mailbox_messages::table
        .filter(mailbox_messages::mailbox_id.eq(mailbox.0))
        .filter(mailbox_messages::modseq.gt(modseq.min(i64::MAX as u64) as i64))
        .select(FLAG_COLUMNS)
        .load_iter::<FlagTuple, diesel::connection::DefaultLoadingMode>(c)?;
    let mut out = Vec::new();
    for r in rows {
        let row = typed_flag_row(r?);
        if uids.contains(row.uid) {
            out.push(row);
        }
    }
    out.sort_unstable_by_key(|m| m.uid);
    Ok(out)
}
