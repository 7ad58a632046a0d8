//! Loyalty use cases: finding and enrolling members, and the loyalty side of a sale, a
//! refund and a void (earned and redeemed points, cabin/room charges), recorded inside
//! the same transaction as the sale itself (`Till::sell_cart`, `refund`, `void`).

use chrono::NaiveDate;
use uuid::Uuid;

use purser_core::cart::{PricedCart, Quantity};
use purser_core::events::{
    EventBody, EventContext, MemberEnrolled, PointsEarned, PointsRedeemed, PointsReversed,
};
use purser_core::loyalty::{
    check_charge, check_redemption, earned_reversed_through, normalise_email, normalise_phone,
    redeemed_returned_through, reward_returned_through, EarnLine, Enrolment, LoyaltyError,
    RewardLine,
};
use purser_core::money::Money;
use purser_core::tender::Tender;
use purser_store::{Action, LedgerEntry, LedgerKind, MemberRow, SaleLoyalty, StoredSale};

use crate::config::Settings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::till::{Recorded, Till};

impl From<LoyaltyError> for AppError {
    fn from(e: LoyaltyError) -> AppError {
        let code = match &e {
            LoyaltyError::NotPositive | LoyaltyError::BadEnrolment(_) => ErrorCode::InvalidInput,
            e if e.approvable() => ErrorCode::ApprovalRequired,
            LoyaltyError::NotEnough { .. }
            | LoyaltyError::MoreThanDue { .. }
            | LoyaltyError::ChargeLimit { .. } => ErrorCode::PaymentRefused,
            _ => ErrorCode::NotAllowed,
        };
        AppError::new(code, e.to_string())
    }
}

/// A member as the till shows them, with the points the till believes they have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    pub member: MemberRow,
    /// Last balance published by the cloud.
    pub published: i64,
    /// What the member may redeem here now.
    pub available: i64,
    /// Published balance plus everything this till did that it does not include yet.
    pub estimated: i64,
    /// Charged to the member's cabin/room account here and not yet confirmed.
    pub unconfirmed_charges: Money,
}

/// The loyalty lines of a receipt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptLoyalty {
    pub member_id: String,
    pub name: String,
    pub earned: i64,
    pub redeemed: i64,
    pub reversed: i64,
    pub returned: i64,
    /// The member's estimated balance now.
    pub balance: i64,
}

fn closed(m: &MemberRow) -> AppError {
    LoyaltyError::Closed(m.member_id.clone()).into()
}

/// The loyalty side of a sale, refund or void, run inside its transaction closure (it
/// borrows the till's settings, a field apart from the store the closure writes to).
pub(crate) struct LoyaltyCtx<'s> {
    settings: &'s Settings,
}

/// The ticket lines given as rewards for points: each must be a reward item of
/// `[loyalty] rewards`, sold by the unit, and free on the ticket.
pub(crate) fn reward_lines(
    settings: &Settings,
    priced: &PricedCart,
    line_nos: &[u32],
) -> AppResult<Vec<RewardLine>> {
    let mut out = Vec::with_capacity(line_nos.len());
    for n in line_nos {
        let l = priced
            .lines
            .iter()
            .find(|l| l.line_no == *n)
            .ok_or_else(|| AppError::not_found(format!("no line {n} on the ticket")))?;
        let cost = *settings.config.loyalty.rewards.get(&l.sku).ok_or_else(|| {
            AppError::new(
                ErrorCode::NotAllowed,
                format!("{} is not a reward item", l.name),
            )
        })?;
        let Quantity::Units(q) = l.quantity else {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!("{} is weighed: it cannot be a reward", l.name),
            ));
        };
        if !l.total.is_zero() {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!("the reward {} must be free on the ticket", l.name),
            ));
        }
        out.push(RewardLine {
            line_no: l.line_no,
            sku: l.sku.clone(),
            quantity: q,
            points: cost.saturating_mul(q),
        });
    }
    Ok(out)
}

