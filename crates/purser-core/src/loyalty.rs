//! Loyalty at the till: what a sale earns, what a member may redeem while the till cannot
//! be sure of the member's true balance, how refunds and voids give both back, and the
//! checks on enrolments and cabin/room charges.
//!
//! The cloud owns the true balance and publishes it on `pos.loyalty-accounts.v1`. A till
//! knows that last published balance and its own loyalty events the balance does not
//! include yet ("unsynced"). Everything here is pure arithmetic over those figures.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::money::{allocate, Money};

/// A dated promotion that multiplies what some (or all) products earn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    pub name: String,
    /// First and last business date it applies (inclusive).
    pub starts: NaiveDate,
    pub ends: NaiveDate,
    /// 200 = double points.
    pub multiplier_percent: u32,
    /// Only these categories (empty with empty `skus` = every product).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Only these SKUs.
    #[serde(default)]
    pub skus: Vec<String>,
}

impl Promotion {
    fn applies(&self, date: NaiveDate, sku: &str, category: Option<&str>) -> bool {
        if date < self.starts || date > self.ends {
            return false;
        }
        if self.categories.is_empty() && self.skus.is_empty() {
            return true;
        }
        self.skus.iter().any(|s| s == sku)
            || category.is_some_and(|c| self.categories.iter().any(|x| x == c))
    }
}

/// How points are earned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarnRules {
    /// Points per whole currency unit paid (1 = one point per euro).
    pub points_per_unit: u32,
    /// Tier → multiplier in percent (gold = 200 doubles); tiers not listed earn 100 %.
    pub tier_multiplier_percent: BTreeMap<String, u32>,
    pub excluded_skus: BTreeSet<String>,
    pub excluded_categories: BTreeSet<String>,
    pub promotions: Vec<Promotion>,
}

/// One sale line as the earning rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarnLine {
    pub line_no: u32,
    pub sku: String,
    pub category: Option<String>,
    /// What the customer pays for the line.
    pub total: Money,
}

/// What one line earned; kept with the sale so refunds reverse exactly this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineEarning {
    pub line_no: u32,
    /// The part of the line's total that earned points (after any part paid with points).
    pub base: Money,
    pub points: i64,
}

/// A line of a sale given as a reward for points (free on the ticket).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RewardLine {
    pub line_no: u32,
    pub sku: String,
    /// Units rewarded.
    pub quantity: i64,
    /// Points the reward cost (points per unit × quantity).
    pub points: i64,
}

