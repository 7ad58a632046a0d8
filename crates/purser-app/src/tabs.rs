//! Tabs and parked tickets (`purser_core::tab`): the rules every caller keeps.
//!
//! * A tab is durable from its first line: every change is one transaction that writes the
//!   tab's row and a `tab.*` event (journal and outbox) together, so a crash or power cut
//!   loses nothing that was shown on the screen.
//! * A change names the version it was made on; a tab changed meanwhile (by another
//!   process on this till) is refused instead of overwritten.
//! * A tab is paid by an ordinary sale (`SaleOptions::tab`): the sale and the `tab.closed`
//!   are one transaction, so a tab is never charged twice nor left open once paid.
//! * A tab with lines is never cancelled: its lines are voided first, each change
//!   journaled, so no drink leaves the bar without a trace.

use uuid::Uuid;

use purser_core::cart::Cart;
use purser_core::events::{EventBody, TabClosed, TabOpened, TabUpdated};
use purser_core::money::Money;
use purser_core::tab::{tab_label, TabChange, TabKind, TabOutcome, TabTicket};
use purser_core::tender::refuse_card_number;
use purser_store::{Action, TabRow};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::till::Till;

/// What a tab holds: the ticket, the member on it, and the lines given as rewards.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TabContent {
    pub cart: Cart,
    pub member_id: Option<String>,
    pub rewards: Vec<u32>,
}

/// A tab (or parked ticket) to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenTab {
    pub kind: TabKind,
    /// A name or table; empty to use the member's name.
    pub label: String,
    /// What is rung up already (the cart may be empty).
    pub content: TabContent,
    /// The user signed in at the till.
    pub served_by: String,
}

/// Which version of which tab a change or a payment was made on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TabRef {
    pub tab_id: Uuid,
    pub version: u32,
}

impl TabRef {
    /// The tab at the version it is now.
    pub fn of(t: &TabRow) -> TabRef {
        TabRef {
            tab_id: t.tab_id,
            version: t.version,
        }
    }
}

/// The tab as this transaction sees it, open and at the version the caller last saw.
pub(crate) fn require_current(a: &Action<'_>, r: TabRef) -> AppResult<TabRow> {
    let Some(tab) = a.tab(r.tab_id)? else {
        return Err(AppError::not_found(format!(
            "no tab {} on this till",
            r.tab_id
        )));
    };
    if tab.closed_at.is_some() {
        return Err(AppError::new(
            ErrorCode::NotAllowed,
            format!("the tab '{}' is closed already", tab.label),
        ));
    }
    if tab.version != r.version {
        return Err(AppError::new(
            ErrorCode::NotAllowed,
            format!(
                "the tab '{}' was changed meanwhile (elsewhere on this till): recall it again",
                tab.label
            ),
        ));
    }
    Ok(tab)
}

/// Closes a tab inside the action that paid it (the sale's own transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn close_paid(
    a: &mut Action<'_>,
    ctx: &purser_core::events::EventContext,
    topic: &str,
    event_id: Uuid,
    r: TabRef,
    cart: &Cart,
    sale: &purser_core::events::SaleCompleted,
    served_by: &str,
) -> AppResult<()> {
    let mut tab = require_current(a, r)?;
    if tab.cart != *cart {
        return Err(AppError::new(
            ErrorCode::NotAllowed,
            format!(
                "the ticket paid is not the tab '{}' as it stands: recall it again",
                tab.label
            ),
        ));
    }
    tab.version += 1;
    tab.updated_at = ctx.occurred_at;
    tab.closed_at = Some(ctx.occurred_at);
    tab.outcome = Some("paid".into());
    tab.sale_id = Some(sale.sale_id);
    tab.served_by = served_by.to_string();
    let body = TabClosed {
        tab_id: tab.tab_id,
        kind: tab.kind,
        label: tab.label.clone(),
        version: tab.version,
        outcome: TabOutcome::Paid {
            sale_id: sale.sale_id,
            receipt_no: sale.receipt_no.clone(),
        },
        served_by: served_by.to_string(),
    };
    a.emit(ctx, event_id, EventBody::TabClosed(body), topic)?;
    a.put_tab(&tab)?;
    Ok(())
}

impl Till {
    fn ticket_total(&self, cart: &Cart) -> AppResult<Money> {
        if cart.lines.is_empty() {
            return Ok(Money::ZERO);
        }
        let s = self.settings();
        Ok(s.price(cart)?.total)
    }

    fn check_served_by(user: &str) -> AppResult<()> {
        if user.trim().is_empty() {
            return Err(AppError::new(
                ErrorCode::SignInRequired,
                "sign in to work with tabs",
            ));
        }
        Ok(())
    }

