//! `status-list`: CREATE M mailboxes, then `LIST "" "*"` and a STATUS of
//! each, `LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN SIZE))` (LIST-STATUS,
//! RFC 5819, where announced; each answer checked by [`ListStatusCheck`]),
//! and STATUS of the corpus.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hadron_proto::types::{
    CommandBody, Data, ListAttribute, ListMailbox, ListReturnOption, Mailbox, NonEmptyVec,
    Response, StatusItem, StatusValue,
};

use super::{Ctx, Metric, Progress, list_all, mailbox};
use crate::BenchError;
use crate::client::Client;
use crate::stats::Histogram;

fn status_items() -> NonEmptyVec<StatusItem> {
    NonEmptyVec::new(vec![
        StatusItem::Messages,
        StatusItem::UidNext,
        StatusItem::UidValidity,
        StatusItem::Unseen,
    ])
    .expect("four items")
}

pub(super) async fn run(ctx: &mut Ctx) -> Result<(), BenchError> {
    let count = ctx.params.mailboxes.max(1);
    let names: Vec<String> = (0..count)
        .map(|i| ctx.mailbox(&format!("sl-{i:05}")))
        .collect();
    let mut client = ctx.target.connect().await?;

    let done = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(
        ctx.params.progress,
        format!("[{}] create", ctx.target.name),
        "mailbox",
        count as u64,
        done.clone(),
    );
    let (mut hist, start) = (Histogram::new(), Instant::now());
    for name in &names {
        let t = Instant::now();
        ctx.create(&mut client, name).await?;
        hist.record(t.elapsed());
        done.fetch_add(1, Ordering::Relaxed);
    }
    drop(progress);
    ctx.throughput("CREATE", &hist, start.elapsed());

    let (mut hist, mut busy, mut listed) = (Histogram::new(), Duration::ZERO, 0u64);
    for _ in 0..(ctx.params.repeat / 4).max(3) {
        let body = list_all()?;
        let mut n = 0;
        let t = Instant::now();
        client
            .execute_with(body, |r| {
                if let Response::Data(Data::List(_)) = r {
                    n += 1;
                }
            })
            .await?
            .ok("LIST")?;
        let d = t.elapsed();
        hist.record(d);
        busy += d;
        listed = n;
    }
    let note = Some(format!("{listed} mailboxes listed"));
    ctx.push("LIST \"\" \"*\"", Metric::Latency, &hist, busy, None, note);

    let (mut hist, start) = (Histogram::new(), Instant::now());
    for name in &names {
        let body = CommandBody::Status {
            mailbox: mailbox(name)?,
            items: status_items(),
        };
        let t = Instant::now();
        client.execute(body).await?;
        hist.record(t.elapsed());
    }
    ctx.latency("STATUS (empty mailbox)", &hist, start.elapsed());

    list_status(ctx, &mut client, &names).await?;

    if ctx.corpus_count > 0 {
        let (mut hist, start) = (Histogram::new(), Instant::now());
        for _ in 0..ctx.params.repeat.max(1) {
            let body = CommandBody::Status {
                mailbox: mailbox(&ctx.corpus)?,
                items: status_items(),
            };
            let t = Instant::now();
            client.execute(body).await?;
            hist.record(t.elapsed());
        }
        let note = Some(format!("{} messages", ctx.corpus_count));
        ctx.push(
            "STATUS (corpus)",
            Metric::Latency,
            &hist,
            start.elapsed(),
            None,
            note,
        );
    }
    ctx.add_errors(&client);
    client.logout().await;
    Ok(())
}

/// The row's name.
const LIST_STATUS: &str = "LIST \"\" \"*\" RETURN (STATUS (MESSAGES UNSEEN SIZE))";

/// The items of the LIST-STATUS row.
const LIST_STATUS_ITEMS: [StatusItem; 3] =
    [StatusItem::Messages, StatusItem::Unseen, StatusItem::Size];

