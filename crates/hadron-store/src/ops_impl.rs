// The store operations, written once and compiled once per backend: `src/ops.rs` includes this
// file in two modules that each bring their own `Conn` (connection type) and `DB` (backend) into
// scope. Every function runs inside a transaction opened by the caller (`Store`), so an error
// anywhere rolls back everything the operation wrote.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::backend::{
    Arg, BlobData, CountRow, ExpungedInsert, FlagRow, IdRow, MailboxMessageInsert, MailboxRow,
    MessageInsert, MetaRow, Prepared, QuotaRow, SizeRow, SortRowSql, SourceRow, Specific, Sql,
    SummaryRow, ThreadRowSql, UidTextRow, UserRow, uid_chunks,
};
use crate::error::{Result, StoreError};
use crate::schema::{
    blobs, expunged, mailbox_keywords, mailbox_messages, mailboxes, messages, subscriptions,
    unindexed_text, users,
};
use crate::types::{
    Appended, ColumnRange, Copied, DeletedUser, Expunged, FetchColumns, FlagChanges, FlagEdit,
    FlagOp, IdField, IndexText, MailboxChanges, MailboxId, MailboxInfo, MessageFlags, MessageId,
    MessageMeta, MessageSummary, NO_SENT_DAY, NewMessage, QuotaLimits, SearchField, SortColumns,
    SortKeys, SortRow, SortText, StoredMessage, SystemFlags, TextHits, TextScope, ThreadRow,
    UidSet, UserId, UserInfo, UserQuota,
};
use crate::validate::{self, HIERARCHY_DELIMITER};

const SEEN: i32 = SystemFlags::SEEN.bits() as i32;
const RECENT: i32 = SystemFlags::RECENT.bits() as i32;
const DELETED: i32 = SystemFlags::DELETED.bits() as i32;
const ALL_FLAGS: i32 = SystemFlags::ALL.bits() as i32;
/// Rows per multi-row INSERT into `messages` (12 columns → 12,000 parameters).
const MESSAGE_INSERT_CHUNK: usize = 1_000;
/// Rows per multi-row INSERT into `mailbox_messages` (10 columns → 30,000 parameters, under
/// SQLite's 32,766).
const MM_INSERT_CHUNK: usize = 3_000;
/// Rows per multi-row INSERT into `expunged` (3 columns → 24,000 parameters).
const EXPUNGED_INSERT_CHUNK: usize = 8_000;

/// `sql` as a query that the statement cache may keep prepared (see [`Sql`]).
fn q(sql: Sql) -> Prepared {
    Prepared(sql)
}

/// Runs `select` (which ends in `... WHERE <table.>mailbox_id = `) once per UID chunk of
/// `uids` within `mailbox`, with `uid_col` restricted to the chunk, and returns the mapped rows
/// in UID order.
fn select_by_uid_chunks<R, T>(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
    select: &str,
    uid_col: &str,
    mut map: impl FnMut(R) -> T,
    uid_of: impl Fn(&T) -> u32,
) -> Result<Vec<T>>
where
    R: diesel::deserialize::QueryableByName<DB> + 'static,
{
    let chunks = uid_chunks(uids);
    let mut out = Vec::new();
    for chunk in &chunks {
        let mut s = Sql::new(select);
        s.i64(mailbox.0)
            .push(" AND ")
            .uid_chunk(uid_col, chunk)
            .push(&format!(" ORDER BY {uid_col}"));
        out.extend(q(s).load::<R>(c)?.into_iter().map(&mut map));
    }
    if chunks.len() > 1 {
        out.sort_unstable_by_key(|t| uid_of(t));
    }
    Ok(out)
}

fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

fn unknown_mailbox(id: MailboxId) -> StoreError {
    StoreError::UnknownMailbox(id.to_string())
}

/// Locks mailbox `id` for a write; every write to a mailbox takes this lock first, so it is
/// also where the other instances are told of the change (at commit).
fn locked(c: &mut Conn, id: MailboxId) -> Result<MailboxRow> {
    let row = c.lock_mailbox(id.0)?.ok_or_else(|| unknown_mailbox(id))?;
    c.notify_change(id.0)?;
    Ok(row)
}

fn mailbox_row(c: &mut Conn, id: MailboxId) -> Result<MailboxRow> {
    mailboxes::table
        .find(id.0)
        .first::<MailboxRow>(c)
        .optional()?
        .ok_or_else(|| unknown_mailbox(id))
}

fn mailbox_by_name_row(c: &mut Conn, user: UserId, name: &str) -> Result<Option<MailboxRow>> {
    Ok(mailboxes::table
        .filter(mailboxes::user_id.eq(user.0))
        .filter(mailboxes::name.eq(name))
        .first::<MailboxRow>(c)
        .optional()?)
}

fn check_user(c: &mut Conn, user: UserId) -> Result<()> {
    users::table
        .find(user.0)
        .select(users::id)
        .first::<i64>(c)
        .optional()?
        .map(|_| ())
        .ok_or_else(|| StoreError::UnknownUser(user.to_string()))
}

// ---- users -------------------------------------------------------------------------------

pub(crate) fn create_user(
    c: &mut Conn,
    name: &str,
    password_hash: &str,
    now: i64,
) -> Result<UserId> {
    validate::user_name(name)?;
    let exists = users::table
        .filter(users::name.eq(name))
        .select(users::id)
        .first::<i64>(c)
        .optional()?;
    if exists.is_some() {
        return Err(StoreError::UserExists(name.to_owned()));
    }
    let id = diesel::insert_into(users::table)
        .values((
            users::name.eq(name),
            users::password_hash.eq(password_hash),
            users::created_at.eq(now),
        ))
        .returning(users::id)
        .get_result::<i64>(c)
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::UserExists(name.to_owned())
            } else {
                e.into()
            }
        })?;
    Ok(UserId(id))
}

pub(crate) fn user_by_name(c: &mut Conn, name: &str) -> Result<Option<(UserId, String)>> {
    Ok(users::table
        .filter(users::name.eq(name))
        .select((users::id, users::password_hash))
        .first::<(i64, String)>(c)
        .optional()?
        .map(|(id, hash)| (UserId(id), hash)))
}

pub(crate) fn set_password_hash(c: &mut Conn, name: &str, password_hash: &str) -> Result<()> {
    let n = diesel::update(users::table.filter(users::name.eq(name)))
        .set(users::password_hash.eq(password_hash))
        .execute(c)?;
    if n == 0 {
        return Err(StoreError::UnknownUser(name.to_owned()));
    }
    Ok(())
}

