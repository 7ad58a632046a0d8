//! The embedded demo store: a realistic catalog and a scripted day of sales.

use purser_core::barcode::ean13_from_body;
use purser_core::cart::{Discount, Quantity};
use purser_core::catalog::{Product, SoldBy};
use purser_core::money::Money;
use purser_core::tender::{AccountKind, CardPayment, TenderInput};

use crate::till::{LineRequest, SaleRequest};

struct Family {
    category: &'static str,
    tax: &'static str,
    sold_by: SoldBy,
    items: &'static [(&'static str, i64)],
    variants: &'static [(&'static str, i64)],
}

const FAMILIES: &[Family] = &[
    Family {
        category: "Coffee bar",
        tax: "standard",
        sold_by: SoldBy::Unit,
        items: &[
            ("Espresso", 220),
            ("Double espresso", 320),
            ("Americano", 290),
            ("Cappuccino", 380),
            ("Flat white", 400),
            ("Caffe latte", 390),
            ("Mocha", 430),
            ("Hot chocolate", 360),
            ("Chai latte", 400),
            ("Iced latte", 420),
        ],
        variants: &[("", 0), (" oat milk", 50), (" to go", 20)],
    },
    Family {
        category: "Tea",
        tax: "standard",
        sold_by: SoldBy::Unit,
        items: &[
            ("English breakfast tea", 250),
            ("Earl Grey tea", 250),
            ("Green tea", 260),
            ("Peppermint tea", 250),
            ("Chamomile tea", 250),
            ("Rooibos tea", 260),
        ],
        variants: &[("", 0), (" pot", 180)],
    },
    Family {
        category: "Soft drinks",
        tax: "standard",
        sold_by: SoldBy::Unit,
        items: &[
            ("Cola", 250),
            ("Cola zero", 250),
            ("Lemonade", 260),
            ("Orange juice", 320),
            ("Apple juice", 320),
            ("Tonic water", 220),
            ("Ginger ale", 240),
            ("Sparkling water", 200),
            ("Still water", 180),
            ("Iced tea peach", 280),
        ],
        variants: &[(" 330ml", 0), (" 500ml", 80), (" 1L", 190)],
    },
    Family {
        category: "Beer & cider",
        tax: "standard",
        sold_by: SoldBy::Unit,
        items: &[
            ("Pilsner", 450),
            ("IPA", 590),
            ("Wheat beer", 520),
            ("Stout", 560),
            ("Amber ale", 540),
            ("Apple cider", 500),
            ("Alcohol-free lager", 390),
        ],
        variants: &[(" bottle", 0), (" pint draught", 120), (" can", -40)],
    },
    Family {
        category: "Wine",
        tax: "standard",
        sold_by: SoldBy::Unit,
        items: &[
            ("House red", 650),
            ("House white", 650),
            ("Rose", 680),
            ("Prosecco", 790),
            ("Rioja Crianza", 850),
            ("Sauvignon blanc", 820),
            ("Malbec", 880),
            ("Champagne brut", 1450),
        ],
        variants: &[(" glass 175ml", 0), (" bottle 750ml", 1950)],
    },
    Family {
        category: "Spirits & cocktails",
        tax: "standard",
        sold_by: SoldBy::Unit,
        items: &[
            ("Gin and tonic", 850),
            ("Rum and cola", 820),
            ("Whisky single malt", 1100),
            ("Vodka soda", 800),
            ("Mojito", 1050),
            ("Margarita", 1050),
            ("Espresso martini", 1150),
            ("Aperol spritz", 950),
            ("Negroni", 1100),
            ("Pina colada", 1100),
        ],
        variants: &[("", 0), (" double", 400)],
    },
    Family {
        category: "Bakery",
        tax: "reduced",
        sold_by: SoldBy::Unit,
        items: &[
            ("Croissant", 180),
            ("Pain au chocolat", 200),
            ("Blueberry muffin", 260),
            ("Cinnamon roll", 280),
            ("Banana bread slice", 270),
            ("Brownie", 290),
            ("Scone with jam", 310),
            ("Bagel plain", 190),
            ("Almond croissant", 290),
        ],
        variants: &[("", 0), (" warmed", 0)],
    },
    Family {
        category: "Sandwiches",
        tax: "reduced",
        sold_by: SoldBy::Unit,
        items: &[
            ("Ham and cheese baguette", 590),
            ("Chicken Caesar wrap", 650),
            ("Tuna melt panini", 620),
            ("Caprese focaccia", 610),
            ("Egg and cress sandwich", 450),
            ("BLT sandwich", 560),
            ("Falafel wrap", 590),
        ],
        variants: &[("", 0), (" meal deal", 250)],
    },
    Family {
        category: "Snacks",
        tax: "reduced",
        sold_by: SoldBy::Unit,
        items: &[
            ("Salted crisps", 150),
            ("Sea salt and vinegar crisps", 150),
            ("Salted peanuts", 180),
            ("Mixed nuts", 290),
            ("Dark chocolate bar", 220),
            ("Milk chocolate bar", 200),
            ("Granola bar", 170),
            ("Pretzels", 190),
            ("Olives", 350),
            ("Cheese board", 1250),
        ],
        variants: &[(" small", 0), (" sharing", 170)],
    },
    Family {
        category: "Fruit & deli (by weight)",
        tax: "reduced",
        sold_by: SoldBy::Weight,
        items: &[
            ("Bananas", 199),
            ("Apples Gala", 289),
            ("Grapes red", 549),
            ("Cherries", 1290),
            ("Clementines", 329),
            ("Olives mixed", 1690),
            ("Manchego cheese", 2890),
            ("Serrano ham", 3990),
            ("Dried apricots", 1590),
            ("Trail mix", 1490),
        ],
        variants: &[("", 0)],
    },
    Family {
        category: "Toiletries",
        tax: "standard",
        sold_by: SoldBy::Unit,
        items: &[
            ("Sun cream SPF30", 1190),
            ("Sun cream SPF50", 1290),
            ("After-sun lotion", 890),
            ("Toothpaste", 290),
            ("Travel toothbrush", 250),
            ("Paracetamol 16", 199),
            ("Seasickness tablets", 650),
            ("Lip balm", 350),
            ("Hand sanitiser", 290),
        ],
        variants: &[("", 0), (" travel size", -60)],
    },
    Family {
        category: "Souvenirs",
        tax: "standard",
        sold_by: SoldBy::Unit,
        items: &[
            ("Postcard", 120),
            ("Fridge magnet", 450),
            ("Keyring", 550),
            ("Enamel mug", 1290),
            ("Cotton tote bag", 990),
            ("Baseball cap", 1690),
            ("T-shirt", 1990),
            ("Hoodie", 3990),
            ("Snow globe", 1490),
            ("Tea towel", 890),
        ],
        variants: &[("", 0), (" deluxe", 500)],
    },
];