impl<'s> LoyaltyCtx<'s> {
    pub(crate) fn new(settings: &'s Settings) -> LoyaltyCtx<'s> {
        LoyaltyCtx { settings }
    }

    fn point_value(&self) -> i64 {
        self.settings.config.store.point_value
    }

    /// Checks the sale's member, points tenders and account charges before it is recorded.
    /// Returns the member (if any) and the available balance the redemptions relied on.
    pub(crate) fn check_sale(
        &self,
        a: &Action<'_>,
        member_id: Option<&str>,
        tenders: &[Tender],
        rewards: &[RewardLine],
        business_date: NaiveDate,
        approved_by: Option<&str>,
    ) -> AppResult<(Option<MemberRow>, i64)> {
        let member = match member_id {
            Some(id) => {
                let m = a.member_by_id(id)?.ok_or_else(|| {
                    AppError::not_found(format!("no loyalty member {}", id.trim()))
                })?;
                if !m.active {
                    return Err(closed(&m));
                }
                Some(m)
            }
            None => None,
        };
        let mut available_before = 0;
        let redeemed: i64 = tenders
            .iter()
            .map(|t| match t {
                Tender::Points { points, .. } => *points,
                _ => 0,
            })
            .sum::<i64>()
            + rewards.iter().map(|r| r.points).sum::<i64>();
        if !rewards.is_empty() && member.is_none() {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "attach the member to the sale before giving a reward for points",
            ));
        }
        for t in tenders {
            match t {
                Tender::Points {
                    member_id: who,
                    points,
                    amount,
                } => {
                    let Some(m) = member.as_ref() else {
                        return Err(AppError::new(
                            ErrorCode::NotAllowed,
                            "attach the member to the sale before paying with their points",
                        ));
                    };
                    if who.trim() != m.member_id {
                        return Err(AppError::new(
                            ErrorCode::NotAllowed,
                            format!(
                                "points tender names member {who}, but the sale is for {}",
                                m.member_id
                            ),
                        ));
                    }
                    if *amount != Money(points.saturating_mul(self.point_value())) {
                        return Err(AppError::invalid(format!(
                            "{points} points are worth {}, not {}",
                            self.settings
                                .money(Money(points.saturating_mul(self.point_value()))),
                            self.settings.money(*amount)
                        )));
                    }
                }
                Tender::Account {
                    account_id, amount, ..
                } => {
                    let holder = a.member_by_account(account_id)?.ok_or_else(|| {
                        AppError::not_found(format!(
                            "no guest account {account_id} in the accounts list: check the number on the card"
                        ))
                    })?;
                    if !holder.active {
                        return Err(AppError::new(
                            ErrorCode::NotAllowed,
                            format!("account {account_id} is closed: take another payment"),
                        ));
                    }
                    let limit = holder.account.as_ref().map_or(Money::ZERO, |x| x.2);
                    let so_far = a.unsynced_charges(account_id)?;
                    check_charge(account_id, *amount, so_far, limit)?;
                }
                _ => {}
            }
        }
        if let (Some(m), true) = (member.as_ref(), redeemed > 0) {
            let pos = a.points_position(&m.member_id)?;
            available_before = pos.available(self.settings.config.loyalty.count_unsynced_earnings);
            let member_today = a.unsynced_redeemed_on(Some(&m.member_id), business_date)?;
            let till_today = a.unsynced_redeemed_on(None, business_date)?;
            check_redemption(
                redeemed,
                available_before,
                member_today,
                till_today,
                self.settings.redemption_caps,
                approved_by.is_some(),
            )?;
        }
        Ok((member, available_before))
    }

    /// Records the loyalty side of a recorded sale: account charges, points redeemed and
    /// points earned, each loyalty event through the outbox.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_sale(
        &self,
        a: &mut Action<'_>,
        ctx: &EventContext,
        sale_seq: u64,
        sale: &purser_core::events::SaleCompleted,
        member: Option<&MemberRow>,
        rewards: &[RewardLine],
        available_before: i64,
        approved_by: Option<&str>,
        ids: &dyn Fn() -> Uuid,
    ) -> AppResult<()> {
        let topic = self.settings.config.topics.loyalty.clone();
        let sale_id = sale.sale_id.to_string();
        let entry = |till_seq, kind, points, amount, member_id, account_id| LedgerEntry {
            till_seq,
            member_id,
            account_id,
            kind,
            points,
            amount,
            sale_id: "",
            receipt_no: &sale.receipt_no,
            business_date: ctx.business_date,
            occurred_at: ctx.occurred_at,
            lines: None,
            rewards: None,
        };
        for t in &sale.tenders {
            if let Tender::Account {
                account_id, amount, ..
            } = t
            {
                let mut e = entry(
                    sale_seq,
                    LedgerKind::Charge,
                    0,
                    *amount,
                    None,
                    Some(account_id.as_str()),
                );
                e.sale_id = &sale_id;
                a.insert_ledger(&e, 0)?;
            }
        }
        let Some(m) = member else {
            return Ok(());
        };
        let (tender_points, paid): (i64, Money) = sale
            .tenders
            .iter()
            .filter_map(|t| match t {
                Tender::Points { points, amount, .. } => Some((*points, *amount)),
                _ => None,
            })
            .fold((0, Money::ZERO), |(p, m), (q, n)| (p + q, m + n));
        let points = tender_points + rewards.iter().map(|r| r.points).sum::<i64>();
        if points > 0 {
            let body = PointsRedeemed {
                member_id: m.member_id.clone(),
                sale_id: sale.sale_id,
                receipt_no: sale.receipt_no.clone(),
                points,
                currency: sale.currency.clone(),
                amount: paid,
                available_before,
                approved_by: approved_by.map(str::to_string),
                rewards: rewards.to_vec(),
            };
            let ev = a.emit(ctx, ids(), EventBody::PointsRedeemed(body), &topic)?;
            let mut e = entry(
                ev.header.till_seq,
                LedgerKind::Redeem,
                -points,
                paid,
                Some(m.member_id.as_str()),
                None,
            );
            e.sale_id = &sale_id;
            e.rewards = Some(rewards);
            a.insert_ledger(&e, 0)?;
        }
        let mut lines = Vec::with_capacity(sale.lines.len());
        for l in &sale.lines {
            lines.push(EarnLine {
                line_no: l.line_no,
                sku: l.sku.clone(),
                category: a.product_category(&l.sku)?,
                total: l.total,
            });
        }
        let earning = self.settings.earn_rules.earn(
            &lines,
            &m.tier,
            ctx.business_date,
            paid,
            u32::from(self.settings.currency.exponent),
        );
        if earning.points > 0 {
            let body = PointsEarned {
                member_id: m.member_id.clone(),
                sale_id: sale.sale_id,
                receipt_no: sale.receipt_no.clone(),
                points: earning.points,
                currency: sale.currency.clone(),
                base: earning.base,
                tier: m.tier.clone(),
                tier_multiplier_percent: earning.tier_multiplier_percent,
                promotions: earning.promotions.clone(),
                lines: earning.lines.clone(),
            };
            let ev = a.emit(ctx, ids(), EventBody::PointsEarned(body), &topic)?;
            let mut e = entry(
                ev.header.till_seq,
                LedgerKind::Earn,
                earning.points,
                Money::ZERO,
                Some(m.member_id.as_str()),
                None,
            );
            e.sale_id = &sale_id;
            e.lines = Some(&earning.lines);
            a.insert_ledger(&e, 0)?;
        }
        Ok(())
    }

    /// The points a refund gives back: `(member, as a tender, for rewards)`. Points that
    /// paid money come back as a points tender in proportion to the money refunded;
    /// reward points in proportion to the rewarded units refunded. Both are computed
    /// cumulatively, so a sale refunded in parts returns exactly what it redeemed.
    /// `refunding` is this refund's total; `done` and `after` the refunded quantities per
    /// line before and after it.
    pub(crate) fn refund_points(
        &self,
        a: &Action<'_>,
        sl: &SaleLoyalty,
        sale: &StoredSale,
        refunding: Money,
        done: &[(u32, i64)],
        after: &[(u32, i64)],
    ) -> AppResult<Option<(String, i64, i64)>> {
        let (Some(member), true) = (sl.member_id.clone(), sl.redeemed > 0) else {
            return Ok(None);
        };
        let reward_total: i64 = sl.reward_lines.iter().map(|r| r.points).sum();
        let reward_before = reward_returned_through(&sl.reward_lines, done);
        let reward_chunk = reward_returned_through(&sl.reward_lines, after) - reward_before;
        let tender_points = sl.redeemed - reward_total;
        let tender_returned = sl.redeemed_returned - reward_before;
        let before = a.refunded_total(sale.sale_id)?;
        let target = redeemed_returned_through(tender_points, sale.total, before + refunding);
        let pv = self.point_value();
        let tender_chunk = (target - tender_returned)
            .max(0)
            .min(refunding.0 / pv.max(1));
        Ok((tender_chunk > 0 || reward_chunk > 0).then_some((
            member,
            tender_chunk,
            reward_chunk.max(0),
        )))
    }

    /// Records what a refund or void takes back: earned points (clamped to what the
    /// member still has here, the rest reported as a shortfall), redeemed points given
    /// back, and account charges reversed. `refunded_after` = cumulative refunded
    /// quantities per line including this refund (all sold quantities for a void).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_reversal(
        &self,
        a: &mut Action<'_>,
        ctx: &EventContext,
        reversal_seq: u64,
        sl: &SaleLoyalty,
        sale: &StoredSale,
        receipt_no: &str,
        reason: &str,
        refunded_after: &[(u32, i64)],
        returned_points: i64,
        tenders: &[Tender],
        ids: &dyn Fn() -> Uuid,
    ) -> AppResult<()> {
        let sale_id = sale.sale_id.to_string();
        for t in tenders {
            if let Tender::Account {
                account_id, amount, ..
            } = t
            {
                a.insert_ledger(
                    &LedgerEntry {
                        till_seq: reversal_seq,
                        member_id: None,
                        account_id: Some(account_id),
                        kind: LedgerKind::ChargeBack,
                        points: 0,
                        amount: -*amount,
                        sale_id: &sale_id,
                        receipt_no,
                        business_date: ctx.business_date,
                        occurred_at: ctx.occurred_at,
                        lines: None,
                        rewards: None,
                    },
                    0,
                )?;
            }
        }
        let Some(member) = sl.member_id.clone() else {
            return Ok(());
        };
        let sold: Vec<(u32, i64)> = sale
            .lines
            .iter()
            .map(|l| (l.line_no, l.quantity.amount()))
            .collect();
        let target = earned_reversed_through(&sl.earned_lines, &sold, refunded_after);
        let owed = (target - sl.earned_reversed).max(0);
        if owed == 0 && returned_points == 0 {
            return Ok(());
        }
        // Redeemed points come back first, so they can cover the earned ones taken back.
        let estimate = a.points_position(&member)?.estimated() + returned_points;
        let take = owed.min(estimate.max(0));
        let shortfall = owed - take;
        let body = PointsReversed {
            member_id: member.clone(),
            original_sale_id: sale.sale_id,
            original_receipt_no: sale.receipt_no.clone(),
            receipt_no: receipt_no.to_string(),
            reason: reason.to_string(),
            earned_reversed: take,
            earned_shortfall: shortfall,
            redeemed_returned: returned_points,
        };
        let topic = self.settings.config.topics.loyalty.clone();
        let ev = a.emit(ctx, ids(), EventBody::PointsReversed(body), &topic)?;
        let base = |kind, points| LedgerEntry {
            till_seq: ev.header.till_seq,
            member_id: Some(member.as_str()),
            account_id: None,
            kind,
            points,
            amount: Money::ZERO,
            sale_id: &sale_id,
            receipt_no,
            business_date: ctx.business_date,
            occurred_at: ctx.occurred_at,
            lines: None,
            rewards: None,
        };
        if returned_points > 0 {
            a.insert_ledger(&base(LedgerKind::ReturnRedeem, returned_points), 0)?;
        }
        if owed > 0 {
            a.insert_ledger(&base(LedgerKind::ReverseEarn, -take), shortfall)?;
        }
        Ok(())
    }
}

