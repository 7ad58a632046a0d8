//! Is the cluster reachable, does it accept our credentials, does it know our topics, and
//! what does it let this till do with them ([`check_write`], [`check_read`])?

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};

use crate::config::KafkaConfig;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterInfo {
    pub brokers: Vec<String>,
    /// (topic, partitions) for every topic asked about that exists.
    pub topics: Vec<(String, usize)>,
    pub missing_topics: Vec<String>,
    /// Topics the cluster will not show this till (TOPIC_AUTHORIZATION_FAILED: its principal
    /// has no right on them; Kafka does not say whether they exist).
    pub refused_topics: Vec<String>,
}

/// Why a probe failed, as far as the client can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeFailure {
    /// The settings are incomplete or malformed; nothing was contacted.
    Invalid,
    /// No broker answered: wrong address or port, the network, or the cluster is down.
    Unreachable,
    /// A broker answered but refused the SASL credentials or mechanism.
    Authentication,
    /// The TLS handshake failed: a plaintext listener, an untrusted certificate, or a
    /// client certificate the broker refused.
    Tls,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProbeError {
    pub failure: ProbeFailure,
    pub message: String,
}

/// Connects, authenticates and reads metadata within `timeout`.
pub fn probe(cfg: &KafkaConfig, topics: &[&str], timeout: Duration) -> Result<ClusterInfo, String> {
    check_connection(cfg, topics, timeout).map_err(|e| e.message)
}

/// The client context of a probe: remembers the errors librdkafka reports on the way (an
/// authentication or TLS failure shows there, not in the metadata call's own error).
#[derive(Default)]
struct Recorder {
    errors: Mutex<Vec<(RDKafkaErrorCode, String)>>,
}

impl Recorder {
    fn seen(&self) -> Vec<(RDKafkaErrorCode, String)> {
        self.errors.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl ClientContext for Recorder {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, msg: &str) {
        crate::context::log_librdkafka(level, fac, msg);
        // A failed connection is logged at once from librdkafka's own thread; its error
        // event only reaches `error` when the queue is served, and not always (repeats
        // are suppressed). Keep both.
        if (level as i32) <= (RDKafkaLogLevel::Error as i32) {
            if let Ok(mut e) = self.errors.lock() {
                e.push((RDKafkaErrorCode::BrokerTransportFailure, msg.to_string()));
            }
        }
    }
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(%error, reason, "kafka probe error");
        if let Some(code) = error.rdkafka_error_code() {
            if let Ok(mut e) = self.errors.lock() {
                e.push((code, reason.to_string()));
            }
        }
    }
}

impl ConsumerContext for Recorder {}

fn classify(seen: &[(RDKafkaErrorCode, String)]) -> Option<(ProbeFailure, String)> {
    use RDKafkaErrorCode as C;
    let find = |codes: &[C]| {
        seen.iter()
            .rev()
            .find(|(c, _)| codes.contains(c))
            .map(|(_, r)| r.clone())
    };
    if let Some(r) = find(&[
        C::Authentication,
        C::SaslAuthenticationFailed,
        C::UnsupportedSASLMechanism,
        C::IllegalSASLState,
    ]) {
        return Some((ProbeFailure::Authentication, r));
    }
    if let Some(r) = find(&[C::SSL]) {
        return Some((ProbeFailure::Tls, r));
    }
    // librdkafka reports some SASL and TLS failures as transport errors whose reason
    // says what happened ("<broker>: SSL handshake failed: …"; the broker's name itself,
    // `ssl://host:port/id`, says nothing).
    for (_, r) in seen.iter().rev() {
        let what = r
            .split(": ")
            .filter(|part| !part.contains("://"))
            .collect::<Vec<_>>()
            .join(": ")
            .to_ascii_lowercase();
        if what.contains("sasl") || what.contains("authentica") {
            return Some((ProbeFailure::Authentication, r.clone()));
        }
        if what.contains("ssl") || what.contains("tls") || what.contains("certificate") {
            return Some((ProbeFailure::Tls, r.clone()));
        }
    }
    None
}