/// Reward points that refunds give back once `refunded` (cumulative quantities per line)
/// of the rewarded lines has come back: all of them for fully refunded lines.
pub fn reward_returned_through(rewards: &[RewardLine], refunded: &[(u32, i64)]) -> i64 {
    rewards
        .iter()
        .map(|r| {
            if r.quantity <= 0 {
                return 0;
            }
            let q: i64 = refunded
                .iter()
                .filter(|(n, _)| *n == r.line_no)
                .map(|(_, q)| *q)
                .sum::<i64>()
                .clamp(0, r.quantity);
            i64::try_from(i128::from(r.points) * i128::from(q) / i128::from(r.quantity))
                .unwrap_or(0)
        })
        .sum()
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Earning {
    pub points: i64,
    pub base: Money,
    pub tier_multiplier_percent: u32,
    /// Names of promotions that raised at least one line.
    pub promotions: Vec<String>,
    pub lines: Vec<LineEarning>,
}

impl EarnRules {
    fn tier_percent(&self, tier: &str) -> u32 {
        self.tier_multiplier_percent
            .get(&tier.to_lowercase())
            .copied()
            .unwrap_or(100)
    }

    fn excluded(&self, line: &EarnLine) -> bool {
        self.excluded_skus.contains(&line.sku)
            || line
                .category
                .as_ref()
                .is_some_and(|c| self.excluded_categories.contains(c))
    }

    /// Points a sale earns. The part of the sale paid with points earns nothing: it is
    /// taken off the eligible lines in proportion to their totals. Each line's points are
    /// rounded down, so a sale never earns more than its lines' exact figures.
    pub fn earn(
        &self,
        lines: &[EarnLine],
        tier: &str,
        date: NaiveDate,
        paid_with_points: Money,
        currency_exponent: u32,
    ) -> Earning {
        let tier_pct = self.tier_percent(tier);
        let eligible: Vec<&EarnLine> = lines
            .iter()
            .filter(|l| l.total.0 > 0 && !self.excluded(l))
            .collect();
        let eligible_total: i64 = eligible.iter().map(|l| l.total.0).sum();
        let off = paid_with_points.0.clamp(0, eligible_total);
        let weights: Vec<i64> = eligible.iter().map(|l| l.total.0).collect();
        let shares = if eligible.is_empty() {
            Vec::new()
        } else {
            allocate(off, &weights)
        };
        let unit = 10i128.pow(currency_exponent);
        let mut out = Earning {
            tier_multiplier_percent: tier_pct,
            ..Earning::default()
        };
        for (line, share) in eligible.iter().zip(shares) {
            let base = line.total.0 - share;
            let promo = self
                .promotions
                .iter()
                .filter(|p| p.applies(date, &line.sku, line.category.as_deref()))
                .max_by_key(|p| p.multiplier_percent);
            let promo_pct = promo.map_or(100, |p| p.multiplier_percent.max(100));
            if let Some(p) = promo.filter(|p| p.multiplier_percent > 100) {
                if !out.promotions.contains(&p.name) {
                    out.promotions.push(p.name.clone());
                }
            }
            let exact = i128::from(base)
                * i128::from(self.points_per_unit)
                * i128::from(tier_pct)
                * i128::from(promo_pct);
            let points = i64::try_from(exact / (unit * 100 * 100)).unwrap_or(i64::MAX);
            out.base += Money(base);
            out.points += points;
            out.lines.push(LineEarning {
                line_no: line.line_no,
                base: Money(base),
                points,
            });
        }
        out
    }
}

/// Points of an earning that refunds reverse once `refunded` (cumulative quantities per
/// line, as (line_no, quantity)) has been given back out of `sold` (line_no, quantity).
/// A fully refunded line reverses exactly what it earned; refunding it in parts never
/// reverses more.
pub fn earned_reversed_through(
    earning: &[LineEarning],
    sold: &[(u32, i64)],
    refunded: &[(u32, i64)],
) -> i64 {
    earning
        .iter()
        .map(|e| {
            let q = sold
                .iter()
                .find(|(n, _)| *n == e.line_no)
                .map_or(0, |(_, q)| *q);
            let r: i64 = refunded
                .iter()
                .filter(|(n, _)| *n == e.line_no)
                .map(|(_, q)| *q)
                .sum();
            if q <= 0 {
                return 0;
            }
            let r = r.clamp(0, q);
            i64::try_from(i128::from(e.points) * i128::from(r) / i128::from(q)).unwrap_or(0)
        })
        .sum()
}

/// Redeemed points that go back to the member once `refunded` of the sale's `total` has
/// been refunded (cumulative). All of them when the whole sale is refunded.
pub fn redeemed_returned_through(redeemed: i64, total: Money, refunded: Money) -> i64 {
    if total.0 <= 0 || redeemed <= 0 {
        return 0;
    }
    let r = refunded.0.clamp(0, total.0);
    i64::try_from(i128::from(redeemed) * i128::from(r) / i128::from(total.0)).unwrap_or(0)
}

/// What the till knows of a member's points: the balance last published by the cloud and
/// this till's own loyalty events that balance does not include yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsPosition {
    pub published: i64,
    /// Sum of unsynced earnings and their reversals (signed).
    pub unsynced_earned: i64,
    /// Sum of unsynced redemptions (negative) and redeemed points given back (positive).
    pub unsynced_spent: i64,
}

impl PointsPosition {
    /// The till's best estimate of the balance (everything it knows).
    pub fn estimated(&self) -> i64 {
        self.published + self.unsynced_earned + self.unsynced_spent
    }
    /// What the member may redeem here now. Unsynced earnings count only when the store
    /// says so (they could still be refunded at another till).
    pub fn available(&self, count_unsynced_earnings: bool) -> i64 {
        let earned = if count_unsynced_earnings {
            self.unsynced_earned
        } else {
            self.unsynced_earned.min(0)
        };
        (self.published + self.unsynced_spent + earned)
            .min(self.estimated())
            .max(0)
    }
}

