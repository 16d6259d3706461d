//! Which command runs in which state (RFC 3501 §3, §6): `Session::execute`
//! hands a command to the family of its state — any state, not
//! authenticated, authenticated (also valid when selected), selected — and
//! each family either runs it or gives it back; what no family takes is
//! refused with the reason ([`refusal`]).

use hadron_proto::types::{
    Atom, Capability, Code, CommandBody, Data, Response, StatusItem, StatusKind, StatusValue, Tag,
};

use super::output::{Output, ResponseSink, data, resp_text, tagged};
use super::{ENABLEABLE, Session, State, no_for};
use crate::delivery::CommandContext;

/// A command no family of the current state took: the tagged `BAD` or
/// `NO` that says why.
pub(super) fn refusal(tag: &Tag<'_>, state: State, body: &CommandBody<'_>) -> Output {
    let name = body.name();
    let base = name.strip_prefix("UID ").unwrap_or(name);
    let (kind, why) = match state {
        State::NotAuthenticated if name != "LOGIN" => {
            (StatusKind::Bad, format!("{name} needs LOGIN first"))
        }
        State::Authenticated | State::NotAuthenticated
            if matches!(
                base,
                "CHECK"
                    | "CLOSE"
                    | "UNSELECT"
                    | "EXPUNGE"
                    | "FETCH"
                    | "STORE"
                    | "COPY"
                    | "MOVE"
                    | "SEARCH"
                    | "SORT"
                    | "THREAD"
                    | "CANCELUPDATE"
            ) =>
        {
            (StatusKind::Bad, format!("{name} needs a selected mailbox"))
        }
        _ if name == "LOGIN" => (StatusKind::Bad, "already logged in".to_owned()),
        _ => (
            StatusKind::No,
            format!("{name} is not supported by this engine"),
        ),
    };
    tagged(tag, kind, None, why)
}

/// The special use a CREATE may give its mailbox (RFC 6154 §3,
/// CREATE-SPECIAL-USE): none, or one of the attributes a real mailbox can
/// carry (`\All` and `\Flagged` name virtual views Hadron does not
/// create). Hadron keeps one per mailbox.
fn creatable_use(attributes: &[Atom<'_>]) -> Result<Option<String>, String> {
    match attributes {
        [] => Ok(None),
        [a] => {
            let name = a.as_str();
            ["Archive", "Drafts", "Junk", "Sent", "Trash"]
                .into_iter()
                .find(|u| u.eq_ignore_ascii_case(name))
                .map(|u| Some(format!("\\{u}")))
                .ok_or_else(|| format!("cannot create a mailbox with special use \\{name}"))
        }
        _ => Err("a mailbox can have one special use".to_owned()),
    }
}

/// RFC 2342: one personal namespace, `""` with delimiter `/`.
fn namespace() -> Data<'static> {
    let personal = hadron_proto::types::NamespaceDescr {
        prefix: hadron_proto::types::IString::try_from("")
            .unwrap_or_else(|_| unreachable!("the empty string is valid")),
        delimiter: hadron_proto::types::Delimiter::new(crate::mailboxes::DELIMITER).ok(),
        extensions: Vec::new(),
    };
    Data::Namespace {
        personal: vec![personal],
        other: Vec::new(),
        shared: Vec::new(),
    }
}

