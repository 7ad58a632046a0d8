//! Is the cluster reachable, does it accept our credentials, and does it know our topics?

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use crate::config::KafkaConfig;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterInfo {
    pub brokers: Vec<String>,
    /// (topic, partitions) for every topic asked about that exists.
    pub topics: Vec<(String, usize)>,
    pub missing_topics: Vec<String>,
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
                        ProbeFailure::Authentication => "refused the credentials",
                        ProbeFailure::Tls => "failed the TLS handshake",
                        _ => "failed",
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
    for t in topics {
        match md
            .topics()
            .iter()
            .find(|m| m.name() == *t && m.error().is_none())
        {
            Some(m) => found.push(((*t).to_string(), m.partitions().len())),
            None => missing.push((*t).to_string()),
        }
    }
    Ok(ClusterInfo {
        brokers,
        topics: found,
        missing_topics: missing,
    })
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
