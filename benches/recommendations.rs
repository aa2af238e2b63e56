//! `Job.recommendations` end to end over HTTP, as a network admin's browser asks for it: the
//! release binary serving, one `POST /graphql` per request, timed from send to parsed body.
//!
//! The data reach the database through the real write paths: allies accept their
//! invitations, share their contacts with the network (`setContactSharing`) and import
//! LinkedIn exports (`importContacts`, the CSV, at most 30,000 rows each, one ally per
//! export); about one person in ten is in two or three allies' exports (the same LinkedIn
//! URL), so `knownBy` has several allies. 2,000 talent are added with headlines from the same
//! vocabulary (`addTalent`, half verified), and six jobs are opened at one company.
//!
//! The contacts grow cumulatively, 10,000, then 100,000, then 1,000,000; at each size the
//! bench warms up, then times 300 requests of the recommendations of the jobs in turn and,
//! interleaved with them, 300 requests of a trivial query on the same jobs (`id title`): the
//! baseline, what any request costs. The issue's goal is p50 ≤ 50 ms and p99 ≤ 200 ms over
//! 1,000,000 shared contacts. On SQLite, and, when `INTROGATE_TEST_POSTGRES_URL` is set, on
//! a fresh PostgreSQL database too.
//!
//! `cargo bench --bench recommendations [-- MAX_CONTACTS] [sqlite|postgres]`: the sizes up to
//! MAX_CONTACTS (default 1000000; e.g. `-- 100000` for a quick run, `-- 25000` measures 10,000
//! and 25,000), on one backend only if named. On a PostgreSQL server whose autovacuum is off
//! (this machine's), the bench runs `VACUUM ANALYZE` after each size's imports, as
//! autovacuum would have.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    fmt::Write as _,
    path::Path,
    time::{Duration, Instant},
};

use futures::StreamExt;
use serde_json::{Value, json};

#[path = "support/server.rs"]
mod server;

use server::{PASSWORD, Server, bootstrap};

/// The sizes measured (total contacts shared with the network), capped by the argument.
const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// LinkedIn's connection limit: the largest export, so the largest import.
const MAX_IMPORT_ROWS: usize = 30_000;
/// Each size's new contacts come from at least this many allies' exports.
const MIN_ALLIES_PER_SIZE: usize = 4;
/// Of an ally's export, the part that are people already in an earlier ally's export.
const KNOWN_ELSEWHERE_PERCENT: usize = 9;
const TALENT: usize = 2_000;
const WARMUP: usize = 20;
const SAMPLES: usize = 300;

/// The jobs: title and department.
const JOBS: [(&str, &str); 6] = [
    ("Senior Backend Engineer", "Engineering"),
    ("Product Manager", "Product"),
    ("Data Scientist", "Research"),
    ("Head of Sales", "Sales"),
    ("Staff Platform Engineer", "Infrastructure"),
    ("Recruiter", "People"),
];

const RECOMMENDATIONS: &str = "query($j: ID!) { node(id: $j) { ... on Job { recommendations(first: 20) { score matchedTerms talent { id name } contact { id name position company } knownBy { id name } } } } }";
const BASELINE: &str = "query($j: ID!) { node(id: $j) { ... on Job { id title } } }";

// ---------------------------------------------------------------------------------------
// The data: people, their positions and companies, deterministic for a given index.

/// SplitMix64: a well-mixed deterministic hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A number in [0, 1) drawn for `key` and `salt`.
fn unit(key: u64, salt: u64) -> f64 {
    (mix(key ^ mix(salt)) >> 11) as f64 / (1u64 << 53) as f64
}

/// An element of `list`, the first ones more likely (`skew` 1 is uniform, higher favours
/// the front more): how often people hold common titles or work at large companies.
fn pick<'a>(list: &[&'a str], key: u64, salt: u64, skew: i32) -> &'a str {
    list[(unit(key, salt).powi(skew) * list.len() as f64) as usize]
}

