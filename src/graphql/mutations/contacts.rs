use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use super::parse_id;
use crate::{
    domain::contact::ContactFields,
    graphql::{
        context::ContextExt,
        errors::{Payload, UserError},
        ids::{GlobalId, NodeKind},
        types::{Ally, AllyIntroAsk, Date, IntroList},
    },
    payload,
    services::contacts::{
        self, DeleteContacts, OnboardingStep,
        asks::{self, AskAllyForIntro},
        intro_lists,
    },
};

#[derive(Default)]
pub struct ContactMutations;

/// One contact, as a browser extension sends it.
#[derive(InputObject)]
pub struct ContactInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub linkedin_url: Option<String>,
    pub company: Option<String>,
    pub position: Option<String>,
    pub connected_on: Option<Date>,
}

#[derive(InputObject)]
pub struct ImportContactsInput {
    /// LinkedIn's `Connections.csv`, as exported.
    pub csv: Option<String>,
    /// Or the contacts themselves (one of the two).
    pub contacts: Option<Vec<ContactInput>>,
}

/// A line that was not imported: 1-based in the file (LinkedIn's preamble and the header
/// count), or the position in `contacts`.
#[derive(SimpleObject)]
pub struct ContactImportError {
    pub line: i64,
    pub message: String,
}

#[derive(SimpleObject, Default)]
pub struct ImportContactsPayload {
    pub created: i64,
    pub updated: i64,
    /// Already stored as the import has them.
    pub skipped: i64,
    /// The first 1,000 lines not imported.
    pub errors: Vec<ContactImportError>,
    /// Every line not imported.
    pub error_count: i64,
    pub user_errors: Vec<UserError>,
}

impl Payload for ImportContactsPayload {
    fn failed(user_errors: Vec<UserError>) -> Self {
        Self {
            user_errors,
            ..Default::default()
        }
    }
}

#[derive(InputObject)]
pub struct SetContactSharingInput {
    pub network_id: ID,
    pub sharing: bool,
}

payload!(SetContactSharingPayload { ally: Ally });

#[derive(InputObject)]
pub struct DeleteContactsInput {
    /// Some of your contacts…
    pub contact_ids: Option<Vec<ID>>,
    /// …or all of them.
    pub all: Option<bool>,
}

payload!(DeleteContactsPayload { deleted: i64 });

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum AllyOnboardingStep {
    HelpWithIntroductions,
    MakeIntroductionWhenAsked,
}

#[derive(InputObject)]
pub struct CompleteAllyOnboardingStepInput {
    pub ally_id: ID,
    pub step: AllyOnboardingStep,
}

payload!(CompleteAllyOnboardingStepPayload { ally: Ally });

#[derive(InputObject)]
pub struct CreateIntroListInput {
    pub network_id: ID,
    pub name: String,
}

payload!(CreateIntroListPayload {
    intro_list: IntroList
});

#[derive(InputObject)]
pub struct AddToIntroListInput {
    pub intro_list_id: ID,
    pub contact_ids: Vec<ID>,
}

payload!(AddToIntroListPayload {
    intro_list: IntroList
});

#[derive(InputObject)]
pub struct RemoveFromIntroListInput {
    pub intro_list_id: ID,
    pub contact_ids: Vec<ID>,
}

payload!(RemoveFromIntroListPayload {
    intro_list: IntroList
});

/// Contact ids of an input, or the user error of the first that is not one.
fn contact_ids(ids: &[ID]) -> Result<Vec<uuid::Uuid>, UserError> {
    ids.iter()
        .map(|id| GlobalId::parse(NodeKind::Contact, "contactIds", id).map_err(Into::into))
        .collect()
}

#[derive(InputObject)]
pub struct AskAllyForIntroInput {
    pub contact_id: ID,
    pub message: String,
    /// The talent the introduction is for…
    pub talent_id: Option<ID>,
    /// …or the company.
    pub company_id: Option<ID>,
    /// Needed only when the contact is shared with several networks you administer and
    /// neither a talent nor a company says which.
    pub network_id: Option<ID>,
}

payload!(AskAllyForIntroPayload {
    ally_intro_ask: AllyIntroAsk
});

#[derive(InputObject)]
pub struct AnswerAllyIntroAskInput {
    pub ask_id: ID,
    pub accept: bool,
    pub note: Option<String>,
}

payload!(AnswerAllyIntroAskPayload {
    ally_intro_ask: AllyIntroAsk
});

