//! What the window talks to: a till that is set up (`Ready`, the `Desk`), a till waiting
//! for its first-run setup (`Setup`), or a till that could not be opened (`Failed`).
//!
//! The shell decides which at start-up (`Station::start`) and hands every IPC call to
//! `ipc::dispatch` with the station. The till's commands answer `NotConfigured` while the
//! setup screen is up; the setup commands answer only then. A successful `setup_save`
//! (or `setup_demo`) turns the station into `Ready` in place: the window carries on to
//! the sign-in screen without a restart.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use purser_core::clock::Clock as _;
use purser_core::Currency;
use purser_stream::{KafkaConfig, Topics};

use crate::background::Background;
use crate::desk::{Desk, Links, Offline};
use crate::ipc::Empty;
use purser_app::config::Config;
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::runtime::{open_till, SystemClock};
use purser_app::setup::{self, FieldIssue, KafkaTestView, Needs, PrinterTestView, SetupForm};

/// Where the window's till keeps its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    /// The configuration file (it may not exist yet).
    pub config: PathBuf,
    /// The data folder: `till.db` (for a new till), `receipts/`, `logs/`, `demo/`.
    pub data: PathBuf,
}

/// A connection test to the store's cluster, ready to run (it waits on the network, up to
/// its timeout).
#[derive(Debug)]
pub struct KafkaTest {
    kafka: KafkaConfig,
    timeout: Duration,
}

impl KafkaTest {
    /// Runs the test: the settings tested and what the window shows.
    pub fn run(self) -> (KafkaConfig, KafkaTestView) {
        let view = setup::test_kafka(&self.kafka, &Topics::default(), self.timeout);
        (self.kafka, view)
    }
}

/// A connection test to a receipt printer (`host:port`), ready to run.
#[derive(Debug)]
pub struct PrinterTest(pub String);

impl PrinterTest {
    pub fn run(self) -> PrinterTestView {
        setup::test_printer(&self.0, Duration::from_secs(3))
    }
}

/// The first-run setup in progress.
#[derive(Debug)]
pub struct Setup {
    paths: Paths,
    /// The Kafka settings of the last connection test that succeeded: saving needs them.
    tested: Option<KafkaConfig>,
    kafka_timeout: Duration,
}

pub enum Station {
    /// Both boxed: they are large, and the station is mostly one or the other.
    Setup(Box<Setup>),
    Ready(Box<Desk>),
    Failed(AppError),
}

impl std::fmt::Debug for Station {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Station::Setup(s) => f.debug_tuple("Setup").field(s).finish(),
            Station::Ready(d) => f.debug_tuple("Ready").field(d).finish(),
            Station::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
        }
    }
}

/// Opens the till the configuration describes, with the relay and the streams beside it
/// (a till whose Kafka settings are missing or wrong sells offline).
pub fn open_configured(config: &Path, receipts: PathBuf) -> AppResult<Desk> {
    let cfg = Config::load(config)?;
    let settings = cfg.settings()?;
    let till = open_till(settings.clone())?;
    let links: Box<dyn Links> = match Background::start(&settings) {
        Ok(b) => Box::new(b),
        Err(e) => {
            tracing::warn!("relay and streams not started: {e}");
            Box::new(Offline)
        }
    };
    Ok(crate::desk::with_reports(
        Desk::new(till, links, receipts, false),
        &settings,
    ))
}

// ----- wire types of the setup screen -------------------------------------------------

/// What the setup screen starts from.
#[derive(Clone, Debug, Serialize, TS)]
pub struct SetupDefaults {
    /// Where the configuration will be written.
    pub config_path: String,
    /// Where the till database will be.
    pub database: String,
    pub currency: String,
    pub tax_mode: String,
    /// The system's time zone when it can tell, else UTC.
    pub timezone: String,
    pub security_protocol: String,
    pub sasl_mechanism: String,
    /// The topics the connection test looks for.
    pub topics: Vec<String>,
    /// Every currency code and time zone the till accepts (for suggestions).
    pub currencies: Vec<String>,
    pub timezones: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct PrinterArgs {
    pub printer: String,
}

/// The answer to `setup_save`: `saved`, or the fields to fix (nothing was written).
#[derive(Clone, Debug, Serialize, TS)]
pub struct SetupSaved {
    pub saved: bool,
    pub issues: Vec<FieldIssue>,
    pub config_path: String,
}

const WINDOW: Needs = Needs {
    kafka: true,
    manager: true,
};

impl Station {
    /// The station for a window started without `--demo`: the setup screen when no
    /// configuration file exists, else the till it describes (or why it cannot open).
    pub fn start(paths: Paths) -> Station {
        if !paths.config.exists() {
            tracing::info!(config = %paths.config.display(), "no configuration: first-run setup");
            return Station::Setup(Box::new(Setup::new(paths)));
        }
        match open_configured(&paths.config, paths.data.join("receipts")) {
            Ok(d) => Station::Ready(Box::new(d)),
            Err(e) => {
                tracing::error!("the till could not be opened: {e}");
                Station::Failed(e)
            }
        }
    }

    /// The till's commands work only on a till that is set up.
    pub fn desk_mut(&mut self) -> AppResult<&mut Desk> {
        match self {
            Station::Ready(d) => Ok(d.as_mut()),
            Station::Setup(_) => Err(AppError::new(
                ErrorCode::NotConfigured,
                "this till is not set up yet: fill in the setup screen (or run `purser init`)",
            )),
            Station::Failed(e) => Err(e.clone()),
        }
    }

