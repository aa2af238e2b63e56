//! A company with nobody to receive introductions: a network admin names someone there
//! (`addPointOfContact`), who is invited as company admin; when any admin of the company
//! joins, every request that waited for one is delivered to them.

use entities::{company_admin, enums::IntroStatus, intro_request};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use uuid::Uuid;

use super::{
    decide::Open,
    notify::{self, RequestDetails},
    policy::Decision,
    timeline::{self, Step},
};
use crate::{
    domain::{EmailAddress, Name},
    error::{InputErrors, ServiceResult},
    services::{
        access::Actor,
        companies,
        invitations::{self, NewInvitation, Role},
        tx::Tx,
    },
    state::AppState,
};

/// A network admin names someone at a company that has nobody to receive the request: they
/// are invited as company admin, and the request waits for them.
#[tracing::instrument(skip_all)]
pub async fn add_point_of_contact(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    name: &str,
    email: &str,
) -> ServiceResult<(intro_request::Model, company_admin::Model)> {
    let open = Open::request(state, actor, id).await?;
    open.check(Decision::AddPointOfContact, actor)?;
    let Open { tx, request, .. } = open;
    let mut errors = InputErrors::default();
    let name = errors.check("name", Name::parse(name));
    let email = errors.check("email", EmailAddress::parse(email));
    errors.finish()?;
    let (Some(name), Some(email)) = (name, email) else {
        unreachable!("finish() returned early")
    };
    let details = RequestDetails::load(&tx, &request).await?;
    let admin =
        companies::upsert_invited_admin(tx.db(), state, &details.company, &name, &email).await?;
    let step = Step {
        to: IntroStatus::AwaitingPointOfContact,
        actor: actor.account_id(),
        note: Some(format!(
            "point of contact: {} <{}>",
            name.as_str(),
            email.as_str()
        )),
    };
    let updated = timeline::transition(&tx, &request, step, |u| {
        u.col_expr(
            intro_request::Column::PointOfContactId,
            Expr::value(admin.id),
        )
    })
    .await?;
    let pending = format!("{}.", details.summary(&updated).title());
    invitations::invite(
        &tx,
        NewInvitation {
            network: &details.network,
            email: &email,
            name: &name,
            invited_by: actor.account_id(),
            role: Role::CompanyAdmin {
                admin_id: admin.id,
                company: &details.company.name,
                pending: Some((updated.id, pending)),
            },
        },
    )
    .await?;
    tx.commit().await?;
    Ok((updated, admin))
}

/// A company admin joined (in `tx`, which holds the network's lock): every request of the
/// company that waited for a point of contact is delivered (the admin's suggestion was the
/// review: no second gatekeeping).
pub async fn deliver_awaiting(tx: &Tx, company_id: Uuid, joined: Uuid) -> ServiceResult<()> {
    let now = tx.now();
    let waiting = intro_request::Entity::find()
        .filter(intro_request::Column::CompanyId.eq(company_id))
        .filter(intro_request::Column::Status.eq(IntroStatus::AwaitingPointOfContact))
        .order_by_asc(intro_request::Column::Id)
        .all(tx.db())
        .await?;
    for request in waiting {
        let step = Step {
            to: IntroStatus::Sent,
            actor: Some(joined),
            note: Some("a company admin joined".into()),
        };
        let sent = timeline::transition(tx, &request, step, |u| {
            u.col_expr(intro_request::Column::SentAt, Expr::value(now))
        })
        .await?;
        notify::delivered(tx, &sent).await?;
    }
    Ok(())
}