impl Till {
    fn member_info(&self, m: MemberRow) -> AppResult<MemberInfo> {
        let s = &self.settings().config.store;
        let key = purser_core::inbound::till_key(&s.store_id, &s.till_id);
        let pos = self.store().points_position(&key, &m.member_id)?;
        let unconfirmed = match &m.account {
            Some((_, id, _)) => self.store().unsynced_charges(&key, id)?,
            None => Money::ZERO,
        };
        Ok(MemberInfo {
            published: pos.published,
            available: pos.available(self.settings().config.loyalty.count_unsynced_earnings),
            estimated: pos.estimated(),
            unconfirmed_charges: unconfirmed,
            member: m,
        })
    }

    /// A member by card or QR code, member id, or cabin/room account.
    pub fn member(&self, key: &str) -> AppResult<MemberInfo> {
        let key = key.trim();
        if key.is_empty() {
            return Err(AppError::invalid("scan the member's card or type their id"));
        }
        let store = self.store();
        let found = match store.member_by_card(key)? {
            Some(m) => Some(m),
            None => match store.member_by_id(key)? {
                Some(m) => Some(m),
                None => store.member_by_account(key)?,
            },
        };
        let m = found.ok_or_else(|| {
            AppError::not_found(format!("no loyalty member with card or id {key}"))
        })?;
        self.member_info(m)
    }

