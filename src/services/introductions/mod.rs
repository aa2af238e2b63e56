//! Introduction requests (SPEC §4.2). Where the rules are:
//!
//! * here: where a new request goes ([`route_to_company`], [`route_to_talent`]) and the
//!   inboxes it can wait in ([`InboxSection`], [`awaits_company`]);
//! * [`policy`]: who sees a request (in memory and as SQL) and who may take which decision;
//! * [`request`]: asking (`requestIntroToCompany`, `requestIntroToTalent`);
//! * [`decide`]: the decisions (`makeIntro`, `acceptIntro`, `declineIntro`, `withdrawIntro`);
//! * [`point_of_contact`]: a company with nobody to receive requests gets someone;
//! * [`timeline`]: every change, as one conditional update, a timeline step and a live event;
//! * [`notify`]: who is emailed about what;
//! * [`follow_up`]: reminders and expiry in the background;
//! * [`lists`]: the lists, counts and inboxes clients read.
//!
//! Every change runs in a [`crate::services::tx::Tx`] of the request's network: it takes the
//! network's lock first and decides from the request as it reads it then, never from a copy
//! read before.

pub mod decide;
pub mod follow_up;
pub mod lists;
pub mod notify;
pub mod point_of_contact;
pub mod policy;
pub mod request;
pub mod timeline;

use entities::enums::{IntroDirection, IntroStatus};

pub use decide::{accept_intro, decline_intro, make_intro, withdraw_intro};
pub use follow_up::{FollowUp, follow_up, run_follow_ups};
pub use lists::{
    RequestFilter, WithParties, count, events_of, inbox, inbox_counts, jobs_of, list,
    visible_request,
};
pub use point_of_contact::{add_point_of_contact, deliver_awaiting};
pub use policy::{can_see, sees_decline_reason};
pub use request::{NewRequest, request};

/// The network admins' inbox: open requests that wait for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboxSection {
    /// `PENDING_REVIEW`: the gatekeeper holds them.
    InNetwork,
    /// `AWAITING_POINT_OF_CONTACT`: the company has nobody to receive them.
    OutOfNetwork,
}

impl InboxSection {
    pub fn of(status: IntroStatus) -> Option<Self> {
        match status {
            IntroStatus::PendingReview => Some(Self::InNetwork),
            IntroStatus::AwaitingPointOfContact => Some(Self::OutOfNetwork),
            _ => None,
        }
    }

    pub fn status(self) -> IntroStatus {
        match self {
            Self::InNetwork => IntroStatus::PendingReview,
            Self::OutOfNetwork => IntroStatus::AwaitingPointOfContact,
        }
    }
}

/// A company's own inbox: requests to it, delivered and waiting for its decision.
pub const AWAITING_COMPANY: (IntroDirection, IntroStatus) =
    (IntroDirection::TalentToCompany, IntroStatus::Sent);

/// Whether a request in this state waits in its company's inbox.
pub fn awaits_company(direction: IntroDirection, status: IntroStatus) -> bool {
    (direction, status) == AWAITING_COMPANY
}

/// Where a new talent → company request goes.
pub fn route_to_company(company_has_active_admin: bool, gatekeeper: bool) -> IntroStatus {
    if !company_has_active_admin {
        IntroStatus::AwaitingPointOfContact
    } else if gatekeeper {
        IntroStatus::PendingReview
    } else {
        IntroStatus::Sent
    }
}

/// Where a new company → talent request goes.
pub fn route_to_talent(talent_verified: bool, gatekeeper: bool) -> IntroStatus {
    if !talent_verified || gatekeeper {
        IntroStatus::PendingReview
    } else {
        IntroStatus::Sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_follows_the_spec() {
        assert_eq!(
            route_to_company(false, true),
            IntroStatus::AwaitingPointOfContact
        );
        assert_eq!(
            route_to_company(false, false),
            IntroStatus::AwaitingPointOfContact
        );
        assert_eq!(route_to_company(true, true), IntroStatus::PendingReview);
        assert_eq!(route_to_company(true, false), IntroStatus::Sent);
        assert_eq!(route_to_talent(false, false), IntroStatus::PendingReview);
        assert_eq!(route_to_talent(true, true), IntroStatus::PendingReview);
        assert_eq!(route_to_talent(true, false), IntroStatus::Sent);
    }

    #[test]
    fn sections_and_statuses_are_one_table() {
        for section in [InboxSection::InNetwork, InboxSection::OutOfNetwork] {
            assert_eq!(InboxSection::of(section.status()), Some(section));
        }
    }
}
