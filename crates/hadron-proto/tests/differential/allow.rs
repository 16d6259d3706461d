//! The intended differences between Hadron and imap-codec (strict), the same
//! list as "Differences from imap-codec" in the crate docs.
//!
//! Each entry says which side accepts, decides from the two parse results
//! (never from the mere fact that they disagree) whether an input falls
//! under it, and carries an example that the test checks.

use hadron_proto::parse::{self, ParseLimits};

use super::{codec, hadron};

/// Which parser accepts an input the other rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepts {
    /// Hadron accepts, imap-codec rejects.
    Hadron,
    /// imap-codec accepts, Hadron rejects.
    Codec,
}

/// One input and what each side made of it.
pub(crate) struct Case<'a> {
    /// The complete command, tag to CRLF.
    pub(crate) input: &'a [u8],
    /// Hadron's canonical form and facts, if it accepted.
    pub(crate) hadron: Option<(String, hadron::Facts)>,
    /// imap-codec's canonical form and facts, if it accepted.
    pub(crate) codec: Option<(String, codec::Facts)>,
}

/// An intended difference.
pub(crate) struct Difference {
    /// Short name, as in the crate docs.
    pub(crate) name: &'static str,
    /// Which side accepts.
    pub(crate) accepts: Accepts,
    /// Whether a disagreement on this case is this difference.
    pub(crate) applies: fn(&Case<'_>) -> bool,
    /// Inputs that show it.
    pub(crate) examples: &'static [&'static [u8]],
}

fn codec_facts<'c>(case: &'c Case<'_>) -> &'c codec::Facts {
    &case.codec.as_ref().expect("codec accepted").1
}

fn hadron_facts<'c>(case: &'c Case<'_>) -> &'c hadron::Facts {
    &case.hadron.as_ref().expect("hadron accepted").1
}

/// `(end of the zone, zone hours, zone minutes)` of every `date-time` in
/// the input.
fn date_time_zones(input: &[u8]) -> Vec<(usize, u32, u32)> {
    // `"dd-Mon-yyyy hh:mm:ss +zzzz"`: the zone is the 5 bytes before the
    // closing quote, following `ss `.
    let mut zones = Vec::new();
    for end in 0..input.len() {
        if input[end] != b'"' || end < 26 {
            continue;
        }
        let z = &input[end - 5..end];
        let t = &input[end - 14..end - 6];
        let is_digit = |b: &u8| b.is_ascii_digit();
        if (z[0] == b'+' || z[0] == b'-')
            && z[1..].iter().all(is_digit)
            && input[end - 6] == b' '
            && t[2] == b':'
            && t[5] == b':'
        {
            let n = |s: &[u8]| std::str::from_utf8(s).unwrap().parse::<u32>().unwrap();
            zones.push((end, n(&z[1..3]), n(&z[3..5])));
        }
    }
    zones
}

