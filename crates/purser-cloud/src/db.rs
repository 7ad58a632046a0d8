//! The cloud's PostgreSQL: connection, versioned migrations, and the consumed-offsets table
//! that makes every service's results and its position in the topics commit together.

pub use postgres::Client;
use postgres::{NoTls, Transaction};

/// Errors of the cloud's services.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("Kafka: {0}")]
    Kafka(String),
    #[error("the topic pattern is not a regular expression: {0}")]
    Pattern(#[from] regex::Error),
    #[error("{0}")]
    Config(String),
    #[error("the database is at schema version {found}, newer than this purser-cloud knows ({known}): upgrade purser-cloud")]
    NewerSchema { found: i32, known: i32 },
}

impl From<rdkafka::error::KafkaError> for CloudError {
    fn from(e: rdkafka::error::KafkaError) -> Self {
        CloudError::Kafka(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, CloudError>;

/// (version, name, SQL). Append only: a released migration is never edited.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "reconciler and loyalty ledger",
    r#"
-- Where each service is in each topic partition: advanced in the same transaction as the
-- results of the records before it.
CREATE TABLE consumed (
    service     text    NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (service, topic, partition)
);

-- Records that are no readable Purser event, kept for the data team.
CREATE TABLE quarantine (
    service     text        NOT NULL,
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    "offset"    bigint      NOT NULL,
    reason      text        NOT NULL,
    value       text,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service, topic, partition, "offset")
);

-- Every distinct till event, once.
CREATE TABLE till_events (
    store_id      text   NOT NULL,
    till_id       text   NOT NULL,
    till_seq      bigint NOT NULL,
    event_id      uuid   NOT NULL,
    event_type    text   NOT NULL,
    business_date date   NOT NULL,
    shift_id      uuid,
    raw           text   NOT NULL,
    PRIMARY KEY (store_id, till_id, till_seq)
);
CREATE INDEX till_events_by_id ON till_events (store_id, till_id, event_id);
CREATE INDEX till_events_by_day ON till_events (store_id, till_id, business_date);
CREATE INDEX till_events_by_shift ON till_events (store_id, till_id, shift_id);

-- One row per till: the lock two reconcilers take before touching its days, and where
-- its chain first broke.
CREATE TABLE tills (
    store_id          text NOT NULL,
    till_id           text NOT NULL,
    chain_broken_from bigint,
    PRIMARY KEY (store_id, till_id)
);

-- Duplicates and conflicts seen per day (the events table keeps one copy only).
CREATE TABLE day_notes (
    store_id      text   NOT NULL,
    till_id       text   NOT NULL,
    business_date date   NOT NULL,
    duplicates    bigint NOT NULL DEFAULT 0,
    conflicts     text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (store_id, till_id, business_date)
);

-- The status of every till's day; `published` is this table's outbox flag for
-- pos.reconciliation.v1, `revision` tells a publisher whether it changed meanwhile.
CREATE TABLE day_status (
    store_id      text        NOT NULL,
    till_id       text        NOT NULL,
    business_date date        NOT NULL,
    state         text        NOT NULL,
    status        jsonb       NOT NULL,
    updated_at    timestamptz NOT NULL,
    revision      bigint      NOT NULL DEFAULT 1,
    published     boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (store_id, till_id, business_date)
);
CREATE INDEX day_status_unpublished ON day_status (published) WHERE NOT published;

-- Loyalty: each applied event once, each member's balance and watermarks.
CREATE TABLE loyalty_applied (
    event_id   uuid   PRIMARY KEY,
    member_id  text   NOT NULL,
    store_id   text   NOT NULL,
    till_id    text   NOT NULL,
    till_seq   bigint NOT NULL,
    event_type text   NOT NULL,
    delta      bigint NOT NULL,
    forgiven   bigint NOT NULL DEFAULT 0
);
CREATE TABLE loyalty_members (
    member_id  text        PRIMARY KEY,
    record     jsonb       NOT NULL,
    balance    bigint      NOT NULL,
    updated_at timestamptz NOT NULL,
    revision   bigint      NOT NULL DEFAULT 1,
    published  boolean     NOT NULL DEFAULT false
);
CREATE INDEX loyalty_members_unpublished ON loyalty_members (published) WHERE NOT published;
CREATE TABLE loyalty_watermarks (
    member_id        text   NOT NULL,
    till_key         text   NOT NULL,
    applied_till_seq bigint NOT NULL,
    PRIMARY KEY (member_id, till_key)
);
"#,
)];

/// Connects to `url` (`postgres://user:password@host:port/db`, or key=value form).
pub fn connect(url: &str) -> Result<Client> {
    Ok(Client::connect(url, NoTls)?)
}

/// Brings the database to the newest schema. Two processes migrating at once wait for
/// each other (an advisory lock inside the migration's own transaction). Returns the
/// version now in place.
pub fn migrate(client: &mut Client) -> Result<i32> {
    let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('purser-cloud migrations'))",
        &[],
    )?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now())",
    )?;
    let have: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )?
        .get(0);
    if have > known {
        return Err(CloudError::NewerSchema { found: have, known });
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > have) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )?;
    }
    tx.commit()?;
    Ok(known)
}

/// Locks this service's row for one partition and returns the next offset it has not
/// applied. Records below it are already in the database (a re-delivery after a crash or
/// a rebalance) and are skipped.
pub fn lock_offset(
    tx: &mut Transaction<'_>,
    service: &str,
    topic: &str,
    partition: i32,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO consumed (service, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
         ON CONFLICT DO NOTHING",
        &[&service, &topic, &partition],
    )?;
    Ok(tx
        .query_one(
            "SELECT next_offset FROM consumed WHERE service = $1 AND topic = $2 AND partition = $3 FOR UPDATE",
            &[&service, &topic, &partition],
        )?
        .get(0))
}

pub fn advance_offset(
    tx: &mut Transaction<'_>,
    service: &str,
    topic: &str,
    partition: i32,
    next: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE consumed SET next_offset = greatest(next_offset, $4)
          WHERE service = $1 AND topic = $2 AND partition = $3",
        &[&service, &topic, &partition, &next],
    )?;
    Ok(())
}

/// The next offsets this service recorded, for partitions being assigned to it.
pub fn stored_offsets(
    client: &mut Client,
    service: &str,
    partitions: &[(String, i32)],
) -> Result<Vec<(String, i32, i64)>> {
    let mut out = Vec::new();
    for (topic, partition) in partitions {
        if let Some(row) = client.query_opt(
            "SELECT next_offset FROM consumed WHERE service = $1 AND topic = $2 AND partition = $3",
            &[&service, topic, partition],
        )? {
            out.push((topic.clone(), *partition, row.get(0)));
        }
    }
    Ok(out)
}

/// Keeps a record that is no readable event.
pub fn quarantine(
    tx: &mut Transaction<'_>,
    service: &str,
    rec: &crate::service::Record,
    reason: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO quarantine (service, topic, partition, \"offset\", reason, value)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        &[
            &service,
            &rec.topic,
            &rec.partition,
            &rec.offset,
            &reason,
            &rec.value,
        ],
    )?;
    Ok(())
}