#[Object]
impl ContactMutations {
    /// Asks the ally who shares a contact to introduce them (network admins); the ally is
    /// emailed. One open ask per contact and talent (or company, or neither): `DUPLICATE`.
    async fn ask_ally_for_intro(
        &self,
        ctx: &Context<'_>,
        input: AskAllyForIntroInput,
    ) -> async_graphql::Result<AskAllyForIntroPayload> {
        let contact_id = parse_id!(
            AskAllyForIntroPayload,
            Contact,
            "contactId",
            input.contact_id
        );
        let talent_id = match &input.talent_id {
            Some(id) => Some(parse_id!(AskAllyForIntroPayload, Talent, "talentId", id)),
            None => None,
        };
        let company_id = match &input.company_id {
            Some(id) => Some(parse_id!(AskAllyForIntroPayload, Company, "companyId", id)),
            None => None,
        };
        let network_id = match &input.network_id {
            Some(id) => Some(parse_id!(AskAllyForIntroPayload, Network, "networkId", id)),
            None => None,
        };
        let result = asks::ask_ally_for_intro(
            ctx.state(),
            &ctx.actor(),
            AskAllyForIntro {
                contact_id,
                network_id,
                message: &input.message,
                talent_id,
                company_id,
            },
        )
        .await;
        AskAllyForIntroPayload::respond(result, |ask| AskAllyForIntroPayload {
            ally_intro_ask: Some(AllyIntroAsk(ask)),
            user_errors: vec![],
        })
    }

    /// The ally answers an ask (only they may); the admin who asked is emailed.
    async fn answer_ally_intro_ask(
        &self,
        ctx: &Context<'_>,
        input: AnswerAllyIntroAskInput,
    ) -> async_graphql::Result<AnswerAllyIntroAskPayload> {
        let ask_id = parse_id!(
            AnswerAllyIntroAskPayload,
            AllyIntroAsk,
            "askId",
            input.ask_id
        );
        let result = asks::answer_ally_intro_ask(
            ctx.state(),
            &ctx.actor(),
            ask_id,
            input.accept,
            input.note.as_deref(),
        )
        .await;
        AnswerAllyIntroAskPayload::respond(result, |ask| AnswerAllyIntroAskPayload {
            ally_intro_ask: Some(AllyIntroAsk(ask)),
            user_errors: vec![],
        })
    }

    /// A new introduction list of the network (network admins).
    async fn create_intro_list(
        &self,
        ctx: &Context<'_>,
        input: CreateIntroListInput,
    ) -> async_graphql::Result<CreateIntroListPayload> {
        let network_id = parse_id!(
            CreateIntroListPayload,
            Network,
            "networkId",
            input.network_id
        );
        let result =
            intro_lists::create_intro_list(ctx.state(), &ctx.actor(), network_id, &input.name)
                .await;
        CreateIntroListPayload::respond(result, |list| CreateIntroListPayload {
            intro_list: Some(IntroList(list)),
            user_errors: vec![],
        })
    }

    /// Adds contacts shared with the list's network; adding one twice changes nothing.
    async fn add_to_intro_list(
        &self,
        ctx: &Context<'_>,
        input: AddToIntroListInput,
    ) -> async_graphql::Result<AddToIntroListPayload> {
        let list_id = parse_id!(
            AddToIntroListPayload,
            IntroList,
            "introListId",
            input.intro_list_id
        );
        let ids = match contact_ids(&input.contact_ids) {
            Ok(ids) => ids,
            Err(error) => return Ok(AddToIntroListPayload::failed(vec![error])),
        };
        let result = intro_lists::add_to_intro_list(ctx.state(), &ctx.actor(), list_id, ids).await;
        AddToIntroListPayload::respond(result, |list| AddToIntroListPayload {
            intro_list: Some(IntroList(list)),
            user_errors: vec![],
        })
    }

    /// Takes contacts off the list.
    async fn remove_from_intro_list(
        &self,
        ctx: &Context<'_>,
        input: RemoveFromIntroListInput,
    ) -> async_graphql::Result<RemoveFromIntroListPayload> {
        let list_id = parse_id!(
            RemoveFromIntroListPayload,
            IntroList,
            "introListId",
            input.intro_list_id
        );
        let ids = match contact_ids(&input.contact_ids) {
            Ok(ids) => ids,
            Err(error) => return Ok(RemoveFromIntroListPayload::failed(vec![error])),
        };
        let result =
            intro_lists::remove_from_intro_list(ctx.state(), &ctx.actor(), list_id, ids).await;
        RemoveFromIntroListPayload::respond(result, |list| RemoveFromIntroListPayload {
            intro_list: Some(IntroList(list)),
            user_errors: vec![],
        })
    }

