//! Who is signed in (PIN, auto-lock) and the shift: open, X report, close with a Z.

use purser_core::shift::ReportKind;

use super::views::*;
use super::{Desk, Session};
use crate::ipc::*;
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::printout::Printout;
use purser_app::users::UserInfo;

impl Desk {
    pub(super) fn session_view(&self, user: &UserInfo) -> AppResult<SessionView> {
        Ok(SessionView {
            user: UserView::of(user, self.till.now()),
            shift: self.till.current_shift()?.as_ref().map(shift_view),
        })
    }

    pub fn app_info(&mut self, _: Empty) -> AppResult<AppInfo> {
        let s = self.settings();
        Ok(AppInfo {
            store_id: s.config.store.store_id.clone(),
            till_id: s.config.store.till_id.clone(),
            currency: s.currency.code.clone(),
            currency_exponent: u32::from(s.currency.exponent),
            cash_rounding: s.config.store.cash_rounding,
            tax_mode: s.tax_mode.as_str().into(),
            version: env!("CARGO_PKG_VERSION").into(),
            demo: self.demo,
            printer: s.config.till.printer.clone(),
            auto_lock_secs: s.config.till.auto_lock_minutes.saturating_mul(60),
            discount_approval_percent: s.config.till.discount_approval_percent,
            language: s.config.till.language.clone(),
        })
    }

    pub fn sign_in(&mut self, a: SignInArgs) -> AppResult<SessionView> {
        let user = self.till.sign_in(a.user_id.trim(), &a.pin)?;
        tracing::info!(user = %user.user_id, "signed in");
        self.last_activity = self.till.now();
        self.session = Some(Session {
            user: user.clone(),
            locked: false,
        });
        self.session_view(&user)
    }

    pub fn sign_out(&mut self, _: Empty) -> AppResult<bool> {
        if let Some(s) = self.session.take() {
            tracing::info!(user = %s.user.user_id, "signed out");
        }
        Ok(true)
    }

    pub fn lock(&mut self, _: Empty) -> AppResult<bool> {
        if let Some(s) = self.session.as_mut() {
            s.locked = true;
        }
        Ok(true)
    }

    pub fn session(&mut self, _: Empty) -> AppResult<SessionView> {
        let user = self.user()?;
        self.session_view(&user)
    }

    pub fn open_shift(&mut self, a: OpenShiftArgs) -> AppResult<ShiftView> {
        let user = self.user()?;
        let float = self.settings().currency.parse_amount(a.float.trim())?;
        self.till.open_shift(&user.user_id, float)?;
        self.links.wake();
        let shift = self.till.current_shift()?.ok_or_else(|| {
            AppError::new(
                ErrorCode::Internal,
                "the shift was opened but cannot be read back",
            )
        })?;
        Ok(shift_view(&shift))
    }

    pub fn shift_report(&mut self, _: Empty) -> AppResult<ReportView> {
        self.user()?;
        let r = self.till.shift_report()?;
        Ok(report_view(self.settings(), &r))
    }

    pub fn close_shift(&mut self, a: CloseShiftArgs) -> AppResult<ReportView> {
        self.user()?;
        // A tab's ticket is saved and stays open across shifts; any other is not.
        if self.tab.is_none() && !self.ticket.lines.is_empty() {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "finish, park or clear the open ticket before closing the shift",
            ));
        }
        let kind = match a.kind.to_ascii_lowercase().as_str() {
            "x" => ReportKind::X,
            "z" => ReportKind::Z,
            other => {
                return Err(AppError::invalid(format!(
                    "'{other}' is not a report: X or Z"
                )))
            }
        };
        let counted = self.settings().currency.parse_amount(a.counted.trim())?;
        let r = self.till.close_shift(counted, kind)?;
        self.links.wake();
        let view = report_view(self.settings(), &r.body.report);
        let p = Printout {
            title: format!("{} report", view.kind),
            text: view.text.clone(),
            barcode: None,
        };
        self.print(&p, false);
        Ok(view)
    }
}
