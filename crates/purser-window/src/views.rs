//! What the till shows of its products, members and users: the window's views of them
//! and, the same JSON, `purser --format json`. Built from the use cases' types here, once.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use ts_rs::TS;

use purser_app::loyalty::MemberInfo;
use purser_app::users::{Role, UserInfo};
use purser_app::Settings;
use purser_core::catalog::{Product, SoldBy};
use purser_store::StockLevel;

/// A time as every view writes it: RFC 3339, whole seconds, UTC.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RoleView {
    Cashier,
    Supervisor,
    Manager,
}

impl From<Role> for RoleView {
    fn from(r: Role) -> Self {
        match r {
            Role::Cashier => RoleView::Cashier,
            Role::Supervisor => RoleView::Supervisor,
            Role::Manager => RoleView::Manager,
        }
    }
}

/// Stock as the till counts it: `out` at zero or below, `low` at or below the
/// product's low-stock mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StockState {
    Ok,
    Low,
    Out,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct UserView {
    pub user_id: String,
    pub name: String,
    pub role: RoleView,
    pub active: bool,
    pub locked_until: Option<String>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct StockView {
    pub on_hand: i64,
    pub low_stock_at: i64,
    pub state: StockState,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ProductView {
    pub sku: String,
    pub name: String,
    /// Per unit, or per kilogram for weighed products.
    pub price: i64,
    pub weighed: bool,
    pub category: Option<String>,
    pub tax_class: String,
    pub barcode: Option<String>,
    pub stock: Option<StockView>,
    /// Choices a bartender makes when ringing it up ("Size", "Ice", "Mixer").
    pub modifier_groups: Vec<ModifierGroupView>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ModifierGroupView {
    pub id: String,
    pub name: String,
    /// At least this many options (1 or more: required).
    pub min: u32,
    /// At most this many options.
    pub max: u32,
    pub options: Vec<ModifierOptionView>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ModifierOptionView {
    pub id: String,
    pub name: String,
    /// Added to the price, in minor units (may be 0).
    pub price_delta: i64,
}

/// A cabin or room account that sales can be charged to.
#[derive(Clone, Debug, Serialize, TS)]
pub struct AccountView {
    /// cabin or room
    pub kind: String,
    pub account_id: String,
    pub offline_limit: i64,
    /// Charged here and not yet confirmed by the accounts stream.
    pub unconfirmed: i64,
    /// What may still be charged here before the cloud confirms.
    pub chargeable: i64,
}

/// A loyalty member as the till knows them.
#[derive(Clone, Debug, Serialize, TS)]
pub struct MemberView {
    pub member_id: String,
    pub name: String,
    pub tier: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub card_ids: Vec<String>,
    pub active: bool,
    /// Enrolled at this till; the cloud has not published the member yet.
    pub local_only: bool,
    /// Points the member may redeem here now.
    pub available: i64,
    /// Best estimate of the balance (published + this till's unsynced points).
    pub balance: i64,
    /// The balance last published by the cloud.
    pub published: i64,
    /// What one point is worth, in minor units.
    pub point_value: i64,
    pub account: Option<AccountView>,
}

impl UserView {
    /// A user as the till's user list shows them (a lock that has run out is no lock).
    pub fn of(u: &UserInfo, now: DateTime<Utc>) -> UserView {
        UserView {
            user_id: u.user_id.clone(),
            name: u.name.clone(),
            role: u.role.into(),
            active: u.active,
            locked_until: u.locked_until.filter(|t| *t > now).map(ts),
        }
    }
}

impl StockView {
    pub fn of(s: &StockLevel) -> StockView {
        let state = if s.on_hand <= 0 {
            StockState::Out
        } else if s.on_hand <= s.low_stock_at {
            StockState::Low
        } else {
            StockState::Ok
        };
        StockView {
            on_hand: s.on_hand,
            low_stock_at: s.low_stock_at,
            state,
        }
    }
}

impl ProductView {
    /// A product with the till's stock of it (none: the inventory stream does not track it).
    pub fn of(p: &Product, stock: Option<&StockLevel>) -> ProductView {
        ProductView {
            sku: p.sku.clone(),
            name: p.name.clone(),
            price: p.price.0,
            weighed: p.sold_by == SoldBy::Weight,
            category: p.category.clone(),
            tax_class: p.tax_class.clone(),
            barcode: p.barcodes.first().map(|b| {
                // Stored as GTIN-14; show the EAN-13 or UPC the package carries.
                b.strip_prefix('0').unwrap_or(b).to_string()
            }),
            stock: stock.map(StockView::of),
            modifier_groups: p
                .modifier_groups
                .iter()
                .map(|g| ModifierGroupView {
                    id: g.id.clone(),
                    name: g.name.clone(),
                    min: g.min,
                    max: g.max,
                    options: g
                        .options
                        .iter()
                        .map(|o| ModifierOptionView {
                            id: o.id.clone(),
                            name: o.name.clone(),
                            price_delta: o.price_delta.0,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl MemberView {
    pub fn of(m: &MemberInfo, settings: &Settings) -> MemberView {
        let r = &m.member;
        MemberView {
            member_id: r.member_id.clone(),
            name: r.name.clone(),
            tier: r.tier.clone(),
            phone: r.phone.clone(),
            email: r.email.clone(),
            card_ids: r.card_ids.clone(),
            active: r.active,
            local_only: r.local_only,
            available: m.available,
            balance: m.estimated,
            published: m.published,
            point_value: settings.config.store.point_value,
            account: r.account.as_ref().map(|(kind, id, limit)| AccountView {
                kind: kind.clone(),
                account_id: id.clone(),
                offline_limit: limit.0,
                unconfirmed: m.unconfirmed_charges.0,
                chargeable: (*limit - m.unconfirmed_charges).0.max(0),
            }),
        }
    }
}
