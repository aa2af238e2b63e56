//! Live subscriptions (SPEC §5): which events of the log a subscriber receives, what each
//! means for their inbox, and when they stop receiving. Every event is authorised against
//! the subscriber's current rights; when those no longer allow the subscription, it ends
//! with `FORBIDDEN`.

use std::sync::Arc;

use entities::enums::IntroStatus;
use futures::{Stream, StreamExt};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    error::{ServiceError, ServiceResult, UserError},
    live::{LiveEvent, log, stream},
    services::{
        access::{Actor, NetworkAccess},
        companies,
        introductions::{self, InboxSection, awaits_company},
    },
    state::AppState,
};

/// What a subscription follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The network admins' inbox (`inboxUpdated`): requests waiting for them.
    NetworkInbox(Uuid),
    /// A company's inbox (`companyInboxUpdated`): requests delivered to the company and
    /// waiting for its decision.
    CompanyInbox(Uuid),
    /// Every change of one request (`introRequestUpdated`).
    Request(Uuid),
}

/// What an event did to the subscriber's inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Added,
    Updated,
    Removed,
}

/// One event for one subscriber, with the rights it was authorised under.
pub struct Delivery {
    pub target: Target,
    pub event: Arc<LiveEvent>,
    pub kind: EventKind,
    pub actor: Arc<Actor>,
}

impl Delivery {
    pub fn cursor(&self) -> i64 {
        self.event.entry.seq
    }

    /// The section of the network admins' inbox the request is in after the event; none
    /// once it left, and on other subscriptions.
    pub fn section(&self) -> Option<InboxSection> {
        match self.target {
            Target::NetworkInbox(_) if self.kind != EventKind::Removed => {
                InboxSection::of(self.event.entry.to_status)
            }
            _ => None,
        }
    }
}

fn kind(was_in: bool, is_in: bool) -> Option<EventKind> {
    match (was_in, is_in) {
        (false, true) => Some(EventKind::Added),
        (true, true) => Some(EventKind::Updated),
        (true, false) => Some(EventKind::Removed),
        (false, false) => None,
    }
}

/// What the event means for a subscription following `target`, if anything.
pub fn kind_for(target: Target, event: &LiveEvent) -> Option<EventKind> {
    let entry = &event.entry;
    match target {
        Target::NetworkInbox(_) => {
            let in_inbox =
                |status: Option<IntroStatus>| status.and_then(InboxSection::of).is_some();
            kind(in_inbox(entry.from_status), in_inbox(Some(entry.to_status)))
        }
        Target::CompanyInbox(company) if entry.company_id == company => {
            let waits = |status: Option<IntroStatus>| {
                status.is_some_and(|s| awaits_company(entry.direction, s))
            };
            kind(waits(entry.from_status), waits(Some(entry.to_status)))
        }
        Target::CompanyInbox(_) => None,
        Target::Request(id) if entry.intro_request_id == id => {
            Some(if entry.from_status.is_none() {
                EventKind::Added
            } else {
                EventKind::Updated
            })
        }
        Target::Request(_) => None,
    }
}

/// Whether these rights allow following `target` (and, for a request, seeing it now).
fn allows(access: &NetworkAccess, target: Target, event: Option<&LiveEvent>) -> bool {
    match target {
        Target::NetworkInbox(_) => access.admin || access.api_token,
        Target::CompanyInbox(company) => access.companies.contains(&company),
        Target::Request(_) => event.is_none_or(|e| introductions::can_see(access, &e.request)),
    }
}

/// Opens a subscription: checks the target and the cursor now (`NOT_FOUND` for what the
/// subscriber may not see, `FORBIDDEN` for what they see but may not follow), then streams
/// the replayed and live events. `actor` follows the connection's current rights.
pub async fn open(
    state: &AppState,
    mut actor: watch::Receiver<Arc<Actor>>,
    target: Target,
    after: Option<i64>,
) -> ServiceResult<impl Stream<Item = ServiceResult<Delivery>> + Send + use<>> {
    let current = actor.borrow_and_update().clone();
    let network_id = match target {
        Target::NetworkInbox(id) => {
            let access = current.access(&state.db, id).await?;
            if !access.sees_network() {
                return Err(ServiceError::not_found("networkId", "network"));
            }
            if !allows(&access, target, None) {
                return Err(ServiceError::Forbidden);
            }
            id
        }
        Target::CompanyInbox(id) => {
            let (company, access) =
                companies::visible_with_access(state, &current, id, "companyId").await?;
            if !allows(&access, target, None) {
                return Err(ServiceError::Forbidden);
            }
            company.network_id
        }
        Target::Request(id) => {
            introductions::visible_request(state, &current, id)
                .await?
                .ok_or_else(|| ServiceError::not_found("id", "introduction request"))?
                .network_id
        }
    };
    if let Some(seq) = after
        && !log::contains(state.db.read(), network_id, seq).await?
    {
        return Err(UserError::invalid(
            "after",
            "unknown cursor, or older than the event log keeps: subscribe without `after`",
        )
        .into());
    }

    let events = stream::events(state.hub.clone(), state.db.clone(), network_id, after);
    let db = state.db.clone();
    Ok(async_stream::try_stream! {
        let mut events = std::pin::pin!(events);
        loop {
            let step = tokio::select! {
                changed = actor.changed() => Step::RightsChanged(changed.is_ok()),
                event = events.next() => Step::Event(event),
            };
            match step {
                Step::RightsChanged(false) | Step::Event(None) => break,
                Step::RightsChanged(true) => {
                    let current = actor.borrow_and_update().clone();
                    let access = current.access(&db, network_id).await?;
                    if !allows(&access, target, None) {
                        Err(ServiceError::Forbidden)?;
                    }
                }
                Step::Event(Some(event)) => {
                    let event = event?;
                    let Some(kind) = kind_for(target, &event) else { continue };
                    let current = actor.borrow().clone();
                    let access = current.access(&db, network_id).await?;
                    if !allows(&access, target, Some(&event)) {
                        Err(ServiceError::Forbidden)?;
                    }
                    yield Delivery { target, event, kind, actor: current };
                }
            }
        }
    })
}