/// The input with leading zeros dropped from every number after the tag:
/// a run of digits between a space or `,` `:` `.` `<` `{` `(` `[` and a
/// space or `,` `:` `.` `>` `}` `)` `]` CR (where the grammar has numbers;
/// digits inside atoms such as `x06_` stay).
fn strip_leading_zeros(input: &[u8]) -> Option<Vec<u8>> {
    // The tag is text, not a number: leave it alone.
    let tag_end = input.iter().position(|&b| b == b' ')?;
    let mut out = input[..tag_end].to_vec();
    let mut changed = false;
    let mut i = tag_end;
    while i < input.len() {
        let run = input[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let is_number = run > 1
            && input[i] == b'0'
            && b" ,:.<{([".contains(&input[i - 1])
            && input
                .get(i + run)
                .is_some_and(|b| b" ,:.>})]\r".contains(b));
        if is_number {
            let zeros = input[i..i + run - 1]
                .iter()
                .take_while(|&&b| b == b'0')
                .count();
            out.extend_from_slice(&input[i + zeros..i + run]);
            changed = true;
            i += run;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    changed.then_some(out)
}

/// The input with every `date-time` zone whose minutes are 60 or more
/// rewritten as the same offset in proper `hhmm` (`+0160` → `+0200`).
fn carry_zone_minutes(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = input.to_vec();
    let mut changed = false;
    for (end, hours, minutes) in date_time_zones(input) {
        if minutes > 59 {
            let total = hours * 60 + minutes;
            let fixed = format!("{:02}{:02}", total / 60, total % 60);
            if fixed.len() == 4 {
                out[end - 4..end].copy_from_slice(fixed.as_bytes());
                changed = true;
            }
        }
    }
    changed.then_some(out)
}

/// Whether `repair` turns the input into one Hadron accepts with exactly
/// what imap-codec made of the original: proof that the repaired spelling
/// was the only reason Hadron rejected it.
fn only_because(case: &Case<'_>, repair: fn(&[u8]) -> Option<Vec<u8>>) -> bool {
    let Some((codec_canon, _)) = &case.codec else {
        return false;
    };
    let Some(repaired) = repair(case.input) else {
        return false;
    };
    parse::command(&repaired, &ParseLimits::default())
        .is_ok_and(|cmd| &hadron::canon(&cmd).0 == codec_canon)
}

fn search_too_deep(case: &Case<'_>) -> bool {
    // imap-codec stops at 9 levels; Hadron with the same limit agrees.
    let limits = ParseLimits {
        max_search_depth: 9,
        ..ParseLimits::default()
    };
    hadron_facts(case).search_depth > 9 && parse::command(case.input, &limits).is_err()
}

/// Every intended difference.
pub(crate) const DIFFERENCES: &[Difference] = &[
    Difference {
        name: "nz-number-leading-zero",
        accepts: Accepts::Codec,
        applies: |c| only_because(c, strip_leading_zeros),
        examples: &[b"a FETCH 01:002 FLAGS\r\n"],
    },
    Difference {
        name: "zone-minutes-above-59",
        accepts: Accepts::Codec,
        applies: |c| only_because(c, carry_zone_minutes),
        examples: &[b"a APPEND INBOX \"01-Jan-2024 00:00:00 +0160\" {1+}\r\nx\r\n"],
    },
    Difference {
        name: "year-zero",
        accepts: Accepts::Codec,
        applies: |c| codec_facts(c).year_zero,
        examples: &[b"a SEARCH SINCE 1-Jan-0000\r\n"],
    },
    Difference {
        name: "empty-status-list",
        accepts: Accepts::Codec,
        applies: |c| codec_facts(c).empty_status,
        examples: &[b"a STATUS INBOX ()\r\n"],
    },
    Difference {
        name: "empty-fetch-list",
        accepts: Accepts::Codec,
        applies: |c| codec_facts(c).empty_fetch,
        examples: &[b"a FETCH 1 ()\r\n"],
    },
    Difference {
        name: "mod-sequence-above-63-bits",
        accepts: Accepts::Codec,
        applies: |c| codec_facts(c).modseq_above_63_bits,
        examples: &[b"a FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)\r\n"],
    },
    Difference {
        name: "quota-limit-above-63-bits",
        accepts: Accepts::Codec,
        applies: |c| codec_facts(c).quota_limit_above_63_bits,
        examples: &[b"a SETQUOTA \"\" (STORAGE 9223372036854775808)\r\n"],
    },
    Difference {
        name: "several-unchangedsince",
        accepts: Accepts::Codec,
        applies: |c| codec_facts(c).several_store_modifiers,
        examples: &[b"a STORE 1 (UNCHANGEDSINCE 5 UNCHANGEDSINCE 6) +FLAGS (\\Seen)\r\n"],
    },
    Difference {
        name: "sasl-ir-empty-without-equals",
        accepts: Accepts::Codec,
        applies: |c| codec_facts(c).empty_initial_response && !c.input.ends_with(b" =\r\n"),
        examples: &[b"a AUTHENTICATE PLAIN \r\n"],
    },
    Difference {
        name: "imap-codec-only-extension",
        accepts: Accepts::Codec,
        applies: |c| codec_facts(c).extension.is_some(),
        examples: &[b"a STATUS INBOX (DELETED-STORAGE)\r\n"],
    },
    Difference {
        name: "zone-beyond-23:59",
        accepts: Accepts::Hadron,
        applies: |c| hadron_facts(c).zone_beyond_day,
        examples: &[b"a APPEND INBOX \"01-Jan-2024 00:00:00 +2400\" {1+}\r\nx\r\n"],
    },
    Difference {
        name: "leap-second",
        accepts: Accepts::Hadron,
        applies: |c| hadron_facts(c).leap_second,
        examples: &[b"a APPEND INBOX \"31-Dec-2016 23:59:60 +0000\" {1+}\r\nx\r\n"],
    },
    Difference {
        name: "search-deeper-than-9",
        accepts: Accepts::Hadron,
        applies: search_too_deep,
        examples: &[b"a SEARCH NOT NOT NOT NOT NOT NOT NOT NOT NOT SEEN\r\n"],
    },
    Difference {
        name: "compress-any-atom",
        accepts: Accepts::Hadron,
        applies: |c| hadron_facts(c).compress_other,
        examples: &[b"a COMPRESS GZIP\r\n"],
    },
    Difference {
        name: "hadron-only-extension",
        accepts: Accepts::Hadron,
        applies: |c| hadron_facts(c).extension.is_some(),
        examples: &[
            b"a LIST (SUBSCRIBED) \"\" \"*\" RETURN (CHILDREN)\r\n",
            b"a SEARCH RETURN (MIN COUNT) UNSEEN\r\n",
            b"a FETCH $ FLAGS\r\n",
            b"a CREATE Drafts (USE (\\Drafts))\r\n",
            b"a APPEND INBOX {1+}\r\nx {1+}\r\ny\r\n",
            b"a STATUS INBOX (MESSAGES MAILBOXID)\r\n",
            b"a STATUS INBOX (APPENDLIMIT)\r\n",
            b"a FETCH 1 (EMAILID THREADID)\r\n",
            b"a UID SEARCH EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9\r\n",
            b"a FETCH 1 (UID SAVEDATE)\r\n",
            b"a SEARCH SAVEDSINCE 28-Dec-2014 SAVEDATESUPPORTED\r\n",
            b"a FETCH 1 (RFC822.SIZE PREVIEW)\r\n",
            b"a FETCH 1:4 (PREVIEW (LAZY))\r\n",
            b"a UNAUTHENTICATE\r\n",
            b"a APPEND INBOX CATENATE (URL \"/INBOX/;UID=1\" TEXT {1+}\r\nx)\r\n",
        ],
    },
];

/// The intended difference a disagreement falls under, if any.
pub(crate) fn classify(case: &Case<'_>) -> Option<&'static Difference> {
    let accepts = match (&case.hadron, &case.codec) {
        (Some(_), None) => Accepts::Hadron,
        (None, Some(_)) => Accepts::Codec,
        _ => return None,
    };
    DIFFERENCES
        .iter()
        .filter(|d| d.accepts == accepts)
        .find(|d| (d.applies)(case))
}