    /// Members whose name, phone number, e-mail, card or id matches `text`.
    pub fn find_members(&self, text: &str, limit: usize) -> AppResult<Vec<MemberInfo>> {
        if text.trim().chars().count() < 2 {
            return Err(AppError::invalid(
                "type at least 2 characters of a name, phone number, e-mail or card",
            ));
        }
        self.store()
            .search_members(text, limit)?
            .into_iter()
            .map(|m| self.member_info(m))
            .collect()
    }

    /// Enrols a new member at the till (works offline): a UUIDv7 member id, the enrolment
    /// event through the outbox, and a local member usable at once.
    pub fn enrol(
        &mut self,
        name: &str,
        phone: Option<&str>,
        email: Option<&str>,
        card_id: Option<&str>,
    ) -> AppResult<Recorded<MemberEnrolled>> {
        let e = Enrolment::new(name, phone, email, card_id)?;
        // The same phone or e-mail already known here: point the cashier at that member.
        for key in e.phone.iter().chain(e.email.iter()) {
            if let Some(dup) = self.store().search_members(key, 5)?.into_iter().find(|m| {
                m.phone
                    .as_deref()
                    .and_then(|p| normalise_phone(p).ok())
                    .as_ref()
                    == Some(key)
                    || m.email
                        .as_deref()
                        .and_then(|e| normalise_email(e).ok())
                        .as_ref()
                        == Some(key)
            }) {
                return Err(AppError::new(
                    ErrorCode::NotAllowed,
                    format!(
                        "{} is already a member ({}) with {key}: use that membership",
                        dup.name, dup.member_id
                    ),
                ));
            }
        }
        let now = self.now();
        let shift = self.current_shift()?;
        let ctx = self.ctx(now, shift.as_ref());
        let member_id = self.new_id().to_string();
        let event_id = self.new_id();
        let body = MemberEnrolled {
            member_id: member_id.clone(),
            name: e.name.clone(),
            phone: e.phone.clone(),
            email: e.email.clone(),
            card_ids: e.card_id.iter().cloned().collect(),
            tier: self.settings().config.loyalty.new_member_tier.clone(),
            match_keys: e.match_keys(),
        };
        let topic = self.settings().config.topics.loyalty.clone();
        let event = self
            .store_mut()
            .act(now, |a: &mut Action<'_>| -> AppResult<_> {
                let ev = a.emit(
                    &ctx,
                    event_id,
                    EventBody::MemberEnrolled(body.clone()),
                    &topic,
                )?;
                a.insert_enrolment(
                    &member_id,
                    &body.name,
                    body.phone.as_deref(),
                    body.email.as_deref(),
                    e.card_id.as_deref(),
                    &body.tier,
                    now,
                    ev.header.till_seq,
                )?;
                Ok(ev)
            })?;
        Ok(Recorded { event, body })
    }

    /// The loyalty lines of a receipt (also on reprints), if a member was on it: what the
    /// sale earned and redeemed, or what a refund or void took back and gave back.
    pub fn receipt_loyalty(
        &self,
        receipt_no: &str,
        reversal: bool,
    ) -> AppResult<Option<ReceiptLoyalty>> {
        let Some((member_id, earn, spend)) = self.store().receipt_points(receipt_no, reversal)?
        else {
            return Ok(None);
        };
        let info = self.member(&member_id).ok();
        let mut r = ReceiptLoyalty {
            name: info
                .as_ref()
                .map(|i| i.member.name.clone())
                .unwrap_or_default(),
            balance: info.as_ref().map_or(0, |i| i.estimated),
            member_id,
            ..ReceiptLoyalty::default()
        };
        if reversal {
            r.reversed = earn;
            r.returned = spend;
        } else {
            r.earned = earn;
            r.redeemed = spend;
        }
        Ok(Some(r))
    }
}