enum Step<E> {
    /// `false`: the connection is gone.
    RightsChanged(bool),
    Event(Option<E>),
}

#[cfg(test)]
mod tests {
    use entities::{enums::IntroDirection, event_log, intro_request};
    use uuid::Uuid;

    use super::*;

    fn event(
        direction: IntroDirection,
        from: Option<IntroStatus>,
        to: IntroStatus,
        company: Uuid,
    ) -> LiveEvent {
        let (network, request) = (Uuid::now_v7(), Uuid::now_v7());
        let at = chrono::Utc::now();
        LiveEvent {
            entry: event_log::Model {
                seq: 1,
                network_id: network,
                intro_request_id: request,
                company_id: company,
                direction,
                from_status: from,
                to_status: to,
                in_network_count: 0,
                out_of_network_count: 0,
                company_awaiting_count: 0,
                at,
            },
            request: intro_request::Model {
                id: request,
                network_id: network,
                direction,
                talent_id: Uuid::now_v7(),
                company_id: company,
                message: String::new(),
                status: to,
                requested_by_account_id: Uuid::now_v7(),
                point_of_contact_id: None,
                decline_reason: None,
                created_at: at,
                updated_at: at,
                sent_at: None,
                decided_at: None,
                reminded_at: None,
            },
        }
    }

    #[test]
    fn what_an_event_means_for_each_inbox() {
        use EventKind::*;
        use IntroDirection::*;
        use IntroStatus::*;
        let company = Uuid::now_v7();
        let network = Target::NetworkInbox(Uuid::now_v7());
        let own = Target::CompanyInbox(company);
        let other = Target::CompanyInbox(Uuid::now_v7());
        let cases = [
            // (direction, from, to) → (network admins' inbox, the company's inbox)
            ((TalentToCompany, None, PendingReview), (Some(Added), None)),
            (
                (TalentToCompany, None, AwaitingPointOfContact),
                (Some(Added), None),
            ),
            ((TalentToCompany, None, Sent), (None, Some(Added))),
            (
                (
                    TalentToCompany,
                    Some(AwaitingPointOfContact),
                    AwaitingPointOfContact,
                ),
                (Some(Updated), None),
            ),
            (
                (TalentToCompany, Some(PendingReview), Sent),
                (Some(Removed), Some(Added)),
            ),
            (
                (TalentToCompany, Some(PendingReview), Declined),
                (Some(Removed), None),
            ),
            (
                (TalentToCompany, Some(Sent), Accepted),
                (None, Some(Removed)),
            ),
            (
                (TalentToCompany, Some(Sent), Expired),
                (None, Some(Removed)),
            ),
            // A company's own requests to talent never wait in its inbox.
            ((CompanyToTalent, None, Sent), (None, None)),
            (
                (CompanyToTalent, Some(PendingReview), Sent),
                (Some(Removed), None),
            ),
        ];
        for ((direction, from, to), (in_network, in_company)) in cases {
            let event = event(direction, from, to, company);
            assert_eq!(
                kind_for(network, &event),
                in_network,
                "{direction:?} {from:?} → {to:?}"
            );
            assert_eq!(
                kind_for(own, &event),
                in_company,
                "{direction:?} {from:?} → {to:?}"
            );
            assert_eq!(kind_for(other, &event), None);
        }
        let request = event(TalentToCompany, None, PendingReview, company);
        let id = request.entry.intro_request_id;
        assert_eq!(kind_for(Target::Request(id), &request), Some(Added));
        assert_eq!(kind_for(Target::Request(Uuid::now_v7()), &request), None);
    }
}
