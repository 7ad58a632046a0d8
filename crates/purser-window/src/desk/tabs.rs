//! Tabs and parked tickets at the window: open one from the ticket on the screen, put it
//! aside, bring it back. The rules (durability, versions, paying closes it) are
//! `purser_app::tabs`; here the screen's ticket follows the tab it belongs to, and every
//! change to it is saved before the screen shows it.
//!
//! A tab open at another till of the store is brought here with `request_tab`: the other
//! till hands it over and the background takes it over (`crate::background`), after which
//! it is in this till's own list. A tab on this screen that was handed over meanwhile
//! leaves the screen at the next change (`ErrorCode::TabMoved`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use purser_core::cart::{Cart, Quantity};
use purser_core::tab::TabKind;
use purser_store::TabRow;

use super::Desk;
use crate::ipc::*;
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::tabs::{OpenTab, TabContent, TabRef};

/// The tab whose ticket is on the screen.
#[derive(Clone, Debug)]
pub(super) struct OnScreen {
    pub r: TabRef,
    pub kind: TabKind,
    pub label: String,
    pub opened_at: DateTime<Utc>,
}

impl OnScreen {
    fn of(t: &TabRow) -> OnScreen {
        OnScreen {
            r: TabRef::of(t),
            kind: t.kind,
            label: t.label.clone(),
            opened_at: t.opened_at,
        }
    }
}

/// The screen's ticket before a change, to put back when saving the change fails.
pub(super) struct Before {
    ticket: Cart,
    member: Option<String>,
    rewards: std::collections::BTreeSet<u32>,
}

impl Desk {
    pub(super) fn before(&self) -> Before {
        Before {
            ticket: self.ticket.clone(),
            member: self.member.clone(),
            rewards: self.rewards.clone(),
        }
    }

    fn content(&self) -> TabContent {
        TabContent {
            cart: self.ticket.clone(),
            member_id: self.member.clone(),
            rewards: self.rewards.iter().copied().collect(),
        }
    }

    fn served_by(&self) -> String {
        self.session
            .as_ref()
            .map(|s| s.user.user_id.clone())
            .unwrap_or_default()
    }

    /// Saves the screen's ticket to its tab, when it belongs to one. When saving fails
    /// (a full disk, the tab changed elsewhere) the ticket goes back to how it was, so
    /// the screen never shows what the till did not record.
    pub(super) fn save_tab(&mut self, before: Before) -> AppResult<()> {
        let Some(on) = self.tab.as_ref() else {
            return Ok(());
        };
        let r = on.r;
        let (content, user) = (self.content(), self.served_by());
        match self.till.update_tab(r, &content, &user) {
            Ok(t) => {
                if t.version != r.version {
                    self.links.wake();
                }
                if let Some(on) = self.tab.as_mut() {
                    on.r = TabRef::of(&t);
                }
                Ok(())
            }
            Err(e) => {
                self.ticket = before.ticket;
                self.member = before.member;
                self.rewards = before.rewards;
                Err(self.left_for_another_till(e))
            }
        }
    }

    /// When an error says the tab on the screen was handed over to another till, the
    /// screen lets go of it (the refused change was never recorded; the tab, as last
    /// saved, is at the other till now).
    pub(super) fn left_for_another_till(&mut self, e: AppError) -> AppError {
        if e.code == ErrorCode::TabMoved && self.tab.is_some() {
            self.fresh_ticket();
        }
        e
    }

    pub(super) fn tab_tag(&self) -> Option<TabTagView> {
        self.tab.as_ref().map(|t| TabTagView {
            tab_id: t.r.tab_id.to_string(),
            kind: t.kind.into(),
            label: t.label.clone(),
            opened_at: t.opened_at.to_rfc3339(),
        })
    }

    /// The screen starts a new ticket (the tab it showed, if any, stays open).
    pub(super) fn fresh_ticket(&mut self) {
        self.ticket = Cart::new();
        self.member = None;
        self.rewards.clear();
        self.discount_approval = None;
        self.tab = None;
    }

    fn open_screen_as(&mut self, kind: TabKind, label: &str) -> AppResult<TabRow> {
        let req = OpenTab {
            kind,
            label: label.to_string(),
            content: self.content(),
            served_by: self.served_by(),
        };
        let t = self.till.open_tab(&req)?;
        self.links.wake();
        Ok(t)
    }

    pub fn tabs(&mut self, _: Empty) -> AppResult<Vec<TabView>> {
        self.user()?;
        let on_screen = self.tab.as_ref().map(|t| t.r.tab_id);
        self.till
            .open_tabs()?
            .into_iter()
            .map(|t| {
                let member_name = match &t.member_id {
                    Some(id) => self.till.member(id).ok().map(|m| m.member.name),
                    None => None,
                };
                let items: i64 = t
                    .cart
                    .lines
                    .iter()
                    .map(|l| match l.quantity {
                        Quantity::Units(n) => n,
                        Quantity::Grams(_) => 1,
                    })
                    .sum();
                Ok(TabView {
                    tab_id: t.tab_id.to_string(),
                    kind: t.kind.into(),
                    label: t.label,
                    member_name,
                    items: u32::try_from(items).unwrap_or(u32::MAX),
                    total: t.total.0,
                    opened_at: t.opened_at.to_rfc3339(),
                    updated_at: t.updated_at.to_rfc3339(),
                    opened_by: t.opened_by,
                    served_by: t.served_by,
                    on_screen: on_screen == Some(t.tab_id),
                })
            })
            .collect()
    }