const FIRST_NAMES: [&str; 48] = [
    "Ann", "Bo", "Cara", "Dev", "Ela", "Finn", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena",
    "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei",
    "Ximena", "Yusuf", "Zoe", "Aisha", "Ben", "Chloé", "Diego", "Emma", "Farid", "Greta", "Hugo",
    "Ines", "Jonas", "Kenji", "Lucia", "Marta", "Noah", "Olga", "Pablo", "Rahul", "Sara", "Tomás",
    "Uma", "Victor", "Yara",
];
const LAST_NAMES: [&str; 48] = [
    "Lee",
    "Chen",
    "Diaz",
    "Patel",
    "Fox",
    "Gray",
    "Hale",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Müller",
    "Nguyen",
    "O'Brien",
    "Petrov",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Usman",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Andersen",
    "Bianchi",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fischer",
    "García",
    "Hoffmann",
    "Iyer",
    "Johansson",
    "Kim",
    "Larsen",
    "Martin",
    "Novak",
    "Okafor",
    "Park",
    "Rahman",
    "Silva",
    "Torres",
    "Urban",
    "Visser",
    "Wagner",
    "Young",
];

const SENIORITY: [&str; 10] = [
    "",
    "Senior",
    "",
    "Lead",
    "Staff",
    "Junior",
    "Principal",
    "Head of",
    "Director of",
    "VP",
];
/// Seniorities that read as a position with the specialty alone ("Head of Sales").
const LEADS: [&str; 3] = ["Head of", "Director of", "VP"];
const SPECIALTIES: [&str; 42] = [
    "Software",
    "Backend",
    "Frontend",
    "Full Stack",
    "Data",
    "Product",
    "Platform",
    "Mobile",
    "Sales",
    "Marketing",
    "Security",
    "Infrastructure",
    "Cloud",
    "DevOps",
    "Machine Learning",
    "Growth",
    "Customer Success",
    "Design",
    "Operations",
    "Research",
    "iOS",
    "Android",
    "Site Reliability",
    "QA",
    "Analytics",
    "Finance",
    "People",
    "Talent",
    "UX",
    "Content",
    "Product Marketing",
    "Enterprise Sales",
    "Business Development",
    "Partnerships",
    "Embedded",
    "Systems",
    "Network",
    "Solutions",
    "Brand",
    "Legal",
    "Support",
    "AI",
];
const ROLES: [&str; 16] = [
    "Engineer",
    "Developer",
    "Manager",
    "Designer",
    "Analyst",
    "Scientist",
    "Architect",
    "Consultant",
    "Specialist",
    "Recruiter",
    "Associate",
    "Coordinator",
    "Representative",
    "Strategist",
    "Executive",
    "Partner",
];
const STANDALONE: [&str; 12] = [
    "Founder",
    "Co-Founder",
    "Founder & CEO",
    "CEO",
    "CTO",
    "COO",
    "Software Engineer",
    "Student",
    "Freelancer",
    "Investor",
    "Board Member",
    "Engineering Manager",
];