/// Limits on redemptions the cloud has not confirmed yet, which bound what the same points
/// spent on two tills (or two ships) at once can cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionCaps {
    /// Points one member may redeem per business date at this till, unconfirmed.
    pub member_daily: i64,
    /// Points this till may redeem per business date across all members, unconfirmed.
    pub till_daily: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoyaltyError {
    #[error("points to redeem must be a positive whole number")]
    NotPositive,
    #[error("the member has {available} points available; {wanted} were asked for")]
    NotEnough { available: i64, wanted: i64 },
    #[error("this member has redeemed {used} unconfirmed points today; {wanted} more would pass the daily limit of {cap} — a supervisor can approve it")]
    MemberCap { used: i64, wanted: i64, cap: i64 },
    #[error("this till has redeemed {used} unconfirmed points today; {wanted} more would pass its daily limit of {cap} — a supervisor can approve it")]
    TillCap { used: i64, wanted: i64, cap: i64 },
    #[error("member {0} is closed and cannot earn, redeem or charge")]
    Closed(String),
    #[error("{points} points are worth {worth:?}, more than the {due:?} still due")]
    MoreThanDue {
        points: i64,
        worth: Money,
        due: Money,
    },
    #[error("charging {amount:?} to account {account} would bring what this till has charged unconfirmed to {total:?}, above its offline limit of {limit:?}")]
    ChargeLimit {
        account: String,
        amount: Money,
        total: Money,
        limit: Money,
    },
    #[error("{0}")]
    BadEnrolment(String),
}

impl LoyaltyError {
    /// Whether a supervisor's approval lifts this refusal.
    pub fn approvable(&self) -> bool {
        matches!(
            self,
            LoyaltyError::MemberCap { .. } | LoyaltyError::TillCap { .. }
        )
    }
}

/// Checks a redemption of `points`. `member_today` and `till_today` are the unconfirmed
/// points already redeemed today (positive). With `approved` the caps are lifted, never
/// the balance.
pub fn check_redemption(
    points: i64,
    available: i64,
    member_today: i64,
    till_today: i64,
    caps: RedemptionCaps,
    approved: bool,
) -> Result<(), LoyaltyError> {
    if points <= 0 {
        return Err(LoyaltyError::NotPositive);
    }
    if points > available {
        return Err(LoyaltyError::NotEnough {
            available,
            wanted: points,
        });
    }
    if approved {
        return Ok(());
    }
    if member_today + points > caps.member_daily {
        return Err(LoyaltyError::MemberCap {
            used: member_today,
            wanted: points,
            cap: caps.member_daily,
        });
    }
    if till_today + points > caps.till_daily {
        return Err(LoyaltyError::TillCap {
            used: till_today,
            wanted: points,
            cap: caps.till_daily,
        });
    }
    Ok(())
}

/// Checks a cabin/room charge against the account's offline limit: what this till has
/// charged to it that the cloud has not confirmed, plus this charge.
pub fn check_charge(
    account: &str,
    amount: Money,
    unconfirmed: Money,
    limit: Money,
) -> Result<(), LoyaltyError> {
    let total = unconfirmed + amount;
    if total > limit {
        return Err(LoyaltyError::ChargeLimit {
            account: account.to_string(),
            amount,
            total,
            limit,
        });
    }
    Ok(())
}

/// A member enrolled at the till, validated and normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolment {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub card_id: Option<String>,
}