    pub fn open_tab(&mut self, a: OpenTabArgs) -> AppResult<TicketView> {
        self.user()?;
        if let Some(t) = &self.tab {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!("this ticket is already the tab '{}'", t.label),
            ));
        }
        let t = self.open_screen_as(TabKind::Tab, &a.label)?;
        self.tab = Some(OnScreen::of(&t));
        self.ticket_view()
    }

    pub fn park_ticket(&mut self, a: ParkArgs) -> AppResult<TicketView> {
        self.user()?;
        if self.tab.is_none() {
            if self.ticket.lines.is_empty() {
                return Err(AppError::invalid("there is nothing on the ticket to park"));
            }
            let typed = a.label.unwrap_or_default();
            let label = if typed.trim().is_empty() && self.member.is_none() {
                let local = self.till.now().with_timezone(&self.settings().timezone);
                // The list shows a parked ticket's kind beside it: the time names it.
                local.format("%H:%M").to_string()
            } else {
                typed
            };
            self.open_screen_as(TabKind::Parked, &label)?;
        }
        self.fresh_ticket();
        self.ticket_view()
    }

    pub fn recall_tab(&mut self, a: TabArgs) -> AppResult<TicketView> {
        self.user()?;
        let id = Uuid::parse_str(a.tab_id.trim())
            .map_err(|_| AppError::invalid(format!("'{}' is not a tab id", a.tab_id)))?;
        if self.tab.is_none() && !self.ticket.lines.is_empty() {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "finish the ticket on the screen first: pay it, park it or clear it",
            ));
        }
        let t = self.till.tab(id)?;
        if let Some(e) = purser_app::tabs::moved_away(&t) {
            return Err(e);
        }
        if t.closed_at.is_some() {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!("the tab '{}' is closed already", t.label),
            ));
        }
        self.fresh_ticket();
        self.ticket = t.cart.clone();
        self.member = t.member_id.clone();
        self.rewards = t.rewards.iter().copied().collect();
        self.tab = Some(OnScreen::of(&t));
        self.ticket_view()
    }

    pub fn cancel_tab(&mut self, _: Empty) -> AppResult<TicketView> {
        self.user()?;
        let Some(on) = self.tab.as_ref() else {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "the ticket on the screen is not a tab",
            ));
        };
        let r = on.r;
        let user = self.served_by();
        if let Err(e) = self.till.cancel_tab(r, &user) {
            return Err(self.left_for_another_till(e));
        }
        self.links.wake();
        self.fresh_ticket();
        self.ticket_view()
    }

    /// Every till's open tabs, as the store's cluster brought them into this till's
    /// reporting store (empty without one), this till's own marked.
    pub fn store_tabs(&mut self, _: Empty) -> AppResult<Vec<StoreTabView>> {
        self.user()?;
        let now = self.till.now();
        let me = self.settings().config.store.till_id.clone();
        let Some(r) = self.reports.as_ref() else {
            return Ok(Vec::new());
        };
        Ok(r.open_tabs()?
            .iter()
            .map(|t| super::views::store_tab_view(t, now, &me))
            .collect())
    }

    /// Asks the till holding a tab for it (`tab.move_requested`); the tab shows up in this
    /// till's own list once that till has handed it over. `true` when asked (now or
    /// before, still waiting).
    pub fn request_tab(&mut self, a: TabArgs) -> AppResult<bool> {
        self.user()?;
        let id = Uuid::parse_str(a.tab_id.trim())
            .map_err(|_| AppError::invalid(format!("'{}' is not a tab id", a.tab_id)))?;
        if self.links.relay().is_some_and(|r| !r.connected) {
            return Err(AppError::new(
                ErrorCode::KafkaUnreachable,
                "a tab moves only while the store's server is reachable: serve it at the till that holds it",
            ));
        }
        let me = self.settings().config.store.till_id.clone();
        let seen = self
            .reports
            .as_ref()
            .map(|r| r.open_tabs())
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .find(|t| t.tab_id == id)
            .ok_or_else(|| {
                AppError::not_found("that tab is not open at any till of the store (any more)")
            })?;
        if seen.till_id == me && seen.moving_to.is_none() {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!("the tab '{}' is at this till already", seen.label),
            ));
        }
        if let Some(to) = &seen.moving_to {
            if *to == me {
                return Ok(true);
            }
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!(
                    "the tab '{}' is moving from {} to {to}: ask {to} once it is there",
                    seen.label, seen.till_id
                ),
            ));
        }
        if seen.asked_by.contains(&me) {
            return Ok(true);
        }
        let user = self.served_by();
        self.till.request_tab(&purser_app::tabs::TabRequest {
            tab_id: id,
            from_till: seen.till_id,
            version: seen.version,
            requested_by: user,
        })?;
        self.links.wake();
        Ok(true)
    }
}
