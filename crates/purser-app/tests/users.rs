//! Users, PINs and the sign-in lockout, on a real till database with a clock the test
//! moves.

use purser_testkit::till::{new_till, TestClock};

use std::sync::Arc;

use purser_app::users::{lock_secs, Role};
use purser_app::{ErrorCode, Till};
use purser_core::clock::Clock;

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<TestClock>,
    till: Till,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (clock, till) = new_till(&dir, |_| {});
    Fixture {
        _dir: dir,
        clock,
        till,
    }
}

fn code<T: std::fmt::Debug>(r: purser_app::AppResult<T>) -> (ErrorCode, String) {
    let e = r.expect_err("should have been refused");
    (e.code, e.message)
}

#[test]
fn a_user_signs_in_with_the_right_pin_only() {
    let mut f = fixture();
    let ana = f
        .till
        .add_user("ana", "Ana Lopes", Role::Cashier, "4821")
        .unwrap();
    assert_eq!(
        (ana.user_id.as_str(), ana.role, ana.active),
        ("ana", Role::Cashier, true)
    );
    let me = f.till.sign_in("ana", "4821").unwrap();
    assert_eq!((me.name.as_str(), me.locked_until), ("Ana Lopes", None));

    // A wrong PIN and an unknown user get the same answer.
    let (c, m) = code(f.till.sign_in("ana", "4822"));
    assert_eq!((c, m.as_str()), (ErrorCode::WrongPin, "wrong user or PIN"));
    let (c, m) = code(f.till.sign_in("nobody", "4821"));
    assert_eq!((c, m.as_str()), (ErrorCode::WrongPin, "wrong user or PIN"));
    assert_eq!(code(f.till.sign_in("ana", "")).0, ErrorCode::WrongPin);
    assert_eq!(
        code(f.till.sign_in("ana", "not a pin")).0,
        ErrorCode::WrongPin
    );

    // The PIN is stored as an argon2id PHC string with OWASP's parameters, salted and
    // keyed with the till's PIN key (`k1$`).
    f.till.add_user("bo", "Bo", Role::Cashier, "4821").unwrap();
    let store = purser_store::Store::open(f.till.database_path()).unwrap();
    let hashes: Vec<String> = store
        .list_users()
        .unwrap()
        .into_iter()
        .map(|u| u.pin_hash)
        .collect();
    assert!(
        hashes
            .iter()
            .all(|h| h.starts_with("k1$$argon2id$v=19$m=19456,t=2,p=1$") && !h.contains("4821")),
        "{hashes:?}"
    );
    assert_ne!(hashes[0], hashes[1], "same PIN, different salt");

    // A new PIN replaces the old one.
    f.till.set_user_pin("ana", "7391").unwrap();
    assert_eq!(code(f.till.sign_in("ana", "4821")).0, ErrorCode::WrongPin);
    f.till.sign_in("ana", "7391").unwrap();
    assert_eq!(
        code(f.till.set_user_pin("nobody", "7391")).0,
        ErrorCode::NotFound
    );
}

#[test]
fn five_wrong_pins_lock_and_each_further_one_doubles_the_lock() {
    let mut f = fixture();
    f.till
        .add_user("ana", "Ana", Role::Cashier, "4821")
        .unwrap();
    for _ in 0..4 {
        assert_eq!(code(f.till.sign_in("ana", "0000")).0, ErrorCode::WrongPin);
    }
    // The fifth locks for 30 s.
    let (c, m) = code(f.till.sign_in("ana", "0000"));
    assert_eq!(c, ErrorCode::Locked);
    assert_eq!(m, "too many wrong PINs for ana: try again in 30 s");
    // While locked even the right PIN is refused, without being checked.
    f.clock.advance(5);
    let (c, m) = code(f.till.sign_in("ana", "4821"));
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::Locked,
            "too many wrong PINs for ana: try again in 25 s"
        )
    );
    let listed = f.till.users().unwrap();
    assert!(listed[0].is_locked(f.clock.now()));

    // After the lock, each wrong PIN locks again for twice as long.
    let mut expected = 30;
    for _ in 0..6 {
        f.clock.advance(expected);
        expected = (expected * 2).min(15 * 60);
        let (c, m) = code(f.till.sign_in("ana", "0000"));
        assert_eq!(c, ErrorCode::Locked);
        let wait = if expected >= 60 {
            format!("{} min {} s", expected / 60, expected % 60)
        } else {
            format!("{expected} s")
        };
        assert!(m.ends_with(&format!("try again in {wait}")), "{m}");
    }
    assert_eq!(expected, 15 * 60, "capped at 15 minutes");
    assert_eq!(
        (4..=12).map(lock_secs).collect::<Vec<_>>(),
        [0, 30, 60, 120, 240, 480, 900, 900, 900]
    );
    assert_eq!(lock_secs(u32::MAX), 900);

    // Once the lock runs out, the right PIN signs in and clears the count.
    f.clock.advance(15 * 60);
    assert_eq!(f.till.sign_in("ana", "4821").unwrap().locked_until, None);
    for _ in 0..4 {
        assert_eq!(code(f.till.sign_in("ana", "0000")).0, ErrorCode::WrongPin);
    }
    f.till.sign_in("ana", "4821").unwrap();
    // Four more wrong ones are again only wrong: the success reset the count.
    for _ in 0..4 {
        assert_eq!(code(f.till.sign_in("ana", "0000")).0, ErrorCode::WrongPin);
    }
    assert_eq!(code(f.till.sign_in("ana", "0000")).0, ErrorCode::Locked);
    // A manager setting a new PIN lifts the lock at once.
    f.till.set_user_pin("ana", "5190").unwrap();
    f.till.sign_in("ana", "5190").unwrap();
}

