//! Who may see an introduction request, and who may take which decision on it (SPEC §4.1,
//! §4.2). Pure functions of the actor's rights and the request as it is: every use case
//! asks here, with the row it read inside its transaction.
//!
//! Visibility is written once, as [`Visibility`]: the in-memory predicate ([`can_see`]) and
//! the SQL filter of the lists ([`visible`]) are both read off it.

use entities::{
    enums::{IntroDirection, IntroStatus},
    intro_request,
};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use crate::{
    error::{ServiceError, ServiceResult, UserError, UserErrorCode},
    services::access::NetworkAccess,
};

/// Which requests of a network an actor sees.
enum Visibility {
    /// Network admins and API tokens: every request.
    All,
    /// The parties: a company's admins see its requests, a talent theirs, each once
    /// delivered, and from the start the ones their side asked for.
    Parties(Vec<Party>),
}

struct Party {
    side: Side,
    /// The direction in which this side asks.
    asks: IntroDirection,
}

enum Side {
    Companies(Vec<Uuid>),
    Talent(Uuid),
}

fn visibility(access: &NetworkAccess) -> Visibility {
    if access.admin || access.api_token {
        return Visibility::All;
    }
    let mut parties = Vec::new();
    if !access.companies.is_empty() {
        parties.push(Party {
            side: Side::Companies(access.companies.clone()),
            asks: IntroDirection::CompanyToTalent,
        });
    }
    if let Some((talent, _)) = access.talent {
        parties.push(Party {
            side: Side::Talent(talent),
            asks: IntroDirection::TalentToCompany,
        });
    }
    Visibility::Parties(parties)
}

impl Party {
    fn matches(&self, request: &intro_request::Model) -> bool {
        let involved = match &self.side {
            Side::Companies(ids) => ids.contains(&request.company_id),
            Side::Talent(id) => *id == request.talent_id,
        };
        involved && (request.sent_at.is_some() || request.direction == self.asks)
    }

    fn condition(&self) -> Condition {
        let involved = match &self.side {
            Side::Companies(ids) => intro_request::Column::CompanyId.is_in(ids.iter().copied()),
            Side::Talent(id) => intro_request::Column::TalentId.eq(*id),
        };
        Condition::all().add(involved).add(
            Condition::any()
                .add(intro_request::Column::SentAt.is_not_null())
                .add(intro_request::Column::Direction.eq(self.asks)),
        )
    }
}

/// Whether the actor may see this request.
pub fn can_see(access: &NetworkAccess, request: &intro_request::Model) -> bool {
    match visibility(access) {
        Visibility::All => true,
        Visibility::Parties(parties) => parties.iter().any(|p| p.matches(request)),
    }
}

/// The SQL twin of [`can_see`]: the requests of the network the actor may see, or `None`
/// when they may see none.
pub fn visible(access: &NetworkAccess) -> Option<Condition> {
    match visibility(access) {
        Visibility::All => Some(Condition::all()),
        Visibility::Parties(parties) if parties.is_empty() => None,
        Visibility::Parties(parties) => Some(
            parties
                .iter()
                .fold(Condition::any(), |any, party| any.add(party.condition())),
        ),
    }
}

/// Whether the actor is the receiving side of the request.
pub fn is_recipient(access: &NetworkAccess, request: &intro_request::Model) -> bool {
    match request.direction {
        IntroDirection::TalentToCompany => access.companies.contains(&request.company_id),
        IntroDirection::CompanyToTalent => {
            access.talent.is_some_and(|(id, _)| id == request.talent_id)
        }
    }
}

/// A decision someone takes on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// `makeIntro`: a network admin delivers a request held for review.
    MakeIntro,
    /// `addPointOfContact`: a network admin names someone at a company with no admin.
    AddPointOfContact,
    /// `acceptIntro`: the recipient accepts what was delivered.
    Accept,
    /// `declineIntro`: the recipient declines what was delivered; a network admin what
    /// waits for them.
    Decline,
    /// `withdrawIntro`: the requester takes back an open request.
    Withdraw,
}

/// What the rules say of a decision, before any row changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Not this actor's decision (they can see the request: else it is `NOT_FOUND`).
    Forbidden,
    /// This actor's decision, but not in the request's status.
    InvalidState,
    /// `makeIntro` on a request whose company has nobody to receive it.
    NoCompanyAdmin,
}