/// Every user with totals summed from its mailboxes' counters (one grouped query), sorted by
/// name bytewise.
pub(crate) fn list_users(c: &mut Conn) -> Result<Vec<UserInfo>> {
    let mut users: Vec<UserInfo> = diesel::sql_query(
        "SELECT u.id, u.name, u.created_at, COUNT(m.id) AS mailboxes, \
         CAST(COALESCE(SUM(m.message_count), 0) AS BIGINT) AS messages, \
         CAST(COALESCE(SUM(m.total_size), 0) AS BIGINT) AS size \
         FROM users u LEFT JOIN mailboxes m ON m.user_id = u.id \
         GROUP BY u.id, u.name, u.created_at",
    )
    .load::<UserRow>(c)?
    .into_iter()
    .map(|r| UserInfo {
        id: UserId(r.id),
        name: r.name,
        created: r.created_at,
        mailboxes: r.mailboxes.max(0) as u64,
        messages: r.messages.max(0) as u64,
        size: r.size.max(0) as u64,
    })
    .collect();
    users.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(users)
}

/// A user's quota limits and its usage summed from its mailboxes' counters: one grouped query,
/// no message row read.
pub(crate) fn user_quota(c: &mut Conn, user: UserId) -> Result<UserQuota> {
    let mut s = Sql::new(
        "SELECT u.quota_storage_kib AS storage_limit, u.quota_messages AS message_limit, \
         CAST(COALESCE(SUM(m.message_count), 0) AS BIGINT) AS messages, \
         CAST(COALESCE(SUM(m.total_size), 0) AS BIGINT) AS size \
         FROM users u LEFT JOIN mailboxes m ON m.user_id = u.id WHERE u.id = ",
    );
    s.i64(user.0)
        .push(" GROUP BY u.id, u.quota_storage_kib, u.quota_messages");
    let row = q(s)
        .get_result::<QuotaRow>(c)
        .optional()?
        .ok_or_else(|| StoreError::UnknownUser(user.to_string()))?;
    let limit = |v: Option<i64>| v.map(|n| n.max(0) as u64);
    Ok(UserQuota {
        limits: QuotaLimits {
            storage_kib: limit(row.storage_limit),
            messages: limit(row.message_limit),
        },
        messages: row.messages.max(0) as u64,
        size: row.size.max(0) as u64,
    })
}

/// Sets a user's quota limits (`None`: no limit).
pub(crate) fn set_quota_limits(c: &mut Conn, name: &str, limits: QuotaLimits) -> Result<()> {
    let column = |v: Option<u64>, what: &str| -> Result<Option<i64>> {
        v.map(|n| {
            i64::try_from(n).map_err(|_| {
                StoreError::InvalidInput(format!("{what} limit {n} is above 2^63 - 1"))
            })
        })
        .transpose()
    };
    let storage = column(limits.storage_kib, "storage")?;
    let messages = column(limits.messages, "message")?;
    let n = diesel::update(users::table.filter(users::name.eq(name)))
        .set((
            users::quota_storage_kib.eq(storage),
            users::quota_messages.eq(messages),
        ))
        .execute(c)?;
    if n == 0 {
        return Err(StoreError::UnknownUser(name.to_owned()));
    }
    Ok(())
}

/// How many of `uids` the mailbox holds and their total size in octets (what a COPY of them
/// adds to the quota usage), read through the `(mailbox_id, uid)` key by chunks.
pub(crate) fn messages_size(c: &mut Conn, mailbox: MailboxId, uids: &UidSet) -> Result<(u64, u64)> {
    let (mut count, mut size) = (0u64, 0u64);
    for chunk in &uid_chunks(uids) {
        let mut s = Sql::new(
            "SELECT COUNT(*) AS messages, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS size \
             FROM mailbox_messages WHERE mailbox_id = ",
        );
        s.i64(mailbox.0).push(" AND ").uid_chunk("uid", chunk);
        let row = q(s).get_result::<SizeRow>(c)?;
        count += row.messages.max(0) as u64;
        size += row.size.max(0) as u64;
    }
    Ok((count, size))
}

/// Deletes a user with its mailboxes (their message rows, keywords and expunge records) and
/// subscriptions. The `messages` rows stay for `purge_orphan_messages` (a message row is
/// shared only by mailboxes holding the same message, and another user's copy of the same
/// body has its own row, which keeps the blob referenced).
pub(crate) fn delete_user(c: &mut Conn, name: &str) -> Result<DeletedUser> {
    let id = c
        .lock_user(name)?
        .ok_or_else(|| StoreError::UnknownUser(name.to_owned()))?;
    let mut ids: Vec<i64> = mailboxes::table
        .filter(mailboxes::user_id.eq(id))
        .select(mailboxes::id)
        .load(c)?;
    ids.sort_unstable();
    // Lock them in id order, as COPY does: no append or copy into them is in flight, and none
    // can deadlock with this.
    for &mailbox in &ids {
        c.lock_mailbox(mailbox)?;
    }
    for chunk in ids.chunks(crate::backend::MAX_SINGLES_PER_STATEMENT) {
        diesel::delete(mailbox_messages::table.filter(mailbox_messages::mailbox_id.eq_any(chunk)))
            .execute(c)?;
        diesel::delete(mailbox_keywords::table.filter(mailbox_keywords::mailbox_id.eq_any(chunk)))
            .execute(c)?;
        diesel::delete(expunged::table.filter(expunged::mailbox_id.eq_any(chunk))).execute(c)?;
        diesel::delete(mailboxes::table.filter(mailboxes::id.eq_any(chunk))).execute(c)?;
    }
    diesel::delete(subscriptions::table.filter(subscriptions::user_id.eq(id))).execute(c)?;
    diesel::delete(users::table.find(id)).execute(c)?;
    Ok(DeletedUser {
        id: UserId(id),
        mailboxes: ids.into_iter().map(MailboxId).collect(),
    })
}

// ---- mailboxes ---------------------------------------------------------------------------