#[test]
fn a_lock_from_a_clock_set_back_is_shortened() {
    let mut f = fixture();
    f.till
        .add_user("ana", "Ana", Role::Cashier, "4821")
        .unwrap();
    for _ in 0..5 {
        let _ = f.till.sign_in("ana", "0000");
    }
    // The clock goes back two hours: the lock is not two hours longer.
    f.clock.advance(-2 * 3600);
    let (c, m) = code(f.till.sign_in("ana", "4821"));
    assert_eq!(c, ErrorCode::Locked);
    assert!(m.ends_with("try again in 15 min 0 s"), "{m}");
    f.clock.advance(15 * 60);
    f.till.sign_in("ana", "4821").unwrap();
}

#[test]
fn disabled_users_cannot_sign_in_or_approve() {
    let mut f = fixture();
    f.till
        .add_user("sam", "Sam", Role::Supervisor, "4821")
        .unwrap();
    let sam = f.till.set_user_active("sam", false).unwrap();
    assert!(!sam.active);
    let (c, m) = code(f.till.sign_in("sam", "4821"));
    assert_eq!((c, m.as_str()), (ErrorCode::WrongPin, "wrong user or PIN"));
    assert_eq!(code(f.till.approve("sam", "4821")).0, ErrorCode::WrongPin);
    // Wrong PINs of a disabled user do not lock them (nothing is checked).
    for _ in 0..6 {
        assert_eq!(code(f.till.sign_in("sam", "0000")).0, ErrorCode::WrongPin);
    }
    f.till.set_user_active("sam", true).unwrap();
    assert_eq!(
        f.till.approve("sam", "4821").unwrap().role,
        Role::Supervisor
    );
    assert_eq!(
        code(f.till.set_user_active("nobody", false)).0,
        ErrorCode::NotFound
    );
}

#[test]
fn bad_pins_ids_and_names_are_refused() {
    let mut f = fixture();
    for pin in [
        "",
        "123",
        "123456789",
        "12a4",
        "1234 ",
        " 1234",
        "١٢٣٤",
        "1111",
        "00000000",
        "12.4",
    ] {
        let (c, m) = code(f.till.add_user("ana", "Ana", Role::Cashier, pin));
        assert_eq!(c, ErrorCode::InvalidInput, "{pin:?}: {m}");
        assert!(m.contains("PIN"), "{m}");
        assert!(pin.len() < 4 || !m.contains(pin), "never echo the PIN: {m}");
    }
    for id in ["", "a b", "ana!", "é", &"x".repeat(41)] {
        let (c, m) = code(f.till.add_user(id, "Ana", Role::Cashier, "4821"));
        assert_eq!(c, ErrorCode::InvalidInput, "{id:?}: {m}");
    }
    for name in ["", "   ", &"n".repeat(81), "Ana\nLopes"] {
        let (c, _) = code(f.till.add_user("ana", name, Role::Cashier, "4821"));
        assert_eq!(c, ErrorCode::InvalidInput, "{name:?}");
    }
    // At the edges: 4 and 8 digits, 40-character ids, 80-character names, all accepted.
    f.till
        .add_user(&"a".repeat(40), &"é".repeat(80), Role::Cashier, "1112")
        .unwrap();
    f.till
        .add_user("x.y_z-1", "X", Role::Manager, "98765432")
        .unwrap();
    assert_eq!(
        code(f.till.set_user_pin("x.y_z-1", "2222")).0,
        ErrorCode::InvalidInput
    );
    assert_eq!(f.till.users().unwrap().len(), 2);
}

