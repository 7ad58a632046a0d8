//! The till's configuration file (TOML), with environment overrides.
//!
//! Looked up at `--config`, else `$PURSER_CONFIG`, else `purser.toml` in the platform's
//! configuration folder: `$XDG_CONFIG_HOME/purser` (`~/.config/purser`) on Linux and macOS,
//! `%APPDATA%\Purser` on Windows (see `default_dirs`). Environment variables override the file:
//! `PURSER_DB`, `PURSER_KAFKA_BOOTSTRAP`, `PURSER_KAFKA_SECURITY_PROTOCOL`,
//! `PURSER_KAFKA_SASL_MECHANISM`, `PURSER_KAFKA_SASL_USERNAME`, `PURSER_KAFKA_SASL_PASSWORD`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use purser_core::loyalty::{EarnRules, RedemptionCaps};
use purser_core::money::Money;
use purser_core::tax::{TaxClass, TaxMode, TaxTable};
use purser_core::tender::OfflineCardLimits;
use purser_core::Currency;
use purser_stream::{KafkaConfig, SecurityProtocol, Topics};

use crate::error::{AppError, AppResult, ErrorCode};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSection {
    pub store_id: String,
    pub till_id: String,
    /// ISO 4217, e.g. EUR
    pub currency: String,
    /// inclusive (VAT) or exclusive (sales tax)
    pub tax_mode: String,
    /// IANA zone that decides the business date, e.g. Europe/Paris
    pub timezone: String,
    /// Cash is rounded to this many minor units (1 = none; 5 = to 0.05).
    #[serde(default = "one")]
    pub cash_rounding: i64,
    /// Tax class code → rate in basis points (2000 = 20 %).
    pub tax_classes: BTreeMap<String, u32>,
    /// Value of one loyalty point in minor units.
    #[serde(default = "one")]
    pub point_value: i64,
}

