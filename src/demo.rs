//! `serve --demo`: one network with companies, admins, talent, jobs and an ally, so a
//! first start has something to look at. Only seeds an empty database.

use std::fmt;

use chrono::Utc;
use entities::{
    account, ally, company, company_admin,
    enums::{AllyStatus, CompanyAdminStatus, IntroDirection, IntroStatus, JobStatus},
    intro_request, intro_request_event, job, network, network_admin, talent,
};
use rand::{Rng, distributions::Alphanumeric};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use uuid::Uuid;

use crate::{domain::Password, state::AppState};

/// A company admin of the demo: name, email, whether they accepted.
type DemoAdmin = (&'static str, &'static str, bool);

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

fn password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

async fn person(
    db: &impl ConnectionTrait,
    name: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<account::Model> {
    let now = Utc::now();
    let hash = Password::parse(password)
        .map_err(anyhow::Error::msg)?
        .hash()
        .await?;
    Ok(account::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.into()),
        email_key: Set(email.to_lowercase()),
        name: Set(name.into()),
        password_hash: Set(hash.0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// Seeds the demo network; `None` if the database already holds a network.
pub async fn seed(state: &AppState) -> anyhow::Result<Option<Credentials>> {
    if network::Entity::find().count(state.db.read()).await? > 0 {
        return Ok(None);
    }
    let txn = state.begin().await?;
    let now = Utc::now();
    let network = network::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set("Northwind Ventures".into()),
        slug: Set("northwind-ventures".into()),
        gatekeeper: Set(false),
        notify_requester_on_decline: Set(true),
        intro_expiry_days: Set(30),
        reminder_after_days: Set(7),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;

    let (admin_password, company_password, talent_password, ally_password) =
        (password(), password(), password(), password());
    let admin = person(
        &txn,
        "Nora Admin",
        "nora@northwind.example",
        &admin_password,
    )
    .await?;
    network_admin::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(network.id),
        account_id: Set(admin.id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let company_admin_account =
        person(&txn, "Carla Acme", "carla@acme.example", &company_password).await?;
    let talent_account =
        person(&txn, "Dana Talent", "dana@talent.example", &talent_password).await?;
    let ally_account = person(&txn, "Alex Ally", "alex@ally.example", &ally_password).await?;

    let companies: [(&str, &str, Option<DemoAdmin>); 6] = [
        (
            "Acme Robotics",
            "acme.example",
            Some(("Carla Acme", "carla@acme.example", true)),
        ),
        (
            "Globex Analytics",
            "globex.example",
            Some(("Gus Globex", "gus@globex.example", true)),
        ),
        (
            "Initech Cloud",
            "initech.example",
            Some(("Ivy Initech", "ivy@initech.example", true)),
        ),
        (
            "Umbrella Health",
            "umbrella.example",
            Some(("Uma Umbrella", "uma@umbrella.example", false)),
        ),
        ("Hooli Maps", "hooli.example", None),
        ("Stark Energy", "stark.example", None),
    ];
    let titles = [
        ("Senior Backend Engineer", "Engineering"),
        ("Product Designer", "Design"),
        ("Head of Sales", "Sales"),
    ];
    let mut company_ids = Vec::new();
    for (index, (name, domain, admin)) in companies.into_iter().enumerate() {
        let company = company::ActiveModel {
            id: Set(Uuid::now_v7()),
            network_id: Set(network.id),
            name: Set(name.into()),
            domain: Set(Some(domain.into())),
            website_url: Set(Some(format!("https://{domain}/"))),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        company_ids.push(company.id);
        if let Some((admin_name, email, active)) = admin {
            let account_id = (email == "carla@acme.example").then_some(company_admin_account.id);
            company_admin::ActiveModel {
                id: Set(Uuid::now_v7()),
                network_id: Set(network.id),
                company_id: Set(company.id),
                name: Set(admin_name.into()),
                email: Set(email.into()),
                email_key: Set(email.into()),
                status: Set(if active {
                    CompanyAdminStatus::Active
                } else {
                    CompanyAdminStatus::Invited
                }),
                account_id: Set(account_id),
                invited_at: Set(now),
                accepted_at: Set(active.then_some(now)),
                removed_at: Set(None),
            }
            .insert(&txn)
            .await?;
        }
        for (n, (title, department)) in titles.iter().enumerate().take(2 + index % 2) {
            let open = n < 2;
            job::ActiveModel {
                id: Set(Uuid::now_v7()),
                network_id: Set(network.id),
                company_id: Set(company.id),
                title: Set((*title).into()),
                location: Set(Some(if n % 2 == 0 { "Remote" } else { "Berlin" }.into())),
                department: Set(Some((*department).into())),
                url: Set(Some(format!("https://{domain}/jobs/{}", n + 1))),
                status: Set(if open {
                    JobStatus::Open
                } else {
                    JobStatus::Closed
                }),
                greenhouse_job_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                closed_at: Set((!open).then_some(now)),
            }
            .insert(&txn)
            .await?;
        }
    }

    let mut talent_ids = Vec::new();
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
    for (index, (name, headline)) in people.into_iter().enumerate() {
        let email = if index == 0 {
            "dana@talent.example".to_owned()
        } else {
            format!(
                "{}@talent.example",
                name.split(' ').next().unwrap_or("t").to_lowercase()
            )
        };
        let talent = talent::ActiveModel {
            id: Set(Uuid::now_v7()),
            network_id: Set(network.id),
            account_id: Set((index == 0).then_some(talent_account.id)),
            name: Set(name.into()),
            email_key: Set(email.clone()),
            email: Set(email),
            headline: Set(Some(headline.into())),
            linkedin_url: Set(Some(format!(
                "https://www.linkedin.com/in/{}",
                name.to_lowercase().replace(' ', "-")
            ))),
            verified: Set(index < 8),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        talent_ids.push(talent.id);
    }
    // A request in every status, so the inbox and the lists have something to show.
    // Companies: 0 Acme (its admin Carla can sign in), 1 Globex, 2 Initech, 3 Umbrella (admin
    // invited), 4 Hooli, 5 Stark (no admin).
    use IntroStatus::*;
    let dana = (talent_ids[0], talent_account.id);
    let requests = [
        (
            IntroDirection::TalentToCompany,
            dana.0,
            company_ids[1],
            dana.1,
            Sent,
            "Analytics is my thing.",
        ),
        (
            IntroDirection::TalentToCompany,
            dana.0,
            company_ids[4],
            dana.1,
            AwaitingPointOfContact,
            "Hooli's maps team looks great.",
        ),
        (
            IntroDirection::TalentToCompany,
            dana.0,
            company_ids[0],
            dana.1,
            Accepted,
            "I'd love to help Acme scale its backend.",
        ),
        (
            IntroDirection::TalentToCompany,
            dana.0,
            company_ids[0],
            dana.1,
            Declined,
            "Or perhaps your design team?",
        ),
        (
            IntroDirection::TalentToCompany,
            dana.0,
            company_ids[5],
            dana.1,
            Withdrawn,
            "Energy is the future.",
        ),
        (
            IntroDirection::TalentToCompany,
            dana.0,
            company_ids[3],
            dana.1,
            Expired,
            "Health tech, count me in.",
        ),
        (
            IntroDirection::CompanyToTalent,
            talent_ids[8],
            company_ids[0],
            company_admin_account.id,
            PendingReview,
            "We'd like to meet you.",
        ),
    ];
    for (direction, talent_id, company_id, requester, status, message) in requests {
        let sent_at = matches!(status, Sent | Accepted | Declined | Expired)
            .then(|| now - chrono::Duration::days(if status == Expired { 31 } else { 2 }));
        let decided_at = matches!(status, Accepted | Declined | Withdrawn | Expired).then_some(now);
        let request = intro_request::ActiveModel {
            id: Set(Uuid::now_v7()),
            network_id: Set(network.id),
            direction: Set(direction),
            talent_id: Set(talent_id),
            company_id: Set(company_id),
            message: Set(message.into()),
            status: Set(status),
            requested_by_account_id: Set(requester),
            point_of_contact_id: Set(None),
            decline_reason: Set(
                (status == Declined).then(|| "Not hiring for this profile right now".into())
            ),
            created_at: Set(now - chrono::Duration::days(32)),
            updated_at: Set(now),
            sent_at: Set(sent_at),
            decided_at: Set(decided_at),
            reminded_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let first = if status == Withdrawn || sent_at.is_some() {
            Sent
        } else {
            status
        };
        let mut steps = vec![(None, first, Some(requester))];
        if first != status {
            // Acme's admin decided; the requester withdrew; the system expired.
            let decider = match status {
                Accepted | Declined => Some(company_admin_account.id),
                Withdrawn => Some(requester),
                _ => None,
            };
            steps.push((Some(first), status, decider));
        }
        for (from, to, actor) in steps {
            intro_request_event::ActiveModel {
                id: Set(Uuid::now_v7()),
                network_id: Set(network.id),
                intro_request_id: Set(request.id),
                actor_account_id: Set(actor),
                from_status: Set(from),
                to_status: Set(to),
                note: Set(None),
                at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    ally::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(network.id),
        account_id: Set(Some(ally_account.id)),
        name: Set("Alex Ally".into()),
        email: Set("alex@ally.example".into()),
        email_key: Set("alex@ally.example".into()),
        status: Set(AllyStatus::Active),
        sharing_contacts: Set(true),
        help_with_introductions: Set(true),
        make_introduction_when_asked: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some(Credentials {
        network: network.name,
        logins: vec![
            ("network admin", admin.email, admin_password),
            (
                "company admin",
                company_admin_account.email,
                company_password,
            ),
            ("talent", talent_account.email, talent_password),
            ("ally", ally_account.email, ally_password),
        ],
    }))
}
