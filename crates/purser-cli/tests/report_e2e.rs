//! The manager's reports end to end on a real broker (Apache Kafka started here, or
//! `PURSER_TEST_KAFKA`): two tills sell through the `purser` command and relay; a third
//! machine of the store runs `purser report`, which first catches up from the cluster.
//! The figures must equal the sum of both tills' journals, a duplicated delivery must not
//! count twice (kafka-python re-sends records), and a till that was offline appears late.

mod common;

use std::path::Path;
use std::process::Command;

use common::{unique_topics, Broker, TestTill};

/// Kept sales minus refunds, in cents, from the till's own tables.
fn journal_net(t: &TestTill) -> i64 {
    let sales: i64 = t.sql("SELECT coalesce(sum(total),0) FROM sales WHERE voided_at IS NULL");
    let refunds: i64 = t.sql("SELECT coalesce(sum(total),0) FROM refunds");
    sales - refunds
}

fn cents(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an amount: {v}"))
}

fn a_day(t: &TestTill, cashier: &str, n: usize) {
    t.add_supervisor("M1", "2468");
    t.ok(&["shift", "open", "--cashier", cashier, "--float", "100"]);
    let mut receipts = Vec::new();
    for i in 0..n {
        let tender = if i % 2 == 0 {
            "cash:50".to_string()
        } else {
            format!("card:visa:4242:OK{i}:TRM-{i}")
        };
        let item = if i % 3 == 0 { "ESP*2@10%" } else { "CRO" };
        let sale = t.json(&[
            "sell",
            "--item",
            item,
            "--item",
            "BAN*0.350kg",
            "--tender",
            &tender,
        ]);
        receipts.push(sale["receipt_no"].as_str().unwrap().to_string());
    }
    t.ok_in(
        &[
            "refund",
            "--receipt",
            &receipts[1],
            "--all",
            "--reason",
            "faulty",
            "--approved-by",
            "M1",
        ],
        "2468\n",
    );
    t.ok_in(
        &[
            "void",
            "--receipt",
            &receipts[n - 1],
            "--reason",
            "twice",
            "--approved-by",
            "M1",
        ],
        "2468\n",
    );
    t.ok_in(
        &[
            "drawer",
            "open",
            "--reason",
            "change",
            "--approved-by",
            "M1",
        ],
        "2468\n",
    );
    t.ok(&["shift", "close", "--counted", "150", "--end-of-day"]);
}

