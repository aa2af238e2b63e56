use async_graphql::{Context, ID, InputObject, Object};

use super::parse_id;
use crate::{
    graphql::{
        context::ContextExt,
        errors::Payload,
        types::{Company, CompanyAdmin},
    },
    payload,
    services::companies::{self, NewCompany},
};

#[derive(Default)]
pub struct CompanyMutations;

#[derive(InputObject)]
pub struct CreateCompanyInput {
    pub network_id: ID,
    pub name: String,
    /// e.g. `acme.com`.
    pub domain: Option<String>,
    pub website_url: Option<String>,
}

payload!(CreateCompanyPayload { company: Company });

#[derive(InputObject)]
pub struct InviteCompanyAdminInput {
    pub company_id: ID,
    pub name: String,
    pub email: String,
}

payload!(InviteCompanyAdminPayload {
    company_admin: CompanyAdmin
});

#[derive(InputObject)]
pub struct RemoveCompanyAdminInput {
    pub company_admin_id: ID,
}

payload!(RemoveCompanyAdminPayload {
    company_admin: CompanyAdmin
});

#[Object]
impl CompanyMutations {
    /// Removes a company admin (by network admins and the company's own admins): they stop
    /// receiving the company's requests, and their subscriptions to its inbox end.
    async fn remove_company_admin(
        &self,
        ctx: &Context<'_>,
        input: RemoveCompanyAdminInput,
    ) -> async_graphql::Result<RemoveCompanyAdminPayload> {
        let id = parse_id!(
            RemoveCompanyAdminPayload,
            CompanyAdmin,
            "companyAdminId",
            input.company_admin_id
        );
        let result = companies::remove_admin(ctx.state(), &ctx.actor(), id).await;
        RemoveCompanyAdminPayload::respond(result, |admin| RemoveCompanyAdminPayload {
            company_admin: Some(CompanyAdmin(admin)),
            user_errors: vec![],
        })
    }

    async fn create_company(
        &self,
        ctx: &Context<'_>,
        input: CreateCompanyInput,
    ) -> async_graphql::Result<CreateCompanyPayload> {
        let network_id = parse_id!(CreateCompanyPayload, Network, "networkId", input.network_id);
        let result = companies::create(
            ctx.state(),
            &ctx.actor(),
            NewCompany {
                network_id,
                name: &input.name,
                domain: input.domain.as_deref(),
                website_url: input.website_url.as_deref(),
            },
        )
        .await;
        CreateCompanyPayload::respond(result, |c| CreateCompanyPayload {
            company: Some(Company(c)),
            user_errors: vec![],
        })
    }

    /// Invites a person to receive the company's introductions (by network admins and the
    /// company's own admins). Inviting the same email again re-sends a fresh invitation.
    async fn invite_company_admin(
        &self,
        ctx: &Context<'_>,
        input: InviteCompanyAdminInput,
    ) -> async_graphql::Result<InviteCompanyAdminPayload> {
        let company_id = parse_id!(
            InviteCompanyAdminPayload,
            Company,
            "companyId",
            input.company_id
        );
        let result = companies::invite_admin(
            ctx.state(),
            &ctx.actor(),
            company_id,
            &input.name,
            &input.email,
        )
        .await;
        InviteCompanyAdminPayload::respond(result, |a| InviteCompanyAdminPayload {
            company_admin: Some(CompanyAdmin(a)),
            user_errors: vec![],
        })
    }
}