pub(crate) fn create_mailbox(
    c: &mut Conn,
    user: UserId,
    name: &str,
    special_use: Option<&str>,
    now: i64,
) -> Result<MailboxInfo> {
    validate::mailbox_name(name)?;
    if let Some(su) = special_use {
        validate::special_use(su)?;
    }
    check_user(c, user)?;
    if mailbox_by_name_row(c, user, name)?.is_some() {
        return Err(StoreError::MailboxExists(name.to_owned()));
    }
    let id = diesel::insert_into(mailboxes::table)
        .values((
            mailboxes::user_id.eq(user.0),
            mailboxes::name.eq(name),
            mailboxes::special_use.eq(special_use),
            mailboxes::uidvalidity.eq(0i64),
            mailboxes::uidnext.eq(1i64),
            mailboxes::highest_modseq.eq(1i64),
            mailboxes::message_count.eq(0i64),
            mailboxes::unseen_count.eq(0i64),
            mailboxes::recent_count.eq(0i64),
            mailboxes::total_size.eq(0i64),
        ))
        .returning(mailboxes::id)
        .get_result::<i64>(c)
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::MailboxExists(name.to_owned())
            } else {
                e.into()
            }
        })?;
    // Ids only grow and time does not go back, so a mailbox re-created under an old name gets a
    // larger UIDVALIDITY than its predecessor (until the 32-bit value wraps, in 2106).
    let uidvalidity = (now.max(0) + id) % i64::from(u32::MAX) + 1;
    diesel::update(mailboxes::table.find(id))
        .set(mailboxes::uidvalidity.eq(uidvalidity))
        .execute(c)?;
    Ok(mailbox_row(c, MailboxId(id))?.info())
}

/// Mailboxes strictly below `name` in the hierarchy.
fn children(c: &mut Conn, user: UserId, name: &str) -> Result<Vec<(i64, String)>> {
    let prefix = format!("{name}{HIERARCHY_DELIMITER}");
    let mut s = Sql::new("SELECT id, name FROM mailboxes WHERE user_id = ");
    s.i64(user.0).push(" AND substr(name, 1, ");
    s.i32(prefix.chars().count() as i32).push(") = ");
    s.arg(Arg::Text(prefix));
    #[derive(QueryableByName)]
    struct Child {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        name: String,
    }
    Ok(q(s)
        .load::<Child>(c)?
        .into_iter()
        .map(|ch| (ch.id, ch.name))
        .collect())
}

pub(crate) fn rename_mailbox(c: &mut Conn, user: UserId, from: &str, to: &str) -> Result<()> {
    validate::mailbox_name(to)?;
    let row = mailbox_by_name_row(c, user, from)?
        .ok_or_else(|| StoreError::UnknownMailbox(from.to_owned()))?;
    if to == from || mailbox_by_name_row(c, user, to)?.is_some() {
        return Err(StoreError::MailboxExists(to.to_owned()));
    }
    if to.starts_with(&format!("{from}{HIERARCHY_DELIMITER}")) {
        return Err(StoreError::InvalidName {
            name: to.to_owned(),
            reason: "a mailbox cannot be moved below itself",
        });
    }
    let mut renames = vec![(row.id, to.to_owned())];
    for (id, child) in children(c, user, from)? {
        let new = format!("{to}{}", &child[from.len()..]);
        validate::mailbox_name(&new)?;
        if mailbox_by_name_row(c, user, &new)?.is_some() {
            return Err(StoreError::MailboxExists(new));
        }
        renames.push((id, new));
    }
    for (id, new) in renames {
        c.notify_change(id)?;
        diesel::update(mailboxes::table.find(id))
            .set(mailboxes::name.eq(&new))
            .execute(c)
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::MailboxExists(new.clone())
                } else {
                    e.into()
                }
            })?;
    }
    Ok(())
}

pub(crate) fn delete_mailbox(c: &mut Conn, user: UserId, name: &str) -> Result<MailboxId> {
    let row = mailbox_by_name_row(c, user, name)?
        .ok_or_else(|| StoreError::UnknownMailbox(name.to_owned()))?;
    // Lock it so that no append to it can be in flight.
    let row = locked(c, MailboxId(row.id))?;
    diesel::delete(mailbox_messages::table.filter(mailbox_messages::mailbox_id.eq(row.id)))
        .execute(c)?;
    diesel::delete(mailbox_keywords::table.filter(mailbox_keywords::mailbox_id.eq(row.id)))
        .execute(c)?;
    diesel::delete(expunged::table.filter(expunged::mailbox_id.eq(row.id))).execute(c)?;
    diesel::delete(mailboxes::table.find(row.id)).execute(c)?;
    Ok(MailboxId(row.id))
}

pub(crate) fn list_mailboxes(c: &mut Conn, user: UserId) -> Result<Vec<MailboxInfo>> {
    let mut rows: Vec<MailboxInfo> = mailboxes::table
        .filter(mailboxes::user_id.eq(user.0))
        .load::<MailboxRow>(c)?
        .iter()
        .map(MailboxRow::info)
        .collect();
    // Byte order, independent of the database's collation.
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

pub(crate) fn mailbox_by_name(
    c: &mut Conn,
    user: UserId,
    name: &str,
) -> Result<Option<MailboxInfo>> {
    Ok(mailbox_by_name_row(c, user, name)?.map(|r| r.info()))
}

pub(crate) fn mailbox_status(c: &mut Conn, id: MailboxId) -> Result<MailboxInfo> {
    Ok(mailbox_row(c, id)?.info())
}

pub(crate) fn subscribe(c: &mut Conn, user: UserId, name: &str) -> Result<()> {
    validate::mailbox_name(name)?;
    check_user(c, user)?;
    diesel::insert_into(subscriptions::table)
        .values((
            subscriptions::user_id.eq(user.0),
            subscriptions::name.eq(name),
        ))
        .on_conflict_do_nothing()
        .execute(c)?;
    Ok(())
}

pub(crate) fn unsubscribe(c: &mut Conn, user: UserId, name: &str) -> Result<()> {
    diesel::delete(
        subscriptions::table
            .filter(subscriptions::user_id.eq(user.0))
            .filter(subscriptions::name.eq(name)),
    )
    .execute(c)?;
    Ok(())
}

pub(crate) fn subscriptions(c: &mut Conn, user: UserId) -> Result<Vec<String>> {
    let mut v = subscriptions::table
        .filter(subscriptions::user_id.eq(user.0))
        .select(subscriptions::name)
        .load::<String>(c)?;
    v.sort();
    Ok(v)
}

// ---- keywords ----------------------------------------------------------------------------

/// The mailbox's keyword list, indexed by bit.
pub(crate) fn keywords(c: &mut Conn, mailbox: MailboxId) -> Result<Vec<String>> {
    mailbox_row(c, mailbox)?;
    keyword_list(c, mailbox.0)
}

fn keyword_list(c: &mut Conn, mailbox: i64) -> Result<Vec<String>> {
    let rows = mailbox_keywords::table
        .filter(mailbox_keywords::mailbox_id.eq(mailbox))
        .order(mailbox_keywords::bit)
        .select((mailbox_keywords::bit, mailbox_keywords::name))
        .load::<(i32, String)>(c)?;
    Ok(rows.into_iter().map(|(_, n)| n).collect())
}

/// Maps keyword names (case-insensitively) to a bit mask, adding missing ones to the mailbox's
/// dictionary when `allocate` (otherwise unknown names are ignored).
fn keyword_mask<'n>(
    c: &mut Conn,
    mailbox: i64,
    names: impl IntoIterator<Item = &'n str>,
    allocate: bool,
) -> Result<(u64, HashMap<String, u32>)> {
    let mut dict: HashMap<String, u32> = keyword_list(c, mailbox)?
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n.to_ascii_lowercase(), i as u32))
        .collect();
    let mut mask = 0u64;
    for name in names {
        validate::keyword(name)?;
        let key = name.to_ascii_lowercase();
        let bit = match dict.get(&key) {
            Some(&b) => b,
            None if !allocate => continue,
            None => {
                let bit = dict.len() as u32;
                if bit as usize >= crate::MAX_KEYWORDS {
                    return Err(StoreError::TooManyKeywords(MailboxId(mailbox)));
                }
                diesel::insert_into(mailbox_keywords::table)
                    .values((
                        mailbox_keywords::mailbox_id.eq(mailbox),
                        mailbox_keywords::bit.eq(bit as i32),
                        mailbox_keywords::name.eq(name),
                    ))
                    .execute(c)?;
                dict.insert(key, bit);
                bit
            }
        };
        mask |= 1 << bit;
    }
    Ok((mask, dict))
}