/// `LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN SIZE))`.
fn list_status_all() -> Result<CommandBody<'static>, BenchError> {
    let invalid = |e: hadron_proto::types::ValidationError| BenchError::Invalid(e.to_string());
    let items = NonEmptyVec::new(LIST_STATUS_ITEMS.to_vec()).map_err(invalid)?;
    Ok(CommandBody::List {
        selection: Vec::new(),
        reference: Mailbox::from_wire(b"").map_err(invalid)?,
        patterns: NonEmptyVec::one(ListMailbox::new("*").map_err(invalid)?),
        return_options: vec![ListReturnOption::Status(items)],
    })
}

/// Times the LIST-STATUS row over everything the account holds (the M
/// empty mailboxes of the run among them), when the server announces
/// LIST-STATUS; each answer is checked: one `* STATUS` right after the
/// `* LIST` of each selectable mailbox and none after the others, zeros
/// for the run's empty mailboxes, and the corpus's counters as STATUS
/// gives them.
async fn list_status(
    ctx: &mut Ctx,
    client: &mut Client,
    names: &[String],
) -> Result<(), BenchError> {
    if !client.has_capability("LIST-STATUS") {
        ctx.skip(
            LIST_STATUS,
            Metric::Latency,
            "the server does not announce LIST-STATUS",
        );
        return Ok(());
    }
    let mut expected: HashMap<String, Vec<u64>> = names
        .iter()
        .map(|n| (n.clone(), vec![0; LIST_STATUS_ITEMS.len()]))
        .collect();
    if ctx.corpus_count > 0 {
        let items = NonEmptyVec::new(LIST_STATUS_ITEMS.to_vec())
            .map_err(|e| BenchError::Invalid(e.to_string()))?;
        let reply = client
            .execute(CommandBody::Status {
                mailbox: mailbox(&ctx.corpus)?,
                items,
            })
            .await?
            .ok("STATUS")?;
        let values = reply.untagged.iter().find_map(|r| match r {
            Response::Data(Data::Status { items, .. }) => Some(numbers(items)),
            _ => None,
        });
        expected.insert(ctx.corpus.clone(), values.unwrap_or_default());
    }
    let (mut hist, mut busy, mut listed) = (Histogram::new(), Duration::ZERO, 0u64);
    for _ in 0..(ctx.params.repeat / 4).max(3) {
        let body = list_status_all()?;
        let mut check = ListStatusCheck::new(&expected);
        let t = Instant::now();
        client
            .execute_with(body, |r| check.on(r))
            .await?
            .ok("LIST RETURN (STATUS)")?;
        let d = t.elapsed();
        hist.record(d);
        busy += d;
        listed = check.statuses;
        if let Err(why) = check.finish() {
            ctx.errors.state_error(format!("{LIST_STATUS}: {why}"));
        }
    }
    let note = Some(format!("{listed} STATUS answered"));
    ctx.push(LIST_STATUS, Metric::Latency, &hist, busy, None, note);
    Ok(())
}

/// A STATUS answer's numbers, in order.
fn numbers(items: &[StatusValue<'_>]) -> Vec<u64> {
    items
        .iter()
        .filter_map(|v| match v {
            StatusValue::Number(_, n) => Some(*n),
            _ => None,
        })
        .collect()
}

/// Checks a LIST-STATUS answer as it arrives (see [`list_status`]).
struct ListStatusCheck<'e> {
    /// Mailbox → the numbers its STATUS must carry (others are not known).
    expected: &'e HashMap<String, Vec<u64>>,
    /// The selectable mailbox whose STATUS is due next.
    due: Option<String>,
    /// How many of `expected` were answered.
    seen: usize,
    /// STATUS responses received.
    statuses: u64,
    /// The first problem found.
    problem: Option<String>,
}