fn one() -> i64 {
    1
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentsSection {
    /// Largest single card payment the terminal may approve offline (major units).
    pub offline_card_per_payment: String,
    /// Most offline-approved card money per shift (major units).
    pub offline_card_per_shift: String,
}

impl Default for PaymentsSection {
    fn default() -> PaymentsSection {
        PaymentsSection {
            offline_card_per_payment: "150".into(),
            offline_card_per_shift: "1500".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutboxSection {
    /// Published outbox rows are kept this many days (the journal keeps everything).
    pub retention_days: u32,
    /// A till heartbeat is written this often while the cluster is reachable.
    pub heartbeat_secs: u64,
}

impl Default for OutboxSection {
    fn default() -> OutboxSection {
        OutboxSection {
            retention_days: 30,
            heartbeat_secs: 60,
        }
    }
}

/// What the till does when an item is out of stock by its local count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfStock {
    /// Ask the cashier to confirm, then sell.
    #[default]
    Warn,
    /// Refuse to sell it.
    Block,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StockSection {
    pub out_of_stock: OutOfStock,
}

/// The window at the till: locking, approvals, the receipt printer, the language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TillSection {
    /// The window locks after this many minutes without a touch or key (0 = never).
    pub auto_lock_minutes: u32,
    /// Discounts above this percentage of what they apply to need a supervisor's PIN.
    pub discount_approval_percent: u32,
    /// ESC/POS network receipt printer, `host:port` (port 9100 by default).
    pub printer: Option<String>,
    /// The window's language: en or de.
    pub language: String,
}

impl Default for TillSection {
    fn default() -> TillSection {
        TillSection {
            auto_lock_minutes: 5,
            discount_approval_percent: 10,
            printer: None,
            language: "en".into(),
        }
    }
}

/// Loyalty at the till: how points are earned, and the limits on redeeming points and
/// charging accounts before the cloud has confirmed them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoyaltySection {
    /// Points per whole currency unit paid (0 = members earn nothing).
    pub points_per_unit: u32,
    /// Tier → multiplier in percent (e.g. gold = 200); unlisted tiers earn 100 %.
    pub tier_multiplier_percent: BTreeMap<String, u32>,
    pub excluded_skus: Vec<String>,
    pub excluded_categories: Vec<String>,
    pub promotions: Vec<purser_core::loyalty::Promotion>,
    /// Whether points earned here but not yet in the published balance may be redeemed.
    pub count_unsynced_earnings: bool,
    /// Unconfirmed points one member may redeem per business day at this till.
    pub member_daily_cap: i64,
    /// Unconfirmed points this till may redeem per business day, all members together.
    pub till_daily_cap: i64,
    /// Tier given to members enrolled at the till.
    pub new_member_tier: String,
    /// Reward items: SKU → points per unit, for a member to take free for points.
    pub rewards: BTreeMap<String, i64>,
}

impl Default for LoyaltySection {
    fn default() -> LoyaltySection {
        LoyaltySection {
            points_per_unit: 1,
            tier_multiplier_percent: [("silver".to_string(), 125), ("gold".to_string(), 150)]
                .into_iter()
                .collect(),
            excluded_skus: Vec::new(),
            excluded_categories: Vec::new(),
            promotions: Vec::new(),
            count_unsynced_earnings: false,
            member_daily_cap: 5_000,
            till_daily_cap: 20_000,
            new_member_tier: "member".into(),
            rewards: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub database: PathBuf,
    pub store: StoreSection,
    #[serde(default)]
    pub payments: PaymentsSection,
    #[serde(default)]
    pub kafka: KafkaConfig,
    #[serde(default)]
    pub topics: Topics,
    #[serde(default)]
    pub outbox: OutboxSection,
    #[serde(default)]
    pub stock: StockSection,
    #[serde(default)]
    pub till: TillSection,
    #[serde(default)]
    pub loyalty: LoyaltySection,
    #[serde(default)]
    pub bar: BarSection,
}

/// The bar's service charge: a percentage added as its own line on eligible lines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BarSection {
    /// e.g. "18" or "12.5"; empty for no service charge.
    pub service_charge_percent: String,
    /// Categories it applies to (as the catalog names them); empty for every line.
    pub service_charge_categories: Vec<String>,
    /// Whether the service charge is taxed, and at which tax class.
    pub service_charge_taxable: bool,
    pub service_charge_tax_class: Option<String>,
}

impl BarSection {
    fn service_charge(
        &self,
        taxes: &TaxTable,
    ) -> AppResult<Option<purser_core::cart::ServiceCharge>> {
        let text = self.service_charge_percent.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let rate_bp = percent_bp(text).ok_or_else(|| {
            bad("[bar] service_charge_percent must be a percentage such as 18 or 12.5")
        })?;
        let tax_class = self
            .service_charge_tax_class
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        if let Some(c) = &tax_class {
            if taxes.rate_of(c).is_none() {
                return Err(bad(format!(
                    "[bar] service_charge_tax_class '{c}' is not one of [store.tax_classes]"
                )));
            }
        }
        let sc = purser_core::cart::ServiceCharge {
            rate_bp,
            categories: self.service_charge_categories.clone(),
            taxable: self.service_charge_taxable,
            tax_class: if self.service_charge_taxable {
                tax_class
            } else {
                None
            },
        };
        sc.validate().map_err(|e| bad(format!("[bar] {e}")))?;
        Ok(Some(sc))
    }
}

/// "12.5" (percent, at most two decimals) as basis points.
fn percent_bp(text: &str) -> Option<u32> {
    let (whole, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty()
        || frac.len() > 2
        || !(whole.chars().chain(frac.chars())).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

/// The validated, ready-to-use form of `Config`.
#[derive(Clone, Debug)]
pub struct Settings {
    pub config: Config,
    pub currency: Currency,
    pub tax_mode: TaxMode,
    pub timezone: chrono_tz::Tz,
    pub taxes: TaxTable,
    pub offline_card: OfflineCardLimits,
    pub earn_rules: EarnRules,
    pub redemption_caps: RedemptionCaps,
    /// `[bar]`'s service charge, when one is configured.
    pub service_charge: Option<purser_core::cart::ServiceCharge>,
}

impl Settings {
    /// A ticket priced as this till sells it: tax, and the service charge if configured.
    /// The one pricing of a ticket for the till, the window and the CLI.
    pub fn price(
        &self,
        cart: &purser_core::cart::Cart,
    ) -> Result<purser_core::cart::PricedCart, purser_core::cart::CartError> {
        cart.price_with(&self.taxes, self.tax_mode, self.service_charge.as_ref())
    }
}

/// Which platform's conventions the default paths follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Linux, the BSDs and macOS: the XDG base directories (`~/.config`, `~/.local/share`).
    Unix,
    /// `%APPDATA%` for the configuration (roams with the user's profile) and
    /// `%LOCALAPPDATA%` for the till database and logs (stay on this machine).
    Windows,
}

impl Platform {
    pub fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        }
    }
}

/// The folders a till keeps its files in, when nothing overrides them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultDirs {
    /// Holds `purser.toml`.
    pub config: PathBuf,
    /// Holds `till.db`, `logs/` and `receipts/`.
    pub data: PathBuf,
}

/// The default folders for `platform`, from the environment `var` gives (a pure function,
/// so each platform's rules are tested on any machine). Unset or empty variables fall
/// back to the next rule, and finally to the current folder.
pub fn default_dirs(platform: Platform, var: impl Fn(&str) -> Option<OsString>) -> DefaultDirs {
    let var = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let here = || PathBuf::from(".");
    match platform {
        Platform::Unix => {
            let home = var("HOME");
            let config = var("XDG_CONFIG_HOME")
                .or_else(|| home.as_ref().map(|h| h.join(".config")))
                .unwrap_or_else(here);
            let data = var("XDG_DATA_HOME")
                .or_else(|| home.as_ref().map(|h| h.join(".local").join("share")))
                .unwrap_or_else(here);
            DefaultDirs {
                config: config.join("purser"),
                data: data.join("purser"),
            }
        }
        Platform::Windows => {
            let profile = var("USERPROFILE");
            let roaming = var("APPDATA")
                .or_else(|| profile.as_ref().map(|p| p.join("AppData").join("Roaming")))
                .unwrap_or_else(here);
            let local = var("LOCALAPPDATA")
                .or_else(|| profile.as_ref().map(|p| p.join("AppData").join("Local")))
                .unwrap_or_else(here);
            DefaultDirs {
                config: roaming.join("Purser"),
                data: local.join("Purser"),
            }
        }
    }
}

fn this_machine() -> DefaultDirs {
    default_dirs(Platform::current(), |k| std::env::var_os(k))
}

/// `$PURSER_CONFIG`, else `purser.toml` in the platform's configuration folder.
pub fn default_config_path() -> PathBuf {
    if let Some(p) = std::env::var_os("PURSER_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    this_machine().config.join("purser.toml")
}

/// `$PURSER_DATA_DIR`, else the platform's data folder for Purser (the till database,
/// logs and receipt PDFs).
pub fn default_data_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PURSER_DATA_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    this_machine().data
}

/// `till.db` in [`default_data_dir`] (so `$PURSER_DATA_DIR` moves it too).
pub fn default_database_path() -> PathBuf {
    default_data_dir().join("till.db")
}

/// A TOML error in words that never quote the file: the line, the key and what is wrong,
/// and for a secret (a password, a PIN secret) not even what is wrong with its value.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else {
        return e.message().to_string();
    };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('#') && !k.starts_with('['));
    let secret = key.as_deref().is_some_and(|k| {
        let k = k.to_ascii_lowercase();
        k.contains("password") || k.contains("secret") || k.contains("pin")
    });
    match (key, secret) {
        (Some(k), true) => format!(
            "line {line_no}: the value of {k} is not valid TOML or not a string (not shown: it is a secret); write it as {k} = \"...\""
        ),
        (Some(k), false) => format!("line {line_no} ({k}): {}", e.message().trim()),
        (None, _) => format!("line {line_no}: {}", e.message().trim()),
    }
}

