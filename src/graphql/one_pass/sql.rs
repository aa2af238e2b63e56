//! On PostgreSQL, the one-pass objects of a list are built by PostgreSQL: one statement
//! per list answers every object as JSON (`json_build_object` keeps the query's key order),
//! and HTTP writes that JSON into the response as it came. No row is decoded and no
//! `Value` tree is built for them, which was most of the read path's remaining CPU.
//!
//! The statement is compiled from the same [`Planned`] selection as the Rust one pass, once
//! per list and request. The access rules are not written in SQL: each object's key carries
//! what [`NetworkAccess`] decides for it (`sees_company_admins`, `job_scope` turned into a
//! [`JobFilter`]), passed as parameters. `tests/api/one_pass.rs` compares the answers with
//! the resolvers' for every role, on both databases.

use std::{
    collections::HashMap,
    fmt::Write,
    hash::{Hash, Hasher},
    sync::Arc,
};

use async_graphql::{ContextSelectionSet, Value, resolver_utils::enum_value};
use entities::enums::{CompanyAdminStatus, IntroStatus, JobStatus};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Iterable, Statement};
use uuid::Uuid;

use super::{Kind, Planned, plan};
use crate::{
    graphql::{
        context::{ContextExt, ResponseWriter},
        ids::NodeKind,
        loaders::LoadError,
        types,
    },
    services::{access::JobScope, introductions::InboxSection, jobs::JobFilter},
};

/// A list's selection compiled into one statement.
#[derive(Debug)]
pub struct Compiled {
    sql: String,
    /// The `status` argument of each `Company.jobs` in the selection, in parameter order.
    jobs: Vec<Option<JobStatus>>,
}

/// A compiled list, compared and hashed by identity: a request compiles each list once,
/// and hashing its statement's text for every key was a sixth of the CPU.
#[derive(Debug, Clone)]
pub struct List(Arc<Compiled>);

impl PartialEq for List {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for List {}

impl Hash for List {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0), state);
    }
}

/// One object of a compiled list, with what its caller may see of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    list: List,
    id: Uuid,
    sees_admins: bool,
    job_scope: JobScope,
}

/// The compiled statement of the list whose object `ctx` is, if it has one: on PostgreSQL,
/// for a selection every part of which compiles. Compiled once per list and request.
pub fn compiled(ctx: &ContextSelectionSet<'_>, kind: Kind) -> Option<Arc<Compiled>> {
    if ctx.state().db.read().get_database_backend() != DbBackend::Postgres {
        return None;
    }
    // The selection set lives as long as the request's document, so its address names it.
    let list = std::ptr::from_ref(ctx.item) as usize;
    ctx.scope().compiled_list(list, || {
        let plan = plan(ctx, kind, &[ctx.item])?;
        compile(kind, &plan).map(Arc::new)
    })
}

/// The answer for the object `id` (of `company`, in `network`) of a compiled list.
pub async fn answer(
    ctx: &ContextSelectionSet<'_>,
    compiled: Arc<Compiled>,
    network: Uuid,
    company: Uuid,
    id: Uuid,
) -> async_graphql::Result<Value> {
    let access = ctx.actor().access(&ctx.state().db, network).await?;
    let key = ObjectKey {
        list: List(compiled),
        id,
        sees_admins: access.sees_company_admins(company),
        job_scope: access.job_scope(company),
    };
    let json = ctx
        .loaders()
        .objects_json
        .load_one(key)
        .await?
        .ok_or_else(|| {
            crate::error::ServiceError::Internal(anyhow::anyhow!("object {id} vanished"))
        })?;
    ctx.state().metrics.graphql_one_pass_sql_objects.inc();
    if ctx.scope().writer() == ResponseWriter::RawJson {
        Ok(Value::Binary(json.into()))
    } else {
        Ok(serde_json::from_str(&json)?)
    }
}