/// Connects, authenticates and reads metadata within `timeout`, and says why it could not.
/// An authentication or TLS failure ends the probe as soon as librdkafka reports it.
pub fn check_connection(
    cfg: &KafkaConfig,
    topics: &[&str],
    timeout: Duration,
) -> Result<ClusterInfo, ProbeError> {
    let fail = |failure, message: String| ProbeError { failure, message };
    cfg.validate()
        .map_err(|e| fail(ProbeFailure::Invalid, e.to_string()))?;
    let consumer: BaseConsumer<Recorder> = cfg
        .client_config()
        .set("allow.auto.create.topics", "false")
        .create_with_context(Recorder::default())
        .map_err(|e| {
            fail(
                ProbeFailure::Invalid,
                format!("cannot create a Kafka client: {e}"),
            )
        })?;
    let servers = cfg.bootstrap_servers.trim();
    let started = Instant::now();
    let deadline = started + timeout;
    let md = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let step = left
            .min(Duration::from_millis(500))
            .max(Duration::from_millis(1));
        match consumer.fetch_metadata(None, step) {
            Ok(md) => break md,
            Err(e) => {
                // Errors reach the context only when the client's queue is served.
                let _ = consumer.poll(Duration::ZERO);
                if let Some((failure, reason)) = classify(&consumer.context().seen()) {
                    let what = match failure {
                        ProbeFailure::Authentication => "refused the credentials".to_string(),
                        ProbeFailure::Tls => match tls_hint(&reason) {
                            Some(hint) => format!("failed the TLS handshake ({hint})"),
                            None => "failed the TLS handshake".to_string(),
                        },
                        _ => "failed".to_string(),
                    };
                    return Err(fail(
                        failure,
                        format!("Kafka at {servers} {what}: {reason}"),
                    ));
                }
                // Every broker refused the connection, or the name does not resolve: give
                // the cluster two seconds to come round, not the whole timeout.
                let seen = consumer.context().seen();
                let hopeless = seen.iter().any(|(c, _)| {
                    matches!(
                        c,
                        RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::Resolve
                    )
                });
                if Instant::now() >= deadline
                    || (hopeless && started.elapsed() >= Duration::from_secs(2))
                {
                    let reason = seen
                        .last()
                        .map(|(_, r)| r.clone())
                        .unwrap_or_else(|| e.to_string());
                    return Err(fail(
                        ProbeFailure::Unreachable,
                        format!("cannot reach Kafka at {servers}: {reason}"),
                    ));
                }
            }
        }
    };
    let brokers = md
        .brokers()
        .iter()
        .map(|b| format!("{}:{} (id {})", b.host(), b.port(), b.id()))
        .collect();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    let mut refused = Vec::new();
    for t in topics {
        match md
            .topics()
            .iter()
            .find(|m| m.name() == *t && m.error().is_none())
        {
            Some(m) => found.push(((*t).to_string(), m.partitions().len())),
            // A listing leaves out the topics this principal may not describe; asked by
            // name, the cluster says whether it refuses or does not know the topic.
            None => match topic_error(&consumer, t, deadline) {
                Some(RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) => {
                    refused.push((*t).to_string())
                }
                _ => missing.push((*t).to_string()),
            },
        }
    }
    Ok(ClusterInfo {
        brokers,
        topics: found,
        missing_topics: missing,
        refused_topics: refused,
    })
}

/// The error the cluster gives for `topic` when asked about it by name.
fn topic_error<C: ConsumerContext>(
    c: &BaseConsumer<C>,
    topic: &str,
    deadline: Instant,
) -> Option<RDKafkaRespErr> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(500));
    let md = c.fetch_metadata(Some(topic), left).ok()?;
    md.topics().first().and_then(|t| t.error())
}

