//! A full import of a Greenhouse account's open jobs (and their interview stages) against
//! the fake Harvest v3 server at a fixed rate limit, as `jobs::fetch` runs it on connect and
//! on every sync. The floor is what the rate limit allows at best: the calls needed divided
//! by the allowed rate. Prints the calls, the 429s, the wall time and its ratio to the floor.
//!
//! `cargo bench --bench greenhouse_sync [-- JOBS CALLS_PER_WINDOW WINDOW_SECS]`
//! (default 5000 50 10).

#[path = "../tests/api/support/fake_harvest.rs"]
mod fake_harvest;

use std::time::{Duration, Instant};

use introgate::{
    greenhouse::{ClientConfig, HarvestClient},
    services::greenhouse::jobs,
};

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let jobs_count = args.first().copied().unwrap_or(5000) as usize;
    let per_window = args.get(1).copied().unwrap_or(50);
    let window = Duration::from_secs(args.get(2).copied().unwrap_or(10));

    let fake = fake_harvest::FakeHarvest::start().await;
    fake.add_jobs(jobs_count);
    fake.set_rate_limit(per_window, window);
    let client = HarvestClient::new(ClientConfig {
        api_url: fake.url(),
        auth_url: fake.url(),
        timeout: Duration::from_secs(30),
        max_tries: 3,
        retry_base: Duration::from_millis(500),
    });

    let started = Instant::now();
    let open = jobs::fetch(&client, &fake.credentials())
        .await
        .expect("the import");
    let wall = started.elapsed();
    let calls = fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v3/"))
        .count();
    let floor = window.as_secs_f64() * calls as f64 / per_window as f64;
    println!(
        "{} open jobs, {} stages: {calls} API calls ({} answered 429) at {per_window} per {window:?}",
        open.jobs.len(),
        open.stages.len(),
        fake.throttled(),
    );
    println!(
        "wall {:.2} s, floor {floor:.2} s (calls / allowed rate): {:.3}× the floor",
        wall.as_secs_f64(),
        wall.as_secs_f64() / floor
    );
}