/// The objects of `keys`: one statement per compiled list.
pub async fn fetch(
    db: &impl ConnectionTrait,
    keys: Vec<ObjectKey>,
) -> Result<HashMap<ObjectKey, String>, LoadError> {
    let mut lists: HashMap<List, Vec<ObjectKey>> = HashMap::new();
    for key in keys {
        lists.entry(key.list.clone()).or_default().push(key);
    }
    let mut found = HashMap::new();
    for (List(compiled), keys) in lists {
        let joined = |each: &dyn Fn(&ObjectKey) -> String| {
            sea_orm::Value::from(keys.iter().map(each).collect::<Vec<_>>().join(","))
        };
        let mut values = vec![
            joined(&|k| k.id.to_string()),
            joined(&|k| if k.sees_admins { "t" } else { "f" }.to_owned()),
        ];
        for status in &compiled.jobs {
            values.push(joined(&|k| {
                let filter = JobFilter {
                    scope: k.job_scope,
                    status: *status,
                };
                match filter.visible() {
                    None => "NONE".to_owned(),
                    Some(None) => "ANY".to_owned(),
                    Some(Some(status)) => status.to_value(),
                }
            }));
        }
        let statement = Statement::from_sql_and_values(DbBackend::Postgres, &compiled.sql, values);
        for row in db.query_all_raw(statement).await? {
            let n: i64 = row.try_get_by_index(0)?;
            let json: String = row.try_get_by_index(1)?;
            let key = usize::try_from(n - 1)
                .ok()
                .and_then(|i| keys.get(i))
                .expect("ordinality of a key");
            found.insert(key.clone(), json);
        }
    }
    Ok(found)
}

/// `json_build_object` takes at most 100 arguments.
const MAX_KEYS: usize = 50;