/// The demo catalog: about 300 products, with valid in-store EAN-13 barcodes (prefix 20,
/// the range GS1 reserves for restricted in-store use).
pub fn demo_catalog() -> Vec<Product> {
    let mut out = Vec::new();
    for (fi, fam) in FAMILIES.iter().enumerate() {
        for (ii, (name, price)) in fam.items.iter().enumerate() {
            for (vi, (variant, delta)) in fam.variants.iter().enumerate() {
                let n = out.len() + 1;
                let sku = format!("D{:02}{:02}{}", fi + 1, ii + 1, vi);
                let body = format!("20{:02}{:02}{:02}{:04}", fi + 1, ii + 1, vi, n);
                let barcode = ean13_from_body(&body).unwrap_or_default();
                let p = Product::new(
                    &sku,
                    &format!("{name}{variant}"),
                    &[&barcode],
                    Money((price + delta).max(50)),
                    fam.tax,
                    fam.sold_by,
                    Some(fam.category),
                    true,
                );
                if let Ok(p) = p {
                    // A bar's drinks: the single measure of a spirit is poured neat or on
                    // the rocks, and the bartender may add a mixer.
                    let p = if fam.category == "Spirits & cocktails" && vi == 0 {
                        p.clone()
                            .with_modifier_groups(bar_modifiers(ii))
                            .unwrap_or(p)
                    } else {
                        p
                    };
                    out.push(p);
                }
            }
        }
    }
    out
}

/// The demo bar's modifier groups: ice for every single spirit, a mixer for the whisky,
/// rum and vodka (all optional, so a scanned bottle rings up at once).
fn bar_modifiers(item: usize) -> Vec<purser_core::catalog::ModifierGroup> {
    use purser_core::catalog::{ModifierGroup, ModifierOption};
    let option = |id: &str, name: &str, delta: i64| ModifierOption {
        id: id.into(),
        name: name.into(),
        price_delta: Money(delta),
    };
    let mut groups = vec![ModifierGroup {
        id: "ice".into(),
        name: "Ice".into(),
        min: 0,
        max: 1,
        options: vec![
            option("neat", "Neat", 0),
            option("rocks", "On the rocks", 0),
        ],
    }];
    if (1..=3).contains(&item) {
        groups.push(ModifierGroup {
            id: "mixer".into(),
            name: "Mixer".into(),
            min: 0,
            max: 1,
            options: vec![
                option("tonic", "Tonic", 150),
                option("ginger", "Ginger ale", 150),
                option("soda", "Soda", 50),
            ],
        });
    }
    groups
}

