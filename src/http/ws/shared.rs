//! Subscribers who would compute the same results share one execution: the same document,
//! operation and variables, under the same rights (one account, or one API token: every
//! resolver answers from the account's memberships and id only), and no cursor of their
//! own to replay from. One task runs the subscription once per event, serialises the
//! result once, and queues it on each member's socket without ever waiting on one: a
//! member whose queue is full is dropped and its connection told to close.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use async_graphql::parser::types::{DocumentOperations, OperationType, Selection};
use futures::StreamExt;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use axum::extract::ws::{Message, Utf8Bytes};

use super::{Outgoing, concerns, server_message};
use crate::{
    graphql::{LiveSession, context::ResponseWriter, request_data},
    http::{HttpState, graphql::Params},
    services::{
        access::{Actor, Principal},
        throttle::PasswordAttempt,
    },
};

/// Whose rights an execution runs under: results depend on nothing else of a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Rights {
    Account(Uuid),
    ApiToken(Uuid),
}

/// What makes two subscriptions' results identical.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupKey {
    rights: Rights,
    query: String,
    operation_name: Option<String>,
    /// The variables as sent (their JSON text).
    variables: String,
}

impl GroupKey {
    /// The key of a subscription others may share, or none: not a subscription, a
    /// document that does not parse, a cursor to replay from (`after`), or no account.
    pub fn of(
        principal: &Principal,
        query: &str,
        operation_name: Option<&str>,
        variables: Option<&Map<String, Value>>,
    ) -> Option<Self> {
        let rights = match principal {
            Principal::Account { account_id, .. } => Rights::Account(*account_id),
            Principal::ApiToken { token_id, .. } => Rights::ApiToken(*token_id),
            Principal::Anonymous => return None,
        };
        let document = async_graphql::parser::parse_query(query).ok()?;
        let operation = match (&document.operations, operation_name) {
            (DocumentOperations::Single(operation), _) => operation,
            (DocumentOperations::Multiple(operations), Some(name)) => operations
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, operation)| operation)?,
            (DocumentOperations::Multiple(_), None) => return None,
        };
        if operation.node.ty != OperationType::Subscription {
            return None;
        }
        // A cursor replays the log from where this subscriber stopped: theirs alone.
        let given = |name: async_graphql::Name| {
            let value = variables.and_then(|v| v.get(name.as_str()));
            Ok::<_, ()>(match value {
                Some(value) if !value.is_null() => async_graphql::Value::Boolean(true),
                _ => async_graphql::Value::Null,
            })
        };
        for item in &operation.node.selection_set.node.items {
            // Fragments on the root are rare: not worth resolving here.
            let Selection::Field(field) = &item.node else {
                return None;
            };
            if field.node.arguments.iter().any(|(name, value)| {
                name.node == "after"
                    && value.node.clone().into_const_with(given) != Ok(async_graphql::Value::Null)
            }) {
                return None;
            }
        }
        Some(Self {
            rights,
            query: query.to_owned(),
            operation_name: operation_name.map(str::to_owned),
            variables: variables
                .map(|v| Value::Object(v.clone()).to_string())
                .unwrap_or_default(),
        })
    }
}

/// Where a member's results go: results go straight to its socket's writer (a member
/// leaves its group before its operation ends, so nothing stale follows); the end of the
/// operation (`error`, `complete`) goes through its connection, which forgets the
/// operation. `overflow` is the connection's alarm when it cannot keep up.
pub struct Member {
    pub outgoing: mpsc::Sender<Outgoing>,
    pub writer: mpsc::Sender<Message>,
    /// The protocol's name for a result: `next`, or the legacy `data`.
    pub next: &'static str,
    pub id: Arc<str>,
    pub generation: u64,
    pub overflow: CancellationToken,
}

