-- A trigram index of the header fields SEARCH reads as text (FROM, TO, CC, SUBJECT): FTS5
-- answers "which messages may contain this substring" from the index instead of a scan of
-- the mailbox. Contentless (the text stays in `messages`), one row per message, rowid =
-- messages.id, kept in step by the triggers below.
--
-- FTS5 folds case with Unicode's simple case folding; SEARCH folds with Rust's
-- `char::to_lowercase`. For ASCII search strings the index is used only as a superset of the
-- true matches, and the two foldings agree on every character whose lowercase holds an ASCII
-- letter except U+0130 (capital I with dot above, lowercase "i" + U+0307), which FTS5 leaves
-- as is: it is indexed as "I" (and U+212A, the Kelvin sign, as "K", which FTS5 already folds
-- to "k"). The store's tests check both claims.
CREATE VIRTUAL TABLE message_text USING fts5 (
    subject, from_addr, to_addr, cc_addr,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);

INSERT INTO message_text (rowid, subject, from_addr, to_addr, cc_addr)
SELECT id,
       replace(replace(subject, char(304), 'I'), char(8490), 'K'),
       replace(replace(from_addr, char(304), 'I'), char(8490), 'K'),
       replace(replace(to_addr, char(304), 'I'), char(8490), 'K'),
       replace(replace(cc_addr, char(304), 'I'), char(8490), 'K')
FROM messages;

CREATE TRIGGER messages_text_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_text (rowid, subject, from_addr, to_addr, cc_addr)
    VALUES (new.id,
            replace(replace(new.subject, char(304), 'I'), char(8490), 'K'),
            replace(replace(new.from_addr, char(304), 'I'), char(8490), 'K'),
            replace(replace(new.to_addr, char(304), 'I'), char(8490), 'K'),
            replace(replace(new.cc_addr, char(304), 'I'), char(8490), 'K'));
END;

CREATE TRIGGER messages_text_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_text WHERE rowid = old.id;
END;