fn resend_with_kafka_python(bootstrap: &str, from: &str, to_topic: &str) -> usize {
    let read = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/kafka_read.py");
    let publish = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/kafka_publish.py");
    let py = std::env::var("PURSER_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&py)
        .arg(read)
        .args(["--bootstrap", bootstrap, "--topic", from])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            serde_json::json!({"key": r["key"], "value": r["value"]})
        })
        .collect();
    use std::io::Write;
    let mut child = Command::new(&py)
        .arg(publish)
        .args(["--bootstrap", bootstrap, "--topic", to_topic])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for l in &lines {
        writeln!(stdin, "{l}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines.len()
}

#[test]
fn two_tills_on_a_real_broker_add_up_in_the_managers_reports() {
    let broker = Broker::start();
    let run = format!("rep-{}", uuid::Uuid::now_v7().simple());
    let t1 = TestTill::new_named(broker.bootstrap(), "T1");
    let t2 = TestTill::new_named(broker.bootstrap(), "T2");
    // The manager's machine: a configuration for the store, no till selling on it.
    let mgr = TestTill::new_named(broker.bootstrap(), "M1");
    for t in [&t1, &t2, &mgr] {
        unique_topics(t, &run);
    }
    t1.ok(&["topics", "ensure", "--partitions", "2"]);
    a_day(&t1, "C1", 8);
    a_day(&t2, "C2", 6);
    t1.ok(&["relay", "--until-empty", "--timeout", "120"]);

    // T2 has not sent anything yet: only T1 is in the figures.
    let s = mgr.json(&["report", "summary", "--timeout", "60"]);
    assert_eq!(cents(&s["summary"]["net_sales"]), journal_net(&t1), "{s}");
    assert_eq!(s["summary"]["tills"].as_array().unwrap().len(), 1);

    // T2 comes back online: its day appears late and the figures catch up.
    t2.ok(&["relay", "--until-empty", "--timeout", "120"]);
    let s = mgr.json(&["report", "summary", "--timeout", "60"]);
    let net = journal_net(&t1) + journal_net(&t2);
    assert_eq!(cents(&s["summary"]["net_sales"]), net, "{s}");
    assert_eq!(s["summary"]["voids_count"], 2);
    assert_eq!(s["summary"]["refunds_count"], 2);
    assert_eq!(s["summary"]["drawer_opens"], 2);
    let kept: i64 = t1.sql::<i64>("SELECT count(*) FROM sales WHERE voided_at IS NULL")
        + t2.sql::<i64>("SELECT count(*) FROM sales WHERE voided_at IS NULL");
    assert_eq!(s["summary"]["transactions"], kept);

    // Every payments record delivered again by another client: nothing counts twice.
    let payments = format!("{run}.payments.v1");
    let resent = resend_with_kafka_python(broker.bootstrap(), &payments, &payments);
    assert_eq!(
        resent, 20,
        "8 + 6 sales, a refund, a void and a no-sale at each till"
    );
    let again = mgr.json(&["report", "summary", "--timeout", "60"]);
    assert_eq!(again["summary"], s["summary"], "duplicates change nothing");
    let tills = mgr.json(&["report", "tills", "--no-catch-up"]);
    assert_eq!(
        cents(&tills["consumer"]["duplicates"]),
        i64::try_from(resent).unwrap()
    );
    assert!(
        tills["tills"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["gaps"].as_array().unwrap().is_empty()),
        "{tills}"
    );

    // Z: what each till printed, each agreeing with its events; the store's total.
    let z = mgr.json(&["report", "z", "--no-catch-up"]);
    assert_eq!(z["disagreements"], 0, "{z}");
    let shifts = z["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 2);
    for (t, id) in [(&t1, "T1"), (&t2, "T2")] {
        let printed: String = t.sql("SELECT report FROM shifts WHERE report IS NOT NULL");
        let printed: serde_json::Value = serde_json::from_str(&printed).unwrap();
        let mine = shifts.iter().find(|s| s["till_id"] == id).unwrap();
        assert_eq!(mine["printed"], printed, "the till's own printed Z");
        assert_eq!(mine["report"], printed, "rebuilt from events to the cent");
    }
    assert_eq!(cents(&z["store"]["net_sales"]), net);

    // Filters, CSV and PDF.
    let only_t2 = mgr.json(&["report", "summary", "--no-catch-up", "--till", "T2"]);
    assert_eq!(cents(&only_t2["summary"]["net_sales"]), journal_net(&t2));
    let c2 = mgr.json(&["report", "summary", "--no-catch-up", "--cashier", "C2"]);
    assert_eq!(c2["summary"]["net_sales"], only_t2["summary"]["net_sales"]);
    let csv = mgr.ok(&["--format", "csv", "report", "x", "--no-catch-up"]);
    assert!(
        csv.starts_with("section,name,count,amount,detail\n"),
        "{csv}"
    );
    assert!(
        csv.lines().any(|l| l.starts_with("store,net_sales,,")),
        "{csv}"
    );
    let pdf = mgr.path().join("z.pdf");
    mgr.ok(&[
        "--format",
        "pdf",
        "report",
        "z",
        "--no-catch-up",
        "-o",
        pdf.to_str().unwrap(),
    ]);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-1.4"));
    let text = mgr.ok(&["report", "z", "--no-catch-up", "--date", "2000-01-01"]);
    assert!(
        text.contains("STORE Z REPORT") && text.contains("Shifts"),
        "{text}"
    );
    assert!(mgr
        .fails(&[
            "report",
            "summary",
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01"
        ])
        .contains("after it ends"));
}
