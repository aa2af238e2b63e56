//! Who is emailed about a request, and what the email shows (SPEC §4.3). Every email is
//! queued on the transaction of the change that causes it.

use entities::{
    account, company, company_admin,
    enums::{CompanyAdminStatus, IntroDirection, IntroStatus},
    intro_request, intro_request_job, job, network, network_admin, talent,
};
use lettre::message::Mailbox;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    domain::{GlobalId, NodeKind},
    error::ServiceResult,
    mail::templates::{self, AdminAttention},
    services::tx::Tx,
};

/// What emails about a request show, loaded once.
pub struct RequestDetails {
    pub network: network::Model,
    pub talent: talent::Model,
    pub company: company::Model,
    pub jobs: Vec<String>,
    link: String,
}

impl RequestDetails {
    pub async fn load(tx: &Tx, request: &intro_request::Model) -> ServiceResult<Self> {
        let db = tx.db();
        let missing = |what: &str| anyhow::anyhow!("intro request {} has no {what}", request.id);
        let network = network::Entity::find_by_id(request.network_id)
            .one(db)
            .await?
            .ok_or_else(|| missing("network"))?;
        let talent = talent::Entity::find_by_id(request.talent_id)
            .one(db)
            .await?
            .ok_or_else(|| missing("talent"))?;
        let company = company::Entity::find_by_id(request.company_id)
            .one(db)
            .await?
            .ok_or_else(|| missing("company"))?;
        let jobs = job::Entity::find()
            .inner_join(intro_request_job::Entity)
            .filter(intro_request_job::Column::IntroRequestId.eq(request.id))
            .order_by_asc(job::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|j| j.title)
            .collect();
        Ok(Self::new(tx, request, network, talent, company, jobs))
    }

    /// From rows the caller already has.
    pub fn new(
        tx: &Tx,
        request: &intro_request::Model,
        network: network::Model,
        talent: talent::Model,
        company: company::Model,
        jobs: Vec<String>,
    ) -> Self {
        // The global id, as clients pass it to `node(id:)`.
        let id = GlobalId::new(NodeKind::IntroRequest, request.id);
        let link = tx.state().app_url.link(&format!("intro-requests/{id}"));
        Self {
            network,
            talent,
            company,
            jobs,
            link,
        }
    }

    pub fn summary<'a>(
        &'a self,
        request: &'a intro_request::Model,
    ) -> templates::RequestSummary<'a> {
        templates::RequestSummary {
            network_id: self.network.id,
            network: &self.network.name,
            talent: &self.talent.name,
            talent_headline: self.talent.headline.as_deref(),
            talent_linkedin: self.talent.linkedin_url.as_deref(),
            company: &self.company.name,
            to_company: request.direction == IntroDirection::TalentToCompany,
            message: &request.message,
            jobs: self.jobs.clone(),
            link: &self.link,
        }
    }
}

/// A new request: network admins when it waits for them, else its recipients.
pub async fn requested(
    tx: &Tx,
    details: &RequestDetails,
    request: &intro_request::Model,
) -> ServiceResult<()> {
    let summary = details.summary(request);
    let attention = match request.status {
        IntroStatus::PendingReview => AdminAttention::NeedsReview,
        IntroStatus::AwaitingPointOfContact => AdminAttention::NoCompanyAdmin,
        _ => return delivered_with(tx, details, request).await,
    };
    let admins = network_admin_mailboxes(tx.db(), request.network_id).await?;
    let email = templates::request_needs_admin(&summary, attention, admins);
    Ok(tx.queue_email(email).await?)
}

/// A request now `SENT`: its recipients.
pub async fn delivered(tx: &Tx, request: &intro_request::Model) -> ServiceResult<()> {
    let details = RequestDetails::load(tx, request).await?;
    delivered_with(tx, &details, request).await
}

async fn delivered_with(
    tx: &Tx,
    details: &RequestDetails,
    request: &intro_request::Model,
) -> ServiceResult<()> {
    let to = recipients(tx.db(), request, &details.talent).await?;
    let email = templates::request_delivered(&details.summary(request), to);
    Ok(tx.queue_email(email).await?)
}