fn bad(msg: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidConfig, msg)
}

/// A store or till id: 1-40 letters, digits, '-' or '_' (`what` names the field).
pub fn check_id(what: &str, v: &str) -> AppResult<()> {
    let ok = !v.is_empty()
        && v.len() <= 40
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "{what} '{v}' must be 1-40 letters, digits, '-' or '_'"
        )))
    }
}

/// An ISO 4217 code the till knows, e.g. EUR.
pub fn check_currency(v: &str) -> AppResult<Currency> {
    Currency::from_code(v).map_err(|e| bad(e.to_string()))
}

pub fn check_tax_mode(v: &str) -> AppResult<TaxMode> {
    TaxMode::parse(v)
        .ok_or_else(|| bad(format!("tax_mode '{v}' must be 'inclusive' or 'exclusive'")))
}

/// An IANA time zone, e.g. Europe/Paris: it decides the business date.
pub fn check_timezone(v: &str) -> AppResult<chrono_tz::Tz> {
    v.parse().map_err(|_| {
        bad(format!(
            "timezone '{v}' is not an IANA zone such as Europe/Paris"
        ))
    })
}

/// A network receipt printer: `host`, `host:port` or an IP address (port 9100 by default).
pub fn check_printer(v: &str) -> AppResult<()> {
    crate::printout::check_printer_address(v).map_err(|_| {
        bad(format!(
            "[till] printer '{v}' must be host:port, e.g. 192.168.1.50:9100"
        ))
    })
}