// ---- append ------------------------------------------------------------------------------

pub(crate) fn append(c: &mut Conn, mailbox: MailboxId, msgs: &[NewMessage]) -> Result<Appended> {
    let mb = locked(c, mailbox)?;
    if msgs.is_empty() {
        return Ok(Appended {
            uidvalidity: mb.uidvalidity as u32,
            uids: Vec::new(),
            modseq: mb.highest_modseq as u64,
        });
    }
    let n = msgs.len() as i64;
    let uids = assign_uids(mb.uidnext, msgs)?;
    let last_uid = *uids.last().unwrap_or(&(mb.uidnext - 1));
    if last_uid >= i64::from(u32::MAX) {
        return Err(StoreError::UidsExhausted(mailbox));
    }
    for m in msgs {
        if m.meta.size > i64::MAX as u64 {
            return Err(StoreError::InvalidInput(format!(
                "message size {} out of range",
                m.meta.size
            )));
        }
    }
    let all_kw = msgs
        .iter()
        .flat_map(|m| m.keywords.iter().map(String::as_str));
    let dict = if msgs.iter().any(|m| !m.keywords.is_empty()) {
        keyword_mask(c, mb.id, all_kw, true)?.1
    } else {
        HashMap::new()
    };
    let masks: Vec<u64> = msgs
        .iter()
        .map(|m| {
            m.keywords.iter().fold(0u64, |acc, k| {
                acc | dict.get(&k.to_ascii_lowercase()).map_or(0, |&b| 1 << b)
            })
        })
        .collect();
    let ids = c.alloc_message_ids(msgs.len())?;
    let modseq = mb.highest_modseq + 1;
    let saved = crate::store::now_secs();

    let rows: Vec<MessageInsert<'_>> = msgs
        .iter()
        .zip(&ids)
        .map(|(m, &id)| MessageInsert {
            id,
            content_hash: &m.meta.content_hash,
            size: m.meta.size as i64,
            internal_date: m.meta.internal_date,
            sent_date: m.meta.sent_date,
            envelope: &m.meta.envelope,
            bodystructure: &m.meta.bodystructure,
            subject: m.meta.subject.as_deref(),
            from_addr: m.meta.from.as_deref(),
            to_addr: m.meta.to.as_deref(),
            cc_addr: m.meta.cc.as_deref(),
            thread_id: m.meta.thread_id.as_deref(),
            part_map: Some(&m.meta.part_map)
                .filter(|p| !p.is_empty())
                .map(Vec::as_slice),
            sort_subject: m.meta.sort_keys.as_ref().map(|k| k.subject.as_str()),
            sort_addresses: m.meta.sort_keys.as_ref().map(SortKeys::addresses),
            thread_refs: m.meta.thread_refs.as_deref(),
            preview: m.meta.preview.as_deref(),
        })
        .collect();
    for chunk in rows.chunks(MESSAGE_INSERT_CHUNK) {
        diesel::insert_into(messages::table)
            .values(chunk)
            .execute(c)?;
    }
    index_texts(c, &ids, msgs)?;

    let mm: Vec<MailboxMessageInsert> = msgs
        .iter()
        .zip(&ids)
        .zip(&masks)
        .enumerate()
        .map(|(i, ((m, &id), &mask))| MailboxMessageInsert {
            mailbox_id: mb.id,
            uid: uids[i],
            message_id: id,
            flags: i32::from(m.flags.bits()),
            keywords: mask as i64,
            modseq,
            internal_date: m.meta.internal_date,
            size: m.meta.size as i64,
            sent_day: Some(m.sent_day.unwrap_or(NO_SENT_DAY)),
            save_date: saved,
        })
        .collect();
    for chunk in mm.chunks(MM_INSERT_CHUNK) {
        diesel::insert_into(mailbox_messages::table)
            .values(chunk)
            .execute(c)?;
    }

    let unseen = msgs
        .iter()
        .filter(|m| !m.flags.contains(SystemFlags::SEEN))
        .count() as i64;
    let recent = msgs
        .iter()
        .filter(|m| m.flags.contains(SystemFlags::RECENT))
        .count() as i64;
    let size: i64 = msgs.iter().map(|m| m.meta.size as i64).sum();
    diesel::update(mailboxes::table.find(mb.id))
        .set((
            mailboxes::uidnext.eq(last_uid + 1),
            mailboxes::highest_modseq.eq(modseq),
            mailboxes::message_count.eq(mailboxes::message_count + n),
            mailboxes::unseen_count.eq(mailboxes::unseen_count + unseen),
            mailboxes::recent_count.eq(mailboxes::recent_count + recent),
            mailboxes::total_size.eq(mailboxes::total_size + size),
        ))
        .execute(c)?;
    Ok(Appended {
        uidvalidity: mb.uidvalidity as u32,
        uids: uids.into_iter().map(|u| u as u32).collect(),
        modseq: modseq as u64,
    })
}