/// A position as people write it on LinkedIn.
fn position(key: u64) -> String {
    let kind = unit(key, 1);
    if kind < 0.02 {
        return String::new();
    }
    if kind < 0.10 {
        return pick(&STANDALONE, key, 2, 2).to_owned();
    }
    let seniority = pick(&SENIORITY, key, 3, 2);
    let specialty = pick(&SPECIALTIES, key, 4, 2);
    if LEADS.contains(&seniority) {
        return format!("{seniority} {specialty}");
    }
    let role = pick(&ROLES, key, 5, 2);
    let words = if kind < 0.22 {
        vec![seniority, role]
    } else {
        vec![seniority, specialty, role]
    };
    words
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

const COMPANY_STEMS: [&str; 60] = [
    "Blue", "North", "Bright", "Quantum", "Silver", "Red", "Green", "Iron", "Nova", "Polar",
    "Swift", "Clear", "Deep", "Open", "True", "Alpine", "Solar", "Lunar", "Stellar", "Urban",
    "Vivid", "Zen", "Apex", "Atlas", "Bold", "Cedar", "Copper", "Crystal", "Echo", "Ember",
    "Falcon", "Golden", "Harbor", "Indigo", "Jade", "Kite", "Lumen", "Maple", "Nimbus", "Oak",
    "Pixel", "Prism", "Rapid", "Sage", "Summit", "Terra", "Tidal", "Vertex", "Wild", "Zephyr",
    "Arc", "Beacon", "Cobalt", "Delta", "Fern", "Granite", "Helix", "Onyx", "Orbit", "Pine",
];
const COMPANY_ENDS: [&str; 50] = [
    "wave", "path", "stack", "forge", "loop", "leaf", "field", "stone", "works", "point", "bridge",
    "labs", "line", "mind", "gate", "shift", "scale", "spark", "flow", "grid", "hub", "base",
    "cast", "craft", "deck", "dock", "frame", "glow", "hive", "keep", "lane", "link", "mark",
    "nest", "peak", "port", "quest", "rise", "root", "sail", "sky", "sound", "tide", "trail",
    "vault", "view", "ware", "well", "wing", "yard",
];
const COMPANY_SUFFIXES: [&str; 16] = [
    "",
    "",
    "",
    ", Inc.",
    " Labs",
    " Technologies",
    " GmbH",
    " Ltd",
    " AI",
    " Health",
    " Systems",
    " Group",
    " Software",
    " Analytics",
    " Security",
    " Data",
];
/// How many companies people work at.
const COMPANIES: u64 = (COMPANY_STEMS.len() * COMPANY_ENDS.len()) as u64;

/// Company `c` of [`COMPANIES`], e.g. "Bluewave Labs".
fn company_name(c: u64) -> String {
    let stem = COMPANY_STEMS[(c % 60) as usize];
    let end = COMPANY_ENDS[(c / 60 % 50) as usize];
    let suffix = COMPANY_SUFFIXES[(mix(c) % COMPANY_SUFFIXES.len() as u64) as usize];
    format!("{stem}{end}{suffix}")
}

/// Where person `key` works: a few large companies employ many, most companies few.
fn company(key: u64) -> String {
    if unit(key, 6) < 0.03 {
        return String::new();
    }
    company_name((unit(key, 7).powi(3) * COMPANIES as f64) as u64)
}

/// Person `p`: first name, last name, LinkedIn URL.
fn person(p: u64) -> (&'static str, &'static str, String) {
    let first = FIRST_NAMES[(mix(p ^ 0xf1) % FIRST_NAMES.len() as u64) as usize];
    let last = LAST_NAMES[(mix(p ^ 0x1a) % LAST_NAMES.len() as u64) as usize];
    let slug = |s: &str| {
        s.to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
    };
    let url = format!(
        "https://www.linkedin.com/in/{}-{}-{p:x}",
        slug(first),
        slug(last)
    );
    (first, last, url)
}

fn quoted(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

/// A LinkedIn export of `people`: the preamble, quoted fields, few emails.
fn connections_csv(people: &[u64]) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut csv = String::from(
        "Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing.\"\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\n",
    );
    for &p in people {
        let (first, last, url) = person(p);
        let email = if mix(p).is_multiple_of(10) {
            format!("person{p}@example.com")
        } else {
            String::new()
        };
        let connected = mix(p ^ 0xda7e);
        let _ = writeln!(
            csv,
            "{},{},{url},{email},{},{},{:02} {} 20{:02}",
            quoted(first),
            quoted(last),
            quoted(&company(p)),
            quoted(&position(p)),
            1 + connected % 28,
            MONTHS[(connected / 28 % 12) as usize],
            10 + connected / 336 % 15,
        );
    }
    csv
}

/// The people in the exports so far: `next` people exist, numbered from 0.
struct People {
    next: u64,
}

impl People {
    /// An ally's export of `rows` people: new people, and some from earlier exports.
    fn export(&mut self, rows: usize, ally: u64) -> Vec<u64> {
        let earlier = self.next;
        let known = if earlier == 0 {
            0
        } else {
            rows * KNOWN_ELSEWHERE_PERCENT / 100
        };
        let mut chosen = HashSet::new();
        let mut salt = 0;
        while chosen.len() < known {
            salt += 1;
            chosen.insert(mix((ally << 32) ^ salt) % earlier);
        }
        let fresh = (rows - known) as u64;
        let mut export: Vec<u64> = (earlier..earlier + fresh).chain(chosen).collect();
        self.next += fresh;
        // Exports are sorted by name, not by who is new.
        export.sort_by_key(|&p| mix(p ^ ally));
        export
    }
}

/// A headline as talent write it.
fn headline(i: u64) -> String {
    let key = mix(i ^ 0x7a1e);
    let mut role = position(key);
    if role.is_empty() {
        role = format!(
            "{} {}",
            pick(&SPECIALTIES, key, 8, 2),
            pick(&ROLES, key, 9, 2)
        );
    }
    match key % 4 {
        0 => role,
        1 => format!("{role} at {}", company(key)),
        2 => format!(
            "{role} | {} & {}",
            pick(&SPECIALTIES, key, 10, 1),
            pick(&SPECIALTIES, key, 11, 1)
        ),
        _ => format!("{role}, ex-{}", company_name(key % COMPANIES)),
    }
}

// ---------------------------------------------------------------------------------------
// The network.

/// For each size, the rows of each ally's export that reach it.
fn plan(sizes: &[usize]) -> Vec<(usize, Vec<usize>)> {
    let mut before = 0;
    sizes
        .iter()
        .map(|&size| {
            let new = size - before;
            before = size;
            let allies = new.div_ceil(MAX_IMPORT_ROWS).max(MIN_ALLIES_PER_SIZE);
            let rows = (0..allies)
                .map(|a| new / allies + usize::from(a < new % allies))
                .collect();
            (size, rows)
        })
        .collect()
}

struct Network {
    server: Server,
    admin: String,
    id: Value,
    jobs: Vec<(&'static str, Value)>,
    /// Invited allies not yet joined: email and invitation token.
    invited: VecDeque<(String, String)>,
    people: People,
    allies: u64,
    contacts: usize,
}

impl Network {
    /// A new network with its company, jobs and talent, and `allies` invited allies.
    async fn create(dir: &Path, database_url: &str, allies: usize) -> Self {
        let (server, admin, network) = bootstrap(dir, database_url, &[]).await;
        let id = network["id"].clone();

        let company = server
            .mutate(&admin, "createCompany", "mutation($n: ID!) { createCompany(input: {networkId: $n, name: \"Portfolio Co\", domain: \"portfolio.test\"}) { company { id } userErrors { message } } }", json!({ "n": id }))
            .await["company"]["id"]
            .clone();
        let mut jobs = Vec::new();
        for (title, department) in JOBS {
            let job = server
                .mutate(&admin, "createJob", "mutation($c: ID!, $t: String!, $d: String!) { createJob(input: {companyId: $c, title: $t, department: $d}) { job { id } userErrors { message } } }", json!({ "c": company, "t": title, "d": department }))
                .await["job"]["id"]
                .clone();
            jobs.push((title, job));
        }

        // The allies are invited first, so that their emails are not behind the talent's.
        let emails: Vec<String> = (0..allies).map(|a| format!("ally{a}@bench.test")).collect();
        for (a, email) in emails.iter().enumerate() {
            server
                .mutate(&admin, "inviteTeamMember", "mutation($n: ID!, $name: String!, $e: String!) { inviteTeamMember(input: {networkId: $n, role: ALLY, name: $name, email: $e}) { ally { id } userErrors { message } } }", json!({ "n": id, "name": format!("Ally {a}"), "e": email }))
                .await;
        }

        let started = Instant::now();
        futures::stream::iter(0..TALENT as u64)
            .map(|i| {
                let (server, admin, id) = (&server, &admin, &id);
                async move {
                    let (first, last, url) = person(i * 7 + 3);
                    // A talent in five is also someone the first allies know.
                    let linkedin = mix(i).is_multiple_of(5).then_some(url);
                    server
                        .mutate(admin, "addTalent", "mutation($n: ID!, $name: String!, $e: String!, $v: Boolean!, $h: String!, $l: String) { addTalent(input: {networkId: $n, name: $name, email: $e, verified: $v, headline: $h, linkedinUrl: $l}) { talent { id } userErrors { message } } }", json!({ "n": id, "name": format!("{first} {last}"), "e": format!("talent{i}@talent.test"), "v": i.is_multiple_of(2), "h": headline(i), "l": linkedin }))
                        .await;
                }
            })
            .buffer_unordered(4)
            .collect::<Vec<()>>()
            .await;
        println!(
            "  {TALENT} talent added in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let mail_dir = dir.join("mail");
        let tokens = invitation_tokens(&mail_dir, &emails).await;
        let invited = emails
            .into_iter()
            .map(|email| {
                let token = tokens[&email].clone();
                (email, token)
            })
            .collect();
        // Every email sent (the talent's invitations too), so that no sending runs meanwhile.
        wait_for_emails(&mail_dir, allies + TALENT).await;

        Self {
            server,
            admin,
            id,
            jobs,
            invited,
            people: People { next: 0 },
            allies: 0,
            contacts: 0,
        }
    }

    /// The next invited ally joins, shares their contacts and imports an export of `rows`.
    async fn ally_imports(&mut self, rows: usize) -> Duration {
        let (_, invitation) = self.invited.pop_front().expect("an invited ally");
        let joined = self.server.gql(None, "mutation($t: String!, $p: String!) { acceptInvitation(input: {token: $t, password: $p, acceptTerms: true}) { token } }", json!({ "t": invitation, "p": PASSWORD })).await;
        let token = joined["acceptInvitation"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let shared = self
            .server
            .mutate(&token, "setContactSharing", "mutation($n: ID!) { setContactSharing(input: {networkId: $n, sharing: true}) { ally { sharingContacts } userErrors { message } } }", json!({ "n": self.id }))
            .await;
        assert_eq!(shared["ally"]["sharingContacts"], true, "{shared}");

        let csv = connections_csv(&self.people.export(rows, self.allies));
        self.allies += 1;
        let started = Instant::now();
        let imported = self.server.gql(Some(&token), "mutation($csv: String!) { importContacts(input: {csv: $csv}) { created updated skipped errorCount } }", json!({ "csv": csv })).await["importContacts"].clone();
        let took = started.elapsed();
        assert_eq!(imported["created"], rows, "{imported}");
        assert_eq!(imported["errorCount"], 0, "{imported}");
        self.contacts += rows;
        took
    }

    /// How many contacts and talent the network's admins see.
    async fn counts(&self) -> (i64, i64) {
        let data = self.server.gql(Some(&self.admin), "query($n: ID!) { node(id: $n) { ... on Network { contacts(first: 1) { totalCount } talent(first: 1) { totalCount } } } }", json!({ "n": self.id })).await;
        let count = |field: &str| data["node"][field]["totalCount"].as_i64().unwrap();
        (count("contacts"), count("talent"))
    }
}

/// The invitation token in the email to each of `emails`.
async fn invitation_tokens(mail_dir: &Path, emails: &[String]) -> HashMap<String, String> {
    let pattern = regex::Regex::new(r"/invitations/(igi_[A-Za-z0-9_-]+)").unwrap();
    let wanted: HashSet<&str> = emails.iter().map(String::as_str).collect();
    let mut read = HashSet::new();
    let mut tokens = HashMap::new();
    for _ in 0..1200 {
        for entry in std::fs::read_dir(mail_dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "eml") || !read.insert(path.clone()) {
                continue;
            }
            let raw = std::fs::read(&path).unwrap();
            let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let to = message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_lowercase();
            if !wanted.contains(to.as_str()) {
                continue;
            }
            let text = message.body_text(0).unwrap_or_default();
            let found = pattern.captures(&text).expect("an invitation link");
            tokens.insert(to, found[1].to_owned());
        }
        if tokens.len() == wanted.len() {
            return tokens;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!(
        "{} of {} invitations in {}",
        tokens.len(),
        wanted.len(),
        mail_dir.display()
    );
}

async fn wait_for_emails(mail_dir: &Path, count: usize) {
    for _ in 0..1200 {
        let sent = std::fs::read_dir(mail_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .count();
        if sent >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("fewer than {count} emails in {}", mail_dir.display());
}

// ---------------------------------------------------------------------------------------
// Measuring.

struct Figures {
    backend: &'static str,
    contacts: usize,
    p50: f64,
    p99: f64,
    mean: f64,
    baseline_p50: f64,
    baseline_p99: f64,
}

/// p50, p99 and mean, in milliseconds.
fn stats(samples: &mut [Duration]) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |q: f64| ms(samples[((samples.len() as f64 * q).ceil() as usize).max(1) - 1]);
    let mean = samples.iter().map(|&d| ms(d)).sum::<f64>() / samples.len() as f64;
    (at(0.50), at(0.99), mean)
}

async fn measure(network: &Network, backend: &'static str) -> Figures {
    let server = &network.server;
    let admin = Some(network.admin.as_str());
    let vars: Vec<Value> = network
        .jobs
        .iter()
        .map(|(_, id)| json!({ "j": id }))
        .collect();

    // What the recommendations are: real, and ranked.
    for ((title, _), vars) in network.jobs.iter().zip(&vars) {
        let data = server.gql(admin, RECOMMENDATIONS, vars.clone()).await;
        let found = data["node"]["recommendations"].as_array().unwrap();
        assert!(!found.is_empty(), "no recommendations for {title}");
        for r in found {
            assert!(r["score"].as_f64().unwrap() > 0.0, "{r}");
        }
        let contacts = found.iter().filter(|r| r["contact"].is_object()).count();
        let most_known = found
            .iter()
            .map(|r| r["knownBy"].as_array().unwrap().len())
            .max()
            .unwrap_or(0);
        let top = &found[0];
        let who = if top["talent"].is_object() {
            format!("talent {}", top["talent"]["name"])
        } else {
            format!(
                "contact {} ({} at {})",
                top["contact"]["name"], top["contact"]["position"], top["contact"]["company"]
            )
        };
        println!(
            "  {title:<24} {:>2} found ({contacts} contacts, known by ≤ {most_known} allies); top: score {} matched {} {who}",
            found.len(),
            top["score"],
            top["matchedTerms"],
        );
    }

    for i in 0..WARMUP {
        server
            .timed(admin, RECOMMENDATIONS, &vars[i % vars.len()])
            .await;
        server.timed(admin, BASELINE, &vars[i % vars.len()]).await;
    }
    let (mut recommendations, mut baseline) = (Vec::new(), Vec::new());
    for i in 0..SAMPLES {
        let vars = &vars[i % vars.len()];
        let (took, data) = server.timed(admin, RECOMMENDATIONS, vars).await;
        assert!(
            data["node"]["recommendations"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{data}"
        );
        recommendations.push(took);
        baseline.push(server.timed(admin, BASELINE, vars).await.0);
    }
    // Which jobs cost what: the requests were in turn, so job j's are every len-th.
    let per_job: Vec<String> = network
        .jobs
        .iter()
        .enumerate()
        .map(|(j, (title, _))| {
            let mut mine: Vec<Duration> = recommendations
                .iter()
                .skip(j)
                .step_by(vars.len())
                .copied()
                .collect();
            format!("{title} {:.1}", stats(&mut mine).0)
        })
        .collect();
    println!("  p50 ms by job: {}", per_job.join(", "));
    let (p50, p99, mean) = stats(&mut recommendations);
    let (baseline_p50, baseline_p99, baseline_mean) = stats(&mut baseline);
    println!(
        "  recommendations: p50 {p50:.2} ms, p99 {p99:.2} ms, mean {mean:.2} ms ({SAMPLES} requests)"
    );
    println!(
        "  baseline:        p50 {baseline_p50:.2} ms, p99 {baseline_p99:.2} ms, mean {baseline_mean:.2} ms; p50 ratio {:.1}×",
        p50 / baseline_p50
    );
    Figures {
        backend,
        contacts: network.contacts,
        p50,
        p99,
        mean,
        baseline_p50,
        baseline_p99,
    }
}

async fn run(
    backend: &'static str,
    dir: &Path,
    database_url: &str,
    sizes: &[usize],
) -> Vec<Figures> {
    println!("{backend}");
    let plan = plan(sizes);
    let allies = plan.iter().map(|(_, rows)| rows.len()).sum();
    let mut network = Network::create(dir, database_url, allies).await;
    let mut figures = Vec::new();
    for (size, exports) in plan {
        let started = Instant::now();
        let mut slowest = Duration::ZERO;
        for &rows in &exports {
            slowest = slowest.max(network.ally_imports(rows).await);
        }
        assert_eq!(network.contacts, size);
        let (contacts, talent) = network.counts().await;
        println!(
            "{backend}, {size} contacts: {} imports in {:.1} s (slowest {:.2} s); the network sees {contacts} contacts of {} people from {} sharing allies, and {talent} talent",
            exports.len(),
            started.elapsed().as_secs_f64(),
            slowest.as_secs_f64(),
            network.people.next,
            network.allies,
        );
        assert_eq!(contacts as usize, size);
        analyze_if_autovacuum_is_off(database_url).await;
        figures.push(measure(&network, backend).await);
    }
    figures
}

/// A PostgreSQL server without autovacuum (this machine's) never gathers statistics on the
/// new rows, and its planner then guesses: do what autovacuum would have done by now.
async fn analyze_if_autovacuum_is_off(database_url: &str) {
    if !database_url.starts_with("postgres") {
        return;
    }
    let db = sea_orm::Database::connect(database_url).await.unwrap();
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &db,
        sea_orm::Statement::from_string(
            sea_orm::ConnectionTrait::get_database_backend(&db),
            "SHOW autovacuum",
        ),
    )
    .await
    .unwrap()
    .unwrap();
    let autovacuum: String = row.try_get("", "autovacuum").unwrap();
    if autovacuum == "off" {
        let started = Instant::now();
        sea_orm::ConnectionTrait::execute_unprepared(&db, "VACUUM ANALYZE contact, talent")
            .await
            .unwrap();
        println!(
            "  autovacuum is off on this server: VACUUM ANALYZE as it would have run ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
}

#[tokio::main]
async fn main() {
    let cap = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(*SIZES.last().unwrap());
    let mut sizes: Vec<usize> = SIZES.into_iter().filter(|&s| s < cap).collect();
    sizes.push(cap);
    println!(
        "sizes {sizes:?}; {TALENT} talent; {} jobs; {WARMUP} warm-up and {SAMPLES} timed requests each",
        JOBS.len()
    );

    // `-- postgres` or `-- sqlite` runs one backend only.
    let only = |backend: &str| std::env::args().skip(1).any(|a| a == backend);
    let (only_sqlite, only_postgres) = (only("sqlite"), only("postgres"));

    let mut figures = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    if !only_postgres {
        figures.extend(
            run(
                "SQLite",
                dir.path(),
                "sqlite://introgate.db?mode=rwc",
                &sizes,
            )
            .await,
        );
    }

    let postgres_url = std::env::var("INTROGATE_TEST_POSTGRES_URL")
        .ok()
        .filter(|_| !only_sqlite);
    if let Some(admin_url) = postgres_url {
        let name = format!("introgate_bench_{}", uuid::Uuid::now_v7().simple());
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .unwrap();
        sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        let dir = tempfile::tempdir().unwrap();
        figures.extend(run("PostgreSQL", dir.path(), url.as_str(), &sizes).await);
        // INTROGATE_BENCH_KEEP_DB=1 keeps the database, to look at plans afterwards.
        if std::env::var_os("INTROGATE_BENCH_KEEP_DB").is_some() {
            println!("kept the database {name}");
        } else {
            sea_orm::ConnectionTrait::execute_unprepared(
                &admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await
            .ok();
        }
    }

    println!();
    println!(
        "{:<11} {:>9} {:>9} {:>9} {:>9} {:>12} {:>12} {:>6}",
        "backend", "contacts", "p50 ms", "p99 ms", "mean ms", "base p50 ms", "base p99 ms", "ratio"
    );
    for f in &figures {
        println!(
            "{:<11} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>12.2} {:>12.2} {:>5.1}×",
            f.backend,
            f.contacts,
            f.p50,
            f.p99,
            f.mean,
            f.baseline_p50,
            f.baseline_p99,
            f.p50 / f.baseline_p50
        );
    }
    println!("goal over 1,000,000 contacts: p50 ≤ 50 ms, p99 ≤ 200 ms");
}