pub fn check_language(v: &str) -> AppResult<()> {
    if matches!(v, "en" | "de") {
        Ok(())
    } else {
        Err(bad(format!("[till] language '{v}' must be en or de")))
    }
}

impl Config {
    pub fn load(path: &Path) -> AppResult<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AppError::new(
                ErrorCode::NotConfigured,
                format!(
                    "cannot read the configuration {}: {e} (run `purser init` first)",
                    path.display()
                ),
            )
        })?;
        let mut cfg: Config = toml::from_str(&text)
            .map_err(|e| bad(format!("{}: {}", path.display(), toml_error(&text, &e))))?;
        cfg.apply_env();
        Ok(cfg)
    }

    pub fn apply_env(&mut self) {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(v) = var("PURSER_DB") {
            self.database = PathBuf::from(v);
        }
        if let Some(v) = var("PURSER_KAFKA_BOOTSTRAP") {
            self.kafka.bootstrap_servers = v;
        }
        if let Some(p) =
            var("PURSER_KAFKA_SECURITY_PROTOCOL").and_then(|v| SecurityProtocol::parse(&v))
        {
            self.kafka.security_protocol = p;
        }
        if let Some(v) = var("PURSER_KAFKA_SASL_MECHANISM") {
            self.kafka.sasl_mechanism = Some(v);
        }
        if let Some(v) = var("PURSER_KAFKA_SASL_USERNAME") {
            self.kafka.sasl_username = Some(v);
        }
        if let Some(v) = var("PURSER_KAFKA_SASL_PASSWORD") {
            self.kafka.sasl_password = Some(v);
        }
    }

    /// Writes the file with user-only permissions (it may hold a SASL password).
    pub fn save(&self, path: &Path) -> AppResult<()> {
        let text = toml::to_string_pretty(self)
            .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                // A folder made for the configuration is the user's alone.
                let mut b = std::fs::DirBuilder::new();
                b.recursive(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt;
                    b.mode(0o700);
                }
                b.create(dir)
                    .map_err(|e| bad(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
        let tmp = path.with_extension("toml.tmp");
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts
                .open(&tmp)
                .map_err(|e| bad(format!("cannot write {}: {e}", tmp.display())))?;
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| bad(format!("cannot write {}: {e}", tmp.display())))?;
        }
        std::fs::rename(&tmp, path)
            .map_err(|e| bad(format!("cannot write {}: {e}", path.display())))?;
        Ok(())
    }

    pub fn settings(&self) -> AppResult<Settings> {
        let s = &self.store;
        check_id("store_id", &s.store_id)?;
        check_id("till_id", &s.till_id)?;
        let currency = check_currency(&s.currency)?;
        let tax_mode = check_tax_mode(&s.tax_mode)?;
        let timezone = check_timezone(&s.timezone)?;
        if !(1..=100_000).contains(&s.cash_rounding) {
            return Err(bad(
                "cash_rounding must be between 1 and 100000 minor units",
            ));
        }
        if s.tax_classes.is_empty() {
            return Err(bad(
                "at least one tax class is needed under [store.tax_classes]",
            ));
        }
        if let Some((code, rate)) = s.tax_classes.iter().find(|(_, r)| **r > 10_000) {
            return Err(bad(format!(
                "tax class {code}: rate {rate} basis points is above 100 %"
            )));
        }
        if let Some(p) = &self.till.printer {
            check_printer(p)?;
        }
        check_language(&self.till.language)?;
        self.kafka.check_extra().map_err(|e| bad(e.to_string()))?;
        if s.point_value < 1 {
            return Err(bad(
                "point_value (minor units one loyalty point is worth) must be at least 1",
            ));
        }
        let l = &self.loyalty;
        if l.member_daily_cap < 0 || l.till_daily_cap < 0 {
            return Err(bad("[loyalty] redemption caps must not be negative"));
        }
        if let Some((sku, p)) = l.rewards.iter().find(|(_, p)| **p <= 0) {
            return Err(bad(format!(
                "[loyalty] reward {sku} must cost a positive number of points, not {p}"
            )));
        }
        if l.new_member_tier.trim().is_empty() {
            return Err(bad("[loyalty] new_member_tier must not be empty"));
        }
        if let Some(p) = l.promotions.iter().find(|p| p.ends < p.starts) {
            return Err(bad(format!(
                "[loyalty] promotion '{}' ends before it starts",
                p.name
            )));
        }
        if let Some(p) = l
            .promotions
            .iter()
            .find(|p| p.multiplier_percent == 0 || p.multiplier_percent > 10_000)
        {
            return Err(bad(format!(
                "[loyalty] promotion '{}': multiplier_percent must be 1-10000",
                p.name
            )));
        }
        let earn_rules = EarnRules {
            points_per_unit: l.points_per_unit,
            tier_multiplier_percent: l
                .tier_multiplier_percent
                .iter()
                .map(|(k, v)| (k.to_lowercase(), *v))
                .collect(),
            excluded_skus: l.excluded_skus.iter().cloned().collect(),
            excluded_categories: l.excluded_categories.iter().cloned().collect(),
            promotions: l.promotions.clone(),
        };
        let redemption_caps = RedemptionCaps {
            member_daily: l.member_daily_cap,
            till_daily: l.till_daily_cap,
        };
        let taxes = TaxTable {
            classes: s
                .tax_classes
                .iter()
                .map(|(c, r)| TaxClass {
                    code: c.clone(),
                    rate_bp: *r,
                })
                .collect(),
        };
        let offline_card = OfflineCardLimits {
            per_payment: currency
                .parse_amount(&self.payments.offline_card_per_payment)
                .map_err(|e| bad(format!("offline_card_per_payment: {e}")))?,
            per_shift: currency
                .parse_amount(&self.payments.offline_card_per_shift)
                .map_err(|e| bad(format!("offline_card_per_shift: {e}")))?,
        };
        let service_charge = self.bar.service_charge(&taxes)?;
        Ok(Settings {
            config: self.clone(),
            currency,
            tax_mode,
            timezone,
            taxes,
            offline_card,
            earn_rules,
            redemption_caps,
            service_charge,
        })
    }

    /// A ready configuration for a new till (used by `purser init` and the demo).
    pub fn new_till(
        store_id: &str,
        till_id: &str,
        currency: &str,
        tax_mode: &str,
        timezone: &str,
        database: PathBuf,
    ) -> Config {
        let mut tax_classes = BTreeMap::new();
        if TaxMode::parse(tax_mode) == Some(TaxMode::Exclusive) {
            tax_classes.insert("standard".to_string(), 888);
            tax_classes.insert("food".to_string(), 0);
        } else {
            tax_classes.insert("standard".to_string(), 2000);
            tax_classes.insert("reduced".to_string(), 550);
            tax_classes.insert("zero".to_string(), 0);
        }
        Config {
            database,
            store: StoreSection {
                store_id: store_id.into(),
                till_id: till_id.into(),
                currency: currency.into(),
                tax_mode: tax_mode.into(),
                timezone: timezone.into(),
                cash_rounding: 1,
                tax_classes,
                point_value: 1,
            },
            payments: PaymentsSection::default(),
            kafka: KafkaConfig::default(),
            topics: Topics::default(),
            outbox: OutboxSection::default(),
            stock: StockSection::default(),
            till: TillSection::default(),
            loyalty: LoyaltySection::default(),
            bar: BarSection::default(),
        }
    }
}

