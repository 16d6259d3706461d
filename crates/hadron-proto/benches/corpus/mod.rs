//! A realistic command corpus: what desktop and mobile clients send most.
//!
//! Shared by the parser benchmark and the differential test, so both measure
//! and check the same grammar.

/// The corpus, one complete command per entry (tag to CRLF, literals inline).
///
/// Every entry uses only RFC 3501 grammar plus LITERAL+ (so that an APPEND
/// is one buffer), which both Hadron and imap-codec accept.
pub(crate) fn commands() -> Vec<Vec<u8>> {
    let mut corpus: Vec<Vec<u8>> = [
        // Thunderbird's header fetch after SELECT.
        "a001 UID FETCH 1:5000 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n",
        // Flag resync.
        "a002 FETCH 1:* (FLAGS UID)\r\n",
        "a003 UID FETCH 1200:* (UID FLAGS)\r\n",
        // Opening one message: parts with partials and MIME headers.
        "a004 UID FETCH 4711 (BODY.PEEK[1.2]<0.2048> BODY.PEEK[1.MIME] BODY.PEEK[2.HEADER] RFC822.SIZE)\r\n",
        "a005 UID FETCH 4711 (BODYSTRUCTURE ENVELOPE INTERNALDATE)\r\n",
        "a006 FETCH 10,12,15:20 BODY[]\r\n",
        // Searches with nested keys.
        "a007 UID SEARCH CHARSET UTF-8 OR (FROM \"alice@example.com\" SINCE 1-Jan-2024) (NOT SEEN UNDELETED SUBJECT \"quarterly report\") LARGER 1000\r\n",
        "a008 UID SEARCH UNSEEN NOT DELETED\r\n",
        "a009 SEARCH OR OR FLAGGED ANSWERED KEYWORD $Important BEFORE 31-Dec-2023 HEADER \"List-Id\" \"dev.lists.example.org\"\r\n",
        "a010 UID SEARCH UID 1000:2000,3000:* NOT (OR TO bob CC bob) TEXT \"invoice\"\r\n",
        // Flag changes.
        "a011 UID STORE 1:100,205,300:310 +FLAGS.SILENT (\\Seen $Forwarded)\r\n",
        "a012 STORE 42 -FLAGS (\\Flagged)\r\n",
        "a013 UID STORE 77 FLAGS (\\Seen \\Answered NonJunk)\r\n",
        // Mailbox browsing.
        "a014 LIST \"\" \"*\"\r\n",
        "a015 LIST \"\" \"INBOX/%\"\r\n",
        "a016 LSUB \"\" \"*\"\r\n",
        "a017 STATUS \"Archive/2024\" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)\r\n",
        "a018 SELECT INBOX\r\n",
        "a019 UID COPY 1:5 \"Sent Items\"\r\n",
        "a020 NOOP\r\n",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    corpus.push(append_with_body(50 * 1024));
    corpus
}

/// An APPEND of a generated message of about `size` bytes, sent with
/// LITERAL+ so the command is one buffer.
pub(crate) fn append_with_body(size: usize) -> Vec<u8> {
    let mut message = String::from(
        "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\n\
         Subject: Quarterly report\r\nDate: Tue, 5 Mar 2024 10:00:00 +0100\r\n\
         Message-ID: <1234@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n",
    );
    let line = "The quick brown fox jumps over the lazy dog, again and again.\r\n";
    while message.len() + line.len() <= size {
        message.push_str(line);
    }
    let mut cmd = format!(
        "a021 APPEND Sent (\\Seen) \" 5-Mar-2024 10:00:00 +0100\" {{{}+}}\r\n",
        message.len()
    )
    .into_bytes();
    cmd.extend_from_slice(message.as_bytes());
    cmd.extend_from_slice(b"\r\n");
    cmd
}