impl<'e> ListStatusCheck<'e> {
    fn new(expected: &'e HashMap<String, Vec<u64>>) -> Self {
        ListStatusCheck {
            expected,
            due: None,
            seen: 0,
            statuses: 0,
            problem: None,
        }
    }

    fn fail(&mut self, why: String) {
        self.problem.get_or_insert(why);
    }

    fn on(&mut self, r: &Response<'_>) {
        match r {
            Response::Data(Data::List(l)) => {
                if let Some(m) = self.due.take() {
                    self.fail(format!("no STATUS for {m}"));
                }
                let selectable = !l
                    .attributes
                    .iter()
                    .any(|a| matches!(a, ListAttribute::NoSelect | ListAttribute::NonExistent));
                if selectable {
                    self.due = Some(l.mailbox.as_str().to_owned());
                }
            }
            Response::Data(Data::Status { mailbox, items }) => {
                self.statuses += 1;
                let name = mailbox.as_str();
                if self.due.take().as_deref() != Some(name) {
                    return self.fail(format!("STATUS {name} does not follow its LIST"));
                }
                if let Some(want) = self.expected.get(name) {
                    self.seen += 1;
                    let got = numbers(items);
                    if &got != want {
                        self.fail(format!("STATUS {name}: {got:?}, expected {want:?}"));
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Result<(), String> {
        if let Some(m) = self.due.take() {
            self.fail(format!("no STATUS for {m}"));
        }
        if self.seen != self.expected.len() {
            let n = self.expected.len() - self.seen.min(self.expected.len());
            self.fail(format!("{n} of the run's mailboxes not answered"));
        }
        self.problem.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use hadron_proto::types::{Delimiter, ListData};

    use super::*;

    fn list(name: &str, attributes: Vec<ListAttribute<'static>>) -> Response<'static> {
        Response::Data(Data::List(ListData {
            attributes,
            delimiter: Delimiter::new('/').ok(),
            mailbox: Mailbox::new(name.to_owned()).unwrap(),
            extended: Vec::new(),
        }))
    }

    fn status(name: &str, n: [u64; 3]) -> Response<'static> {
        Response::Data(Data::Status {
            mailbox: Mailbox::new(name.to_owned()).unwrap(),
            items: LIST_STATUS_ITEMS
                .iter()
                .zip(n)
                .map(|(&i, n)| StatusValue::Number(i, n))
                .collect(),
        })
    }

    fn check(expected: &[(&str, [u64; 3])], answer: &[Response<'static>]) -> Result<(), String> {
        let expected: HashMap<String, Vec<u64>> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect();
        let mut c = ListStatusCheck::new(&expected);
        for r in answer {
            c.on(r);
        }
        c.finish()
    }

    #[test]
    fn a_status_after_each_selectable_mailbox_passes() {
        let answer = [
            list("INBOX", vec![]),
            status("INBOX", [3, 1, 900]),
            list("a", vec![ListAttribute::NoSelect]),
            list("a/b", vec![ListAttribute::HasNoChildren]),
            status("a/b", [0, 0, 0]),
        ];
        assert_eq!(check(&[("a/b", [0, 0, 0])], &answer), Ok(()));
    }

    #[test]
    fn missing_misplaced_or_wrong_statuses_fail() {
        let missing = [list("a", vec![]), list("b", vec![]), status("b", [0; 3])];
        assert!(
            check(&[], &missing)
                .unwrap_err()
                .contains("no STATUS for a")
        );
        let noselect = [
            list("a", vec![ListAttribute::NoSelect]),
            status("a", [0; 3]),
        ];
        assert!(check(&[], &noselect).is_err());
        let wrong = [list("a", vec![]), status("a", [1, 0, 0])];
        assert!(check(&[("a", [0; 3])], &wrong).is_err());
        let unanswered = [list("a", vec![]), status("a", [0; 3])];
        assert!(check(&[("a", [0; 3]), ("b", [0; 3])], &unanswered).is_err());
    }
}
