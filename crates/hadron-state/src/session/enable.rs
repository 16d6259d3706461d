//! ENABLE (RFC 5161): the extensions a client has turned on for its
//! connection.
//!
//! A few extensions change what the server may send without being asked
//! (CONDSTORE's `MODSEQ` in unsolicited FETCH responses, QRESYNC's
//! `VANISHED`, UTF8=ACCEPT's UTF-8 strings), so the server may use them only
//! once the client has said it understands them. ENABLE is how it says so,
//! and what it turns on lasts until the connection closes. Each
//! [`Session`](super::Session) owns one [`Enabled`] set; the server layer
//! never sees it.
//!
//! The command itself (RFC 5161 §3.1) is valid in the Authenticated state
//! only: before LOGIN it is `BAD`, and with a mailbox selected it is `BAD`
//! as well (clients must not send it after SELECT, and an extension such as
//! QRESYNC cannot take effect on a mailbox already open). Names the server
//! does not know, or knows but does not let clients enable, are ignored;
//! `* ENABLED` lists what this command newly enabled — possibly nothing —
//! and the tagged response is `OK`.
//!
//! **Plugging in an extension**: add its [`Capability`] to [`ENABLEABLE`]
//! and to [`Session::capabilities`](super::Session::capabilities), then
//! have the handlers whose output it changes check
//! `self.enabled.contains(&…)`. CONDSTORE and QRESYNC (RFC 7162) are the
//! ones so far; `ENABLE QRESYNC` turns CONDSTORE on too (without listing
//! it), and CONDSTORE is also turned on by the commands that use it (see
//! `session/condstore.rs`).

use hadron_proto::types::Capability;

/// The extensions this engine lets a client turn on with ENABLE.
pub const ENABLEABLE: &[Capability<'static>] = &[Capability::CondStore, Capability::QResync];

/// The extensions one session has enabled, in the order they were enabled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enabled {
    caps: Vec<Capability<'static>>,
}

impl Enabled {
    /// Whether `cap` is enabled.
    pub fn contains(&self, cap: &Capability<'_>) -> bool {
        self.caps.iter().any(|c| c == cap)
    }

    /// The enabled extensions, in the order they were enabled.
    pub fn iter(&self) -> impl Iterator<Item = &Capability<'static>> {
        self.caps.iter()
    }

    /// Whether nothing is enabled.
    pub fn is_empty(&self) -> bool {
        self.caps.is_empty()
    }

    /// Enables each of `requested` that is in `enableable` and not enabled
    /// yet; returns those, in request order without repeats (the content of
    /// `* ENABLED`). Everything else is ignored, as RFC 5161 §3.1 requires.
    /// Known capabilities compare case-insensitively (they are variants).
    pub(crate) fn enable(
        &mut self,
        requested: &[Capability<'_>],
        enableable: &[Capability<'static>],
    ) -> Vec<Capability<'static>> {
        let mut newly = Vec::new();
        for cap in requested {
            if let Some(allowed) = enableable.iter().find(|e| *e == cap)
                && !self.contains(allowed)
            {
                self.caps.push(allowed.clone());
                newly.push(allowed.clone());
            }
        }
        newly
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadron_proto::types::Atom;

    fn cap(name: &str) -> Capability<'static> {
        Capability::from_atom(Atom::try_from(name.to_owned()).unwrap())
    }

    #[test]
    fn only_enableable_capabilities_are_enabled_once() {
        let allowed = [Capability::CondStore, Capability::Utf8Accept];
        let mut e = Enabled::default();
        let asked = [
            cap("condstore"),
            cap("X-UNKNOWN"),
            cap("IDLE"),
            cap("CONDSTORE"),
        ];
        assert_eq!(e.enable(&asked, &allowed), [Capability::CondStore]);
        assert!(e.contains(&Capability::CondStore));
        assert!(!e.contains(&Capability::Idle));
        // Already enabled: not listed again.
        let asked = [cap("UTF8=ACCEPT"), cap("CONDSTORE")];
        assert_eq!(e.enable(&asked, &allowed), [Capability::Utf8Accept]);
        let all: Vec<_> = e.iter().cloned().collect();
        assert_eq!(all, [Capability::CondStore, Capability::Utf8Accept]);
    }

    #[test]
    fn condstore_and_qresync_are_enableable() {
        let mut e = Enabled::default();
        let newly = e.enable(
            &[cap("qresync"), cap("UTF8=ACCEPT"), cap("CONDSTORE")],
            ENABLEABLE,
        );
        assert_eq!(newly, [Capability::QResync, Capability::CondStore]);
        assert!(!e.contains(&Capability::Utf8Accept));
    }
}