impl Settings {
    pub fn money(&self, m: Money) -> String {
        self.currency.format(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_secret_is_never_quoted_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("purser.toml");
        let cfg = Config::new_till(
            "S1",
            "T1",
            "EUR",
            "inclusive",
            "UTC",
            dir.path().join("till.db"),
        );
        cfg.save(&path).unwrap();
        let good = std::fs::read_to_string(&path).unwrap();
        for bad_line in [
            "sasl_password = \"hunter2-secret",
            "sasl_password = 987654321",
            "sasl_password = hunter2-secret",
        ] {
            let text = good.replacen("[kafka]\n", &format!("[kafka]\n{bad_line}\n"), 1);
            assert_ne!(text, good, "the test file has a [kafka] table");
            std::fs::write(&path, &text).unwrap();
            let err = Config::load(&path).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidConfig);
            for secret in ["hunter2", "987654321"] {
                assert!(!err.message.contains(secret), "{bad_line}: {}", err.message);
            }
            assert!(err.message.contains("sasl_password"), "{}", err.message);
            assert!(err.message.contains("line "), "{}", err.message);
        }
        // Other keys still say what is wrong.
        let text = good.replacen("[kafka]\n", "[kafka]\nbootstrap_servers = 42\n", 1);
        std::fs::write(&path, text).unwrap();
        let err = Config::load(&path).unwrap_err();
        assert!(err.message.contains("bootstrap_servers"), "{}", err.message);
    }