impl Enrolment {
    /// Validates what the cashier typed. A member needs a name and a way to find them
    /// again: a phone number, an e-mail address or a card.
    pub fn new(
        name: &str,
        phone: Option<&str>,
        email: Option<&str>,
        card_id: Option<&str>,
    ) -> Result<Enrolment, LoyaltyError> {
        let bad = |m: &str| LoyaltyError::BadEnrolment(m.to_string());
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() || name.chars().count() > 80 {
            return Err(bad("the member's name must be 1-80 characters"));
        }
        // The name and the e-mail address are published (`loyalty.member_enrolled`).
        if crate::tender::looks_like_card_number(&name)
            || email.is_some_and(crate::tender::looks_like_card_number)
        {
            return Err(bad(
                "that looks like a payment card number; it cannot be part of a member's name or e-mail",
            ));
        }
        fn nonempty(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty())
        }
        let phone = nonempty(phone).map(normalise_phone).transpose()?;
        let email = nonempty(email).map(normalise_email).transpose()?;
        let card_id = nonempty(card_id)
            .map(|c| {
                validate_member_card(c)?;
                Ok::<_, LoyaltyError>(c.to_string())
            })
            .transpose()?;
        if phone.is_none() && email.is_none() && card_id.is_none() {
            return Err(bad(
                "give a phone number, an e-mail address or a card so the member can be found again",
            ));
        }
        Ok(Enrolment {
            name,
            phone,
            email,
            card_id,
        })
    }

    /// Normalised contact keys the cloud matches to merge a person enrolled twice (on two
    /// tills, or once here and once online).
    pub fn match_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(p) = &self.phone {
            keys.push(format!("phone:{p}"));
        }
        if let Some(e) = &self.email {
            keys.push(format!("email:{e}"));
        }
        keys
    }
}

/// `+44 20 7946 0001` → `+442079460001`. Digits only, one optional leading `+`, 6-15 digits.
pub fn normalise_phone(input: &str) -> Result<String, LoyaltyError> {
    let t = input.trim();
    let plus = t.starts_with('+');
    let mut digits = String::new();
    for (i, c) in t.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' | '/' => {}
            '+' if i == 0 => {}
            _ => {
                return Err(LoyaltyError::BadEnrolment(format!(
                    "'{input}' is not a phone number (digits, spaces and one leading + only)"
                )))
            }
        }
    }
    if !(6..=15).contains(&digits.len()) {
        return Err(LoyaltyError::BadEnrolment(format!(
            "'{input}' is not a phone number (6-15 digits)"
        )));
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

/// Lower-cased and checked for one `@` with a dotted domain.
pub fn normalise_email(input: &str) -> Result<String, LoyaltyError> {
    let e = input.trim().to_lowercase();
    let ok = e.len() <= 120
        && !e.chars().any(char::is_whitespace)
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(e)
    } else {
        Err(LoyaltyError::BadEnrolment(format!(
            "'{}' is not an e-mail address",
            input.trim()
        )))
    }
}

