//! The IMAP4rev1 wire protocol for Hadron.
//!
//! This crate knows the grammar of IMAP (RFC 3501 and the extensions Hadron
//! speaks) and nothing else: no sockets, no async, no storage. It has three
//! layers, each in its own module:
//!
//! - [`types`]: the vocabulary — validated newtypes ([`types::Tag`],
//!   [`types::Mailbox`], [`types::SequenceSet`], ...) that cannot hold
//!   invalid protocol.
//! - [`parse`]: bytes → types, written with `nom`; every function carries its
//!   ABNF production.
//! - [`encode`]: types → bytes, choosing atom, quoted or literal by content.
//!
//! # Differences from imap-codec
//!
//! The command parser is tested against imap-codec `2.0.0-alpha.10` (strict,
//! no `quirk` features; with `ext_condstore_qresync`, `ext_id`,
//! `ext_namespace`, `ext_status_size` and `starttls`) in
//! `tests/differential_imap_codec.rs`: over more than 10,000 commands both
//! accept or both reject, and agree on what they parsed. These are the
//! intended exceptions, each an entry of that test's allow-list (by the
//! name in brackets) with examples it checks.
//!
//! Hadron rejects, imap-codec accepts:
//!
//! - Mailbox names and LIST patterns that are not valid modified UTF-7
//!   (RFC 3501 §5.1.3): bytes outside printable ASCII (8-bit names sent as
//!   literals), an unterminated `&` shift, bad modified base64, non-zero
//!   leftover bits, unpaired surrogates, printable ASCII encoded in a shift
//!   (`&AGE-`), two shifts back to back. imap-codec keeps names as raw bytes;
//!   Hadron decodes them to UTF-8 (see [`types::Mailbox`])
//!   \[`invalid-modified-utf7`\].
//! - Leading zeros in an `nz-number` (`01`, in sequence sets and section
//!   parts): the ABNF is `digit-nz *DIGIT` \[`nz-number-leading-zero`\].
//! - A `date-time` zone whose minutes are 60 or more (`+0160`)
//!   \[`zone-minutes-above-59`\].
//! - Year `0000` in a date or date-time (years are 1–9999) \[`year-zero`\].
//! - `STATUS mailbox ()` and `FETCH set ()`: the ABNF needs at least one
//!   item \[`empty-status-list`, `empty-fetch-list`\].
//! - Mod-sequences above 2^63 − 1 (RFC 7162 makes them 63-bit)
//!   \[`mod-sequence-above-63-bits`\].
//! - More than one `UNCHANGEDSINCE` in a STORE (RFC 7162 allows one)
//!   \[`several-unchangedsince`\].
//! - `AUTHENTICATE mech SP` with nothing after the space: an empty SASL-IR
//!   initial response is written `=` (RFC 4959) \[`sasl-ir-empty-without-equals`\].
//! - Quota limits above 2^63 − 1 in SETQUOTA (RFC 9208's `number64`)
//!   \[`quota-limit-above-63-bits`\].
//! - What Hadron does not speak: the `DELETED-STORAGE` status item
//!   \[`imap-codec-only-extension`\].
//!
//! Hadron accepts, imap-codec rejects:
//!
//! - `date-time` zones of ±24:00 up to ±99:59 (the grammar's four digits;
//!   chrono's offsets stop below a day) \[`zone-beyond-23:59`\].
//! - A leap second, `23:59:60` (as RFC 5322 allows) \[`leap-second`\].
//! - Search keys nested deeper than 9 levels: imap-codec's fixed limit;
//!   Hadron's is [`parse::ParseLimits::max_search_depth`] (64 by default),
//!   and with 9 it rejects the same inputs \[`search-deeper-than-9`\].
//! - `COMPRESS` with any atom, not only `DEFLATE` (the server answers BAD)
//!   \[`compress-any-atom`\].
//! - What imap-codec does not speak: LIST-EXTENDED and LIST-STATUS, CREATE
//!   with SPECIAL-USE, `SEARCH RETURN (...)` (ESEARCH), `$` (SEARCHRES),
//!   MULTIAPPEND, OBJECTID (the `MAILBOXID` status item, the `EMAILID`
//!   and `THREADID` fetch items and search keys), the `APPENDLIMIT`
//!   status item (RFC 7889), UNAUTHENTICATE (RFC 8437), SAVEDATE (RFC
//!   8514: the `SAVEDATE` fetch item and the `SAVED*` search keys) and
//!   PREVIEW (RFC 8970: the `PREVIEW` fetch item and its `LAZY` modifier)
//!   and CATENATE (RFC 4469: `APPEND ... CATENATE (TEXT ... URL ...)`)
//!   \[`hadron-only-extension`\].
//!
//! Where both accept, the test compares them after normalising: mailbox
//! names decoded (and `INBOX` in any case is `INBOX`), system flags,
//! capabilities, SASL mechanisms and thread algorithms compared by name
//! case-insensitively, quoted strings unescaped, the SASL-IR decoded.
#![forbid(unsafe_code)]

mod base64;
pub mod encode;
pub mod framing;
pub mod parse;
#[cfg(feature = "testing")]
pub mod testing;
pub mod types;