    #[test]
    fn round_trips_and_validates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("purser.toml");
        let mut cfg = Config::new_till(
            "S1",
            "T1",
            "EUR",
            "inclusive",
            "Europe/Paris",
            dir.path().join("till.db"),
        );
        cfg.kafka.bootstrap_servers = "127.0.0.1:9092".into();
        cfg.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let loaded = Config::load(&path).unwrap();
        assert_eq!(loaded.store, cfg.store);
        assert!(loaded.settings().is_ok());
        let mut bad_cfg = cfg.clone();
        bad_cfg.store.currency = "EURO".into();
        assert_eq!(
            bad_cfg.settings().unwrap_err().code,
            ErrorCode::InvalidConfig
        );
        // A delivery timeout in [kafka.extra] would let events overtake each other.
        let mut bad_cfg = cfg.clone();
        bad_cfg
            .kafka
            .extra
            .insert("message.timeout.ms".into(), "30000".into());
        let err = bad_cfg.settings().unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert!(
            err.message.contains("message.timeout.ms"),
            "{}",
            err.message
        );
        let mut bad_cfg = cfg.clone();
        bad_cfg.store.timezone = "Mars/Olympus".into();
        assert_eq!(
            bad_cfg.settings().unwrap_err().code,
            ErrorCode::InvalidConfig
        );
        let mut bad_cfg = cfg;
        bad_cfg.store.till_id = "till 1".into();
        assert_eq!(
            bad_cfg.settings().unwrap_err().code,
            ErrorCode::InvalidConfig
        );
        assert_eq!(
            Config::load(&dir.path().join("missing.toml"))
                .unwrap_err()
                .code,
            ErrorCode::NotConfigured
        );
    }

    #[test]
    fn default_folders_follow_each_platform() {
        use std::collections::HashMap;
        let env = |pairs: &[(&str, &str)]| {
            let m: HashMap<String, OsString> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect();
            move |k: &str| m.get(k).cloned()
        };
        let linux = default_dirs(Platform::Unix, env(&[("HOME", "/home/ana")]));
        assert_eq!(linux.config, PathBuf::from("/home/ana/.config/purser"));
        assert_eq!(linux.data, PathBuf::from("/home/ana/.local/share/purser"));
        let xdg = default_dirs(
            Platform::Unix,
            env(&[
                ("HOME", "/home/ana"),
                ("XDG_CONFIG_HOME", "/cfg"),
                ("XDG_DATA_HOME", ""),
            ]),
        );
        assert_eq!(xdg.config, PathBuf::from("/cfg/purser"));
        assert_eq!(
            xdg.data,
            PathBuf::from("/home/ana/.local/share/purser"),
            "an empty XDG variable counts as unset"
        );
        let win = default_dirs(
            Platform::Windows,
            env(&[
                ("APPDATA", r"C:\Users\ana\AppData\Roaming"),
                ("LOCALAPPDATA", r"C:\Users\ana\AppData\Local"),
                // Windows has no HOME; a stray one (Git Bash) must not be used.
                ("HOME", "/c/Users/ana"),
            ]),
        );
        assert_eq!(
            win.config,
            PathBuf::from(r"C:\Users\ana\AppData\Roaming").join("Purser")
        );
        assert_eq!(
            win.data,
            PathBuf::from(r"C:\Users\ana\AppData\Local").join("Purser")
        );
        let profile_only =
            default_dirs(Platform::Windows, env(&[("USERPROFILE", r"C:\Users\ben")]));
        assert_eq!(
            profile_only.config,
            PathBuf::from(r"C:\Users\ben")
                .join("AppData")
                .join("Roaming")
                .join("Purser")
        );
        assert_eq!(
            profile_only.data,
            PathBuf::from(r"C:\Users\ben")
                .join("AppData")
                .join("Local")
                .join("Purser")
        );
        let nothing = default_dirs(Platform::Windows, env(&[]));
        assert_eq!(nothing.config, PathBuf::from(".").join("Purser"));
    }
}