impl Member {
    /// Queues without waiting; false once the member is gone.
    fn offer<T>(&self, queue: &mpsc::Sender<T>, message: T) -> bool {
        match queue.try_send(message) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflow.cancel();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// A member, and whether it received a result yet: a refusal before the first is an
/// `error`.
struct Joined {
    member: Member,
    started: bool,
}

#[derive(Default)]
struct Members {
    next: u64,
    by_id: HashMap<u64, Joined>,
}

/// One shared execution and who receives it.
pub struct Group {
    key: GroupKey,
    members: Mutex<Members>,
    task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Group {
    fn members(&self) -> MutexGuard<'_, Members> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One result to every member, serialised once (and framed once per protocol and
    /// operation id: clients tend to use the same ids).
    fn publish(&self, response: async_graphql::Response) {
        let refused = response.data == async_graphql::Value::Null && !response.errors.is_empty();
        let next: Arc<str> = serde_json::to_string(&response).unwrap_or_default().into();
        let errors: Arc<str> = if refused {
            serde_json::to_string(&response.errors)
                .unwrap_or_default()
                .into()
        } else {
            Arc::from("")
        };
        let mut framed: HashMap<(&'static str, Arc<str>), Utf8Bytes> = HashMap::new();
        self.members().by_id.retain(|_, joined| {
            let member = &joined.member;
            if refused && !joined.started {
                // Refused before its first result: the operation ends with `error`.
                let error = Outgoing::Error {
                    id: member.id.clone(),
                    generation: member.generation,
                    errors: errors.clone(),
                };
                member.offer(&member.outgoing, error);
                return false;
            }
            joined.started = true;
            let text = framed
                .entry((member.next, member.id.clone()))
                .or_insert_with(|| server_message(member.next, &member.id, &next).into())
                .clone();
            member.offer(&member.writer, Message::Text(text))
        });
    }

    /// The execution ended: every member's operation completes.
    fn complete(&self) {
        for (_, Joined { member, .. }) in self.members().by_id.drain() {
            let complete = Outgoing::Complete {
                id: member.id.clone(),
                generation: member.generation,
            };
            member.offer(&member.outgoing, complete);
        }
    }
}

/// Every shared execution of this process.
#[derive(Default)]
pub struct SharedSubscriptions {
    groups: Mutex<HashMap<GroupKey, Arc<Group>>>,
}

/// A member's place in a group; leaving is dropping it.
pub struct Membership {
    registry: Arc<SharedSubscriptions>,
    group: Arc<Group>,
    member: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.registry.leave(&self.group, self.member);
    }
}

impl SharedSubscriptions {
    fn groups(&self) -> MutexGuard<'_, HashMap<GroupKey, Arc<Group>>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Joins the group of `key`, starting its execution if it has none.
    pub(in crate::http) fn join(
        self: &Arc<Self>,
        key: GroupKey,
        member: Member,
        http: &HttpState,
        principal: &Principal,
        params: Params,
    ) -> Membership {
        let mut groups = self.groups();
        let (group, started) = match groups.get(&key) {
            Some(group) => (group.clone(), false),
            None => {
                let group = Arc::new(Group {
                    key: key.clone(),
                    members: Mutex::default(),
                    task: Mutex::new(None),
                });
                groups.insert(key, group.clone());
                (group, true)
            }
        };
        let id = {
            let mut members = group.members();
            members.next += 1;
            let id = members.next;
            members.by_id.insert(
                id,
                Joined {
                    member,
                    started: false,
                },
            );
            id
        };
        if started {
            let task = tokio::spawn(execute(
                self.clone(),
                group.clone(),
                http.clone(),
                principal.clone(),
                params,
            ));
            *group.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task.abort_handle());
        }
        Membership {
            registry: self.clone(),
            group,
            member: id,
        }
    }

    fn leave(&self, group: &Arc<Group>, member: u64) {
        let mut groups = self.groups();
        let mut members = group.members();
        members.by_id.remove(&member);
        if members.by_id.is_empty() {
            // Nobody left to receive it: the execution stops.
            if groups
                .get(&group.key)
                .is_some_and(|current| Arc::ptr_eq(current, group))
            {
                groups.remove(&group.key);
            }
            if let Some(task) = group.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
                task.abort();
            }
        }
    }

    /// The execution ended: later subscribers start a new one.
    fn finish(&self, group: &Arc<Group>) {
        let mut groups = self.groups();
        if groups
            .get(&group.key)
            .is_some_and(|current| Arc::ptr_eq(current, group))
        {
            groups.remove(&group.key);
        }
        drop(groups);
        group.complete();
    }

    /// Subscribers beyond the first of each group: each group follows the hub once.
    pub fn members_sharing(&self) -> usize {
        self.groups()
            .values()
            .map(|group| group.members().by_id.len().saturating_sub(1))
            .sum()
    }
}

/// The group's one execution: its own actor, renewed when a signal says the rights may
/// have shrunk, so the subscription re-checks them as each subscriber's would.
async fn execute(
    registry: Arc<SharedSubscriptions>,
    group: Arc<Group>,
    http: HttpState,
    principal: Principal,
    params: Params,
) {
    let actor = watch::Sender::new(Arc::new(Actor::new(principal.clone())));
    let session = LiveSession(actor.subscribe());
    // Subscriptions check no password; the attempt is what every request carries.
    let attempt = Arc::new(PasswordAttempt::new(None));
    let request = request_data(
        params.into_request(),
        actor.borrow().clone(),
        attempt,
        ResponseWriter::Serde,
    )
    .data(session);
    let mut responses = http.schema.execute_stream(request);
    let mut access = http.state.hub.access_changes();
    loop {
        tokio::select! {
            response = responses.next() => match response {
                Some(response) => {
                    http.state.metrics.live_executions.inc();
                    group.publish(response);
                }
                None => break,
            },
            change = access.recv() => {
                let change = change.unwrap_or(crate::live::AccessChange::Everyone);
                if concerns(change, &principal) {
                    // A fresh actor loads fresh memberships; the subscription re-checks.
                    actor.send_replace(Arc::new(Actor::new(principal.clone())));
                }
            }
        }
    }
    registry.finish(&group);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const INBOX: &str = "subscription($n: ID!, $after: String) { inboxUpdated(networkId: $n, after: $after) { cursor } }";

    fn account(id: Uuid) -> Principal {
        Principal::Account {
            account_id: id,
            session_id: Uuid::now_v7(),
        }
    }

    fn key(principal: &Principal, query: &str, variables: Value) -> Option<GroupKey> {
        GroupKey::of(principal, query, None, variables.as_object())
    }

    #[test]
    fn who_shares_an_execution() {
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let n = json!({ "n": "TmV0d29yazox" });
        // Two sessions of one account: the same rights, the same results.
        assert_eq!(
            key(&account(alice), INBOX, n.clone()),
            key(&account(alice), INBOX, n.clone())
        );
        assert!(key(&account(alice), INBOX, n.clone()).is_some());
        // Another account, other variables, another document: another execution.
        assert_ne!(
            key(&account(alice), INBOX, n.clone()),
            key(&account(bob), INBOX, n.clone())
        );
        assert_ne!(
            key(&account(alice), INBOX, n.clone()),
            key(&account(alice), INBOX, json!({ "n": "TmV0d29yazoy" }))
        );
        let token = Principal::ApiToken {
            token_id: alice,
            network_id: bob,
        };
        assert_ne!(
            key(&account(alice), INBOX, n.clone()),
            key(&token, INBOX, n.clone())
        );
    }

    #[test]
    fn what_runs_alone() {
        let me = account(Uuid::now_v7());
        // A cursor, as a variable or written in the document.
        assert!(key(&me, INBOX, json!({ "n": "x", "after": "c" })).is_none());
        assert!(key(&me, INBOX, json!({ "n": "x", "after": null })).is_some());
        assert!(
            key(
                &me,
                "subscription { inboxUpdated(networkId: \"x\", after: \"c\") { cursor } }",
                json!({})
            )
            .is_none()
        );
        // Not a subscription, not a document, not signed in.
        assert!(key(&me, "query { viewer { id } }", json!({})).is_none());
        assert!(key(&me, "subscription {", json!({})).is_none());
        assert!(key(&Principal::Anonymous, INBOX, json!({ "n": "x" })).is_none());
        // Named operations: the chosen one decides.
        let both = "query Q { viewer { id } } subscription S { inboxUpdated(networkId: \"x\") { cursor } }";
        assert!(GroupKey::of(&me, both, Some("S"), None).is_some());
        assert!(GroupKey::of(&me, both, Some("Q"), None).is_none());
        assert!(GroupKey::of(&me, both, None, None).is_none());
    }

    #[test]
    fn a_full_member_is_dropped_and_warned_without_holding_up_the_others() {
        let group = Group {
            key: key(&account(Uuid::now_v7()), INBOX, json!({ "n": "x" })).unwrap(),
            members: Mutex::default(),
            task: Mutex::new(None),
        };
        let member = |writer, id: &str, overflow| Joined {
            member: Member {
                outgoing: mpsc::channel(1).0,
                writer,
                next: "next",
                id: id.into(),
                generation: 1,
                overflow,
            },
            started: false,
        };
        let (stalled, _never_read) = mpsc::channel(1);
        let (reading, mut read) = mpsc::channel(16);
        let warned = CancellationToken::new();
        {
            let mut members = group.members();
            members
                .by_id
                .insert(1, member(stalled, "s", warned.clone()));
            members
                .by_id
                .insert(2, member(reading, "r", CancellationToken::new()));
        }
        for _ in 0..3 {
            group.publish(async_graphql::Response::new(async_graphql::Value::from(1)));
        }
        for _ in 0..3 {
            let Ok(Message::Text(text)) = read.try_recv() else {
                panic!("a result for the reader")
            };
            assert_eq!(
                text.as_str(),
                r#"{"type":"next","id":"r","payload":{"data":1}}"#
            );
        }
        assert!(warned.is_cancelled());
        assert_eq!(group.members().by_id.len(), 1);
    }
}