#[test]
fn only_supervisors_and_managers_approve() {
    let mut f = fixture();
    f.till
        .add_user("ana", "Ana", Role::Cashier, "4821")
        .unwrap();
    f.till
        .add_user("sam", "Sam", Role::Supervisor, "5821")
        .unwrap();
    f.till
        .add_user("mia", "Mia", Role::Manager, "6821")
        .unwrap();
    let (c, m) = code(f.till.approve("ana", "4821"));
    assert_eq!(c, ErrorCode::NotAllowed);
    assert!(
        m.contains("ana") && m.contains("cannot approve: a supervisor or manager must"),
        "{m}"
    );
    // The role is only told after the right PIN.
    assert_eq!(code(f.till.approve("ana", "0000")).0, ErrorCode::WrongPin);
    assert_eq!(
        f.till.approve("sam", "5821").unwrap().role,
        Role::Supervisor
    );
    assert_eq!(f.till.approve("mia", "6821").unwrap().role, Role::Manager);
    assert_eq!(code(f.till.approve("mia", "5821")).0, ErrorCode::WrongPin);
    assert!(Role::Manager > Role::Supervisor && Role::Supervisor > Role::Cashier);
    assert!(!Role::Cashier.can_approve() && Role::Supervisor.can_approve());
    assert_eq!(
        serde_json::to_string(&Role::Supervisor).unwrap(),
        "\"supervisor\""
    );
}

#[test]
fn a_user_id_is_taken_once() {
    let mut f = fixture();
    f.till
        .add_user("ana", "Ana", Role::Cashier, "4821")
        .unwrap();
    let (c, m) = code(f.till.add_user("ana", "Another Ana", Role::Manager, "5821"));
    assert_eq!(c, ErrorCode::NotAllowed);
    assert!(m.contains("'ana' already exists"), "{m}");
    let users = f.till.users().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(
        (users[0].name.as_str(), users[0].role),
        ("Ana", Role::Cashier)
    );
    f.till.sign_in("ana", "4821").unwrap();
    // UserInfo never carries the hash.
    let json = serde_json::to_value(&users[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"user_id": "ana", "name": "Ana", "role": "cashier", "active": true, "locked_until": null})
    );
}

#[test]
fn a_copied_database_alone_does_not_verify_pins() {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let mut f = fixture();
    f.till
        .add_user("ana", "Ana", Role::Cashier, "4821")
        .unwrap();
    let db = f.till.database_path().to_path_buf();
    let key_file = purser_app::users::pin_key_path(&db);
    let stored: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT pin_hash FROM users WHERE user_id = 'ana'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The hash is argon2id keyed with a secret that is not in the database: the right PIN
    // does not verify against it without the key.
    let phc = stored.strip_prefix("k1$").expect("a keyed hash");
    let parsed = PasswordHash::new(phc).unwrap();
    assert!(argon2::Argon2::default()
        .verify_password(b"4821", &parsed)
        .is_err());
    // The key is a file of its own, readable by the till's user only.
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(key.trim().len(), 64);
    assert!(!std::fs::read(&db)
        .unwrap()
        .windows(64)
        .any(|w| w == key.trim().as_bytes()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "pin.key is {mode:o}");
    }
    f.till.sign_in("ana", "4821").unwrap();

    // A hash written before the till had a key still verifies, and is keyed afterwards.
    let salt = argon2::password_hash::SaltString::encode_b64(b"0123456789abcdef").unwrap();
    let legacy = argon2::password_hash::PasswordHasher::hash_password(
        &argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(19_456, 2, 1, None).unwrap(),
        ),
        b"7391",
        &salt,
    )
    .unwrap()
    .to_string();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE users SET pin_hash = ?1 WHERE user_id = 'ana'",
            [&legacy],
        )
        .unwrap();
    f.till.sign_in("ana", "7391").unwrap();
    let rewritten: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT pin_hash FROM users WHERE user_id = 'ana'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(rewritten.starts_with("k1$"), "{rewritten}");
    f.till.sign_in("ana", "7391").unwrap();

    // Another till's key (a database copied without its key file) verifies nothing.
    let settings = f.till.settings().clone();
    drop(f.till);
    std::fs::remove_file(&key_file).unwrap();
    let mut reopened = Till::open(
        settings,
        f.clock.clone(),
        Arc::new(purser_app::runtime::UuidV7),
    )
    .unwrap();
    assert_eq!(code(reopened.sign_in("ana", "7391")).0, ErrorCode::WrongPin);
}
