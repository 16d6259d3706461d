//! The full-text index of SEARCH BODY and TEXT (`Store::text_hits`) against a brute-force
//! substring test of the same text, on both backends.

#[macro_use]
mod common;

use common::msg;
use hadron_store::{IndexText, NewMessage, SystemFlags, TextHits, TextScope, UidSet};

/// A small xorshift generator: the same texts on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A message whose index text is `header` and `body` (already lowercase, as the caller
/// gives it).
fn with_text(i: u32, header: &str, body: &str) -> NewMessage {
    let mut m = msg(i, SystemFlags::EMPTY, &[]);
    m.text = Some(IndexText {
        header: header.to_owned(),
        body: body.to_owned(),
    });
    m
}

/// The UIDs (1-based positions in `texts`) whose scope contains `needle`.
fn brute_force(texts: &[(String, String)], scope: TextScope, needle: &str) -> Vec<u32> {
    (1..)
        .zip(texts)
        .filter(|(_, (header, body))| {
            body.contains(needle) || (scope == TextScope::HeaderOrBody && header.contains(needle))
        })
        .map(|(uid, _)| uid)
        .collect()
}

both! {
    fn index_answers_exactly_as_a_substring_scan(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let b = s.create_mailbox(u, "B", None).unwrap().id;
        // The characters each backend's query syntax treats specially (FTS5's quote, LIKE's
        // wildcards and escape), line breaks, and multi-byte ones of every length.
        let alphabet: Vec<char> = "abcxy 1\"%_\\*'\n\té߀😀σ".chars().collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let text = |rng: &mut Rng, max: usize| -> String {
            let len = rng.below(max);
            (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect()
        };
        let texts: Vec<(String, String)> = (0..300)
            .map(|_| (text(&mut rng, 40), text(&mut rng, 120)))
            .collect();
        let batch: Vec<_> = (0..)
            .zip(&texts)
            .map(|(i, (header, body))| with_text(i, header, body))
            .collect();
        s.append(a, batch.clone()).unwrap();
        // The same messages in another mailbox are not this mailbox's hits.
        s.append(b, batch[..100].to_vec()).unwrap();
        let mut needles: Vec<String> = vec!["\"\"\"".into(), "%%%".into(), "_\\_".into(), "zzz".into()];
        for _ in 0..300 {
            let (header, body) = &texts[rng.below(texts.len())];
            let chars: Vec<char> = if rng.below(3) == 0 { header } else { body }.chars().collect();
            if chars.len() < 3 {
                continue;
            }
            let len = 3 + rng.below(chars.len().min(8) - 2);
            let at = rng.below(chars.len() - len + 1);
            needles.push(chars[at..at + len].iter().collect());
            // And one that is likely in no text at all.
            needles.push(text(&mut rng, 6) + "abc");
        }
        let mut matched = 0;
        for needle in &needles {
            for scope in [TextScope::Body, TextScope::HeaderOrBody] {
                let hits = s.text_hits(a, scope, needle).unwrap().expect("a trigram needle");
                assert_eq!(hits.found, brute_force(&texts, scope, needle), "{scope:?} {needle:?}");
                assert!(hits.unindexed.is_empty());
                matched += hits.found.len();
            }
        }
        assert!(matched > needles.len(), "the needles find something: {matched}");
        // Fewer than three characters (of any width) or a NUL: the index cannot say.
        for needle in ["", "ab", "😀σ", "a\0b"] {
            assert_eq!(s.text_hits(a, TextScope::Body, needle).unwrap(), None, "{needle:?}");
        }
    }

    fn messages_outside_the_index_are_listed_for_the_caller(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let b = s.create_mailbox(u, "B", None).unwrap().id;
        let mut no_text = msg(1, SystemFlags::EMPTY, &[]);
        no_text.text = None;
        let too_long = with_text(2, "", &"needle ".repeat(IndexText::MAX_BYTES / 7 + 1));
        let nul = with_text(3, "", "needle\0");
        s.append(
            a,
            vec![with_text(0, "subject: needle", "body"), no_text, too_long, nul, with_text(4, "", "a needle")],
        )
        .unwrap();
        let body = s.text_hits(a, TextScope::Body, "needle").unwrap().unwrap();
        assert_eq!(body, TextHits { found: vec![5], unindexed: vec![2, 3, 4] });
        let text = s.text_hits(a, TextScope::HeaderOrBody, "needle").unwrap().unwrap();
        assert_eq!(text.found, [1, 5]);
        // A copy shares the message, and its place in the index.
        s.copy(a, &UidSet::all(), b).unwrap();
        let copied = s.text_hits(b, TextScope::HeaderOrBody, "needle").unwrap().unwrap();
        assert_eq!(copied, TextHits { found: vec![1, 5], unindexed: vec![2, 3, 4] });
        // As for rows stored before the index: every message listed, none found.
        hadron_store::testing::forget_text_index(s, a);
        let forgotten = s.text_hits(a, TextScope::HeaderOrBody, "needle").unwrap().unwrap();
        assert_eq!(forgotten, TextHits { found: vec![], unindexed: vec![1, 2, 3, 4, 5] });
    }

    fn the_background_indexer_takes_what_waits(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let mut batch: Vec<NewMessage> = (0..4).map(|i| msg(i, SystemFlags::EMPTY, &[])).collect();
        batch[3] = with_text(3, "", "given at append");
        s.append(a, batch).unwrap();
        let pending = s.pending_texts(10).unwrap();
        assert_eq!(pending.len(), 3, "the messages appended without text: {pending:?}");
        let fetched = s.fetch_messages(a, &UidSet::range(1, 3)).unwrap();
        for ((id, hash), row) in pending.iter().zip(&fetched) {
            assert_eq!((id, hash), (&row.message, &row.meta.content_hash));
        }
        assert_eq!(s.pending_texts(2).unwrap(), pending[..2], "oldest first, at most the limit");
        let hits = s.text_hits(a, TextScope::Body, "words").unwrap().unwrap();
        assert_eq!(hits, TextHits { found: vec![], unindexed: vec![1, 2, 3] });
        // Message 1 gets its text, 2 none (its body could not be read), 3 is deleted meanwhile.
        let (one, two, three) = (pending[0].0, pending[1].0, pending[2].0);
        s.expunge(a, &UidSet::range(3, 3)).unwrap();
        assert_eq!(s.purge_orphan_messages().unwrap(), 1);
        let texts = vec![
            (one, Some(IndexText { header: String::new(), body: "indexed words".into() })),
            (two, None),
            (three, Some(IndexText { header: String::new(), body: "gone words".into() })),
        ];
        assert_eq!(s.index_texts(texts.clone()).unwrap(), 1);
        let hits = s.text_hits(a, TextScope::Body, "words").unwrap().unwrap();
        assert_eq!(hits, TextHits { found: vec![1], unindexed: vec![2] });
        assert_eq!(s.pending_texts(10).unwrap(), [], "2 is not offered again");
        // Indexing the same messages again (another instance did) changes nothing.
        assert_eq!(s.index_texts(texts).unwrap(), 0);
        let again = s.text_hits(a, TextScope::Body, "words").unwrap().unwrap();
        assert_eq!(again, hits);
    }

    fn a_purged_message_leaves_the_index(db) {
        let s = db.store();
        let u = s.create_user("u", "h").unwrap();
        let gone = s.create_mailbox(u, "Gone", None).unwrap().id;
        s.append(gone, vec![with_text(0, "", "purged words"), with_text(1, "", "purged too")])
            .unwrap();
        s.delete_mailbox(u, "Gone").unwrap();
        assert_eq!(s.purge_orphan_messages().unwrap(), 2);
        // SQLite may give the new rows the purged ones' ids: no index entry may be left over
        // under them.
        let a = s.create_mailbox(u, "A", None).unwrap().id;
        let mut legacy = msg(7, SystemFlags::EMPTY, &[]);
        legacy.text = None;
        s.append(a, vec![legacy, with_text(8, "", "fresh words")]).unwrap();
        let hits = s.text_hits(a, TextScope::Body, "purged").unwrap().unwrap();
        assert_eq!(hits, TextHits { found: vec![], unindexed: vec![1] });
        let hits = s.text_hits(a, TextScope::Body, "words").unwrap().unwrap();
        assert_eq!(hits.found, [2]);
    }
}
