// @generated-by-hand: kept in step with migrations/{sqlite,postgres}. The column types are the
// ones both backends map identically (ids are BIGINT everywhere).
//! Diesel table definitions shared by both backends.
#![allow(missing_docs, unreachable_pub)]

diesel::table! {
    users (id) {
        id -> BigInt,
        name -> Text,
        password_hash -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    mailboxes (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        special_use -> Nullable<Text>,
        uidvalidity -> BigInt,
        uidnext -> BigInt,
        highest_modseq -> BigInt,
        message_count -> BigInt,
        unseen_count -> BigInt,
        recent_count -> BigInt,
        total_size -> BigInt,
    }
}

diesel::table! {
    subscriptions (user_id, name) {
        user_id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        content_hash -> Text,
        size -> BigInt,
        internal_date -> BigInt,
        sent_date -> Nullable<BigInt>,
        envelope -> Binary,
        bodystructure -> Binary,
        subject -> Nullable<Text>,
        from_addr -> Nullable<Text>,
        to_addr -> Nullable<Text>,
        cc_addr -> Nullable<Text>,
        message_id_header -> Nullable<Text>,
    }
}

diesel::table! {
    mailbox_keywords (mailbox_id, bit) {
        mailbox_id -> BigInt,
        bit -> Integer,
        name -> Text,
    }
}

diesel::table! {
    mailbox_messages (mailbox_id, uid) {
        mailbox_id -> BigInt,
        uid -> BigInt,
        message_id -> BigInt,
        flags -> Integer,
        keywords -> BigInt,
        modseq -> BigInt,
    }
}

diesel::table! {
    expunged (mailbox_id, uid) {
        mailbox_id -> BigInt,
        uid -> BigInt,
        modseq -> BigInt,
    }
}

diesel::table! {
    blobs (hash) {
        hash -> Text,
        data -> Binary,
        stored_at -> BigInt,
    }
}

diesel::joinable!(mailboxes -> users (user_id));
diesel::joinable!(mailbox_messages -> mailboxes (mailbox_id));
diesel::joinable!(mailbox_messages -> messages (message_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    mailboxes,
    subscriptions,
    messages,
    mailbox_keywords,
    mailbox_messages,
    expunged,
    blobs,
);