/// An accepted request: one email introduces both parties (To the person who accepted, Cc
/// the requester), network admins Bcc.
pub async fn introduced(
    tx: &Tx,
    details: &RequestDetails,
    request: &intro_request::Model,
    accepted_by: Uuid,
) -> ServiceResult<()> {
    let (Some(to), Some(cc)) = (
        account_mailbox(tx.db(), accepted_by).await?,
        account_mailbox(tx.db(), request.requested_by_account_id).await?,
    ) else {
        return Ok(());
    };
    let bcc = network_admin_mailboxes(tx.db(), request.network_id).await?;
    let email = templates::introduction(&details.summary(request), to, cc, bcc);
    Ok(tx.queue_email(email).await?)
}

/// A declined request: the requester, when the network tells requesters.
pub async fn declined(
    tx: &Tx,
    request: &intro_request::Model,
    reason: Option<&str>,
) -> ServiceResult<()> {
    let details = RequestDetails::load(tx, request).await?;
    if !details.network.notify_requester_on_decline {
        return Ok(());
    }
    let Some(to) = account_mailbox(tx.db(), request.requested_by_account_id).await? else {
        return Ok(());
    };
    let email = templates::declined(&details.summary(request), reason, to);
    Ok(tx.queue_email(email).await?)
}

/// A request still undecided after the network's reminder delay: its recipients.
pub async fn reminded(tx: &Tx, request: &intro_request::Model) -> ServiceResult<()> {
    let details = RequestDetails::load(tx, request).await?;
    let to = recipients(tx.db(), request, &details.talent).await?;
    let email = templates::reminder(&details.summary(request), to);
    Ok(tx.queue_email(email).await?)
}

/// Who receives a delivered request: the company's active admins, or the talent.
async fn recipients(
    db: &impl ConnectionTrait,
    request: &intro_request::Model,
    talent: &talent::Model,
) -> ServiceResult<Vec<Mailbox>> {
    Ok(match request.direction {
        IntroDirection::TalentToCompany => company_admin_mailboxes(db, request.company_id).await?,
        IntroDirection::CompanyToTalent => {
            mailbox(&talent.name, &talent.email).into_iter().collect()
        }
    })
}

/// Every active admin's address of a company.
pub async fn company_admin_mailboxes(
    db: &impl ConnectionTrait,
    company_id: Uuid,
) -> ServiceResult<Vec<Mailbox>> {
    Ok(active_admins(db, company_id)
        .await?
        .iter()
        .filter_map(|a| mailbox(&a.name, &a.email))
        .collect())
}

/// The company's active admins, oldest first.
pub async fn active_admins(
    db: &impl ConnectionTrait,
    company_id: Uuid,
) -> ServiceResult<Vec<company_admin::Model>> {
    Ok(company_admin::Entity::find()
        .filter(company_admin::Column::CompanyId.eq(company_id))
        .filter(company_admin::Column::Status.eq(CompanyAdminStatus::Active))
        .order_by_asc(company_admin::Column::Id)
        .all(db)
        .await?)
}

/// Every network admin's address.
pub async fn network_admin_mailboxes(
    db: &impl ConnectionTrait,
    network_id: Uuid,
) -> ServiceResult<Vec<Mailbox>> {
    let accounts = account::Entity::find()
        .inner_join(network_admin::Entity)
        .filter(network_admin::Column::NetworkId.eq(network_id))
        .order_by_asc(account::Column::Id)
        .all(db)
        .await?;
    Ok(accounts
        .iter()
        .filter_map(|a| mailbox(&a.name, &a.email))
        .collect())
}

async fn account_mailbox(db: &impl ConnectionTrait, id: Uuid) -> ServiceResult<Option<Mailbox>> {
    Ok(account::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|a| mailbox(&a.name, &a.email)))
}

fn mailbox(name: &str, email: &str) -> Option<Mailbox> {
    email
        .parse()
        .ok()
        .map(|address| Mailbox::new(Some(name.to_owned()), address))
}