    /// Opens a tab or parks a ticket: one `tab.opened` with what it holds.
    pub fn open_tab(&mut self, req: &OpenTab) -> AppResult<TabRow> {
        Self::check_served_by(&req.served_by)?;
        let shift = self.require_shift()?;
        let member = match req.content.member_id.as_deref() {
            Some(id) => Some(self.member(id)?.member),
            None => None,
        };
        let label = tab_label(&req.label, member.as_ref().map(|m| m.name.as_str())).map_err(
            |e| match e {
                purser_core::tab::TabError::CardNumber => {
                    AppError::new(ErrorCode::CardNumberRefused, e.to_string())
                }
                _ => AppError::invalid(e.to_string()),
            },
        )?;
        refuse_card_number(&label)?;
        let total = self.ticket_total(&req.content.cart)?;
        let now = self.now();
        let ctx = self.ctx(now, Some(&shift));
        let tab = TabRow {
            tab_id: self.new_id(),
            kind: req.kind,
            label,
            member_id: member.map(|m| m.member_id),
            version: 1,
            cart: req.content.cart.clone(),
            rewards: req.content.rewards.clone(),
            total,
            opened_at: now,
            opened_by: req.served_by.clone(),
            updated_at: now,
            served_by: req.served_by.clone(),
            closed_at: None,
            outcome: None,
            sale_id: None,
        };
        let body = TabOpened {
            tab_id: tab.tab_id,
            kind: tab.kind,
            label: tab.label.clone(),
            member_id: tab.member_id.clone(),
            version: 1,
            ticket: TabTicket::of(&tab.cart, &tab.rewards),
            total,
            served_by: req.served_by.clone(),
        };
        let event_id = self.new_id();
        let topic = self.settings().config.topics.payments.clone();
        self.store_mut()
            .act(now, |a: &mut Action<'_>| -> AppResult<()> {
                a.require_open_shift(shift.shift_id)?;
                a.emit(&ctx, event_id, EventBody::TabOpened(body), &topic)?;
                a.put_tab(&tab)?;
                Ok(())
            })?;
        Ok(tab)
    }

    /// Saves a tab's ticket as it now stands (a line added, changed or removed, a
    /// discount, the member): one `tab.updated` naming what changed. Nothing changed,
    /// nothing written.
    pub fn update_tab(
        &mut self,
        r: TabRef,
        content: &TabContent,
        served_by: &str,
    ) -> AppResult<TabRow> {
        Self::check_served_by(served_by)?;
        let shift = self.require_shift()?;
        let cart = &content.cart;
        let member_id = match content.member_id.as_deref() {
            Some(id) => Some(self.member(id)?.member.member_id),
            None => None,
        };
        let total = self.ticket_total(cart)?;
        let now = self.now();
        let ctx = self.ctx(now, Some(&shift));
        let event_id = self.new_id();
        let topic = self.settings().config.topics.payments.clone();
        self.store_mut()
            .act(now, |a: &mut Action<'_>| -> AppResult<TabRow> {
                a.require_open_shift(shift.shift_id)?;
                let mut tab = require_current(a, r)?;
                let change = if tab.cart != *cart {
                    TabChange::between(&tab.cart, cart)
                } else if tab.member_id != member_id {
                    TabChange::Member
                } else if tab.rewards != content.rewards {
                    TabChange::Lines
                } else {
                    return Ok(tab);
                };
                tab.version += 1;
                tab.cart = cart.clone();
                tab.rewards = content.rewards.clone();
                tab.member_id = member_id.clone();
                tab.total = total;
                tab.updated_at = now;
                tab.served_by = served_by.to_string();
                let body = TabUpdated {
                    tab_id: tab.tab_id,
                    kind: tab.kind,
                    label: tab.label.clone(),
                    member_id: tab.member_id.clone(),
                    version: tab.version,
                    change,
                    ticket: TabTicket::of(cart, &content.rewards),
                    total,
                    served_by: served_by.to_string(),
                };
                a.emit(&ctx, event_id, EventBody::TabUpdated(body), &topic)?;
                a.put_tab(&tab)?;
                Ok(tab)
            })
    }

    /// Closes a tab with nothing on it (its lines voided first, each change journaled).
    pub fn cancel_tab(&mut self, r: TabRef, served_by: &str) -> AppResult<TabRow> {
        Self::check_served_by(served_by)?;
        let shift = self.require_shift()?;
        let now = self.now();
        let ctx = self.ctx(now, Some(&shift));
        let event_id = self.new_id();
        let topic = self.settings().config.topics.payments.clone();
        self.store_mut()
            .act(now, |a: &mut Action<'_>| -> AppResult<TabRow> {
                a.require_open_shift(shift.shift_id)?;
                let mut tab = require_current(a, r)?;
                if !tab.cart.lines.is_empty() {
                    return Err(AppError::new(
                        ErrorCode::NotAllowed,
                        format!(
                            "the tab '{}' still has {} line(s): pay it, or void its lines first",
                            tab.label,
                            tab.cart.lines.len()
                        ),
                    ));
                }
                tab.version += 1;
                tab.updated_at = now;
                tab.closed_at = Some(now);
                tab.outcome = Some("cancelled".into());
                tab.served_by = served_by.to_string();
                let body = TabClosed {
                    tab_id: tab.tab_id,
                    kind: tab.kind,
                    label: tab.label.clone(),
                    version: tab.version,
                    outcome: TabOutcome::Cancelled,
                    served_by: served_by.to_string(),
                };
                a.emit(&ctx, event_id, EventBody::TabClosed(body), &topic)?;
                a.put_tab(&tab)?;
                Ok(tab)
            })
    }

    /// The tabs and parked tickets open on this till, oldest first.
    pub fn open_tabs(&self) -> AppResult<Vec<TabRow>> {
        Ok(self.store().open_tabs()?)
    }

    pub fn tab(&self, tab_id: Uuid) -> AppResult<TabRow> {
        self.store()
            .tab(tab_id)?
            .ok_or_else(|| AppError::not_found(format!("no tab {tab_id} on this till")))
    }
}