/// The demo bar's happy hour: cocktails 20 % off from 17:00 to 19:00, every day.
pub fn demo_price_rules() -> Vec<purser_core::pricing::PriceRule> {
    use purser_core::pricing::{Adjustment, PriceRule};
    vec![PriceRule {
        id: "cocktail-hour".into(),
        name: "Cocktail hour".into(),
        days: Vec::new(),
        start: chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
        end: chrono::NaiveTime::from_hms_opt(19, 0, 0).unwrap_or_default(),
        skus: Vec::new(),
        categories: vec!["Spirits & cocktails".into()],
        adjustment: Adjustment::PercentOff { bp: 2000 },
    }]
}

/// A small deterministic random source, so the demo day is the same every run.
#[derive(Debug)]
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// The `n`-th sale of the demo day: a basket of 1-5 items scanned by barcode, and one of
/// the tender mixes a bar sees (cash with change, card, split, cabin charge).
pub fn demo_sale(
    catalog: &[Product],
    rng: &mut Lcg,
    n: u64,
    total_hint: impl Fn(&SaleRequest) -> Option<Money>,
) -> SaleRequest {
    let items = 1 + rng.below(5);
    let mut lines = Vec::new();
    for _ in 0..items {
        let p = &catalog[usize::try_from(rng.below(catalog.len() as u64)).unwrap_or(0)];
        let quantity = match p.sold_by {
            SoldBy::Weight => Some(Quantity::Grams(
                i64::try_from(100 + rng.below(900)).unwrap_or(250),
            )),
            SoldBy::Unit => Some(Quantity::Units(
                i64::try_from(1 + rng.below(3)).unwrap_or(1),
            )),
        };
        let code = p
            .barcodes
            .first()
            .map(|g| g.trim_start_matches('0').to_string())
            .unwrap_or_else(|| p.sku.clone());
        let discount = (rng.below(12) == 0).then_some(Discount::Percent { bp: 1000 });
        lines.push(LineRequest {
            code,
            quantity,
            discount,
        });
    }
    // A bar keeps serving when its count says a bottle is gone: the cashier confirms.
    let mut req = SaleRequest {
        lines,
        confirm_out_of_stock: true,
        ..Default::default()
    };
    // 1.00 off now and then, where that is within a cashier's 10 % (no approval needed).
    if rng.below(15) == 0 && total_hint(&req).is_some_and(|t| t.0 >= 1_000) {
        req.discount = Some(Discount::Amount { amount: Money(100) });
    }
    let card = |n: u64| CardPayment {
        brand: ["VISA", "MASTERCARD", "AMEX"][usize::try_from(n % 3).unwrap_or(0)].into(),
        last4: format!("{:04}", (n * 7919) % 10_000),
        approval_code: format!("A{:05}", (n * 104_729) % 100_000),
        terminal_ref: format!("TRM1-{n:05}"),
        offline: false,
    };
    req.tenders = match rng.below(10) {
        0..=3 => {
            // Cash, rounded up to the next 5 or 10 for change.
            let total = total_hint(&req).unwrap_or(Money(0));
            let step = if total.0 > 2000 { 1000 } else { 500 };
            vec![TenderInput::Cash {
                tendered: Some(Money((total.0 / step + 1) * step)),
            }]
        }
        4..=7 => vec![TenderInput::Card {
            card: card(n),
            amount: None,
        }],
        8 => {
            let total = total_hint(&req).unwrap_or(Money(0));
            let cash = Money(total.0 / 2);
            if cash.0 > 0 {
                vec![
                    TenderInput::Cash {
                        tendered: Some(cash),
                    },
                    TenderInput::Card {
                        card: card(n),
                        amount: None,
                    },
                ]
            } else {
                vec![TenderInput::Card {
                    card: card(n),
                    amount: None,
                }]
            }
        }
        _ => {
            // Charged to an open demo guest's cabin (members 1, 3, …, 11 have one), who
            // also earns points on it.
            let guest = 1 + 2 * rng.below(6);
            req.member_id = Some(format!("M-{guest:06}"));
            vec![TenderInput::Account {
                account_kind: AccountKind::Cabin,
                account_id: format!("CABIN-{}", 7000 + guest),
                amount: None,
            }]
        }
    };
    // Some other customers show their loyalty card too.
    if req.member_id.is_none() && rng.below(4) == 0 {
        req.member_id = Some(format!("M-{:06}", 1 + rng.below(11)));
    }
    req
}