/// The UIDs of `msgs` appended to a mailbox whose next UID is `uidnext`: each message's
/// [`NewMessage::uid`] when it asks for one, else the next after its predecessor. A UID asked
/// for must be at least the next one, so UIDs stay ascending in commit order.
fn assign_uids(uidnext: i64, msgs: &[NewMessage]) -> Result<Vec<i64>> {
    let mut next = uidnext;
    msgs.iter()
        .map(|m| {
            let uid = match m.uid {
                Some(asked) if i64::from(asked) < next => {
                    return Err(StoreError::InvalidInput(format!(
                        "UID {asked} asked for, but the next UID is {next}"
                    )));
                }
                Some(asked) => i64::from(asked),
                None => next,
            };
            next = uid + 1;
            Ok(uid)
        })
        .collect()
}

// ---- reads -------------------------------------------------------------------------------

fn flag_row(r: FlagRow) -> MessageFlags {
    MessageFlags {
        uid: r.uid as u32,
        flags: SystemFlags::from_bits_truncate(r.flags as u8),
        keywords: r.keywords as u64,
        modseq: r.modseq as u64,
    }
}

/// The columns of a typed flags read, in [`typed_flag_row`]'s order.
const FLAG_COLUMNS: (
    mailbox_messages::uid,
    mailbox_messages::flags,
    mailbox_messages::keywords,
    mailbox_messages::modseq,
) = (
    mailbox_messages::uid,
    mailbox_messages::flags,
    mailbox_messages::keywords,
    mailbox_messages::modseq,
);

/// A typed row of [`FLAG_COLUMNS`].
type FlagTuple = (i64, i32, i64, i64);

/// A message's flags from a typed row of [`FLAG_COLUMNS`].
fn typed_flag_row((uid, flags, keywords, modseq): FlagTuple) -> MessageFlags {
    flag_row(FlagRow {
        uid,
        flags,
        keywords,
        modseq,
    })
}

pub(crate) fn fetch_flags(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
) -> Result<Vec<MessageFlags>> {
    mailbox_row(c, mailbox)?;
    if let [(first, last)] = uids.ranges() {
        // The hot path (`1:*`, `n:m`): a typed query, decoded by position.
        let rows = mailbox_messages::table
            .filter(mailbox_messages::mailbox_id.eq(mailbox.0))
            .filter(mailbox_messages::uid.between(i64::from(*first), i64::from(*last)))
            .order(mailbox_messages::uid)
            .select(FLAG_COLUMNS)
            .load_iter::<FlagTuple, diesel::connection::DefaultLoadingMode>(c)?;
        return rows.map(|r| Ok(typed_flag_row(r?))).collect();
    }
    select_by_uid_chunks(
        c,
        mailbox,
        uids,
        "SELECT uid, flags, keywords, modseq FROM mailbox_messages WHERE mailbox_id = ",
        "uid",
        flag_row,
        |m: &MessageFlags| m.uid,
    )
}

/// The UIDs of the messages stored `\Recent`, ascending: through the partial index
/// `mailbox_messages_recent`, so the cost is that of the answer, not of the mailbox.
pub(crate) fn recent_uids(c: &mut Conn, mailbox: MailboxId) -> Result<Vec<u32>> {
    mailbox_row(c, mailbox)?;
    let mut s = Sql::new("SELECT uid AS id FROM mailbox_messages WHERE mailbox_id = ");
    // The condition is written exactly as in the index's WHERE clause, so
    // both planners see that the index covers it.
    s.i64(mailbox.0).push(" AND (flags & 32) <> 0 ORDER BY uid");
    Ok(q(s)
        .load::<IdRow>(c)?
        .into_iter()
        .map(|r| r.id as u32)
        .collect())
}

pub(crate) fn fetch_messages(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
) -> Result<Vec<StoredMessage>> {
    mailbox_row(c, mailbox)?;
    select_by_uid_chunks(
        c,
        mailbox,
        uids,
        "SELECT mm.uid, m.id, m.content_hash, m.size, m.internal_date, m.sent_date, \
         m.envelope, m.bodystructure, m.subject, m.from_addr, m.to_addr, m.cc_addr, \
         m.part_map, m.thread_id, \
         m.sort_subject, m.sort_addresses, m.thread_refs, m.preview, mm.save_date \
         FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id \
         WHERE mm.mailbox_id = ",
        "mm.uid",
        stored_message,
        |m| m.uid,
    )
}

pub(crate) fn fetch_for_fetch(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
    columns: FetchColumns,
) -> Result<Vec<StoredMessage>> {
    mailbox_row(c, mailbox)?;
    let col = |wanted: bool, table: &str, name: &str| {
        if wanted {
            format!("{table}.{name}")
        } else {
            format!("NULL AS {name}")
        }
    };
    let select = format!(
        "SELECT mm.uid, m.id, m.content_hash, m.size, m.internal_date, m.sent_date, \
         m.thread_id, {}, {}, {}, {}, {} \
         FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id \
         WHERE mm.mailbox_id = ",
        col(columns.envelope, "m", "envelope"),
        col(columns.bodystructure, "m", "bodystructure"),
        col(columns.part_map, "m", "part_map"),
        col(columns.save_date, "mm", "save_date"),
        col(columns.preview, "m", "preview"),
    );
    select_by_uid_chunks(
        c,
        mailbox,
        uids,
        &select,
        "mm.uid",
        |r: crate::backend::FetchRow| StoredMessage {
            uid: r.uid as u32,
            message: MessageId(r.id),
            meta: MessageMeta {
                content_hash: r.content_hash,
                size: r.size as u64,
                internal_date: r.internal_date,
                sent_date: r.sent_date,
                envelope: r.envelope.unwrap_or_default(),
                bodystructure: r.bodystructure.unwrap_or_default(),
                subject: None,
                from: None,
                to: None,
                cc: None,
                part_map: r.part_map.unwrap_or_default(),
                thread_id: r.thread_id,
                sort_keys: None,
                thread_refs: None,
                preview: r.preview,
            },
            save_date: r.save_date,
        },
        |m| m.uid,
    )
}

/// Stores previews computed after ingest (see [`crate::Store::store_previews`]): each only
/// where the row has none, so a preview is written once whoever computed it. Returns how many
/// rows took one.
pub(crate) fn store_previews(c: &mut Conn, previews: &[(MessageId, String)]) -> Result<usize> {
    let mut stored = 0;
    for (id, preview) in previews {
        stored += diesel::update(
            messages::table
                .filter(messages::id.eq(id.0))
                .filter(messages::preview.is_null()),
        )
        .set(messages::preview.eq(preview))
        .execute(c)?;
    }
    Ok(stored)
}