/// The statement answering the objects of `kind` with `plan`, or `None` where a part of it
/// is left to Rust (`declineReason`, jobs after a cursor or from the end).
fn compile(kind: Kind, plan: &[Planned<'_>]) -> Option<Compiled> {
    let table = match kind {
        Kind::IntroRequest => "intro_request",
        Kind::Company => "company",
        _ => return None,
    };
    let mut compiler = Compiler::default();
    let object = compiler.object(kind, plan, "o")?;
    let mut arrays =
        String::from("string_to_array($1, ',')::uuid[], string_to_array($2, ',')::bool[]");
    let mut columns = String::from("id, sees_admins");
    for i in 0..compiler.jobs.len() {
        write!(arrays, ", string_to_array(${}, ',')", i + 3).unwrap();
        write!(columns, ", jobs{i}").unwrap();
    }
    let sql = format!(
        "SELECT k.n, {object}::text FROM unnest({arrays}) WITH ORDINALITY AS k({columns}, n) \
         JOIN {table} o ON o.id = k.id"
    );
    Some(Compiled {
        sql,
        jobs: compiler.jobs,
    })
}

#[derive(Default)]
struct Compiler {
    aliases: usize,
    jobs: Vec<Option<JobStatus>>,
}

impl Compiler {
    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("t{}", self.aliases)
    }

    /// A JSON object of `kind` from the row `a`, its keys in query order.
    fn object(&mut self, kind: Kind, plan: &[Planned<'_>], a: &str) -> Option<String> {
        if plan.len() > MAX_KEYS {
            return None;
        }
        let mut fields = Vec::with_capacity(plan.len());
        for p in plan {
            fields.push(format!("'{}', {}", p.key, self.field(kind, p, a)?));
        }
        Some(format!("json_build_object({})", fields.join(", ")))
    }

    /// The JSON array of the objects of `kind` that `from` (aliased `x`, with its `WHERE`)
    /// selects, by id. (An `ARRAY` of a sorted subquery keeps its order without the sort
    /// `json_agg(… ORDER BY …)` does on every call.)
    fn array(&mut self, kind: Kind, plan: &[Planned<'_>], x: &str, from: &str) -> Option<String> {
        let object = self.object(kind, plan, x)?;
        Some(format!(
            "array_to_json(ARRAY(SELECT {object} FROM {from} ORDER BY {x}.id))"
        ))
    }

    fn field(&mut self, kind: Kind, p: &Planned<'_>, a: &str) -> Option<String> {
        use Kind::*;
        let column = |name: &str| format!("{a}.{name}");
        Some(match (kind, p.name) {
            (_, "__typename") => literal(&kind.type_name()),
            (IntroRequest, "id") => global_id(NodeKind::IntroRequest, a),
            (IntroRequest, "direction" | "status" | "message") => column(p.name),
            (IntroRequest, "inboxSection") => inbox_section(a),
            (IntroRequest, "createdAt") => time(&column("created_at")),
            (IntroRequest, "updatedAt") => time(&column("updated_at")),
            (IntroRequest, "sentAt") => time(&column("sent_at")),
            (IntroRequest, "decidedAt") => time(&column("decided_at")),
            (IntroRequest, "talent") => {
                let t = self.alias();
                let object = self.object(Talent, &p.sub, &t)?;
                format!("(SELECT {object} FROM talent {t} WHERE {t}.id = {a}.talent_id)")
            }
            (IntroRequest, "company") => {
                let c = self.alias();
                let object = self.object(Company, &p.sub, &c)?;
                format!("(SELECT {object} FROM company {c} WHERE {c}.id = {a}.company_id)")
            }
            (IntroRequest, "jobs") => {
                let (l, j) = (self.alias(), self.alias());
                let from = format!(
                    "intro_request_job {l} JOIN job {j} ON {j}.id = {l}.job_id \
                     WHERE {l}.intro_request_id = {a}.id"
                );
                self.array(Job, &p.sub, &j, &from)?
            }
            (IntroRequest, "events") => {
                let e = self.alias();
                let from = format!("intro_request_event {e} WHERE {e}.intro_request_id = {a}.id");
                self.array(IntroRequestEvent, &p.sub, &e, &from)?
            }
            (IntroRequestEvent, "at") => time(&column("at")),
            (IntroRequestEvent, "fromStatus") => column("from_status"),
            (IntroRequestEvent, "toStatus") => column("to_status"),
            (IntroRequestEvent, "note") => column("note"),
            (Talent, "id") => global_id(NodeKind::Talent, a),
            (Talent, "name" | "email" | "headline" | "verified") => column(p.name),
            (Talent, "linkedinUrl") => column("linkedin_url"),
            (Talent, "claimed") => format!("({a}.account_id IS NOT NULL)"),
            (Talent, "createdAt") => time(&column("created_at")),
            (Company, "id") => global_id(NodeKind::Company, a),
            (Company, "name" | "domain") => column(p.name),
            (Company, "websiteUrl") => column("website_url"),
            (Company, "createdAt") => time(&column("created_at")),
            (Company, "hasActiveAdmin") => format!(
                "EXISTS (SELECT 1 FROM company_admin x WHERE x.company_id = {a}.id \
                 AND x.status = {})",
                literal(&CompanyAdminStatus::Active.to_value())
            ),
            (Company, "admins") => {
                let x = self.alias();
                let from = format!(
                    "company_admin {x} WHERE {x}.company_id = {a}.id AND {x}.status <> {}",
                    literal(&CompanyAdminStatus::Removed.to_value())
                );
                let admins = self.array(CompanyAdmin, &p.sub, &x, &from)?;
                format!("CASE WHEN k.sees_admins THEN {admins} ELSE '[]'::json END")
            }
            (Company, "jobs") => self.job_connection(p, a)?,
            (CompanyAdmin, "id") => global_id(NodeKind::CompanyAdmin, a),
            (CompanyAdmin, "name" | "email" | "status") => column(p.name),
            (CompanyAdmin, "invitedAt") => time(&column("invited_at")),
            (CompanyAdmin, "acceptedAt") => time(&column("accepted_at")),
            (Job, "id") => global_id(NodeKind::Job, a),
            (Job, "title" | "location" | "department" | "url" | "status") => column(p.name),
            (Job, "greenhouseJobId") => format!("{a}.greenhouse_job_id::text"),
            (Job, "createdAt") => time(&column("created_at")),
            _ => return None,
        })
    }

    /// `Company.jobs(first:, status:)`: the first page of the company `a`'s jobs that the
    /// key's filter (parameter `jobsN`: `ANY`, a status, or `NONE`, which no job's status
    /// matches) keeps, oldest first, and whether more follow.
    fn job_connection(&mut self, p: &Planned<'_>, a: &str) -> Option<String> {
        let (status, page) = p.jobs?;
        if page.from_end || page.after.is_some() || page.before.is_some() || page.size == 0 {
            return None;
        }
        let size = page.size;
        let filter = format!("k.jobs{}", self.jobs.len());
        self.jobs.push(status);
        // The company's jobs the filter keeps, as `x`, oldest first.
        let jobs = |x: &str| {
            format!(
                "job {x} WHERE {x}.company_id = {a}.id \
                 AND ({filter} = 'ANY' OR {x}.status = {filter}) ORDER BY {x}.id"
            )
        };
        let page_ids = |this: &mut Self| {
            let x = this.alias();
            format!("(SELECT {x}.id FROM {} LIMIT {size})", jobs(&x))
        };
        let mut fields = Vec::new();
        for c in &p.sub {
            let value = match c.name {
                "__typename" => literal(&Kind::JobConnection.type_name()),
                "nodes" | "edges" => {
                    let x = self.alias();
                    let item = match c.name {
                        "nodes" => self.object(Kind::Job, &c.sub, &x)?,
                        _ => {
                            let mut edge = Vec::new();
                            for e in &c.sub {
                                let value = match e.name {
                                    "__typename" => literal(&Kind::JobEdge.type_name()),
                                    "cursor" => cursor(&format!("{x}.id")),
                                    "node" => self.object(Kind::Job, &e.sub, &x)?,
                                    _ => return None,
                                };
                                edge.push(format!("'{}', {value}", e.key));
                            }
                            format!("json_build_object({})", edge.join(", "))
                        }
                    };
                    format!(
                        "array_to_json(ARRAY(SELECT {item} FROM {} LIMIT {size}))",
                        jobs(&x)
                    )
                }
                "pageInfo" => {
                    let mut info = Vec::new();
                    for i in &c.sub {
                        let value = match i.name {
                            "__typename" => literal(&Kind::PageInfo.type_name()),
                            // A first page: nothing before it.
                            "hasPreviousPage" => "false".to_owned(),
                            "hasNextPage" => {
                                let x = self.alias();
                                format!("EXISTS (SELECT 1 FROM {} OFFSET {size})", jobs(&x))
                            }
                            "startCursor" => {
                                let x = self.alias();
                                cursor(&format!("(SELECT {x}.id FROM {} LIMIT 1)", jobs(&x)))
                            }
                            "endCursor" => {
                                let (ids, y) = (page_ids(self), self.alias());
                                cursor(&format!(
                                    "(SELECT {y}.id FROM {ids} {y} ORDER BY {y}.id DESC LIMIT 1)"
                                ))
                            }
                            _ => return None,
                        };
                        info.push(format!("'{}', {value}", i.key));
                    }
                    format!("json_build_object({})", info.join(", "))
                }
                _ => return None,
            };
            fields.push(format!("'{}', {value}", c.key));
        }
        if fields.len() > MAX_KEYS {
            return None;
        }
        Some(format!("json_build_object({})", fields.join(", ")))
    }
}

/// A SQL string literal of text known to hold no quote (names, enum values).
fn literal(text: &str) -> String {
    debug_assert!(!text.contains('\''));
    format!("'{text}'")
}

/// base64url without padding of `prefix` and a uuid `id` (an expression) in 32 hex digits,
/// as `URL_SAFE_NO_PAD` encodes it: the global ids and cursors. Global ids were a third
/// of the statement's time, so the work is cut down: the prefix's whole 3-byte groups
/// are encoded here, once; PostgreSQL encodes the rest and cuts the padding by length.
/// The rest never holds `+` or `/` (only the two URL-safe digits differ), see the tests.
fn base64url_with_hex(prefix: &str, id: &str) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let whole = prefix.len() / 3 * 3;
    let (head, tail) = prefix.split_at(whole);
    let unpadded = ((tail.len() + 32) * 4).div_ceil(3);
    format!(
        "'{}' || left(encode(textsend('{tail}' || replace({id}::text, '-', '')), 'base64'), \
         {unpadded})",
        URL_SAFE_NO_PAD.encode(head)
    )
}

/// The global id of the row `a`, as [`crate::graphql::ids::GlobalId`] writes it.
fn global_id(kind: NodeKind, a: &str) -> String {
    base64url_with_hex(&format!("{}:", kind.name()), &format!("{a}.id"))
}

/// A page cursor of the id `id`, as [`crate::graphql::ids::encode_cursor`] writes it.
fn cursor(id: &str) -> String {
    base64url_with_hex("c:", id)
}

/// A timestamp as the `DateTime` scalar writes it (chrono's `to_rfc3339`): UTC as
/// `+00:00`, and the fraction of a second in 0, 3 or 6 digits, as few as hold it.
/// NULL stays NULL.
fn time(at: &str) -> String {
    let utc = format!("({at} AT TIME ZONE 'UTC')");
    let format =
        |fraction: &str| format!("to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS{fraction}\"+00:00\"')");
    format!(
        "CASE WHEN date_trunc('second', {at}) = {at} THEN {} \
         WHEN date_trunc('milliseconds', {at}) = {at} THEN {} ELSE {} END",
        format(""),
        format(".MS"),
        format(".US"),
    )
}

/// `IntroRequest.inboxSection`, from [`InboxSection::of`] for every status.
fn inbox_section(a: &str) -> String {
    let mut sql = format!("CASE {a}.status");
    for status in IntroStatus::iter() {
        if let Some(section) = InboxSection::of(status) {
            let Value::Enum(name) = enum_value(types::InboxSection::from(section)) else {
                unreachable!("an enum")
            };
            write!(
                sql,
                " WHEN {} THEN {}",
                literal(&status.to_value()),
                literal(name.as_str())
            )
            .unwrap();
        }
    }
    sql.push_str(" END");
    sql
}

/// `value` as JSON, where a [`Value::Binary`] holds JSON already written (an object of a
/// compiled list), copied without PostgreSQL's spaces.
pub fn write_json(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Binary(json) => write_compact(out, json),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item);
            }
            out.push(b']');
        }
        Value::Object(fields) => {
            out.push(b'{');
            for (i, (key, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key.as_str()).expect("writes to memory");
                out.push(b':');
                write_json(out, item);
            }
            out.push(b'}');
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("writes to memory"),
    }
}