/// The demo store's users: (id, name, role, PIN). Documented in the README.
pub const DEMO_USERS: &[(&str, &str, crate::users::Role, &str)] = &[
    ("ana", "Ana Cashier", crate::users::Role::Cashier, "1234"),
    (
        "ben",
        "Ben Supervisor",
        crate::users::Role::Supervisor,
        "2468",
    ),
    ("mia", "Mia Manager", crate::users::Role::Manager, "1357"),
];

/// Publishes the demo store's reference data as headquarters would: the catalog, this
/// store's stock (seeded by `seed`) and the loyalty members.
pub fn publish_demo_reference(
    settings: &crate::Settings,
    seed: u64,
    timeout: std::time::Duration,
) -> crate::AppResult<usize> {
    use crate::error::{AppError, ErrorCode};
    let cfg = &settings.config;
    let now = chrono::Utc::now();
    let catalog = demo_catalog();
    let mut rng = Lcg::new(seed);
    let stock: Vec<(String, Option<Vec<u8>>)> = catalog
        .iter()
        .map(|p| {
            let (on_hand, low) = match p.sold_by {
                SoldBy::Weight => (
                    i64::try_from(2_000 + rng.below(20_000)).unwrap_or(5_000),
                    1_000,
                ),
                // A few items run out, a few run low: the sell screen shows both.
                SoldBy::Unit => (i64::try_from(rng.below(60)).unwrap_or(10), 5),
            };
            let rec = purser_core::inbound::InventoryRecord {
                schema_version: 1,
                store_id: cfg.store.store_id.clone(),
                sku: p.sku.clone(),
                on_hand,
                low_stock_at: low,
                updated_at: now,
            };
            (
                format!("{}:{}", cfg.store.store_id, p.sku),
                serde_json::to_vec(&rec).ok(),
            )
        })
        .collect();
    let members: Vec<(String, Option<Vec<u8>>)> = crate::reference::demo_members(now)
        .iter()
        .map(|m| (m.member_id.clone(), serde_json::to_vec(m).ok()))
        .collect();
    let publish = |topic: &str, records: &[(String, Option<Vec<u8>>)]| {
        purser_stream::publish::publish(&cfg.kafka, topic, records, timeout)
            .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e))
    };
    let mut catalog_topic = crate::reference::catalog_records(&catalog, settings, now)?;
    catalog_topic.extend(crate::reference::price_rule_records(
        &demo_price_rules(),
        settings,
        now,
    )?);
    publish(&cfg.topics.catalog, &catalog_topic)?;
    publish(&cfg.topics.inventory, &stock)?;
    publish(&cfg.topics.loyalty_accounts, &members)?;
    Ok(catalog.len())
}

/// The demo store's configuration for a till at `dir` talking to `bootstrap`.
pub fn demo_config(dir: &std::path::Path, till_id: &str, bootstrap: &str) -> crate::Config {
    let mut cfg = crate::Config::new_till(
        "DEMO-STORE",
        till_id,
        "EUR",
        "inclusive",
        "Europe/Paris",
        dir.join("till.db"),
    );
    cfg.outbox.heartbeat_secs = 5;
    cfg.kafka.bootstrap_servers = bootstrap.to_string();
    // The bar adds 18 % service on spirits and cocktails.
    cfg.bar.service_charge_percent = "18".into();
    cfg.bar.service_charge_categories = vec!["Spirits & cocktails".into()];
    // Members may take any coffee bar drink as a reward for 150 points.
    cfg.loyalty.rewards = demo_catalog()
        .iter()
        .filter(|p| p.category.as_deref() == Some("Coffee bar"))
        .map(|p| (p.sku.clone(), 150))
        .collect();
    cfg
}

/// Creates the demo users on a till that has none yet.
/// The approval of a demo supervisor or manager (`DEMO_USERS`), proven with their PIN
/// like any other: for the demo day and the tests that sell one.
pub fn demo_approver(
    till: &mut crate::Till,
    user_id: &str,
) -> crate::AppResult<crate::users::Approver> {
    let pin = DEMO_USERS
        .iter()
        .find(|(id, ..)| *id == user_id)
        .map(|(.., pin)| *pin)
        .ok_or_else(|| crate::AppError::not_found(format!("{user_id} is not a demo user")))?;
    till.approver(user_id, pin)
}

pub fn ensure_demo_users(till: &mut crate::Till) -> crate::AppResult<()> {
    if !till.users()?.is_empty() {
        return Ok(());
    }
    for (id, name, role, pin) in DEMO_USERS {
        till.add_user(id, name, *role, pin)?;
    }
    Ok(())
}