/// A joined message row as the store's public type.
fn stored_message(r: MetaRow) -> StoredMessage {
    StoredMessage {
        uid: r.uid as u32,
        message: MessageId(r.id),
        meta: MessageMeta {
            content_hash: r.content_hash,
            size: r.size as u64,
            internal_date: r.internal_date,
            sent_date: r.sent_date,
            envelope: r.envelope,
            bodystructure: r.bodystructure,
            subject: r.subject,
            from: r.from_addr,
            to: r.to_addr,
            cc: r.cc_addr,
            part_map: r.part_map.unwrap_or_default(),
            thread_id: r.thread_id,
            sort_keys: match (r.sort_subject, r.sort_addresses) {
                (Some(subject), Some(addresses)) => {
                    Some(SortKeys::from_stored(subject, &addresses))
                }
                _ => None,
            },
            thread_refs: r.thread_refs,
            preview: r.preview,
        },
        save_date: r.save_date,
    }
}

pub(crate) fn fetch_summaries(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
) -> Result<Vec<MessageSummary>> {
    mailbox_row(c, mailbox)?;
    select_by_uid_chunks(
        c,
        mailbox,
        uids,
        "SELECT mm.uid, mm.size, mm.internal_date, m.sent_date, mm.modseq, mm.save_date \
         FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id \
         WHERE mm.mailbox_id = ",
        "mm.uid",
        |r: SummaryRow| MessageSummary {
            uid: r.uid as u32,
            size: r.size as u64,
            internal_date: r.internal_date,
            sent_date: r.sent_date,
            modseq: r.modseq as u64,
            save_date: r.save_date,
        },
        |m| m.uid,
    )
}

// ---- flags -------------------------------------------------------------------------------

/// [`store_flags`] and the mailbox's keyword dictionary after it, in the same transaction
/// (the caller names the changed keyword bits without a second read).
pub(crate) fn store_flags_named(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
    edit: &FlagEdit,
) -> Result<(FlagChanges, Vec<String>)> {
    let changes = store_flags_if(
        c,
        mailbox,
        uids,
        edit.op,
        edit.flags,
        &edit.keywords,
        edit.unchanged_since,
    )?;
    Ok((changes, keywords(c, mailbox)?))
}

pub(crate) fn store_flags(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
    op: FlagOp,
    flags: SystemFlags,
    kw: &[String],
) -> Result<FlagChanges> {
    store_flags_if(c, mailbox, uids, op, flags, kw, None)
}

/// [`store_flags`], leaving alone (and listing in [`FlagChanges::modified`]) the messages
/// whose mod-sequence is above `unchanged_since` (CONDSTORE `UNCHANGEDSINCE`): the test and
/// the change are one statement per chunk under the mailbox's lock, so no concurrent change
/// is overwritten. Clearing only `\Recent` (a session claiming new messages) is no change
/// of the message for CONDSTORE: it keeps every mod-sequence as it is.
fn store_flags_if(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
    op: FlagOp,
    flags: SystemFlags,
    kw: &[String],
    unchanged_since: Option<u64>,
) -> Result<FlagChanges> {
    let mb = locked(c, mailbox)?;
    let claims_recent = op == FlagOp::Remove && flags == SystemFlags::RECENT && kw.is_empty();
    let (kmask, _) = keyword_mask(
        c,
        mb.id,
        kw.iter().map(String::as_str),
        op != FlagOp::Remove,
    )?;
    let kmask = kmask as i64;
    let f = i32::from(flags.bits());
    let modseq = if claims_recent {
        mb.highest_modseq
    } else {
        mb.highest_modseq + 1
    };
    let unchanged_since = unchanged_since.map(|u| u.min(i64::MAX as u64) as i64);
    let mut changed = Vec::new();
    let mut modified = Vec::new();
    let (mut d_unseen, mut d_recent) = (0i64, 0i64);
    for chunk in uid_chunks(uids) {
        if let Some(u) = unchanged_since {
            let mut s = Sql::new("SELECT uid AS id FROM mailbox_messages WHERE mailbox_id = ");
            s.i64(mb.id).push(" AND ").uid_chunk("uid", &chunk);
            s.push(" AND modseq > ").i64(u);
            modified.extend(q(s).load::<IdRow>(c)?.into_iter().map(|r| r.id as u32));
        }
        // Only rows whose flags really change are touched (and get the new MODSEQ).
        let pred = |s: &mut Sql| {
            if let Some(u) = unchanged_since {
                s.push(" AND modseq <= ").i64(u);
            }
            s.push(" AND ");
            match op {
                FlagOp::Add => {
                    s.push("((flags & ").i32(f).push(") <> ").i32(f);
                    s.push(" OR (keywords & ")
                        .i64(kmask)
                        .push(") <> ")
                        .i64(kmask)
                        .push(")");
                }
                FlagOp::Remove => {
                    s.push("((flags & ").i32(f).push(") <> 0");
                    s.push(" OR (keywords & ").i64(kmask).push(") <> 0)");
                }
                FlagOp::Replace => {
                    s.push("((flags & ")
                        .i32(ALL_FLAGS & !RECENT)
                        .push(") <> ")
                        .i32(f & !RECENT);
                    s.push(" OR keywords <> ").i64(kmask).push(")");
                }
            }
        };
        let mut count = Sql::new(
            "SELECT SUM(CASE WHEN (flags & 1) = 0 THEN 1 ELSE 0 END) AS unseen, \
             SUM(CASE WHEN (flags & 32) <> 0 THEN 1 ELSE 0 END) AS recent \
             FROM mailbox_messages WHERE mailbox_id = ",
        );
        count.i64(mb.id).push(" AND ").uid_chunk("uid", &chunk);
        pred(&mut count);
        let before = q(count).get_result::<CountRow>(c)?;

        let mut up = Sql::new("UPDATE mailbox_messages SET ");
        match op {
            FlagOp::Add => {
                up.push("flags = flags | ").i32(f);
                up.push(", keywords = keywords | ").i64(kmask);
            }
            FlagOp::Remove => {
                up.push("flags = flags & ").i32(ALL_FLAGS & !f);
                up.push(", keywords = keywords & ").i64(!kmask);
            }
            FlagOp::Replace => {
                up.push("flags = (flags & ")
                    .i32(RECENT)
                    .push(") | ")
                    .i32(f & !RECENT);
                up.push(", keywords = ").i64(kmask);
            }
        }
        if !claims_recent {
            up.push(", modseq = ").i64(modseq);
        }
        up.push(" WHERE mailbox_id = ").i64(mb.id);
        up.push(" AND ").uid_chunk("uid", &chunk);
        pred(&mut up);
        up.push(" RETURNING uid, flags, keywords, modseq");
        let rows = q(up).load::<FlagRow>(c)?;
        d_unseen -= before.unseen.unwrap_or(0);
        d_recent -= before.recent.unwrap_or(0);
        d_unseen += rows.iter().filter(|r| r.flags & SEEN == 0).count() as i64;
        d_recent += rows.iter().filter(|r| r.flags & RECENT != 0).count() as i64;
        changed.extend(rows.into_iter().map(flag_row));
    }
    modified.sort_unstable();
    if changed.is_empty() {
        return Ok(FlagChanges {
            modseq: mb.highest_modseq as u64,
            changed,
            modified,
        });
    }
    changed.sort_unstable_by_key(|m| m.uid);
    diesel::update(mailboxes::table.find(mb.id))
        .set((
            mailboxes::highest_modseq.eq(modseq),
            mailboxes::unseen_count.eq(mailboxes::unseen_count + d_unseen),
            mailboxes::recent_count.eq(mailboxes::recent_count + d_recent),
        ))
        .execute(c)?;
    Ok(FlagChanges {
        modseq: modseq as u64,
        changed,
        modified,
    })
}

