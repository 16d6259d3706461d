//! Every `hadron-bench` scenario at tiny sizes against a real Hadron server:
//! no command may fail and the counts must add up.

mod common;

use common::{Backend, TestServer};
use hadron_bench::scenario::{Params, Report, ScenarioKind, Target};

fn tiny() -> Params {
    Params {
        suite: "smoke".into(),
        corpus_sizes: vec![30],
        fill_clients: 2,
        fill_pipeline: 4,
        multiappend_messages: 25,
        multiappend_batch: 10,
        repeat: 2,
        mailboxes: 10,
        mixed_clients: 5,
        mixed_secs: 1.0,
        checkpoint_secs: Some(0.4),
        settle_secs: 0.0,
        imaptest_clients: vec![3],
        idle_connections: 5,
        idle_messages: 3,
        idle_load_clients: 0,
        lmtp_clients: 3,
        lmtp_messages: 20,
        seed: 7,
        progress: false,
        cleanup: true,
    }
}

/// The report's table (printed), after checking that no scenario stopped
/// early and none met an error.
fn clean(report: &Report) -> String {
    let table = hadron_bench::report::table(report);
    println!("{table}");
    assert!(
        report.failures().is_empty(),
        "{:?}\n{table}",
        report.failures()
    );
    for result in &report.targets[0].results {
        assert_eq!(
            result.errors.total(),
            0,
            "{}: {:?}\n{table}",
            result.scenario,
            result.errors
        );
    }
    table
}