impl Session {
    /// CAPABILITY, NOOP, LOGOUT (any state), and NAMESPACE and ENABLE,
    /// which depend on the state but answer in all; gives back the rest.
    pub(super) async fn any_state(
        &mut self,
        tag: &Tag<'static>,
        body: CommandBody<'static>,
        selected: bool,
        out: &mut dyn ResponseSink,
    ) -> Option<CommandBody<'static>> {
        let authenticated = self.account.is_some();
        match body {
            CommandBody::Capability => {
                out.send(data(Data::Capability(Session::capabilities())));
                out.send(tagged(tag, StatusKind::Ok, None, "CAPABILITY completed"));
            }
            CommandBody::Noop => {
                self.poll(tag, CommandContext::Noop, "NOOP completed", out)
                    .await
            }
            CommandBody::Logout => self.logout(tag, out).await,
            CommandBody::Namespace if authenticated => {
                out.send(data(namespace()));
                out.send(tagged(tag, StatusKind::Ok, None, "NAMESPACE completed"));
            }
            CommandBody::Enable(caps) if authenticated && !selected => {
                let newly = self.enabled.enable(caps.as_slice(), ENABLEABLE);
                if self.qresync() {
                    // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
                    let cond = [Capability::CondStore];
                    self.enabled.enable(&cond, &cond);
                }
                out.send(data(Data::Enabled(newly)));
                out.send(tagged(tag, StatusKind::Ok, None, "ENABLE completed"));
            }
            CommandBody::Enable(_) if selected => out.send(tagged(
                tag,
                StatusKind::Bad,
                None,
                "ENABLE is only valid before a mailbox is selected (RFC 5161)",
            )),
            other => return Some(other),
        }
        None
    }

    /// LOGIN; gives back the rest.
    pub(super) async fn not_authenticated(
        &mut self,
        tag: &Tag<'static>,
        body: CommandBody<'static>,
        out: &mut dyn ResponseSink,
    ) -> Option<CommandBody<'static>> {
        let CommandBody::Login { username, password } = body else {
            return Some(body);
        };
        let user = String::from_utf8_lossy(username.as_bytes()).into_owned();
        let pass = String::from_utf8_lossy(password.as_bytes()).into_owned();
        match self.engine.login(&user, &pass).await {
            Ok(account) => {
                self.account = Some(account);
                out.send(tagged(tag, StatusKind::Ok, None, "LOGIN completed"));
            }
            Err(e) => out.send(no_for(tag, &e)),
        }
        None
    }

    /// The commands of the authenticated state (valid when selected too):
    /// SELECT/EXAMINE, the mailbox commands, STATUS, APPEND, the QUOTA
    /// commands, IDLE, UNAUTHENTICATE; gives back the rest.
    pub(super) async fn authenticated(
        &mut self,
        tag: &Tag<'static>,
        body: CommandBody<'static>,
        out: &mut dyn ResponseSink,
    ) -> Option<CommandBody<'static>> {
        match body {
            CommandBody::Select { mailbox, params } => {
                self.select(tag, &mailbox, &params, false, out).await
            }
            CommandBody::Examine { mailbox, params } => {
                self.select(tag, &mailbox, &params, true, out).await
            }
            CommandBody::Create {
                mailbox,
                special_use,
            } => {
                let su = match creatable_use(&special_use) {
                    Ok(su) => su,
                    Err(why) => {
                        out.send(tagged(tag, StatusKind::No, Some(Code::UseAttr), why));
                        return None;
                    }
                };
                match self
                    .engine
                    .create_mailbox(self.acct(), &mailbox, su.as_deref())
                    .await
                {
                    // RFC 8474 §4.1: the new mailbox's MAILBOXID.
                    Ok(info) => out.send(tagged(
                        tag,
                        StatusKind::Ok,
                        Some(Code::MailboxId(crate::objectid::mailbox_id(&info))),
                        "CREATE completed",
                    )),
                    Err(e) => out.send(no_for(tag, &e)),
                }
            }
            CommandBody::Delete { mailbox } => {
                // Deleting the selected mailbox is allowed; like any other
                // session, this one is closed (`* BYE`) at its next command.
                let r = self.engine.delete_mailbox(self.acct(), &mailbox).await;
                self.finish(tag, r, "DELETE completed", out);
            }
            CommandBody::Rename { from, to } => {
                let r = self.engine.rename_mailbox(self.acct(), &from, &to).await;
                self.finish(tag, r, "RENAME completed", out);
            }
            CommandBody::Subscribe { mailbox } => {
                let r = self.engine.subscribe(self.acct(), &mailbox).await;
                self.finish(tag, r, "SUBSCRIBE completed", out);
            }
            CommandBody::Unsubscribe { mailbox } => {
                let r = self.engine.unsubscribe(self.acct(), &mailbox).await;
                self.finish(tag, r, "UNSUBSCRIBE completed", out);
            }
            CommandBody::List {
                selection,
                reference,
                patterns,
                return_options,
            } => {
                let patterns = patterns.as_slice();
                self.list(tag, &selection, &reference, patterns, &return_options, out)
                    .await
            }
            CommandBody::Lsub { reference, pattern } => {
                self.lsub(tag, &reference, &pattern, out).await
            }
            CommandBody::Status { mailbox, items } => {
                if items.contains(&StatusItem::HighestModSeq) {
                    self.enable_condstore(out);
                }
                let status = self
                    .engine
                    .status(self.acct(), &mailbox, items.as_slice())
                    .await;
                let status = match status {
                    Ok(mut values) if items.contains(&StatusItem::AppendLimit) => {
                        self.append_limit().await.map(|limit| {
                            values.push(StatusValue::AppendLimit(limit));
                            values
                        })
                    }
                    other => other,
                };
                match status {
                    Ok(items) => {
                        self.deliver(CommandContext::Status, out);
                        if self.logged_out {
                            // Delivery closed the session: `* BYE` was the
                            // last word.
                            return None;
                        }
                        out.send(data(Data::Status { mailbox, items }));
                        out.send(tagged(tag, StatusKind::Ok, None, "STATUS completed"));
                    }
                    Err(e) => out.send(no_for(tag, &e)),
                }
            }
            CommandBody::Append { mailbox, messages } => {
                self.append(tag, &mailbox, messages.to_vec(), out).await
            }
            CommandBody::GetQuota { root } => self.get_quota(tag, &root, out).await,
            CommandBody::GetQuotaRoot { mailbox } => self.get_quota_root(tag, mailbox, out).await,
            CommandBody::SetQuota { .. } => self.set_quota(tag, out),
            CommandBody::Unauthenticate => self.unauthenticate(tag, out),
            CommandBody::Notify(request) => self.notify(tag, request, out).await,
            CommandBody::Idle => {
                self.catch_up().await;
                self.deliver(CommandContext::Idle, out);
                if !self.logged_out {
                    out.send(Output::new(Response::Continue(
                        hadron_proto::types::Continue::Text(resp_text(None, "idling")),
                    )));
                    self.idling = Some(tag.clone());
                }
            }
            other => return Some(other),
        }
        None
    }

    /// The commands of the selected state: CHECK, CLOSE, UNSELECT,
    /// EXPUNGE, FETCH, STORE, COPY, MOVE, SEARCH, SORT; gives back the rest.
    pub(super) async fn selected(
        &mut self,
        tag: &Tag<'static>,
        body: CommandBody<'static>,
        out: &mut dyn ResponseSink,
    ) -> Option<CommandBody<'static>> {
        match body {
            CommandBody::Check => {
                self.poll(tag, CommandContext::Check, "CHECK completed", out)
                    .await
            }
            CommandBody::Close => self.close(tag, true, out).await,
            CommandBody::Unselect => self.close(tag, false, out).await,
            CommandBody::Expunge => self.expunge(tag, None, out).await,
            CommandBody::UidExpunge(set) => self.expunge(tag, Some(set), out).await,
            CommandBody::Fetch {
                uid,
                set,
                items,
                modifiers,
            } => self.fetch(tag, uid, &set, &items, &modifiers, out).await,
            CommandBody::Store {
                uid,
                set,
                unchanged_since,
                action,
            } => {
                self.store(tag, uid, &set, unchanged_since, &action, out)
                    .await
            }
            CommandBody::Copy { uid, set, mailbox } => {
                self.copy(tag, uid, &set, &mailbox, false, out).await
            }
            CommandBody::Move { uid, set, mailbox } => {
                self.copy(tag, uid, &set, &mailbox, true, out).await
            }
            CommandBody::Search {
                uid,
                return_options,
                charset,
                criteria,
            } => {
                self.search(tag, uid, return_options, charset, criteria.into_vec(), out)
                    .await
            }
            CommandBody::Sort {
                uid,
                return_options,
                criteria,
                charset,
                keys,
            } => {
                let criteria = criteria.into_vec();
                let request = super::sort::SortRequest {
                    uid,
                    wanted: return_options.as_deref().map(super::esearch::Wanted::of),
                    criteria,
                };
                self.sort(tag, request, charset, keys.into_vec(), out).await
            }
            CommandBody::CancelUpdate(tags) => {
                let unknown = match self.mailbox.as_mut() {
                    Some(m) => m.contexts.cancel(tags.iter().map(|t| t.as_bytes())),
                    None => Vec::new(),
                };
                if unknown.is_empty() {
                    out.send(tagged(tag, StatusKind::Ok, None, "CANCELUPDATE completed"));
                } else {
                    let why = format!("no updating search is tagged {}", unknown.join(", "));
                    out.send(tagged(tag, StatusKind::No, None, why));
                }
            }
            CommandBody::Thread {
                uid,
                algorithm,
                charset,
                keys,
            } => {
                self.thread(tag, uid, algorithm, charset, keys.into_vec(), out)
                    .await
            }
            other => return Some(other),
        }
        None
    }
}