// ---- expunge, copy, move -----------------------------------------------------------------

/// The rows of `uids` in the mailbox (only those with `\Deleted` if `only_deleted`), in UID
/// order.
fn source_rows(
    c: &mut Conn,
    mailbox: i64,
    uids: &UidSet,
    only_deleted: bool,
) -> Result<Vec<SourceRow>> {
    let chunks = uid_chunks(uids);
    let mut out = Vec::new();
    for chunk in &chunks {
        let mut s = Sql::new(
            "SELECT uid, message_id, flags, keywords, size, internal_date, sent_day \
             FROM mailbox_messages WHERE mailbox_id = ",
        );
        s.i64(mailbox).push(" AND ").uid_chunk("uid", chunk);
        if only_deleted {
            s.push(" AND (flags & ").i32(DELETED).push(") <> 0");
        }
        out.extend(q(s).load::<SourceRow>(c)?);
    }
    out.sort_unstable_by_key(|r| r.uid);
    Ok(out)
}

/// Deletes `rows` (read under the mailbox lock) from the mailbox, records them as expunged and
/// updates the counters.
fn remove_rows(c: &mut Conn, mb: &MailboxRow, rows: &[SourceRow]) -> Result<Expunged> {
    if rows.is_empty() {
        return Ok(Expunged {
            modseq: mb.highest_modseq as u64,
            uids: Vec::new(),
        });
    }
    let modseq = mb.highest_modseq + 1;
    let now = crate::store::now_secs();
    let set = UidSet::from_uids(rows.iter().map(|r| r.uid as u32));
    for chunk in uid_chunks(&set) {
        let mut s = Sql::new("DELETE FROM mailbox_messages WHERE mailbox_id = ");
        s.i64(mb.id).push(" AND ").uid_chunk("uid", &chunk);
        q(s).execute(c)?;
    }
    let ex: Vec<ExpungedInsert> = rows
        .iter()
        .map(|r| ExpungedInsert {
            mailbox_id: mb.id,
            uid: r.uid,
            modseq,
            message_id: Some(r.message_id),
            expunged_at: now,
        })
        .collect();
    for chunk in ex.chunks(EXPUNGED_INSERT_CHUNK) {
        diesel::insert_into(expunged::table)
            .values(chunk)
            .execute(c)?;
    }
    let n = rows.len() as i64;
    let unseen = rows.iter().filter(|r| r.flags & SEEN == 0).count() as i64;
    let recent = rows.iter().filter(|r| r.flags & RECENT != 0).count() as i64;
    let size: i64 = rows.iter().map(|r| r.size).sum();
    diesel::update(mailboxes::table.find(mb.id))
        .set((
            mailboxes::highest_modseq.eq(modseq),
            mailboxes::message_count.eq(mailboxes::message_count - n),
            mailboxes::unseen_count.eq(mailboxes::unseen_count - unseen),
            mailboxes::recent_count.eq(mailboxes::recent_count - recent),
            mailboxes::total_size.eq(mailboxes::total_size - size),
        ))
        .execute(c)?;
    Ok(Expunged {
        modseq: modseq as u64,
        uids: rows.iter().map(|r| r.uid as u32).collect(),
    })
}

pub(crate) fn expunge(
    c: &mut Conn,
    mailbox: MailboxId,
    uids: &UidSet,
    only_deleted: bool,
) -> Result<Expunged> {
    let mb = locked(c, mailbox)?;
    let rows = source_rows(c, mb.id, uids, only_deleted)?;
    remove_rows(c, &mb, &rows)
}

