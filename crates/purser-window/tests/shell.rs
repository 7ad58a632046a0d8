//! The shell's calls never wait on the network for one another: a connection test that
//! hangs on a broker that never answers does not hold up the setup screen's other calls,
//! and a till whose relay and streams hang on such a broker sells as usual.
//!
//! The "broker" is a TCP listener that accepts connections and never says a word (what a
//! till sees of a broker behind a link that drops packets after the handshake); librdkafka
//! waits on it until its timeouts. The assertions are on order, not on time: the other
//! calls must all have answered while the test was still waiting.

use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

use purser_app::demo::{demo_catalog, ensure_demo_users};
use purser_testkit::till::{new_till, setup_form as form};
use purser_window::background::Background;
use purser_window::desk::Desk;
use purser_window::shell::Shared;
use purser_window::station::{Paths, Station};

/// A listener that accepts and then stays silent; its address.
fn silent_broker() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    addr
}

#[test]
fn a_hanging_connection_test_does_not_hold_up_the_other_calls() {
    let dir = tempfile::tempdir().unwrap();
    let shared = Shared::new(Station::start(Paths {
        config: dir.path().join("purser.toml"),
        data: dir.path().to_path_buf(),
    }));
    let broker = silent_broker();
    let (done_tx, done) = mpsc::channel();
    let tester = shared.clone();
    let f = form(&broker);
    let probe = std::thread::spawn(move || {
        let r = tester.call("setup_test_kafka", f);
        done_tx.send(()).unwrap();
        r
    });
    // Give the test time to take the lock if it were going to keep it.
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..20 {
        shared.call("setup_defaults", json!({})).unwrap();
        let issues = shared.call("setup_check", form(&broker)).unwrap();
        assert_eq!(issues, json!([]), "{issues}");
    }
    assert!(
        done.try_recv().is_err(),
        "the setup screen's calls waited for the connection test to end"
    );
    let view = probe.join().unwrap().unwrap();
    assert_eq!(view["ok"], json!(false), "{view}");
    // A failed test does not let the settings be saved.
    let saved = shared.call("setup_save", form(&broker)).unwrap();
    assert_eq!(saved["saved"], json!(false), "{saved}");
}

#[test]
fn the_till_sells_while_its_relay_and_streams_hang_on_a_silent_broker() {
    let dir = tempfile::tempdir().unwrap();
    let broker = silent_broker();
    let (_clock, mut till) = new_till(&dir, |c| c.kafka.bootstrap_servers = broker.clone());
    let catalog = demo_catalog();
    till.import_products(&catalog).unwrap();
    ensure_demo_users(&mut till).unwrap();
    let settings = till.settings().clone();
    let links = Box::new(Background::start(&settings).unwrap());
    let shared = Shared::new(Station::Ready(Box::new(Desk::new(
        till,
        links,
        dir.path().join("receipts"),
        false,
    ))));
    shared
        .call("sign_in", json!({"user_id": "ana", "pin": "1234"}))
        .unwrap();
    shared
        .call("open_shift", json!({"float": "100.00"}))
        .unwrap();
    let sku = catalog
        .iter()
        .find(|p| p.sold_by == purser_core::catalog::SoldBy::Unit)
        .unwrap()
        .sku
        .clone();
    let cash = json!({"kind": "cash", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null});
    for _ in 0..30 {
        shared
            .call("add_item", json!({"code": sku, "quantity": null}))
            .unwrap();
        let r = shared
            .call(
                "pay",
                json!({"confirm_out_of_stock": true, "tenders": [cash]}),
            )
            .unwrap();
        assert_eq!(r["kind"], "sale");
    }
    let status = shared.call("status", json!({})).unwrap();
    // Every sale waits in the outbox; the relay has reached no broker.
    assert!(status["outbox_pending"].as_u64().unwrap() >= 30, "{status}");
    assert_eq!(status["online"], json!(false), "{status}");
}
