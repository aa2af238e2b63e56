//! The tests' fake Greenhouse Harvest v3, on its own, to try introgate's Greenhouse features
//! offline: `cargo run --example fake_greenhouse`, then start introgate with the printed
//! `GREENHOUSE_API_URL` / `GREENHOUSE_AUTH_URL` and connect with the printed credentials.
//! Act as a recruiter by typing on standard input:
//!
//! ```text
//! apps                          the applications (id, candidate, job, status, stage)
//! stage <application> <name>   moves it to the job's stage of that name (added if new)
//! hire <application>            hires it      reject <application>   rejects it
//! ```

#[path = "../tests/api/support/fake_harvest.rs"]
mod fake_harvest;

use introgate::greenhouse::ApplicationStatus;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main]
async fn main() {
    let fake = fake_harvest::FakeHarvest::start().await;
    let source = fake.add_source("introgate");
    let jobs = fake.add_jobs(3);
    println!("fake Greenhouse Harvest v3 with {} open jobs", jobs.len());
    println!(
        "  GREENHOUSE_API_URL={0} GREENHOUSE_AUTH_URL={0}",
        fake.url()
    );
    println!(
        "  connectGreenhouse: clientId {:?}, clientSecret {:?}, userId \"{}\", sourceId \"{source}\"",
        fake_harvest::CLIENT_ID,
        fake_harvest::CLIENT_SECRET,
        fake.admin_id(),
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => line,
                _ => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let application = words.get(1).and_then(|id| id.parse::<i64>().ok());
        let known = application.and_then(|id| fake.application(id));
        match (words.first().copied(), known) {
            (Some("apps"), _) => {
                let stages = fake.application_stages();
                for a in fake.applications() {
                    let stage = stages
                        .iter()
                        .find(|s| s.application_id == a.id && s.current)
                        .and_then(|s| {
                            a.job_id.and_then(|job| {
                                fake.stages_of(job)
                                    .into_iter()
                                    .find(|st| st.id == s.job_interview_stage_id)
                            })
                        })
                        .map(|s| s.name)
                        .unwrap_or_default();
                    println!(
                        "  {} candidate {} job {:?} {} {stage}",
                        a.id, a.candidate_id, a.job_id, a.status
                    );
                }
            }
            (Some("stage"), Some(a)) if words.len() > 2 => {
                let name = words[2..].join(" ");
                let Some(job) = a.job_id else {
                    println!("  a prospect has no stages");
                    continue;
                };
                let stage = match fake.stages_of(job).into_iter().find(|s| s.name == name) {
                    Some(stage) => stage.id,
                    None => fake.add_stage(job, &name),
                };
                fake.move_application(a.id, stage);
                println!("  {} is at {name}", a.id);
            }
            (Some("hire"), Some(a)) => {
                fake.set_application_status(a.id, ApplicationStatus::Hired);
                println!("  {} hired", a.id);
            }
            (Some("reject"), Some(a)) => {
                fake.set_application_status(a.id, ApplicationStatus::Rejected);
                println!("  {} rejected", a.id);
            }
            (None, _) => {}
            _ => println!(
                "  apps | stage <application> <name> | hire <application> | reject <application>"
            ),
        }
    }
}
