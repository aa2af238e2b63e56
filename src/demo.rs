//! `serve --demo`: one network with companies, admins, talent, jobs, an ally and a request in
//! every status, so a first start has something to look at. Only seeds an empty database.
//!
//! Everything goes through the services, as users would make it: people join through the
//! links of their invitation emails, requests are asked for and decided by their parties,
//! so timelines, live events and emails are the ones the product makes. The story starts
//! 32 days ago (a clock of its own) so that one request has had time to expire.

use std::{fmt, sync::Arc};

use chrono::Duration;
use entities::{email_outbox, network};
use rand::{Rng, distributions::Alphanumeric};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    clock::OffsetClock,
    error::{Fault, ServiceError},
    services::{
        access::{Actor, Principal},
        accounts, companies, contacts,
        introductions::{self, NewRequest},
        invitations::{self, AcceptInvitation, INVITATION_PREFIX},
        jobs,
        networks::{self, Bootstrap, SettingsPatch, TeamRole},
        talent,
        throttle::PasswordAttempt,
    },
    state::AppState,
};

pub struct Credentials {
    pub network: String,
    pub logins: Vec<(&'static str, String, String)>,
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Demo network \"{}\" seeded. Sign in with (mutation signIn):",
            self.network
        )?;
        for (role, email, password) in &self.logins {
            writeln!(f, "  {role:<14} {email:<32} password: {password}")?;
        }
        Ok(())
    }
}

/// A small `Connections.csv`, as LinkedIn exports it.
const DEMO_CONNECTIONS: &str = "Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing.\"\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\nPriya,Raman,https://www.linkedin.com/in/priya-raman,priya@acme.example,Acme,VP Engineering,12 Jan 2023\nMarco,Bianchi,https://www.linkedin.com/in/marco-bianchi,,Globex,Head of Data,03 Sep 2022\nLena,Vogel,https://www.linkedin.com/in/lena-vogel,,Hooli,Senior Product Manager,21 Jun 2024\nSam,Okafor,https://www.linkedin.com/in/sam-okafor,sam@initech.example,Initech,CTO,30 Nov 2021\n";

fn password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

fn failed(error: ServiceError) -> anyhow::Error {
    anyhow::anyhow!("seeding the demo: {}", error.describe())
}

/// The person behind an address joins through the link of their newest invitation email,
/// as they would by clicking it; returns them signed in.
async fn join(state: &AppState, email: &str, password: &str) -> anyhow::Result<Actor> {
    let invitations = email_outbox::Entity::find()
        .filter(email_outbox::Column::Kind.eq("invitation"))
        .order_by_desc(email_outbox::Column::Id)
        .all(state.db.read())
        .await?;
    let invitation = invitations
        .iter()
        .find(|e| e.to_addrs.to_string().contains(email))
        .ok_or_else(|| anyhow::anyhow!("no invitation to {email}"))?;
    // The link as it is sent (its token is stored sealed).
    let rendered = crate::mail::outbox::render_secret(&state.secret_key, invitation.clone())?;
    let body = rendered.text_body.as_str();
    let token: String = body
        .split("/invitations/")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect();
    anyhow::ensure!(
        token.starts_with(INVITATION_PREFIX),
        "no link in the invitation to {email}"
    );
    let accept = AcceptInvitation {
        token: &token,
        name: None,
        password,
        accept_terms: true,
    };
    let signed_in = invitations::accept(state, &PasswordAttempt::default(), accept)
        .await
        .map_err(failed)?;
    Ok(Actor::new(signed_in.principal()))
}

async fn ask(
    state: &AppState,
    actor: &Actor,
    company_id: Uuid,
    talent_id: Option<Uuid>,
    message: &str,
) -> anyhow::Result<Uuid> {
    let input = NewRequest {
        company_id,
        talent_id,
        job_ids: &[],
        message,
    };
    let request = introductions::request(state, actor, input)
        .await
        .map_err(failed)?;
    Ok(request.id)
}