impl Verdict {
    pub fn check(self) -> ServiceResult<()> {
        match self {
            Self::Allowed => Ok(()),
            Self::Forbidden => Err(ServiceError::Forbidden),
            Self::InvalidState => Err(invalid_state()),
            Self::NoCompanyAdmin => Err(no_company_admin(
                "the company has no company admin: add a point of contact first",
            )),
        }
    }
}

pub fn is_open(status: IntroStatus) -> bool {
    matches!(
        status,
        IntroStatus::PendingReview | IntroStatus::AwaitingPointOfContact | IntroStatus::Sent
    )
}

/// May `account` (with these rights) take `decision` on the request as it is now?
pub fn verdict(
    decision: Decision,
    access: &NetworkAccess,
    account: Option<Uuid>,
    request: &intro_request::Model,
) -> Verdict {
    use IntroStatus::*;
    let in_state = |ok: bool| {
        if ok {
            Verdict::Allowed
        } else {
            Verdict::InvalidState
        }
    };
    match decision {
        _ if !can_see(access, request) => Verdict::Forbidden,
        Decision::MakeIntro if access.admin => match request.status {
            AwaitingPointOfContact => Verdict::NoCompanyAdmin,
            status => in_state(status == PendingReview),
        },
        Decision::AddPointOfContact if access.admin => {
            in_state(request.status == AwaitingPointOfContact)
        }
        Decision::Accept if is_recipient(access, request) => in_state(request.status == Sent),
        Decision::Decline if is_recipient(access, request) || access.admin => {
            let recipient = is_recipient(access, request) && request.status == Sent;
            let reviewer =
                access.admin && matches!(request.status, PendingReview | AwaitingPointOfContact);
            in_state(recipient || reviewer)
        }
        Decision::Withdraw if account == Some(request.requested_by_account_id) => {
            in_state(is_open(request.status))
        }
        _ => Verdict::Forbidden,
    }
}

/// A decline reason is shown to the requester only when the network tells requesters;
/// admins and the recipient always see it.
pub fn sees_decline_reason(
    access: &NetworkAccess,
    request: &intro_request::Model,
    notify_requester: bool,
    account_id: Option<Uuid>,
) -> bool {
    access.admin
        || is_recipient(access, request)
        || (notify_requester && account_id == Some(request.requested_by_account_id))
}

pub fn invalid_state() -> ServiceError {
    UserError::new(
        UserErrorCode::InvalidState,
        "the request is no longer in a state that allows this",
    )
    .on("introRequestId")
    .into()
}

