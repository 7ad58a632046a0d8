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
//! * A tab moves to another till of the store only when the till holding it hands it
//!   over (pull, handed over by the holder; `docs/decisions.md`, "Tabs move between tills
//!   by hand-over"): the asking till writes `tab.move_requested` (`Till::request_tab`);
//!   the holder, seeing it in its `report.db`, closes its row as `moved` and writes
//!   `tab.moved` in one transaction (`Till::answer_tab_request`); the asking till, seeing
//!   that, opens the tab at the next version with `tab.opened` (`moved_from`) in one
//!   transaction (`Till::adopt_moved_tab`). Each step is decided by the rows of the till
//!   doing it, so a copy of an event, a restart or a crash between steps repeats nothing
//!   and loses nothing (`Till::step_tab_moves` finds the open steps again). A tab is
//!   changed at one till at a time: the holder's row closes in the transaction that
//!   writes `tab.moved`, and the new holder's row opens only from that event.

use uuid::Uuid;

use purser_core::cart::Cart;
use purser_core::events::{
    Event, EventBody, MovedFrom, TabClosed, TabMoveRequested, TabMoved, TabOpened, TabUpdated,
};
use purser_core::money::Money;
use purser_core::tab::{tab_label, TabChange, TabKind, TabOutcome, TabTicket};
use purser_core::tender::refuse_card_number;
use purser_store::{Action, TabRow};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::till::{Recorded, Till};

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

/// The error for a change to a tab this till handed over to another: it is there now.
pub fn moved_away(tab: &TabRow) -> Option<AppError> {
    if tab.outcome.as_deref() != Some("moved") {
        return None;
    }
    let to = tab.moved_to.as_deref().unwrap_or("another till");
    Some(AppError::new(
        ErrorCode::TabMoved,
        format!("this tab ('{}') moved to {to}: recall it there", tab.label),
    ))
}

