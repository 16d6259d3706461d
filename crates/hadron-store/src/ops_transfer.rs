// What moving mail in and out of the store in bulk needs beyond APPEND (`hadron import`,
// `hadron export`), compiled once per backend like `ops_impl.rs`: `src/ops.rs` includes this
// file next to it, in the same module, so it shares that file's imports and helpers (`cargo
// fmt` does not reach included files: `rustfmt` this one by hand). An import keeps the
// UIDVALIDITY and UIDs its source gave, so clients that knew the old server do not download
// everything again ([`NewMessage::uid`] asks for a UID at append).

/// Gives mailbox `id` the UIDVALIDITY `uidvalidity` of the mailbox it is imported from, if it
/// has never held a message (its UIDNEXT is still 1, so no client can know a UID of it).
/// `true` when the mailbox has that UIDVALIDITY afterwards (also when it had it already).
pub(crate) fn adopt_uid_validity(c: &mut Conn, id: MailboxId, uidvalidity: u32) -> Result<bool> {
    if uidvalidity == 0 {
        return Err(StoreError::InvalidInput("UIDVALIDITY 0".into()));
    }
    let mb = locked(c, id)?;
    if mb.uidvalidity == i64::from(uidvalidity) {
        return Ok(true);
    }
    if mb.uidnext != 1 {
        return Ok(false);
    }
    diesel::update(mailboxes::table.find(id.0))
        .set(mailboxes::uidvalidity.eq(i64::from(uidvalidity)))
        .execute(c)?;
    Ok(true)
}

/// Raises mailbox `id`'s UIDNEXT to `uidnext` (never lowers it): an import whose source had
/// given UIDs to messages since expunged, so no new message takes a UID a client has seen.
/// Returns the UIDNEXT afterwards.
pub(crate) fn raise_uidnext(c: &mut Conn, id: MailboxId, uidnext: u32) -> Result<u32> {
    if uidnext == u32::MAX {
        return Err(StoreError::UidsExhausted(id));
    }
    let mb = locked(c, id)?;
    if i64::from(uidnext) <= mb.uidnext {
        return Ok(mb.uidnext as u32);
    }
    diesel::update(mailboxes::table.find(id.0))
        .set(mailboxes::uidnext.eq(i64::from(uidnext)))
        .execute(c)?;
    Ok(uidnext)
}

/// The content hash of every message in mailbox `id`, in UID order: what a resumed import
/// compares its source with to add only what is missing.
pub(crate) fn content_hashes(c: &mut Conn, id: MailboxId) -> Result<Vec<(u32, String)>> {
    mailbox_row(c, id)?;
    let rows = mailbox_messages::table
        .inner_join(messages::table)
        .filter(mailbox_messages::mailbox_id.eq(id.0))
        .order(mailbox_messages::uid)
        .select((mailbox_messages::uid, messages::content_hash))
        .load::<(i64, String)>(c)?;
    Ok(rows.into_iter().map(|(uid, h)| (uid as u32, h)).collect())
}
