use async_graphql::{Context, ID, InputObject, Object};

use super::parse_id;
use crate::{
    graphql::{
        context::ContextExt,
        errors::Payload,
        types::{Company, GreenhouseNoteVisibility},
    },
    payload,
    services::greenhouse::{self, Connect, SettingsPatch},
};

#[derive(Default)]
pub struct GreenhouseMutations;

#[derive(InputObject)]
pub struct ConnectGreenhouseInput {
    pub company_id: ID,
    /// Of the company's "Harvest V3 (OAuth)" credentials.
    pub client_id: String,
    /// Stored encrypted; never returned.
    pub client_secret: String,
    /// The Greenhouse user introgate acts as (a Site Admin).
    pub user_id: String,
    /// The source that credits introgate on the applications it adds.
    pub source_id: Option<String>,
    /// The secret Greenhouse signs its webhooks with (see `webhookUrl`); stored encrypted,
    /// never returned.
    pub webhook_secret: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateGreenhouseSettingsInput {
    pub company_id: ID,
    /// `""` to credit no source.
    pub source_id: Option<String>,
    /// `""` to accept no webhooks.
    pub webhook_secret: Option<String>,
    pub note_visibility: Option<GreenhouseNoteVisibility>,
}

#[derive(InputObject)]
pub struct DisconnectGreenhouseInput {
    pub company_id: ID,
}

#[derive(InputObject)]
pub struct SyncGreenhouseJobsInput {
    pub company_id: ID,
}

#[derive(InputObject)]
pub struct SyncGreenhouseStatusesInput {
    pub company_id: ID,
}

payload!(ConnectGreenhousePayload { company: Company });
payload!(UpdateGreenhouseSettingsPayload { company: Company });
payload!(DisconnectGreenhousePayload { company: Company });
payload!(SyncGreenhouseJobsPayload { company: Company });
payload!(SyncGreenhouseStatusesPayload { company: Company });

#[Object]
impl GreenhouseMutations {
    /// Connects a company to its Greenhouse account (its admins and network admins): the
    /// credentials are checked with Greenhouse and the open jobs imported before anything is
    /// saved.
    async fn connect_greenhouse(
        &self,
        ctx: &Context<'_>,
        input: ConnectGreenhouseInput,
    ) -> async_graphql::Result<ConnectGreenhousePayload> {
        let company_id = parse_id!(
            ConnectGreenhousePayload,
            Company,
            "companyId",
            input.company_id
        );
        let connect = Connect {
            company_id,
            client_id: &input.client_id,
            client_secret: &input.client_secret,
            user_id: &input.user_id,
            source_id: input.source_id.as_deref(),
            webhook_secret: input.webhook_secret.as_deref(),
        };
        let result = greenhouse::connect(ctx.state(), &ctx.actor(), connect).await;
        ConnectGreenhousePayload::respond(result, |c| ConnectGreenhousePayload {
            company: Some(Company(c)),
            user_errors: vec![],
        })
    }

    /// Which source credits introgate, and who sees the notes it adds.
    async fn update_greenhouse_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateGreenhouseSettingsInput,
    ) -> async_graphql::Result<UpdateGreenhouseSettingsPayload> {
        let company_id = parse_id!(
            UpdateGreenhouseSettingsPayload,
            Company,
            "companyId",
            input.company_id
        );
        let patch = SettingsPatch {
            source_id: input.source_id.as_deref(),
            webhook_secret: input.webhook_secret.as_deref(),
            note_visibility: input.note_visibility.map(Into::into),
        };
        let result =
            greenhouse::update_settings(ctx.state(), &ctx.actor(), company_id, patch).await;
        UpdateGreenhouseSettingsPayload::respond(result, |c| UpdateGreenhouseSettingsPayload {
            company: Some(Company(c)),
            user_errors: vec![],
        })
    }

    /// Forgets the credentials; imported jobs stay, no longer kept in step.
    async fn disconnect_greenhouse(
        &self,
        ctx: &Context<'_>,
        input: DisconnectGreenhouseInput,
    ) -> async_graphql::Result<DisconnectGreenhousePayload> {
        let company_id = parse_id!(
            DisconnectGreenhousePayload,
            Company,
            "companyId",
            input.company_id
        );
        let result = greenhouse::disconnect(ctx.state(), &ctx.actor(), company_id).await;
        DisconnectGreenhousePayload::respond(result, |c| DisconnectGreenhousePayload {
            company: Some(Company(c)),
            user_errors: vec![],
        })
    }

    /// Imports the open jobs now; returns when done (`lastSyncAt` set).
    async fn sync_greenhouse_jobs(
        &self,
        ctx: &Context<'_>,
        input: SyncGreenhouseJobsInput,
    ) -> async_graphql::Result<SyncGreenhouseJobsPayload> {
        let company_id = parse_id!(
            SyncGreenhouseJobsPayload,
            Company,
            "companyId",
            input.company_id
        );
        let result = greenhouse::sync_jobs(ctx.state(), &ctx.actor(), company_id).await;
        SyncGreenhouseJobsPayload::respond(result, |c| SyncGreenhouseJobsPayload {
            company: Some(Company(c)),
            user_errors: vec![],
        })
    }

    /// Reads the hiring status of the company's referrals from Greenhouse now; returns when
    /// done.
    async fn sync_greenhouse_statuses(
        &self,
        ctx: &Context<'_>,
        input: SyncGreenhouseStatusesInput,
    ) -> async_graphql::Result<SyncGreenhouseStatusesPayload> {
        let company_id = parse_id!(
            SyncGreenhouseStatusesPayload,
            Company,
            "companyId",
            input.company_id
        );
        let result =
            greenhouse::statuses::sync_statuses(ctx.state(), &ctx.actor(), company_id).await;
        SyncGreenhouseStatusesPayload::respond(result, |c| SyncGreenhouseStatusesPayload {
            company: Some(Company(c)),
            user_errors: vec![],
        })
    }
}