/// A loyalty card or QR code id: 4-40 letters, digits or `-`, and never a payment card.
pub fn validate_member_card(card: &str) -> Result<(), LoyaltyError> {
    if crate::tender::looks_like_card_number(card) {
        return Err(LoyaltyError::BadEnrolment(
            "that looks like a payment card number; scan the loyalty card instead".into(),
        ));
    }
    let ok = (4..=40).contains(&card.len())
        && card.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(LoyaltyError::BadEnrolment(format!(
            "'{card}' is not a loyalty card id (4-40 letters, digits or '-')"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules() -> EarnRules {
        EarnRules {
            points_per_unit: 1,
            tier_multiplier_percent: [("gold".to_string(), 200), ("silver".to_string(), 150)]
                .into_iter()
                .collect(),
            excluded_skus: ["GIFT".to_string()].into_iter().collect(),
            excluded_categories: ["Tobacco".to_string()].into_iter().collect(),
            promotions: vec![Promotion {
                name: "Coffee week".into(),
                starts: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
                ends: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default(),
                multiplier_percent: 300,
                categories: vec!["Coffee".into()],
                skus: vec![],
            }],
        }
    }

    fn line(n: u32, sku: &str, cat: Option<&str>, total: i64) -> EarnLine {
        EarnLine {
            line_no: n,
            sku: sku.into(),
            category: cat.map(str::to_string),
            total: Money(total),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    #[test]
    fn earns_per_unit_with_tier_promotion_and_exclusions() {
        let lines = [
            line(1, "C1", Some("Coffee"), 450),   // promo ×3
            line(2, "B1", Some("Bakery"), 1299),  // plain
            line(3, "GIFT", None, 5000),          // excluded SKU
            line(4, "CIG", Some("Tobacco"), 900), // excluded category
        ];
        let e = rules().earn(&lines, "member", day(25), Money::ZERO, 2);
        assert_eq!(e.lines.len(), 2);
        assert_eq!(e.lines[0].points, 13); // 4.50 × 3 = 13.5 → 13
        assert_eq!(e.lines[1].points, 12);
        assert_eq!(e.points, 25);
        assert_eq!(e.promotions, vec!["Coffee week".to_string()]);
        let gold = rules().earn(&lines, "Gold", day(25), Money::ZERO, 2);
        assert_eq!(gold.points, 27 + 25);
        // Outside the promotion's dates.
        let later = rules().earn(&lines, "member", day(30), Money::ZERO, 2);
        assert_eq!(later.points, 4 + 12);
        assert!(later.promotions.is_empty());
    }

    #[test]
    fn points_paid_part_earns_nothing() {
        let lines = [line(1, "A", None, 1000), line(2, "B", None, 3000)];
        let e = rules().earn(&lines, "member", day(30), Money(2000), 2);
        assert_eq!(e.base, Money(2000));
        assert_eq!(e.points, 20);
        let all = rules().earn(&lines, "member", day(30), Money(9999), 2);
        assert_eq!(all.points, 0);
    }

    #[test]
    fn available_and_caps() {
        let p = PointsPosition {
            published: 1000,
            unsynced_earned: 50,
            unsynced_spent: -300,
        };
        assert_eq!(p.available(false), 700);
        assert_eq!(p.available(true), 750);
        let caps = RedemptionCaps {
            member_daily: 500,
            till_daily: 2000,
        };
        assert!(check_redemption(400, 700, 0, 0, caps, false).is_ok());
        let e = check_redemption(400, 700, 300, 0, caps, false).unwrap_err();
        assert!(matches!(e, LoyaltyError::MemberCap { .. }) && e.approvable());
        assert!(check_redemption(400, 700, 300, 0, caps, true).is_ok());
        let e = check_redemption(800, 700, 0, 0, caps, true).unwrap_err();
        assert!(matches!(e, LoyaltyError::NotEnough { .. }) && !e.approvable());
        assert!(matches!(
            check_redemption(100, 700, 0, 1950, caps, false),
            Err(LoyaltyError::TillCap { .. })
        ));
        assert_eq!(
            check_redemption(0, 700, 0, 0, caps, false),
            Err(LoyaltyError::NotPositive)
        );
        assert!(check_charge("CABIN-1", Money(100), Money(400), Money(500)).is_ok());
        assert!(check_charge("CABIN-1", Money(101), Money(400), Money(500)).is_err());
    }

    #[test]
    fn enrolment_validation() {
        let e = Enrolment::new(
            "  Ada   Lovelace ",
            Some("+44 (20) 7946-0001"),
            Some(" Ada@Example.ORG "),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.name, "Ada Lovelace");
        assert_eq!(e.phone.as_deref(), Some("+442079460001"));
        assert_eq!(e.email.as_deref(), Some("ada@example.org"));
        assert_eq!(
            e.match_keys(),
            vec!["phone:+442079460001", "email:ada@example.org"]
        );
        for (name, phone, email, card) in [
            ("", Some("0123456"), None, None),
            ("Bob", None, None, None),
            ("Bob", Some("12ab"), None, None),
            ("Bob", Some("123"), None, None),
            ("Bob", None, Some("bob@"), None),
            ("Bob", None, Some("bob@example"), None),
            ("Bob", None, None, Some("4111111111111111")),
            ("Bob", None, None, Some("a b")),
        ] {
            assert!(
                Enrolment::new(name, phone, email, card).is_err(),
                "{name:?} {phone:?} {email:?} {card:?} should be refused"
            );
        }
        assert!(Enrolment::new("Bob", None, None, Some("LC-000099")).is_ok());
    }

    proptest! {
        /// Refunding every line, in any number of chunks, reverses exactly what was
        /// earned, and no prefix of the chunks reverses more.
        #[test]
        fn reversals_mirror_earnings(
            lines in proptest::collection::vec((1i64..6, 1i64..20_000), 1..6),
            gold in any::<bool>(),
            chunk_seed in proptest::collection::vec(1i64..4, 1..30),
            points_paid in 0i64..5_000,
        ) {
            let earn_lines: Vec<EarnLine> = lines.iter().enumerate()
                .map(|(i, (_, total))| line(u32::try_from(i).unwrap_or(0) + 1, "X", Some("Coffee"), *total))
                .collect();
            let sold: Vec<(u32, i64)> = lines.iter().enumerate()
                .map(|(i, (q, _))| (u32::try_from(i).unwrap_or(0) + 1, *q)).collect();
            let e = rules().earn(&earn_lines, if gold { "gold" } else { "member" }, day(25), Money(points_paid), 2);
            prop_assert!(e.points >= 0);
            prop_assert_eq!(e.points, e.lines.iter().map(|l| l.points).sum::<i64>());
            let mut refunded: Vec<(u32, i64)> = Vec::new();
            let mut reversed = 0i64;
            let mut k = 0;
            // Refund a chunk of the first line with anything left, until none is.
            while let Some((n, q)) = sold.iter().find(|(n, q)| {
                refunded.iter().filter(|(m, _)| m == n).map(|(_, x)| x).sum::<i64>() < *q
            }) {
                let done: i64 = refunded.iter().filter(|(m, _)| m == n).map(|(_, x)| x).sum();
                let chunk = chunk_seed[k % chunk_seed.len()].min(q - done);
                k += 1;
                let before = earned_reversed_through(&e.lines, &sold, &refunded);
                refunded.push((*n, chunk));
                let after = earned_reversed_through(&e.lines, &sold, &refunded);
                prop_assert!(after >= before);
                reversed += after - before;
                prop_assert!(reversed <= e.points);
            }
            prop_assert_eq!(reversed, e.points);
        }

        /// Redeemed points come back in full over any sequence of partial refunds, never
        /// more; and a member's estimated balance never goes negative through redemptions
        /// limited by `available` and reversals clamped to the estimate.
        #[test]
        fn balance_never_negative(
            published in 0i64..5_000,
            actions in proptest::collection::vec((0u8..3, 1i64..3_000), 1..40),
            count_earn in any::<bool>(),
        ) {
            let mut p = PointsPosition { published, ..PointsPosition::default() };
            let mut earned_total = 0i64;
            let caps = RedemptionCaps { member_daily: i64::MAX / 4, till_daily: i64::MAX / 4 };
            for (kind, n) in actions {
                match kind {
                    0 => { p.unsynced_earned += n; earned_total += n; }
                    1 => {
                        if check_redemption(n, p.available(count_earn), 0, 0, caps, false).is_ok() {
                            p.unsynced_spent -= n;
                        }
                    }
                    _ => {
                        // Reverse up to n earned points, clamped to what the estimate covers.
                        let want = n.min(earned_total);
                        let take = want.min(p.estimated().max(0));
                        p.unsynced_earned -= take;
                        earned_total -= take;
                    }
                }
                prop_assert!(p.estimated() >= 0);
                prop_assert!(p.available(count_earn) >= 0);
                prop_assert!(p.available(count_earn) <= p.estimated());
            }
        }

        #[test]
        fn redeemed_points_return_exactly(
            redeemed in 1i64..10_000,
            parts in proptest::collection::vec(1i64..5_000, 1..10),
        ) {
            let total: i64 = parts.iter().sum();
            let mut so_far = 0i64;
            let mut returned = 0i64;
            for p in &parts {
                let before = redeemed_returned_through(redeemed, Money(total), Money(so_far));
                so_far += p;
                let after = redeemed_returned_through(redeemed, Money(total), Money(so_far));
                prop_assert!(after >= before);
                returned += after - before;
            }
            prop_assert_eq!(returned, redeemed);
        }
    }
}
