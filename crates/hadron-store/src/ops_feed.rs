// What an instance reads of the changes other instances committed to a mailbox (the change
// feed of `hadron-state`), compiled once per backend like `ops_impl.rs`: `src/ops.rs` includes
// this file next to it, in the same module, so it shares that file's imports and helpers.

pub(crate) fn changes_since(
    c: &mut Conn,
    mailbox: MailboxId,
    after: u64,
    until: Option<u64>,
    uidnext: u32,
) -> Result<Option<MailboxChanges>> {
    let Some(row) = mailboxes::table
        .find(mailbox.0)
        .first::<MailboxRow>(c)
        .optional()?
    else {
        return Ok(None);
    };
    let in_range = |s: &mut Sql, col: &str| {
        s.push(&format!(" AND {col} > ")).i64(after as i64);
        if let Some(until) = until {
            s.push(&format!(" AND {col} < ")).i64(until as i64);
        }
    };
    let select = "SELECT uid, flags, keywords, modseq FROM mailbox_messages WHERE mailbox_id = ";
    let mut s = Sql::new(select);
    s.i64(mailbox.0)
        .push(" AND uid >= ")
        .i64(i64::from(uidnext));
    let mut added: Vec<MessageFlags> = q(s).load::<FlagRow>(c)?.into_iter().map(flag_row).collect();
    added.sort_unstable_by_key(|m| m.uid);
    let mut s = Sql::new(select);
    s.i64(mailbox.0);
    in_range(&mut s, "modseq");
    s.push(" AND uid < ").i64(i64::from(uidnext));
    let mut changed: Vec<MessageFlags> =
        q(s).load::<FlagRow>(c)?.into_iter().map(flag_row).collect();
    changed.sort_unstable_by_key(|m| m.uid);
    // Expunges recorded at or below the floor are forgotten: after a point below it, the
    // history cannot say everything that vanished.
    let expunged = if (after as i64) < row.expunged_floor {
        None
    } else {
        let mut s = Sql::new("SELECT uid AS id FROM expunged WHERE mailbox_id = ");
        s.i64(mailbox.0);
        in_range(&mut s, "modseq");
        Some(sorted_uids(c, s)?)
    };
    Ok(Some(MailboxChanges {
        highest_modseq: row.highest_modseq as u64,
        uidnext: row.uidnext as u32,
        added,
        changed,
        expunged,
        keywords: keyword_list(c, row.id)?,
    }))
}

/// The metadata of the messages of `uids` expunged from `mailbox` whose message rows still
/// exist (garbage collection has not purged them), ascending: what a session still showing a
/// message that another instance expunged reads instead of its mailbox row.
pub(crate) fn expunged_messages(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
) -> Result<Vec<StoredMessage>> {
    select_by_uid_chunks(
        c,
        mailbox,
        uids,
        "SELECT e.uid, m.id, m.content_hash, m.size, m.internal_date, m.sent_date, \
         m.envelope, m.bodystructure, m.subject, m.from_addr, m.to_addr, m.cc_addr, \
         m.part_map, m.thread_id, \
         m.sort_subject, m.sort_addresses, m.thread_refs, m.preview, NULL AS save_date \
         FROM expunged e JOIN messages m ON m.id = e.message_id \
         WHERE e.mailbox_id = ",
        "e.uid",
        stored_message,
        |m| m.uid,
    )
}