fn find<'r>(
    report: &'r Report,
    kind: ScenarioKind,
    op: &str,
) -> &'r hadron_bench::scenario::Measurement {
    report.targets[0]
        .results
        .iter()
        .filter(|r| r.scenario == kind)
        .flat_map(|r| &r.measurements)
        .find(|m| m.op.starts_with(op))
        .unwrap_or_else(|| panic!("no {op} in {kind}: {report:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_cleanly_against_hadron() {
    let lmtp = hadron_server::config::LmtpConfig::default();
    let server = TestServer::start_lmtp(Backend::Sqlite, lmtp).await;
    let mut target = Target::new("hadron", &server.addr.to_string(), "alice", "secret");
    target.lmtp = server.lmtp_addr.map(|a| a.to_string());
    let report = hadron_bench::run(&[target], ScenarioKind::ALL, &tiny())
        .await
        .expect("the benchmark runs");
    let table = clean(&report);
    let ran: Vec<ScenarioKind> = report.targets[0]
        .results
        .iter()
        .map(|r| r.scenario)
        .collect();
    assert_eq!(ran, ScenarioKind::ALL, "{table}");

    assert_eq!(
        find(&report, ScenarioKind::Fill, "APPEND").summary.count,
        30
    );
    // MULTIAPPEND runs only where the server announces it.
    let multi = report.targets[0].results[0]
        .measurements
        .iter()
        .find(|m| m.op.starts_with("MULTIAPPEND"));
    let announced = server.connect().await.cmd("c CAPABILITY").await[0].contains("MULTIAPPEND");
    match multi {
        Some(m) => assert_eq!((m.summary.count, m.items), (3, Some(25)), "{m:?}"),
        None => assert!(!announced, "MULTIAPPEND announced but not measured"),
    }
    assert_eq!(
        find(&report, ScenarioKind::Select, "SELECT").summary.count,
        2
    );
    let all = find(&report, ScenarioKind::Fetch, "FETCH 1:* (UID FLAGS)");
    assert_eq!(all.items, Some(3 * 30), "three FETCH 1:* of 30 messages");
    assert_eq!(
        find(&report, ScenarioKind::Fetch, "FETCH 100 ENVELOPE").items,
        Some(2 * 30)
    );
    let body = find(&report, ScenarioKind::Fetch, "FETCH 1 BODY.PEEK[]");
    assert!(body.summary.bytes >= 4 * 2048, "{body:?}");
    let unseen = find(&report, ScenarioKind::Search, "SEARCH UNSEEN");
    assert!(unseen.note.as_deref().is_some_and(|n| n.ends_with(" hits")));
    // Every SORT row is measured (Hadron announces SORT=DISPLAY), on the
    // whole corpus, and each answer was checked (`clean` found no errors).
    let by_date = find(&report, ScenarioKind::Sort, "SORT (DATE) ALL");
    assert_eq!(by_date.note.as_deref(), Some("30 messages"), "{by_date:?}");
    let display = find(&report, ScenarioKind::Sort, "UID SORT (DISPLAYFROM) ALL");
    assert!(
        !display.is_skipped() && display.summary.count > 0,
        "{display:?}"
    );
    // Hadron announces LIST-STATUS: the row is measured and each answer
    // was checked, the corpus's counters among them.
    let list_status = find(&report, ScenarioKind::StatusList, "LIST \"\" \"*\" RETURN");
    assert!(
        !list_status.is_skipped() && list_status.summary.count > 0,
        "{list_status:?}"
    );
    let delivered = find(&report, ScenarioKind::Store, "NOOP delivering");
    let expunged = find(&report, ScenarioKind::Store, "expunge ");
    assert!(expunged.items.unwrap() > 0);
    assert_eq!(
        delivered.items, expunged.items,
        "every expunge reaches the other session"
    );
    let list = find(&report, ScenarioKind::StatusList, "LIST");
    let listed: u64 = list
        .note
        .as_deref()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(listed >= 10, "the 10 new mailboxes are listed: {list:?}");
    assert_eq!(
        find(&report, ScenarioKind::StatusList, "STATUS (empty")
            .summary
            .count,
        10
    );
    assert!(
        find(&report, ScenarioKind::Mixed, "all commands")
            .summary
            .count
            > 5
    );
    // Checkpoints at 0.4 and 0.8 s: every client took part in both.
    let checkpoints = find(&report, ScenarioKind::Mixed, "checkpoint");
    assert_eq!(checkpoints.summary.count, 2 * 5, "{checkpoints:?}");
    assert_eq!(
        checkpoints.note.as_deref(),
        Some("2 checkpoints of 5 views")
    );
    for login in ["re-login", "no re-login"] {
        let all = find(
            &report,
            ScenarioKind::Imaptest,
            &format!("3 clients, {login}: all commands"),
        );
        assert!(all.summary.count > 10, "{all:?}");
        let fetches = find(
            &report,
            ScenarioKind::Imaptest,
            &format!("3 clients, {login}: FETCH ≤100"),
        );
        assert!(fetches.summary.count > 0, "{fetches:?}");
    }
    let logins = find(
        &report,
        ScenarioKind::Imaptest,
        "3 clients, re-login: LOGIN",
    );
    assert!(logins.summary.count >= 3, "{logins:?}");
    let pushes = find(&report, ScenarioKind::Idle, "IDLE push latency");
    assert_eq!(
        pushes.items,
        Some(5 * 3),
        "every idler sees every message: {pushes:?}"
    );
    // Every LMTP delivery was acknowledged and found in the run's mailbox.
    let lmtp = find(&report, ScenarioKind::Lmtp, "LMTP delivery");
    assert_eq!(lmtp.items, Some(20), "{lmtp:?}");
    assert_eq!(lmtp.note.as_deref(), Some("20/20 delivered, 20 stored"));

    // The run cleaned up after itself: only the user's own mailboxes are left.
    let mut client = server.login("alice").await;
    let listed = client.cmd_ok("l LIST \"\" \"bench-*\"").await;
    assert_eq!(listed.len(), 1, "left behind: {listed:?}");
    let json = hadron_bench::report::json(&report);
    assert!(json.contains("\"scenario\": \"status-list\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_login_is_reported_not_fatal() {
    let server = TestServer::start(Backend::Sqlite).await;
    let target = Target::new("hadron", &server.addr.to_string(), "alice", "wrong");
    let report = hadron_bench::run(&[target], &[ScenarioKind::StatusList], &tiny())
        .await
        .expect("a report even when every scenario fails");
    let failures = report.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("LOGIN alice"), "{failures:?}");
    assert!(hadron_bench::report::table(&report).contains("FAILED hadron: status-list"));
}

/// The scenarios with many clients, spread over two instances on one
/// PostgreSQL database: every response agrees with each client's view,
/// the views agree at every checkpoint, and IDLE pushes reach the idlers
/// on the other instance, also under load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_many_client_scenarios_run_cleanly_over_two_instances() {
    let Some(backend) = Backend::two_instances() else {
        return;
    };
    let server = TestServer::start(backend).await;
    let mut target = Target::new("hadron", &server.addr.to_string(), "alice", "secret");
    target.also = vec![server.others[0].addr.to_string()];
    let params = Params {
        mixed_clients: 4,
        idle_connections: 4,
        idle_load_clients: 2,
        ..tiny()
    };
    let kinds = [
        ScenarioKind::Mixed,
        ScenarioKind::Imaptest,
        ScenarioKind::Idle,
    ];
    let report = hadron_bench::run(&[target], &kinds, &params)
        .await
        .expect("the benchmark runs");
    let table = clean(&report);
    let checkpoint = find(&report, ScenarioKind::Mixed, "checkpoint");
    assert!(checkpoint.summary.count > 0, "{checkpoint:?}");
    let mixed = find(&report, ScenarioKind::Mixed, "all commands");
    assert!(
        mixed.note.as_deref().unwrap().contains("over 2 instances"),
        "{mixed:?}"
    );
    // Four idlers, two per instance, three messages: every push arrives.
    let pushes = |op: &str| find(&report, ScenarioKind::Idle, op).items;
    assert_eq!(
        pushes("IDLE push latency under load ("),
        Some(12),
        "{table}"
    );
    assert_eq!(
        pushes("IDLE push latency under load (2 mixed clients), other instances"),
        Some(6),
        "{table}"
    );
    let load = find(&report, ScenarioKind::Idle, "load: all commands");
    assert!(load.summary.count > 0, "{load:?}");
}