    /// Imports contacts into your account (you must be an ally somewhere): upserted by
    /// LinkedIn URL, else email; each bad line reported, the others imported.
    async fn import_contacts(
        &self,
        ctx: &Context<'_>,
        input: ImportContactsInput,
    ) -> async_graphql::Result<ImportContactsPayload> {
        let dates: Vec<Option<String>> = input
            .contacts
            .iter()
            .flatten()
            .map(|c| c.connected_on.map(|d| d.0.format("%Y-%m-%d").to_string()))
            .collect();
        let fields = input.contacts.as_ref().map(|contacts| {
            contacts
                .iter()
                .zip(&dates)
                .map(|(c, date)| ContactFields {
                    first_name: c.first_name.as_deref(),
                    last_name: c.last_name.as_deref(),
                    email: c.email.as_deref(),
                    linkedin_url: c.linkedin_url.as_deref(),
                    company: c.company.as_deref(),
                    position: c.position.as_deref(),
                    connected_on: date.as_deref(),
                })
                .collect()
        });
        let result = match contacts::import_input(input.csv.as_deref(), fields) {
            Ok(which) => contacts::import_contacts(ctx.state(), &ctx.actor(), which).await,
            Err(error) => Err(error),
        };
        ImportContactsPayload::respond(result, |report| ImportContactsPayload {
            created: report.created,
            updated: report.updated,
            skipped: report.skipped,
            errors: report
                .errors
                .into_iter()
                .map(|e| ContactImportError {
                    line: e.line as i64,
                    message: e.message,
                })
                .collect(),
            error_count: report.error_count,
            user_errors: vec![],
        })
    }

    /// Shares your contacts with a network where you are an ally, or stops sharing them.
    async fn set_contact_sharing(
        &self,
        ctx: &Context<'_>,
        input: SetContactSharingInput,
    ) -> async_graphql::Result<SetContactSharingPayload> {
        let network_id = parse_id!(
            SetContactSharingPayload,
            Network,
            "networkId",
            input.network_id
        );
        let result =
            contacts::set_contact_sharing(ctx.state(), &ctx.actor(), network_id, input.sharing)
                .await;
        SetContactSharingPayload::respond(result, |ally| SetContactSharingPayload {
            ally: Some(Ally(ally)),
            user_errors: vec![],
        })
    }

    /// Deletes some of your contacts, or all of them.
    async fn delete_contacts(
        &self,
        ctx: &Context<'_>,
        input: DeleteContactsInput,
    ) -> async_graphql::Result<DeleteContactsPayload> {
        let which = match (input.contact_ids, input.all) {
            (Some(ids), None | Some(false)) => {
                let mut parsed = Vec::with_capacity(ids.len());
                for id in &ids {
                    match GlobalId::parse(NodeKind::Contact, "contactIds", id) {
                        Ok(id) => parsed.push(id),
                        Err(error) => return Ok(DeleteContactsPayload::failed(vec![error.into()])),
                    }
                }
                DeleteContacts::These(parsed)
            }
            (None, Some(true)) => DeleteContacts::All,
            _ => {
                let error = crate::error::UserError::invalid(
                    "contactIds",
                    "give either `contactIds` or `all: true`",
                );
                return Ok(DeleteContactsPayload::failed(vec![error.into()]));
            }
        };
        let result = contacts::delete_contacts(ctx.state(), &ctx.actor(), which).await;
        DeleteContactsPayload::respond(result, |deleted| DeleteContactsPayload {
            deleted: Some(deleted as i64),
            user_errors: vec![],
        })
    }

    /// Marks an onboarding step done (by the ally themself).
    async fn complete_ally_onboarding_step(
        &self,
        ctx: &Context<'_>,
        input: CompleteAllyOnboardingStepInput,
    ) -> async_graphql::Result<CompleteAllyOnboardingStepPayload> {
        let ally_id = parse_id!(
            CompleteAllyOnboardingStepPayload,
            Ally,
            "allyId",
            input.ally_id
        );
        let step = match input.step {
            AllyOnboardingStep::HelpWithIntroductions => OnboardingStep::HelpWithIntroductions,
            AllyOnboardingStep::MakeIntroductionWhenAsked => {
                OnboardingStep::MakeIntroductionWhenAsked
            }
        };
        let result =
            contacts::complete_onboarding_step(ctx.state(), &ctx.actor(), ally_id, step).await;
        CompleteAllyOnboardingStepPayload::respond(result, |ally| {
            CompleteAllyOnboardingStepPayload {
                ally: Some(Ally(ally)),
                user_errors: vec![],
            }
        })
    }
}
