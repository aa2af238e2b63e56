//! `serve --demo`: one network with companies, admins, talent, jobs and an ally, so a
//! first start has something to look at. Only seeds an empty database.

use std::fmt;

use chrono::Utc;
use entities::{
    account, ally, company, company_admin,
    enums::{AllyStatus, CompanyAdminStatus, JobStatus},
    job, network, network_admin, talent,
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
        talent::ActiveModel {
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