pub fn no_company_admin(message: &str) -> ServiceError {
    UserError::new(UserErrorCode::NoCompanyAdmin, message)
        .on("introRequestId")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Who asks, in the table below.
    #[derive(Debug, Clone, Copy)]
    enum Who {
        NetworkAdmin,
        ApiToken,
        /// An admin of the request's company.
        CompanyAdmin,
        /// An admin of another company of the network.
        OtherCompany,
        /// The request's talent.
        Talent,
        OtherTalent,
        Ally,
    }

    const COMPANY: Uuid = Uuid::from_u128(1);
    const TALENT: Uuid = Uuid::from_u128(2);
    const TALENT_ACCOUNT: Uuid = Uuid::from_u128(3);
    const COMPANY_ACCOUNT: Uuid = Uuid::from_u128(4);

    fn access(who: Who) -> (NetworkAccess, Option<Uuid>) {
        let mut access = NetworkAccess {
            network_id: Uuid::from_u128(9),
            admin: false,
            api_token: false,
            companies: vec![],
            talent: None,
            ally: None,
        };
        let mut account = Some(Uuid::from_u128(99));
        match who {
            Who::NetworkAdmin => access.admin = true,
            Who::ApiToken => {
                access.api_token = true;
                account = None;
            }
            Who::CompanyAdmin => {
                access.companies = vec![COMPANY];
                account = Some(COMPANY_ACCOUNT);
            }
            Who::OtherCompany => access.companies = vec![Uuid::from_u128(5)],
            Who::Talent => {
                access.talent = Some((TALENT, true));
                account = Some(TALENT_ACCOUNT);
            }
            Who::OtherTalent => access.talent = Some((Uuid::from_u128(6), true)),
            Who::Ally => access.ally = Some(Uuid::from_u128(7)),
        }
        (access, account)
    }

    fn request(direction: IntroDirection, status: IntroStatus) -> intro_request::Model {
        let at = chrono::DateTime::UNIX_EPOCH;
        let delivered = !matches!(
            status,
            IntroStatus::PendingReview | IntroStatus::AwaitingPointOfContact
        );
        intro_request::Model {
            id: Uuid::from_u128(10),
            network_id: Uuid::from_u128(9),
            direction,
            talent_id: TALENT,
            company_id: COMPANY,
            message: String::new(),
            status,
            requested_by_account_id: match direction {
                IntroDirection::TalentToCompany => TALENT_ACCOUNT,
                IntroDirection::CompanyToTalent => COMPANY_ACCOUNT,
            },
            point_of_contact_id: None,
            decline_reason: None,
            created_at: at,
            updated_at: at,
            // Withdrawn before delivery: never sent. The table's withdrawn requests were.
            sent_at: delivered.then_some(at),
            decided_at: None,
            reminded_at: None,
        }
    }

    /// One row per (direction, status), one column per actor; in each cell: `S` sees it
    /// (`.` as if it did not exist), then the verdict on make intro, add point of contact,
    /// accept, decline, withdraw: the letter (M P A D W) allowed, `-` forbidden, `x` their
    /// decision but not in this status, `n` no company admin.
    #[test]
    fn who_sees_and_decides_what() {
        use IntroDirection::*;
        use IntroStatus::*;
        let whos = [
            Who::NetworkAdmin,
            Who::ApiToken,
            Who::CompanyAdmin,
            Who::OtherCompany,
            Who::Talent,
            Who::OtherTalent,
            Who::Ally,
        ];
        #[rustfmt::skip]
        let table = [
            // (direction, status):       network admin   API token      company admin  other company  talent         other talent   ally
            ((TalentToCompany, PendingReview),          ["S M x - D -", "S - - - - -", ". . . . . .", ". . . . . .", "S - - - - W", ". . . . . .", ". . . . . ."]),
            ((TalentToCompany, AwaitingPointOfContact), ["S n P - D -", "S - - - - -", ". . . . . .", ". . . . . .", "S - - - - W", ". . . . . .", ". . . . . ."]),
            ((TalentToCompany, Sent),                   ["S x x - x -", "S - - - - -", "S - - A D -", ". . . . . .", "S - - - - W", ". . . . . .", ". . . . . ."]),
            ((TalentToCompany, Accepted),               ["S x x - x -", "S - - - - -", "S - - x x -", ". . . . . .", "S - - - - x", ". . . . . .", ". . . . . ."]),
            ((TalentToCompany, Declined),               ["S x x - x -", "S - - - - -", "S - - x x -", ". . . . . .", "S - - - - x", ". . . . . .", ". . . . . ."]),
            ((CompanyToTalent, PendingReview),          ["S M x - D -", "S - - - - -", "S - - - - W", ". . . . . .", ". . . . . .", ". . . . . .", ". . . . . ."]),
            ((CompanyToTalent, Sent),                   ["S x x - x -", "S - - - - -", "S - - - - W", ". . . . . .", "S - - A D -", ". . . . . .", ". . . . . ."]),
            ((CompanyToTalent, Expired),                ["S x x - x -", "S - - - - -", "S - - - - x", ". . . . . .", "S - - x x -", ". . . . . .", ". . . . . ."]),
        ];
        let decisions = [
            Decision::MakeIntro,
            Decision::AddPointOfContact,
            Decision::Accept,
            Decision::Decline,
            Decision::Withdraw,
        ];
        for ((direction, status), row) in table {
            let request = request(direction, status);
            for (who, expected) in whos.iter().zip(row) {
                let (access, account) = access(*who);
                let cells: Vec<&str> = expected.split(' ').collect();
                let sees = cells[0] == "S";
                let case = format!("{who:?} on {direction:?} {status:?}");
                assert_eq!(can_see(&access, &request), sees, "{case}: sees");
                for (decision, cell) in decisions.iter().zip(&cells[1..]) {
                    let expected = match *cell {
                        "-" | "." => Verdict::Forbidden,
                        "x" => Verdict::InvalidState,
                        "n" => Verdict::NoCompanyAdmin,
                        _ => Verdict::Allowed,
                    };
                    assert_eq!(
                        verdict(*decision, &access, account, &request),
                        expected,
                        "{case}: {decision:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn nobody_without_a_role_sees_anything() {
        let (ally, _) = access(Who::Ally);
        assert!(visible(&ally).is_none());
        let (admin, _) = access(Who::NetworkAdmin);
        assert!(visible(&admin).is_some());
    }
}