/// The tab as this transaction sees it, open and at the version the caller last saw.
pub(crate) fn require_current(a: &Action<'_>, r: TabRef) -> AppResult<TabRow> {
    let Some(tab) = a.tab(r.tab_id)? else {
        return Err(AppError::not_found(format!(
            "no tab {} on this till",
            r.tab_id
        )));
    };
    if let Some(e) = moved_away(&tab) {
        return Err(e);
    }
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
            held_since: 1,
            moved_from: None,
            moved_to: None,
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
            moved_from: None,
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
        // The member already on the tab stays without a look-up: a tab taken over from
        // another till may name a member this till's loyalty view does not know yet.
        let kept = self.store().tab(r.tab_id)?.and_then(|t| t.member_id);
        let member_id = match content.member_id.as_deref() {
            Some(id) if kept.as_deref() == Some(id) => Some(id.to_string()),
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

    fn till_id(&self) -> String {
        self.settings().config.store.till_id.clone()
    }

    /// Asks the till holding a tab for it: one `tab.move_requested`, nothing else. The
    /// holder hands it over (`answer_tab_request`) when it sees the request and still
    /// holds the tab open at a version from `req.version` on.
    pub fn request_tab(&mut self, req: &TabRequest) -> AppResult<Recorded<TabMoveRequested>> {
        Self::check_served_by(&req.requested_by)?;
        let from = req.from_till.trim();
        if from.is_empty() {
            return Err(AppError::invalid("name the till that holds the tab"));
        }
        refuse_card_number(from)?;
        refuse_card_number(&req.requested_by)?;
        let me = self.till_id();
        if from == me {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "the tab is at this till already",
            ));
        }
        let shift = self.current_shift()?;
        let now = self.now();
        let ctx = self.ctx(now, shift.as_ref());
        let event_id = self.new_id();
        let topic = self.settings().config.topics.payments.clone();
        let body = TabMoveRequested {
            tab_id: req.tab_id,
            from_till: from.to_string(),
            to_till: me,
            version: req.version,
            requested_by: req.requested_by.clone(),
        };
        let event = self
            .store_mut()
            .act(now, |a: &mut Action<'_>| -> AppResult<Event> {
                if let Some(t) = a.tab(req.tab_id)?.filter(|t| t.closed_at.is_none()) {
                    return Err(AppError::new(
                        ErrorCode::NotAllowed,
                        format!("the tab '{}' is at this till already", t.label),
                    ));
                }
                Ok(a.emit(
                    &ctx,
                    event_id,
                    EventBody::TabMoveRequested(body.clone()),
                    &topic,
                )?)
            })?;
        Ok(Recorded { event, body })
    }

    /// Answers another till's `tab.move_requested` addressed to this till: when this till
    /// holds the tab open, and held it already at the version the request saw, its row is
    /// closed as `moved` and `tab.moved` written, in one transaction. Otherwise (paid,
    /// cancelled, moved on, a request from before this till got the tab, a copy of a
    /// request answered already) nothing happens: `None`.
    pub fn answer_tab_request(&mut self, request: &Event) -> AppResult<Option<TabMoved>> {
        let EventBody::TabMoveRequested(r) = &request.body else {
            return Ok(None);
        };
        let me = self.till_id();
        let store = &self.settings().config.store.store_id;
        if r.from_till != me
            || r.to_till == me
            || request.header.till_id != r.to_till
            || request.header.store_id != *store
        {
            return Ok(None);
        }
        let answerable = |t: &TabRow| {
            t.closed_at.is_none() && t.held_since <= r.version && r.version <= t.version
        };
        // A plain read first: most requests found again are answered already.
        if !self.store().tab(r.tab_id)?.is_some_and(|t| answerable(&t)) {
            return Ok(None);
        }
        let shift = self.current_shift()?;
        let now = self.now();
        let ctx = self.ctx(now, shift.as_ref());
        let event_id = self.new_id();
        let topic = self.settings().config.topics.payments.clone();
        let request_id = request.header.event_id;
        self.store_mut()
            .act(now, |a: &mut Action<'_>| -> AppResult<Option<TabMoved>> {
                let Some(mut tab) = a.tab(r.tab_id)?.filter(|t| answerable(t)) else {
                    return Ok(None);
                };
                tab.version += 1;
                tab.updated_at = now;
                tab.closed_at = Some(now);
                tab.outcome = Some("moved".into());
                tab.moved_to = Some(r.to_till.clone());
                let body = TabMoved {
                    tab_id: tab.tab_id,
                    from_till: me.clone(),
                    to_till: r.to_till.clone(),
                    version: tab.version,
                    request_id,
                    requested_by: r.requested_by.clone(),
                    kind: tab.kind,
                    label: tab.label.clone(),
                    member_id: tab.member_id.clone(),
                    ticket: TabTicket::of(&tab.cart, &tab.rewards),
                    next_line_no: tab.cart.next_line_no(),
                    total: tab.total,
                    opened_at: tab.opened_at,
                    opened_by: tab.opened_by.clone(),
                    served_by: tab.served_by.clone(),
                };
                a.emit(&ctx, event_id, EventBody::TabMoved(body.clone()), &topic)?;
                a.put_tab(&tab)?;
                Ok(Some(body))
            })
    }

    /// Takes over a tab another till handed to this one (`tab.moved`): when this till has
    /// no row for it, or only one it handed over itself at an earlier version, the tab's
    /// row is written at the next version and `tab.opened` (`moved_from`) recorded, in one
    /// transaction. A copy of the same `tab.moved` finds the row and does nothing: `None`.
    pub fn adopt_moved_tab(&mut self, moved: &Event) -> AppResult<Option<TabRow>> {
        let EventBody::TabMoved(m) = &moved.body else {
            return Ok(None);
        };
        let me = self.till_id();
        let store = &self.settings().config.store.store_id;
        if m.to_till != me
            || m.from_till == me
            || moved.header.till_id != m.from_till
            || moved.header.store_id != *store
        {
            return Ok(None);
        }
        let adoptable = |t: Option<&TabRow>| match t {
            None => true,
            // It was here before and moved on; this hands it back.
            Some(t) => {
                t.closed_at.is_some()
                    && t.outcome.as_deref() == Some("moved")
                    && t.version < m.version
            }
        };
        if !adoptable(self.store().tab(m.tab_id)?.as_ref()) {
            return Ok(None);
        }
        let shift = self.current_shift()?;
        let now = self.now();
        let ctx = self.ctx(now, shift.as_ref());
        let event_id = self.new_id();
        let topic = self.settings().config.topics.payments.clone();
        let version = m.version + 1;
        let tab = TabRow {
            tab_id: m.tab_id,
            kind: m.kind,
            label: m.label.clone(),
            member_id: m.member_id.clone(),
            version,
            cart: m.ticket.to_cart(m.next_line_no),
            rewards: m.ticket.rewards.clone(),
            total: m.total,
            opened_at: m.opened_at,
            opened_by: m.opened_by.clone(),
            updated_at: now,
            served_by: m.requested_by.clone(),
            closed_at: None,
            outcome: None,
            sale_id: None,
            held_since: version,
            moved_from: Some(m.from_till.clone()),
            moved_to: None,
        };
        let body = TabOpened {
            tab_id: m.tab_id,
            kind: m.kind,
            label: m.label.clone(),
            member_id: m.member_id.clone(),
            version,
            ticket: m.ticket.clone(),
            total: m.total,
            served_by: m.requested_by.clone(),
            moved_from: Some(MovedFrom {
                till_id: m.from_till.clone(),
                version: m.version,
            }),
        };
        self.store_mut()
            .act(now, |a: &mut Action<'_>| -> AppResult<Option<TabRow>> {
                if !adoptable(a.tab(m.tab_id)?.as_ref()) {
                    return Ok(None);
                }
                a.emit(&ctx, event_id, EventBody::TabOpened(body), &topic)?;
                a.put_tab(&tab)?;
                Ok(Some(tab.clone()))
            })
    }

    /// One round of the hand-overs between this till and the store's others, from what
    /// the manager's consumer brought into `report.db`: answers the requests addressed to
    /// this till, then takes over the tabs handed to it. Safe to run at any time, again
    /// and again (the background runs it after each batch the consumer applies); one
    /// event that fails is logged and tried again next round.
    pub fn step_tab_moves(&mut self, reports: &crate::report::Reports) -> AppResult<TabMoveStep> {
        let me = self.till_id();
        let mut out = TabMoveStep::default();
        for request in reports.tab_requests_to(&me)? {
            match self.answer_tab_request(&request) {
                Ok(Some(m)) => out.handed_over.push(m),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(event = %request.header.event_id, "a tab request was not answered: {e}");
                    out.failed.push(e);
                }
            }
        }
        for moved in reports.tab_moves_to(&me)? {
            match self.adopt_moved_tab(&moved) {
                Ok(Some(t)) => out.taken_over.push(t),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(event = %moved.header.event_id, "a tab handed over was not taken over: {e}");
                    out.failed.push(e);
                }
            }
        }
        Ok(out)
    }
}

/// A request for a tab another till holds, as this till's list of the store's open tabs
/// (`purser_core::report::open_tabs`) shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TabRequest {
    pub tab_id: Uuid,
    /// The till holding it.
    pub from_till: String,
    /// Its version as the list shows it.
    pub version: u32,
    /// The user signed in here.
    pub requested_by: String,
}

/// What one round of `Till::step_tab_moves` did.
#[derive(Debug, Default)]
pub struct TabMoveStep {
    /// Tabs this till handed over (`tab.moved` written).
    pub handed_over: Vec<TabMoved>,
    /// Tabs this till took over (`tab.opened` with `moved_from` written).
    pub taken_over: Vec<TabRow>,
    /// Events that could not be handled this round (tried again next round).
    pub failed: Vec<AppError>,
}

impl TabMoveStep {
    /// Whether anything was written (the relay has something to send).
    pub fn wrote(&self) -> bool {
        !self.handed_over.is_empty() || !self.taken_over.is_empty()
    }
}