/// What a TLS failure most likely means, from librdkafka's reason.
fn tls_hint(reason: &str) -> Option<&'static str> {
    let r = reason.to_ascii_lowercase();
    if r.contains("certificate verify failed")
        || r.contains("broker certificate could not be verified")
    {
        Some(
            "this till does not trust the broker's certificate: is ssl_ca_location the store's CA?",
        )
    } else if r.contains("alert certificate expired") {
        Some("the broker refused this till's client certificate: it has expired")
    } else if r.contains("alert bad certificate")
        || r.contains("alert unknown ca")
        || r.contains("alert certificate unknown")
        || r.contains("alert certificate required")
        || r.contains("alert handshake failure")
    {
        Some("the broker refused this till's client certificate: expired, not yet valid, or not signed by the store's CA")
    } else {
        None
    }
}

/// Whether the cluster grants this till one right, as far as a client can tell without
/// writing anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Granted,
    /// Refused by the cluster's authorization: Kafka's error name.
    Refused(String),
    /// No answer within the time given: why.
    Unknown(String),
}

fn code_name(code: RDKafkaErrorCode) -> String {
    match code {
        RDKafkaErrorCode::TopicAuthorizationFailed => "TOPIC_AUTHORIZATION_FAILED".into(),
        RDKafkaErrorCode::ClusterAuthorizationFailed => "CLUSTER_AUTHORIZATION_FAILED".into(),
        other => format!("{other:?}"),
    }
}

/// The producer-id state librdkafka reports in its statistics (`eos.idemp_state`).
#[derive(Default)]
struct IdempotenceWatch {
    state: Mutex<Option<String>>,
}

impl ClientContext for IdempotenceWatch {
    fn stats_raw(&self, json: &[u8]) {
        #[derive(serde::Deserialize)]
        struct Eos {
            idemp_state: String,
        }
        #[derive(serde::Deserialize)]
        struct Stats {
            eos: Option<Eos>,
        }
        if let Ok(Stats { eos: Some(e) }) = serde_json::from_slice::<Stats>(json) {
            if let Ok(mut s) = self.state.lock() {
                *s = Some(e.idemp_state);
            }
        }
    }
    fn log(&self, level: RDKafkaLogLevel, fac: &str, msg: &str) {
        // A refusal is the answer looked for, not a fault of this process.
        if fac == "FATAL" {
            tracing::debug!(target: "librdkafka", fac, "{msg}");
        } else {
            crate::context::log_librdkafka(level, fac, msg);
        }
    }
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(%error, reason, "kafka write check");
    }
}

impl rdkafka::producer::ProducerContext for IdempotenceWatch {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &rdkafka::producer::DeliveryResult<'_>, _: ()) {}
}

/// May this till write at all? An idempotent producer (as the relay's) asks the cluster for
/// a producer id, which Kafka grants a principal with Write on some topic (or
/// IdempotentWrite on the cluster) and refuses with CLUSTER_AUTHORIZATION_FAILED otherwise.
/// Nothing is written. Write on each topic can only be proven by writing; the relay says
/// which topic refused it (`RelayStatus::refused`, the rows' last error).
pub fn check_write(cfg: &KafkaConfig, timeout: Duration) -> Access {
    use rdkafka::producer::{BaseProducer, Producer};
    let producer: Result<BaseProducer<IdempotenceWatch>, _> = cfg
        .client_config()
        .set("enable.idempotence", "true")
        .set("statistics.interval.ms", "100")
        .create_with_context(IdempotenceWatch::default());
    let p = match producer {
        Ok(p) => p,
        Err(e) => return Access::Unknown(format!("cannot create a Kafka producer: {e}")),
    };
    let deadline = Instant::now() + timeout;
    loop {
        p.poll(Duration::from_millis(50));
        if let Some((code, reason)) = p.client().fatal_error() {
            return match code {
                RDKafkaErrorCode::ClusterAuthorizationFailed => Access::Refused(code_name(code)),
                _ => Access::Unknown(reason),
            };
        }
        let state = p.context().state.lock().ok().and_then(|s| s.clone());
        if state.as_deref() == Some("Assigned") {
            return Access::Granted;
        }
        if Instant::now() >= deadline {
            return Access::Unknown(format!(
                "no producer id within {timeout:?} (state {})",
                state.as_deref().unwrap_or("unknown")
            ));
        }
    }
}