/// Seeds the demo network; `None` if the database already holds a network.
pub async fn seed(state: &AppState) -> anyhow::Result<Option<Credentials>> {
    if network::Entity::find().count(state.db.read()).await? > 0 {
        return Ok(None);
    }
    let clock = Arc::new(OffsetClock::default());
    clock.advance(-Duration::days(32));
    let state = &AppState {
        clock: clock.clone(),
        ..state.clone()
    };
    let (nora_password, carla_password, dana_password, alex_password) =
        (password(), password(), password(), password());

    let bootstrap = Bootstrap {
        network_name: "Northwind Ventures",
        admin_email: "nora@northwind.example",
        admin_password: &nora_password,
        admin_name: Some("Nora Admin"),
        gatekeeper: false,
    };
    let (network, _) = networks::bootstrap(state, bootstrap)
        .await
        .map_err(failed)?;
    let nora = accounts::sign_in(
        state,
        &PasswordAttempt::default(),
        "nora@northwind.example",
        &nora_password,
    )
    .await
    .map_err(failed)?;
    let nora = Actor::new(Principal::Account {
        account_id: nora.account_id,
        session_id: nora.session_id,
    });
    let settings = SettingsPatch {
        notify_requester_on_decline: Some(true),
        ..SettingsPatch::default()
    };
    networks::update_settings(state, &nora, network.id, settings)
        .await
        .map_err(failed)?;

    // Companies, their jobs (the third one closed) and admins: Acme's admin Carla signs in;
    // Umbrella's admin has not joined yet; Hooli and Stark have nobody.
    let companies = [
        ("Acme Robotics", "acme", Some(("Carla Acme", true))),
        ("Globex Analytics", "globex", Some(("Gus Globex", true))),
        ("Initech Cloud", "initech", Some(("Ivy Initech", true))),
        ("Umbrella Health", "umbrella", Some(("Uma Umbrella", false))),
        ("Hooli Maps", "hooli", None),
        ("Stark Energy", "stark", None),
    ];
    let titles = [
        ("Senior Backend Engineer", "Engineering", "Remote"),
        ("Product Designer", "Design", "Berlin"),
        ("Head of Sales", "Sales", "Remote"),
    ];
    let mut company_ids = Vec::new();
    let mut carla = None;
    for (index, (name, slug, admin)) in companies.into_iter().enumerate() {
        let domain = format!("{slug}.example");
        let website = format!("https://{domain}/");
        let new = companies::NewCompany {
            network_id: network.id,
            name,
            domain: Some(&domain),
            website_url: Some(&website),
        };
        let company = companies::create(state, &nora, new).await.map_err(failed)?;
        company_ids.push(company.id);
        for (n, (title, department, location)) in titles.iter().enumerate().take(2 + index % 2) {
            let url = format!("https://{domain}/jobs/{}", n + 1);
            let new = jobs::NewJob {
                company_id: company.id,
                title,
                location: Some(location),
                department: Some(department),
                url: Some(&url),
            };
            let job = jobs::create(state, &nora, new).await.map_err(failed)?;
            if n == 2 {
                jobs::close(state, &nora, job.id).await.map_err(failed)?;
            }
        }
        if let Some((admin_name, joins)) = admin {
            let first = admin_name.split(' ').next().unwrap_or(admin_name);
            let email = format!("{}@{domain}", first.to_lowercase());
            companies::invite_admin(state, &nora, company.id, admin_name, &email)
                .await
                .map_err(failed)?;
            if joins {
                let password = if index == 0 {
                    carla_password.clone()
                } else {
                    password()
                };
                let joined = join(state, &email, &password).await?;
                if index == 0 {
                    carla = Some(joined);
                }
            }
        }
    }
    let carla = carla.ok_or_else(|| anyhow::anyhow!("Carla did not join"))?;

    // Talent: the first eight verified; Dana signs in.
    let people = [
        ("Dana Talent", "Staff engineer, distributed systems"),
        ("Eli Navarro", "Product designer, fintech"),
        ("Fay Chen", "Data scientist, NLP"),
        ("Gil Moreau", "Engineering manager"),
        ("Hana Ito", "Frontend engineer, React"),
        ("Ivan Petrov", "Site reliability engineer"),
        ("Jade Okafor", "Head of growth"),
        ("Kai Larsen", "Backend engineer, Rust"),
        ("Lena Costa", "UX researcher"),
        ("Milo Brandt", "Sales lead, B2B SaaS"),
        ("Nia Mensah", "ML engineer"),
        ("Omar Haddad", "Mobile engineer, iOS"),
    ];
    let mut talent_ids = Vec::new();
    for (index, (name, headline)) in people.into_iter().enumerate() {
        let first = name.split(' ').next().unwrap_or(name).to_lowercase();
        let email = format!("{first}@talent.example");
        let linkedin = format!(
            "https://www.linkedin.com/in/{}",
            name.to_lowercase().replace(' ', "-")
        );
        let new = talent::NewTalent {
            network_id: network.id,
            name,
            email: &email,
            verified: index < 8,
            headline: Some(headline),
            linkedin_url: Some(&linkedin),
        };
        talent_ids.push(talent::add(state, &nora, new).await.map_err(failed)?.id);
    }
    let dana = join(state, "dana@talent.example", &dana_password).await?;

    networks::invite_team_member(
        state,
        &nora,
        network.id,
        TeamRole::Ally,
        "Alex Ally",
        "alex@ally.example",
    )
    .await
    .map_err(failed)?;
    let alex = join(state, "alex@ally.example", &alex_password).await?;
    // Alex imports a LinkedIn export and shares it with the network.
    contacts::import_contacts(state, &alex, contacts::ImportInput::Csv(DEMO_CONNECTIONS))
        .await
        .map_err(failed)?;
    contacts::set_contact_sharing(state, &alex, network.id, true)
        .await
        .map_err(failed)?;

    // A request in every status. Initech never answers: it expires at the end.
    let [acme, globex, initech, _umbrella, hooli, stark] = company_ids[..] else {
        unreachable!("six companies")
    };
    ask(
        state,
        &dana,
        initech,
        None,
        "Health of your cloud, count me in.",
    )
    .await?;
    clock.advance(Duration::days(30));
    ask(state, &dana, globex, None, "Analytics is my thing.").await?;
    ask(state, &dana, hooli, None, "Hooli's maps team looks great.").await?;
    let energy = ask(state, &dana, stark, None, "Energy is the future.").await?;
    introductions::withdraw_intro(state, &dana, energy)
        .await
        .map_err(failed)?;
    let backend = ask(
        state,
        &dana,
        acme,
        None,
        "I'd love to help Acme scale its backend.",
    )
    .await?;
    introductions::accept_intro(state, &carla, backend)
        .await
        .map_err(failed)?;
    let design = ask(state, &dana, acme, None, "Or perhaps your design team?").await?;
    let reason = Some("Not hiring for this profile right now");
    introductions::decline_intro(state, &carla, design, reason)
        .await
        .map_err(failed)?;
    // Lena is not verified yet: Acme's request waits for a network admin's review.
    ask(
        state,
        &carla,
        acme,
        Some(talent_ids[8]),
        "We'd like to meet you.",
    )
    .await?;
    clock.advance(Duration::days(2));
    introductions::follow_up(state).await.map_err(failed)?;

    Ok(Some(Credentials {
        network: network.name,
        logins: vec![
            (
                "network admin",
                "nora@northwind.example".into(),
                nora_password,
            ),
            ("company admin", "carla@acme.example".into(), carla_password),
            ("talent", "dana@talent.example".into(), dana_password),
            ("ally", "alex@ally.example".into(), alex_password),
        ],
    }))
}