/// PostgreSQL's `json` as serde_json writes it: PostgreSQL puts a space around `:` and after
/// `,`. Strings are copied whole, so a space in one stays.
fn write_compact(out: &mut Vec<u8>, json: &[u8]) {
    out.reserve(json.len());
    let mut rest = json;
    while !rest.is_empty() {
        // Between strings: punctuation, literals and spaces.
        let quote = memchr::memchr(b'"', rest).unwrap_or(rest.len());
        out.extend(rest[..quote].iter().filter(|b| **b != b' '));
        rest = &rest[quote..];
        if rest.is_empty() {
            break;
        }
        // A string, to its closing quote (an escaped one does not close it).
        let mut end = 1;
        loop {
            match memchr::memchr2(b'"', b'\\', rest.get(end..).unwrap_or_default()) {
                Some(at) if rest[end + at] == b'"' => {
                    end += at + 1;
                    break;
                }
                Some(at) => end += at + 2,
                None => break end = rest.len(),
            }
        }
        let end = end.min(rest.len());
        out.extend_from_slice(&rest[..end]);
        rest = &rest[end..];
    }
}

#[cfg(test)]
mod tests {
    use entities::enums::{CompanyAdminStatus, IntroDirection, IntroStatus, JobStatus};
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// Enum columns go into the JSON as stored: each stored value is the GraphQL name.
    #[test]
    fn stored_enum_values_are_their_graphql_names() {
        fn check<
            E: ActiveEnum<Value = String> + Iterable + Copy,
            G: From<E> + async_graphql::EnumType,
        >() {
            for variant in E::iter() {
                let Value::Enum(name) = enum_value(G::from(variant)) else {
                    unreachable!()
                };
                assert_eq!(variant.to_value(), name.as_str());
            }
        }
        check::<IntroStatus, types::IntroStatus>();
        check::<IntroDirection, types::IntroDirection>();
        check::<JobStatus, types::JobStatus>();
        check::<CompanyAdminStatus, types::CompanyAdminStatus>();
    }