    pub(crate) fn setup_mut(&mut self) -> AppResult<&mut Setup> {
        match self {
            Station::Setup(s) => Ok(s.as_mut()),
            Station::Ready(_) => Err(AppError::new(
                ErrorCode::NotAllowed,
                "this till is already set up",
            )),
            Station::Failed(e) => Err(e.clone()),
        }
    }

    // ----- the setup screen's commands (see `ipc.rs`) ----------------------------------

    pub fn setup_defaults(&mut self, _: Empty) -> AppResult<SetupDefaults> {
        let s = self.setup_mut()?;
        let t = Topics::default();
        Ok(SetupDefaults {
            config_path: s.paths.config.display().to_string(),
            database: s.database().display().to_string(),
            currency: "EUR".into(),
            tax_mode: "inclusive".into(),
            timezone: setup::system_timezone().unwrap_or_else(|| "UTC".into()),
            security_protocol: "plaintext".into(),
            sasl_mechanism: "SCRAM-SHA-512".into(),
            topics: vec![
                t.payments,
                t.tills,
                t.loyalty,
                t.catalog,
                t.inventory,
                t.loyalty_accounts,
            ],
            currencies: Currency::known_codes().map(str::to_string).collect(),
            timezones: chrono_tz::TZ_VARIANTS
                .iter()
                .map(|z| z.name().to_string())
                .collect(),
        })
    }

    /// Checks every field without contacting anything or writing anything.
    pub fn setup_check(&mut self, form: SetupForm) -> AppResult<Vec<FieldIssue>> {
        let s = self.setup_mut()?;
        Ok(match setup::plan(&form, s.database(), WINDOW) {
            Ok(_) => Vec::new(),
            Err(issues) => issues,
        })
    }

    /// Connects to the store's cluster with the form's Kafka settings. (The shell runs
    /// the test in three steps instead, `kafka_test_plan`, `KafkaTest::run` and
    /// `kafka_tested`, so that the station is not locked while it waits on the network.)
    pub fn setup_test_kafka(&mut self, form: SetupForm) -> AppResult<KafkaTestView> {
        match self.kafka_test_plan(&form)? {
            Err(invalid) => Ok(invalid),
            Ok(test) => {
                let (k, view) = test.run();
                self.kafka_tested(k, &view);
                Ok(view)
            }
        }
    }

    /// What a connection test with the form's Kafka settings needs, or the test's answer
    /// when the settings are not even valid. Quick: no network.
    pub fn kafka_test_plan(
        &mut self,
        form: &SetupForm,
    ) -> AppResult<Result<KafkaTest, KafkaTestView>> {
        let s = self.setup_mut()?;
        match setup::kafka_config(form, true) {
            Ok(kafka) => Ok(Ok(KafkaTest {
                kafka,
                timeout: s.kafka_timeout,
            })),
            Err(issues) => Ok(Err(KafkaTestView {
                ok: false,
                failure: Some("invalid".into()),
                message: issues
                    .iter()
                    .map(|i| i.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                brokers: Vec::new(),
                topics_found: Vec::new(),
                topics_missing: Vec::new(),
                topics_refused: Vec::new(),
                write_refused: None,
                issues,
            })),
        }
    }

    /// Remembers a connection test's outcome: saving needs a successful test of the same
    /// settings. Nothing to remember once the till is set up (another call saved it).
    pub fn kafka_tested(&mut self, kafka: KafkaConfig, view: &KafkaTestView) {
        tracing::info!(ok = view.ok, failure = ?view.failure, "setup: Kafka connection test");
        if let Station::Setup(s) = self {
            s.tested = view.ok.then_some(kafka);
        }
    }

    pub fn setup_test_printer(&mut self, a: PrinterArgs) -> AppResult<PrinterTestView> {
        self.setup_mut()?;
        Ok(PrinterTest(a.printer).run())
    }

    /// Checks the form, requires a successful connection test of the same Kafka settings,
    /// then sets the till up and opens it: the window goes on to the sign-in screen.
    pub fn setup_save(&mut self, form: SetupForm) -> AppResult<SetupSaved> {
        let s = self.setup_mut()?;
        let config_path = s.paths.config.display().to_string();
        let refused = |issues| {
            Ok(SetupSaved {
                saved: false,
                issues,
                config_path: config_path.clone(),
            })
        };
        let plan = match setup::plan(&form, s.database(), WINDOW) {
            Ok(p) => p,
            Err(issues) => return refused(issues),
        };
        if s.tested.as_ref() != Some(&plan.config.kafka) {
            return refused(vec![FieldIssue {
                field: "kafka".into(),
                rule: "kafka_untested".into(),
                message: "test the connection to Kafka with these settings before saving".into(),
            }]);
        }
        if let Err(issues) = setup::save(&plan, &s.paths.config, false, SystemClock.now())? {
            return refused(issues);
        }
        let desk = open_configured(&s.paths.config, s.paths.data.join("receipts"))?;
        *self = Station::Ready(Box::new(desk));
        Ok(SetupSaved {
            saved: true,
            issues: Vec::new(),
            config_path,
        })
    }

    /// Opens the embedded demo store instead (its own folder; the real setup is still
    /// to do the next time the window starts).
    pub fn setup_demo(&mut self, _: Empty) -> AppResult<bool> {
        let s = self.setup_mut()?;
        let desk = crate::demo::open_demo_desk(&s.paths.data.join("demo"))?;
        *self = Station::Ready(Box::new(desk));
        Ok(true)
    }
}

impl Setup {
    pub fn new(paths: Paths) -> Setup {
        Setup {
            paths,
            tested: None,
            kafka_timeout: Duration::from_secs(10),
        }
    }

    /// A new till's database: `till.db` in the data folder.
    fn database(&self) -> PathBuf {
        self.paths.data.join("till.db")
    }
}
