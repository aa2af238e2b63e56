//! Asking for an introduction: a verified talent to a company (`requestIntroToCompany`), a
//! company admin to a talent (`requestIntroToTalent`).

use std::collections::HashSet;

use entities::{
    enums::{IntroDirection, IntroStatus, JobStatus},
    intro_request, intro_request_job, job, network, talent,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{
    notify::{self, RequestDetails},
    route_to_company, route_to_talent, timeline,
};
use crate::{
    domain::LongText,
    error::{
        InputErrors, ServiceError, ServiceResult, UserError, UserErrorCode, is_unique_violation,
    },
    services::{access::Actor, companies, greenhouse, tx::Tx},
    state::AppState,
};

pub struct NewRequest<'a> {
    pub company_id: Uuid,
    /// Set for company → talent requests.
    pub talent_id: Option<Uuid>,
    pub job_ids: &'a [Uuid],
    pub message: &'a str,
}

/// Creates the request where the rules send it, with its first timeline step and the
/// emails of that route. The route is decided inside the network's lock: an admin joining
/// the company meanwhile either comes first (the request is delivered to them) or after (and
/// joining delivers it).
#[tracing::instrument(skip_all)]
pub async fn request(
    state: &AppState,
    actor: &Actor,
    input: NewRequest<'_>,
) -> ServiceResult<intro_request::Model> {
    let account_id = actor.require_account()?;
    let (company, access) =
        companies::visible_with_access(state, actor, input.company_id, "companyId").await?;
    let (direction, talent_id) = match input.talent_id {
        None => match access.talent {
            Some((talent_id, _)) => (IntroDirection::TalentToCompany, talent_id),
            None => return Err(ServiceError::Forbidden),
        },
        Some(talent_id) if access.companies.contains(&company.id) => {
            (IntroDirection::CompanyToTalent, talent_id)
        }
        Some(_) => return Err(ServiceError::Forbidden),
    };

    let tx = Tx::begin_in_network(state, company.network_id).await?;
    let talent = talent::Entity::find_by_id(talent_id)
        .one(tx.db())
        .await?
        .filter(|t| t.network_id == company.network_id && access.talent_scope().allows(t))
        .ok_or_else(|| ServiceError::not_found("talentId", "talent"))?;
    if direction == IntroDirection::TalentToCompany && !talent.verified {
        return Err(UserError::new(
            UserErrorCode::NotVerified,
            "only verified talent may request introductions",
        )
        .into());
    }
    let mut errors = InputErrors::default();
    let message = errors.check("message", LongText::parse(input.message));
    let jobs = job::Entity::find()
        .filter(job::Column::Id.is_in(input.job_ids.iter().copied()))
        .filter(job::Column::CompanyId.eq(company.id))
        .all(tx.db())
        .await?;
    let asked: HashSet<_> = input.job_ids.iter().collect();
    if jobs.len() != asked.len() || jobs.iter().any(|j| j.status != JobStatus::Open) {
        errors.push(UserError::invalid(
            "jobIds",
            "every job must be an open job of the company",
        ));
    } else if asked.is_empty()
        && greenhouse::connection_of(tx.db(), company.id)
            .await?
            .is_some()
    {
        // Its jobs come from its ATS, where the introduction will land (SPEC §4.2, §6).
        errors.push(UserError::invalid(
            "jobIds",
            "the company is connected to Greenhouse: choose at least one of its open jobs",
        ));
    }
    errors.finish()?;
    let message = message.map(LongText::into_string).unwrap_or_default();

    let network = network::Entity::find_by_id(company.network_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| anyhow::anyhow!("company without network"))?;
    let status = match direction {
        IntroDirection::TalentToCompany => {
            let has_admin = !notify::active_admins(tx.db(), company.id).await?.is_empty();
            route_to_company(has_admin, network.gatekeeper)
        }
        IntroDirection::CompanyToTalent => route_to_talent(talent.verified, network.gatekeeper),
    };

    let now = tx.now();
    let inserted = intro_request::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(network.id),
        direction: Set(direction),
        talent_id: Set(talent.id),
        company_id: Set(company.id),
        message: Set(message),
        status: Set(status),
        requested_by_account_id: Set(account_id),
        point_of_contact_id: Set(None),
        decline_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set((status == IntroStatus::Sent).then_some(now)),
        decided_at: Set(None),
        reminded_at: Set(None),
    }
    .insert(tx.db())
    .await;
    let request = match inserted {
        Ok(request) => request,
        Err(e) if is_unique_violation(&e) => {
            return Err(UserError::duplicate(
                "companyId",
                "an open request between them already exists",
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    for job in &jobs {
        intro_request_job::ActiveModel {
            intro_request_id: Set(request.id),
            job_id: Set(job.id),
        }
        .insert(tx.db())
        .await?;
    }
    timeline::record(&tx, &request, None, Some(account_id), None).await?;
    let jobs = jobs.into_iter().map(|j| j.title).collect();
    let details = RequestDetails::new(&tx, &request, network, talent, company, jobs);
    notify::requested(&tx, &details, &request).await?;
    tx.commit().await?;
    Ok(request)
}