/// May this till read `topic`? Fetches partition 0 from its start until a record or the
/// end arrives (TOPIC_AUTHORIZATION_FAILED otherwise). Nothing is committed.
pub fn check_read(cfg: &KafkaConfig, topic: &str, timeout: Duration) -> Access {
    let consumer: Result<BaseConsumer<crate::context::QuietContext>, _> = cfg
        .client_config()
        // librdkafka needs a group id to assign partitions; the group is never joined.
        .set("group.id", "purser-doctor")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create_with_context(crate::context::QuietContext);
    let c = match consumer {
        Ok(c) => c,
        Err(e) => return Access::Unknown(format!("cannot create a Kafka consumer: {e}")),
    };
    let mut tpl = rdkafka::TopicPartitionList::new();
    if let Err(e) = tpl.add_partition_offset(topic, 0, rdkafka::Offset::Beginning) {
        return Access::Unknown(e.to_string());
    }
    if let Err(e) = c.assign(&tpl) {
        return Access::Unknown(e.to_string());
    }
    let deadline = Instant::now() + timeout;
    let mut last = String::from("no answer");
    while Instant::now() < deadline {
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(_)) | Some(Err(KafkaError::PartitionEOF(_))) => return Access::Granted,
            Some(Err(e)) => match e.rdkafka_error_code() {
                Some(code @ RDKafkaErrorCode::TopicAuthorizationFailed) => {
                    return Access::Refused(code_name(code))
                }
                // The group is never used; its refusal says nothing about the topic.
                _ => last = e.to_string(),
            },
            None => {}
        }
    }
    Access::Unknown(format!("no answer within {timeout:?} ({last})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_apart_by_what_librdkafka_reported() {
        use RDKafkaErrorCode as C;
        let e = |c, r: &str| (c, r.to_string());
        assert_eq!(classify(&[]), None);
        assert_eq!(
            classify(&[e(C::BrokerTransportFailure, "Connection refused")]),
            None
        );
        assert_eq!(
            classify(&[
                e(C::BrokerTransportFailure, "Connection refused"),
                e(
                    C::Authentication,
                    "SASL SCRAM-SHA-512 mechanism handshake failed"
                )
            ])
            .map(|x| x.0),
            Some(ProbeFailure::Authentication)
        );
        assert_eq!(
            classify(&[e(C::SSL, "SSL handshake failed: wrong version number")]).map(|x| x.0),
            Some(ProbeFailure::Tls)
        );
        assert_eq!(
            classify(&[e(
                C::BrokerTransportFailure,
                "ssl://k:9093/bootstrap: SSL handshake failed: certificate verify failed"
            )])
            .map(|x| x.0),
            Some(ProbeFailure::Tls)
        );
        assert_eq!(
            classify(&[e(
                C::BrokerTransportFailure,
                "[thrd:ssl://k:9093/bootstrap]: ssl://k:9093/bootstrap: SSL handshake failed: Disconnected: connecting to a PLAINTEXT broker listener?"
            )])
            .map(|x| x.0),
            Some(ProbeFailure::Tls)
        );
        // A refused connection to a TLS listener is not a TLS failure.
        assert_eq!(
            classify(&[e(
                C::BrokerTransportFailure,
                "ssl://k:9093/bootstrap: Connect to ipv4#10.0.0.1:9093 failed: Connection refused"
            )]),
            None
        );
        assert_eq!(
            classify(&[e(
                C::BrokerTransportFailure,
                "[thrd:sasl_ssl://k:9093/bootstrap]: sasl_ssl://k:9093/bootstrap: Connect to ipv4#10.0.0.1:9093 failed: Connection refused"
            )]),
            None
        );
    }
}
