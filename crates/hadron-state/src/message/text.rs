//! Decoded text of a message's `text/*` parts, for SEARCH BODY and TEXT.
//!
//! Each text part (including those inside attached messages) is decoded
//! from its transfer encoding and converted from its charset to UTF-8,
//! one part at a time, lazily: a caller matching a search key can stop at
//! the first hit, and a bound on the bytes decoded keeps hostile mail cheap.

use super::charset;
use super::partmap::{PartContent, PartMap, PartNode};

/// Iterator over the decoded text parts of a message; see
/// [`PartMap::text_parts`].
#[derive(Debug)]
pub struct TextParts<'a> {
    raw: &'a [u8],
    parts: std::vec::IntoIter<&'a PartNode>,
    budget: usize,
}

fn collect<'a>(node: &'a PartNode, out: &mut Vec<&'a PartNode>) {
    match &node.content {
        PartContent::Leaf => {
            if node.text_charset.is_some() {
                out.push(node);
            }
        }
        PartContent::Multipart(parts) => parts.iter().for_each(|p| collect(p, out)),
        PartContent::Message(inner) => collect(inner, out),
    }
}

impl PartMap {
    /// The decoded text of each `text/*` part of `raw`, in order, reading
    /// at most `max_encoded` bytes of encoded body in total (a part that
    /// would exceed it is cut there).
    pub fn text_parts<'a>(&'a self, raw: &'a [u8], max_encoded: usize) -> TextParts<'a> {
        let mut parts = Vec::new();
        collect(&self.root, &mut parts);
        TextParts {
            raw,
            parts: parts.into_iter(),
            budget: max_encoded,
        }
    }
}

impl PartNode {
    /// The text of this `text/*` part of `raw`: its body, at most `max_encoded` bytes of it,
    /// decoded from its transfer encoding and converted from its charset to UTF-8. Also
    /// returns how many encoded bytes it read. The one decoder of SEARCH's text and the
    /// preview (`super::preview`).
    pub(crate) fn decoded_text(&self, raw: &[u8], max_encoded: usize) -> (String, usize) {
        let start = (self.body_start as usize).min(raw.len());
        let end = (self.body_end as usize).clamp(start, raw.len());
        let end = end.min(start.saturating_add(max_encoded));
        let decoded = self.encoding.decode(&raw[start..end]);
        let cs = self.text_charset.as_deref().unwrap_or_default();
        (charset::decode(cs.as_bytes(), &decoded), end - start)
    }
}

impl Iterator for TextParts<'_> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if self.budget == 0 {
            return None;
        }
        let node = self.parts.next()?;
        let (text, read) = node.decoded_text(self.raw, self.budget);
        self.budget -= read;
        Some(text)
    }
}