pub(crate) fn copy(
    c: &mut Conn,
    src: MailboxId,
    uids: &UidSet,
    dst: MailboxId,
    is_move: bool,
) -> Result<(Copied, Expunged)> {
    // Lock in id order so that two opposite copies cannot deadlock.
    let (src_row, dst_row) = if src == dst {
        let r = locked(c, src)?;
        (r.clone(), r)
    } else if src < dst {
        let s = locked(c, src)?;
        (s, locked(c, dst)?)
    } else {
        let d = locked(c, dst)?;
        (locked(c, src)?, d)
    };
    let rows = source_rows(c, src_row.id, uids, false)?;
    if rows.is_empty() {
        let e = Expunged {
            modseq: src_row.highest_modseq as u64,
            uids: Vec::new(),
        };
        let copied = Copied {
            uidvalidity: dst_row.uidvalidity as u32,
            uid_map: Vec::new(),
            modseq: dst_row.highest_modseq as u64,
        };
        return Ok((copied, e));
    }
    let n = rows.len() as i64;
    let last_uid = dst_row.uidnext + n - 1;
    if last_uid >= i64::from(u32::MAX) {
        return Err(StoreError::UidsExhausted(dst));
    }
    // Keyword bits are per mailbox: translate through the names.
    let used = rows.iter().fold(0u64, |acc, r| acc | r.keywords as u64);
    let mut remap = [0u64; 64];
    if used != 0 {
        let src_names = keyword_list(c, src_row.id)?;
        let names: Vec<&str> = (0..64)
            .filter(|b| used & (1 << b) != 0)
            .filter_map(|b| src_names.get(b).map(String::as_str))
            .collect();
        let (_, dict) = keyword_mask(c, dst_row.id, names.iter().copied(), true)?;
        for (b, name) in src_names.iter().enumerate() {
            if let Some(&d) = dict.get(&name.to_ascii_lowercase()) {
                remap[b] = 1 << d;
            }
        }
    }
    let modseq = dst_row.highest_modseq + 1;
    // RFC 8514 §3: a copy is saved now, whatever the source's save date.
    let saved = crate::store::now_secs();
    let mut uid_map = Vec::with_capacity(rows.len());
    let mut inserts = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let uid = dst_row.uidnext + i as i64;
        let kw = (0..64)
            .filter(|b| r.keywords as u64 & (1 << b) != 0)
            .fold(0u64, |acc, b| acc | remap[b]);
        uid_map.push((r.uid as u32, uid as u32));
        inserts.push(MailboxMessageInsert {
            mailbox_id: dst_row.id,
            uid,
            message_id: r.message_id,
            // RFC 3501 §6.4.7: the copy SHOULD have \Recent set.
            flags: r.flags | RECENT,
            keywords: kw as i64,
            modseq,
            internal_date: r.internal_date,
            size: r.size,
            sent_day: r.sent_day,
            save_date: saved,
        });
    }
    for chunk in inserts.chunks(MM_INSERT_CHUNK) {
        diesel::insert_into(mailbox_messages::table)
            .values(chunk)
            .execute(c)?;
    }
    let unseen = rows.iter().filter(|r| r.flags & SEEN == 0).count() as i64;
    let size: i64 = rows.iter().map(|r| r.size).sum();
    diesel::update(mailboxes::table.find(dst_row.id))
        .set((
            mailboxes::uidnext.eq(last_uid + 1),
            mailboxes::highest_modseq.eq(modseq),
            mailboxes::message_count.eq(mailboxes::message_count + n),
            mailboxes::unseen_count.eq(mailboxes::unseen_count + unseen),
            mailboxes::recent_count.eq(mailboxes::recent_count + n),
            mailboxes::total_size.eq(mailboxes::total_size + size),
        ))
        .execute(c)?;
    let copied = Copied {
        uidvalidity: dst_row.uidvalidity as u32,
        uid_map,
        modseq: modseq as u64,
    };
    let expunged = if is_move {
        // Re-read: when source and destination are the same, the row just changed.
        let src_row = mailbox_row(c, src)?;
        remove_rows(c, &src_row, &rows)?
    } else {
        Expunged {
            modseq: src_row.highest_modseq as u64,
            uids: Vec::new(),
        }
    };
    Ok((copied, expunged))
}

// ---- garbage -----------------------------------------------------------------------------

pub(crate) fn purge_orphan_messages(c: &mut Conn, keep: &[MessageId]) -> Result<usize> {
    if !c.collection_turn()? {
        // Another instance is collecting: it will have removed these, or the next run will.
        return Ok(0);
    }
    if keep.is_empty() {
        return Ok(diesel::sql_query(
            "DELETE FROM messages WHERE NOT EXISTS \
             (SELECT 1 FROM mailbox_messages mm WHERE mm.message_id = messages.id)",
        )
        .execute(c)?);
    }
    // An orphan never gains a reference again (COPY and MOVE start from a
    // mailbox row), so listing them first and deleting by id is safe.
    let keep: std::collections::HashSet<i64> = keep.iter().map(|m| m.0).collect();
    let orphans: Vec<i64> = messages::table
        .filter(diesel::dsl::not(diesel::dsl::exists(
            mailbox_messages::table.filter(mailbox_messages::message_id.eq(messages::id)),
        )))
        .select(messages::id)
        .load::<i64>(c)?
        .into_iter()
        .filter(|id| !keep.contains(id))
        .collect();
    let mut purged = 0;
    for chunk in orphans.chunks(crate::backend::MAX_SINGLES_PER_STATEMENT) {
        purged += diesel::delete(messages::table.filter(messages::id.eq_any(chunk))).execute(c)?;
    }
    Ok(purged)
}

/// Which of `hashes` some message row references.
pub(crate) fn referenced_hashes(c: &mut Conn, hashes: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for chunk in hashes.chunks(crate::backend::MAX_SINGLES_PER_STATEMENT) {
        out.extend(
            messages::table
                .filter(messages::content_hash.eq_any(chunk))
                .select(messages::content_hash)
                .distinct()
                .load::<String>(c)?,
        );
    }
    Ok(out)
}

/// Stores bodies by hash (an existing one has its age refreshed), in one transaction.
pub(crate) fn blob_put(c: &mut Conn, bodies: &[(String, Vec<u8>)], now: i64) -> Result<()> {
    for (hash, data) in bodies {
        diesel::insert_into(blobs::table)
            .values((
                blobs::hash.eq(hash),
                blobs::data.eq(data),
                blobs::stored_at.eq(now),
            ))
            .on_conflict(blobs::hash)
            .do_update()
            .set(blobs::stored_at.eq(now))
            .execute(c)?;
    }
    Ok(())
}

pub(crate) fn blob_get(c: &mut Conn, hash: &str) -> Result<Option<Vec<u8>>> {
    Ok(blobs::table
        .find(hash)
        .select(blobs::data)
        .first::<Vec<u8>>(c)
        .optional()?)
}

/// Reads at most `len` bytes of a blob from byte `start` (0-based) without reading the rest
/// into memory (`substr` works on BLOB in SQLite and on bytea in PostgreSQL).
pub(crate) fn blob_get_range(
    c: &mut Conn,
    hash: &str,
    start: i32,
    len: i32,
) -> Result<Option<Vec<u8>>> {
    let mut s = Sql::new("SELECT substr(data, ");
    s.i32(start.saturating_add(1))
        .push(", ")
        .i32(len)
        .push(") AS data FROM blobs WHERE hash = ")
        .arg(Arg::Text(hash.to_owned()));
    Ok(q(s).load::<BlobData>(c)?.into_iter().next().map(|r| r.data))
}

/// Deletes the blobs stored before `cutoff` that no message references, in one statement.
pub(crate) fn blob_collect(c: &mut Conn, cutoff: i64) -> Result<usize> {
    if !c.collection_turn()? {
        return Ok(0);
    }
    let mut s = Sql::new("DELETE FROM blobs WHERE stored_at <= ");
    s.i64(cutoff)
        .push(" AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.content_hash = blobs.hash)");
    Ok(q(s).execute(c)?)
}
