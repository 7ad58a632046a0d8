//! Loyalty members at the till: find, attach to the ticket, enrol.

use super::Desk;
use crate::ipc::*;
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::loyalty::MemberInfo;

impl Desk {
    pub(super) fn member_view(&self, m: &MemberInfo) -> MemberView {
        MemberView::of(m, self.settings())
    }

    pub fn find_members(&mut self, a: FindMembersArgs) -> AppResult<Vec<MemberView>> {
        self.user()?;
        let found = self.till.find_members(&a.text, 20)?;
        Ok(found.iter().map(|m| self.member_view(m)).collect())
    }

    pub fn attach_member(&mut self, a: MemberArgs) -> AppResult<TicketView> {
        self.user()?;
        let m = self.till.member(&a.key)?;
        if !m.member.active {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!(
                    "{}'s membership ({}) is closed: it cannot earn or redeem points",
                    m.member.name, m.member.member_id
                ),
            ));
        }
        let before = self.before();
        self.member = Some(m.member.member_id);
        self.save_tab(before)?;
        self.ticket_view()
    }

    pub fn detach_member(&mut self, _: Empty) -> AppResult<TicketView> {
        self.user()?;
        let before = self.before();
        self.member = None;
        // Rewards were the member's: their lines go back to full price.
        for line_no in std::mem::take(&mut self.rewards) {
            self.ticket.set_line_discount(line_no, None)?;
        }
        self.save_tab(before)?;
        self.ticket_view()
    }

    pub fn enrol_member(&mut self, a: EnrolArgs) -> AppResult<TicketView> {
        self.user()?;
        let r = self.till.enrol(
            &a.name,
            a.phone.as_deref(),
            a.email.as_deref(),
            a.card_id.as_deref(),
        )?;
        self.links.wake();
        let before = self.before();
        self.member = Some(r.body.member_id);
        self.save_tab(before)?;
        self.ticket_view()
    }
}
