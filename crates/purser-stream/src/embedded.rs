//! An embedded Kafka-protocol broker for the demo and tests: librdkafka's in-process mock
//! cluster, listening on real loopback ports so other processes can use it too.

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use crate::config::Topics;

pub struct EmbeddedBroker {
    cluster: MockCluster<'static, DefaultProducerContext>,
}

impl std::fmt::Debug for EmbeddedBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedBroker")
            .field("bootstrap", &self.bootstrap_servers())
            .finish()
    }
}

impl EmbeddedBroker {
    /// Starts a one-broker cluster with the till topics created (3 partitions each).
    pub fn start(topics: &Topics) -> Result<EmbeddedBroker, String> {
        let cluster =
            MockCluster::new(1).map_err(|e| format!("cannot start the embedded broker: {e}"))?;
        for t in [
            &topics.payments,
            &topics.tills,
            &topics.loyalty,
            &topics.inventory,
            &topics.catalog,
            &topics.loyalty_accounts,
            &topics.reconciliation,
        ] {
            cluster
                .create_topic(t, 3, 1)
                .map_err(|e| format!("cannot create topic {t}: {e}"))?;
        }
        Ok(EmbeddedBroker { cluster })
    }

    pub fn bootstrap_servers(&self) -> String {
        self.cluster.bootstrap_servers()
    }

    /// Simulates the broker going away (connections refused) and coming back.
    pub fn set_down(&self, down: bool) -> Result<(), String> {
        let r = if down {
            self.cluster.broker_down(1)
        } else {
            self.cluster.broker_up(1)
        };
        r.map_err(|e| e.to_string())
    }

    pub fn cluster(&self) -> &MockCluster<'static, DefaultProducerContext> {
        &self.cluster
    }
}