    /// `base64url_with_hex` leaves `+` and `/` alone: PostgreSQL's standard base64 of a
    /// prefix's last bytes and hex digits never holds them. Each output digit depends on one
    /// 3-byte group only, so trying every group that can occur proves it: the group that
    /// starts with the prefix's tail (each hex start), whole groups of hex digits, and the
    /// last, short group.
    #[test]
    fn ids_built_in_sql_need_no_url_safe_digits() {
        use base64::{Engine, engine::general_purpose::STANDARD};
        let hex = b"0123456789abcdef";
        let triples: Vec<Vec<u8>> = (0..4096)
            .map(|n| vec![hex[n >> 8], hex[(n >> 4) & 15], hex[n & 15]])
            .collect();
        let url_safe = |bytes: &[u8]| {
            let encoded = STANDARD.encode(bytes);
            assert!(!encoded.contains(['+', '/']), "{bytes:?} -> {encoded}");
        };
        let kinds = [
            NodeKind::IntroRequest,
            NodeKind::Talent,
            NodeKind::Company,
            NodeKind::CompanyAdmin,
            NodeKind::Job,
        ];
        let prefixes = kinds.map(|k| format!("{}:", k.name()));
        for prefix in prefixes.iter().map(String::as_str).chain(["c:"]) {
            let tail = &prefix.as_bytes()[prefix.len() / 3 * 3..];
            for triple in &triples {
                let first = [tail, &triple[..3 - tail.len()]].concat();
                url_safe(&first);
                url_safe(triple);
                // The last group: 1 or 2 digits, whichever the length leaves.
                url_safe(&triple[..(tail.len() + 32) % 3]);
            }
        }
        // And the whole: the SQL's arithmetic against the Rust encoder.
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        for kind in kinds {
            let expected = crate::graphql::ids::GlobalId::encode(kind, id).0;
            let prefix = format!("{}:", kind.name());
            let (head, tail) = prefix.split_at(prefix.len() / 3 * 3);
            let rest = STANDARD.encode(format!("{tail}{}", id.simple()));
            let head = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(head);
            assert_eq!(format!("{head}{}", rest.trim_end_matches('=')), expected);
        }
    }

    #[test]
    fn raw_json_is_written_compact_with_its_strings_whole() {
        let value = Value::List(vec![
            Value::Binary(br#"{"a" : [1, "x \" , y\\"], "b" : {}}"#.to_vec().into()),
            Value::from_json(serde_json::json!({"b\"": null, "c": "é\n"})).unwrap(),
        ]);
        let mut out = Vec::new();
        write_json(&mut out, &value);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"[{"a":[1,"x \" , y\\"],"b":{}},{"b\"":null,"c":"é\n"}]"#
        );
    }
}
