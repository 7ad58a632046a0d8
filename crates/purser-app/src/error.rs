//! The one error shape the app's callers (the CLI, the desktop shell) see: a closed set of
//! codes the UI branches on, and a message a cashier can act on.

use serde::Serialize;

use purser_core::barcode::BarcodeError;
use purser_core::cart::CartError;
use purser_core::catalog::ProductError;
use purser_core::money::MoneyError;
use purser_core::sale::{RefundError, VoidError};
use purser_core::tender::TenderError;
use purser_store::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Malformed input: a bad amount, quantity, barcode or option.
    InvalidInput,
    /// A barcode failed its check digit or has the wrong length.
    InvalidBarcode,
    /// No such product, receipt or line.
    NotFound,
    /// Input that looks like a full card number was refused.
    CardNumberRefused,
    /// Tenders do not settle the sale (under- or over-paid, change not last, limits).
    PaymentRefused,
    /// A business rule refused the action (refund beyond what was sold, void of another shift…).
    NotAllowed,
    /// An item is out of stock: the cashier may confirm and sell it anyway.
    OutOfStock,
    /// Selling needs an open shift.
    NoOpenShift,
    /// A shift is already open.
    ShiftAlreadyOpen,
    /// The till is not set up (`purser init`).
    NotConfigured,
    /// The configuration is invalid.
    InvalidConfig,
    /// The disk is full: nothing was recorded.
    DiskFull,
    /// The local database is busy, damaged or newer than this program.
    Storage,
    /// The store's Kafka cluster could not be reached.
    KafkaUnreachable,
    /// Nobody is signed in, or the session locked itself after inactivity.
    SignInRequired,
    /// A supervisor's PIN is needed (a discount above the limit, a refund, a void…).
    ApprovalRequired,
    /// The item is sold by weight: weigh it, then ring it up with its weight.
    NeedsWeight,
    /// The product needs its modifiers chosen (e.g. a size) before it is rung up.
    ChoicesRequired,
    /// The receipt printer could not be reached (the sale itself is recorded).
    PrinterUnavailable,
    /// Too many wrong PINs in a row: the user is locked out for a while (the message says
    /// how long).
    Locked,
    /// The user id or the PIN is wrong, or the user is disabled (never says which).
    WrongPin,
    /// The ticket would make an event larger than the store's cluster accepts: nothing was
    /// recorded; split it.
    TooLarge,
    /// The tab was handed over to another till (`tab.moved`): recall it there. Nothing of
    /// the refused change was recorded.
    TabMoved,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::NotFound, message)
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        let code = match &e {
            StoreError::DiskFull => ErrorCode::DiskFull,
            StoreError::NotInitialised => ErrorCode::NotConfigured,
            StoreError::OtherTill { .. } => ErrorCode::InvalidConfig,
            StoreError::Conflict(m) if m.contains("shift is already open") => {
                ErrorCode::ShiftAlreadyOpen
            }
            StoreError::Conflict(_) => ErrorCode::NotAllowed,
            StoreError::EventTooLarge { .. } => ErrorCode::TooLarge,
            StoreError::ShiftClosed => ErrorCode::NoOpenShift,
            _ => ErrorCode::Storage,
        };
        AppError::new(code, e.to_string())
    }
}

impl From<MoneyError> for AppError {
    fn from(e: MoneyError) -> AppError {
        AppError::invalid(e.to_string())
    }
}
impl From<BarcodeError> for AppError {
    fn from(e: BarcodeError) -> AppError {
        AppError::new(ErrorCode::InvalidBarcode, e.to_string())
    }
}
impl From<CartError> for AppError {
    fn from(e: CartError) -> AppError {
        let code = match e {
            CartError::NoSuchLine(_) => ErrorCode::NotFound,
            CartError::ChoiceRequired { .. } => ErrorCode::ChoicesRequired,
            CartError::Inactive(_) => ErrorCode::NotAllowed,
            _ => ErrorCode::InvalidInput,
        };
        AppError::new(code, e.to_string())
    }
}
impl From<ProductError> for AppError {
    fn from(e: ProductError) -> AppError {
        AppError::invalid(e.to_string())
    }
}
impl From<TenderError> for AppError {
    fn from(e: TenderError) -> AppError {
        let code = match e {
            TenderError::LooksLikeCardNumber => ErrorCode::CardNumberRefused,
            TenderError::BadLast4
            | TenderError::BadBrand
            | TenderError::BadApprovalCode
            | TenderError::BadTerminalRef
            | TenderError::BadAccountId
            | TenderError::BadPoints => ErrorCode::InvalidInput,
            _ => ErrorCode::PaymentRefused,
        };
        AppError::new(code, e.to_string())
    }
}
impl From<RefundError> for AppError {
    fn from(e: RefundError) -> AppError {
        let code = match e {
            RefundError::NoSuchLine(_) => ErrorCode::NotFound,
            RefundError::NonPositive
            | RefundError::WrongKind { .. }
            | RefundError::DuplicateLine(_) => ErrorCode::InvalidInput,
            _ => ErrorCode::NotAllowed,
        };
        AppError::new(code, e.to_string())
    }
}
impl From<VoidError> for AppError {
    fn from(e: VoidError) -> AppError {
        AppError::new(ErrorCode::NotAllowed, e.to_string())
    }
}
impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> AppError {
        AppError::new(ErrorCode::Internal, e.to_string())
    }
}
