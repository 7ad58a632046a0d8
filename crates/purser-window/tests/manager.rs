//! The manager's screens through the window's commands: the store's figures, brought in
//! from another till's events, are shown to managers only and agree with that till's
//! journal.

use purser_app::report::Reports;
use purser_testkit::till::{journal_net, records_of, sell_a_day, till_at, DAY};
use purser_window::desk::{Desk, Offline};
use purser_window::ipc::dispatch;
use serde_json::json;

#[test]
fn the_window_shows_the_store_to_managers_only() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (c2, mut t2) = till_at(&d2, "T2", "");
    sell_a_day(&mut t2, &c2, 6, false);
    let (_c1, mut t1) = till_at(&d1, "T1", "");
    purser_app::demo::ensure_demo_users(&mut t1).unwrap();
    let settings = t1.settings().clone();
    // What the manager's consumer would have brought in from the store's cluster.
    Reports::open(&settings)
        .unwrap()
        .store()
        .apply(
            &records_of(&d2.path().join("till.db"), "S1"),
            chrono::Utc::now(),
        )
        .unwrap();
    let reports = Reports::open(&settings).unwrap();
    let mut station = purser_window::station::Station::Ready(Box::new(
        Desk::new(t1, Box::new(Offline), d1.path().join("receipts"), true).with_reports(reports),
    ));
    let mut call = |name: &str, args: serde_json::Value| dispatch(&mut station, name, args);

    call("sign_in", json!({"user_id": "ana", "pin": "1234"})).unwrap();
    let refused = call("report_summary", json!({})).unwrap_err();
    assert_eq!(
        serde_json::to_value(&refused).unwrap()["code"],
        "not_allowed"
    );
    call("sign_out", json!({})).unwrap();
    call("sign_in", json!({"user_id": "mia", "pin": "1357"})).unwrap();

    let opts = call("report_options", json!({})).unwrap();
    assert_eq!(opts["tills"], json!(["T2"]));
    let (_, net2) = journal_net(&d2.path().join("till.db"));
    let s = call("report_summary", json!({"date": DAY})).unwrap();
    assert_eq!(s["net_sales"], net2.0);
    assert_eq!(s["by_hour"].as_array().unwrap().len(), 24);
    assert!(s["top_products"].as_array().unwrap().len() <= 10);
    assert_eq!(s["tills"][0]["id"], "T2");
    let x = call(
        "report_shifts",
        json!({"kind": "x", "filter": {"date": DAY, "till": "T2"}}),
    )
    .unwrap();
    assert_eq!(x["store"]["net_sales"], net2.0);
    let z = call(
        "report_shifts",
        json!({"kind": "z", "filter": {"date": DAY}}),
    )
    .unwrap();
    assert!(
        z["shifts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["agrees"] == true),
        "{z}"
    );
    let bad = call("report_shifts", json!({"kind": "q", "filter": {}})).unwrap_err();
    assert_eq!(serde_json::to_value(&bad).unwrap()["code"], "invalid_input");
    let tills = call("report_tills", json!({})).unwrap();
    assert_eq!(tills["tills"][0]["till_id"], "T2");
    for (report, format) in [("summary", "csv"), ("z", "pdf"), ("tills", "csv")] {
        let out = call(
            "report_export",
            json!({"report": report, "format": format, "filter": {"date": DAY}}),
        )
        .unwrap();
        let path = std::path::PathBuf::from(out["path"].as_str().unwrap());
        assert!(path.starts_with(d1.path().join("reports")), "{path:?}");
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
    }
    let wrong = call(
        "report_summary",
        json!({"from": "2026-11-30", "to": "2026-11-01"}),
    )
    .unwrap_err();
    assert_eq!(
        serde_json::to_value(&wrong).unwrap()["code"],
        "invalid_input"
    );
}
