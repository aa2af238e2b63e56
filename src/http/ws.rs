//! `/graphql/ws`: GraphQL over WebSocket, in the `graphql-transport-ws` protocol (what the
//! `graphql-ws` client speaks) and the legacy `graphql-ws` one (subscriptions-transport-ws).
//!
//! The identity comes from the `connection_init` payload (`{"authorization": "Bearer …"}`),
//! and follows the subscriber: when a signal says their rights may have shrunk, the token is
//! checked again (revoked: the socket closes with 4403) and their subscriptions re-check
//! what they follow.
//!
//! This module speaks the protocols only: parsing, limits, timeouts, error codes and field
//! order are the schema's [`RequestPolicy`](crate::graphql::extension::RequestPolicy), as
//! over HTTP.
//!
//! Subscribers who would compute the same results share one execution ([`shared`]). Each
//! socket is written by its own task from a bounded queue, so a slow reader holds up nobody
//! else: when a shared execution finds its queue full, its connection closes (1013) and the
//! client resumes with `after`.

pub mod shared;

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use async_graphql::ServerError;
use axum::{
    Extension,
    extract::{
        ConnectInfo, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::{SinkExt, StreamExt, stream::SplitSink};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use self::shared::{GroupKey, Member, Membership};

use super::{
    HttpState,
    graphql::{Params, params_from_json},
};
use crate::{
    graphql::{
        LiveSession,
        context::ResponseWriter,
        errors::{request_error, with_code},
        request_data,
    },
    live::AccessChange,
    services::{
        access::{Actor, Principal},
        accounts,
        throttle::PasswordAttempt,
    },
};

const TRANSPORT_WS: &str = "graphql-transport-ws";
const LEGACY_WS: &str = "graphql-ws";
/// Operations one connection may run at once.
const MAX_OPERATIONS: usize = 100;
/// Results waiting for a connection, and messages waiting for its socket: room for a burst
/// of events (a queue's memory is taken only as it fills). Past that, the client is too slow.
const RESULTS_QUEUE: usize = 512;
const WRITE_QUEUE: usize = 512;
/// How long a closing socket may take to send what it was left with.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// `graphql-transport-ws`.
    Transport,
    /// The legacy `graphql-ws` (subscriptions-transport-ws).
    Legacy,
}

/// Close codes of `graphql-transport-ws`.
mod close {
    pub const INVALID_MESSAGE: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const SUBPROTOCOL_NOT_ACCEPTABLE: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_SUBSCRIBER: u16 = 4409;
    pub const TOO_MANY_INITIALISATIONS: u16 = 4429;
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    /// The client reads slower than its events come: it reconnects and resumes `after`.
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

pub async fn upgrade(
    State(http): State<HttpState>,
    headers: HeaderMap,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    ws: WebSocketUpgrade,
) -> Response {
    let client = client.map(|Extension(ConnectInfo(address))| address.ip());
    if let Some(origin) = headers.get(header::ORIGIN)
        && !origin_allowed(&http, &headers, origin.to_str().unwrap_or_default())
    {
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    // Small buffers: an idle subscriber should cost little (the 128 KiB defaults made
    // each socket most of a subscriber's memory); messages are small and sent one by one.
    let ws = ws
        .protocols([TRANSPORT_WS, LEGACY_WS])
        .max_message_size(http.limits.max_body_bytes)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let protocol = match ws.selected_protocol().and_then(|p| p.to_str().ok()) {
        Some(TRANSPORT_WS) => Some(Protocol::Transport),
        Some(LEGACY_WS) => Some(Protocol::Legacy),
        _ => None,
    };
    ws.on_upgrade(move |socket| async move {
        match protocol {
            Some(protocol) => {
                let (connection, results, queue) = Connection::new(http, protocol, client);
                connection.run(results, queue, socket).await;
            }
            None => {
                let mut socket = socket;
                let _ = socket
                    .send(close_message(
                        close::SUBPROTOCOL_NOT_ACCEPTABLE,
                        "Subprotocol not acceptable",
                    ))
                    .await;
            }
        }
    })
}

/// Browsers send `Origin`: the page must be ours (same host) or one of `CORS_ORIGINS`.
/// Other clients send none, and authenticate in `connection_init` anyway.
fn origin_allowed(http: &HttpState, headers: &HeaderMap, origin: &str) -> bool {
    let same_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| {
            origin == format!("http://{host}") || origin == format!("https://{host}")
        });
    same_host || http.cors_origins.iter().any(|allowed| allowed.0 == origin)
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// What an operation's task (or a shared execution) sends to the socket, serialised:
/// `payload` is a response, `errors` a list of errors. `generation` tells a finished
/// operation from a new one that reuses its id.
pub enum Outgoing {
    Next {
        id: Arc<str>,
        generation: u64,
        payload: Arc<str>,
    },
    Error {
        id: Arc<str>,
        generation: u64,
        errors: Arc<str>,
    },
    Complete {
        id: Arc<str>,
        generation: u64,
    },
}

/// An operation in progress: its own task, or a place in a shared execution.
enum Running {
    Alone(tokio::task::AbortHandle),
    Shared(Membership),
}

impl Running {
    fn stop(self) {
        match self {
            Self::Alone(task) => task.abort(),
            // Leaving is dropping the membership.
            Self::Shared(membership) => drop(membership),
        }
    }
}

/// Who is connected: the token (checked again when rights may have shrunk) and the actor
/// every subscription of the connection follows.
struct Identity {
    token: String,
    principal: Principal,
    actor: watch::Sender<Arc<Actor>>,
}

struct Connection {
    http: HttpState,
    protocol: Protocol,
    /// The peer's address: what its failed sign-ins count against.
    client: Option<IpAddr>,
    init_received: bool,
    identity: Option<Identity>,
    operations: HashMap<String, (u64, Running)>,
    generation: u64,
    outgoing: mpsc::Sender<Outgoing>,
    /// What the socket's writer sends next.
    writer: mpsc::Sender<Message>,
    /// Cancelled when a shared execution could not hand this connection a result.
    overflow: CancellationToken,
}

/// Why the connection ends.
struct Close(u16, String);

impl Close {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self(code, reason.into())
    }
}

impl Connection {
    /// The connection, where its operations' results arrive, and what its socket's writer
    /// sends.
    fn new(
        http: HttpState,
        protocol: Protocol,
        client: Option<IpAddr>,
    ) -> (Self, mpsc::Receiver<Outgoing>, mpsc::Receiver<Message>) {
        let (outgoing, results) = mpsc::channel(RESULTS_QUEUE);
        let (writer, queue) = mpsc::channel(WRITE_QUEUE);
        let connection = Self {
            http,
            protocol,
            client,
            init_received: false,
            identity: None,
            operations: HashMap::new(),
            generation: 0,
            outgoing,
            writer,
            overflow: CancellationToken::new(),
        };
        (connection, results, queue)
    }

    async fn run(
        mut self,
        mut results: mpsc::Receiver<Outgoing>,
        queue: mpsc::Receiver<Message>,
        socket: WebSocket,
    ) {
        let (sink, mut incoming) = socket.split();
        let writer = self.writer.clone();
        let (close_writer, closing) = tokio::sync::oneshot::channel();
        let mut writing = tokio::spawn(write(sink, queue, closing));
        let mut access = self.http.state.hub.access_changes();
        let init_deadline = tokio::time::sleep(self.http.live.ws_init_timeout);
        tokio::pin!(init_deadline);
        let keepalive = self.http.live.ws_keepalive;
        let mut pings =
            tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
        let shutdown = self.http.shutdown.clone();
        let overflow = self.overflow.clone();
        let too_slow = || Close::new(close::TRY_AGAIN_LATER, "too slow: events were dropped");

        let closing: Close = loop {
            let step: Result<Option<String>, Close> = tokio::select! {
                _ = &mut init_deadline, if !self.init_received => {
                    Err(Close::new(close::INIT_TIMEOUT, "Connection initialisation timeout"))
                }
                _ = shutdown.cancelled() => Err(Close::new(close::GOING_AWAY, "server shutting down")),
                _ = overflow.cancelled() => Err(too_slow()),
                message = incoming.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        // Boxed: its future is large, and idle connections should be small.
                        Box::pin(self.receive(text.as_str())).await.map(|reply| reply.map(|r| r.to_string()))
                    }
                    Some(Ok(Message::Binary(_))) => {
                        Err(Close::new(close::INVALID_MESSAGE, "Invalid message received"))
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(None),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break Close::new(close::NORMAL, ""),
                },
                Some(result) = results.recv() => Ok(self.deliver(result)),
                _ = pings.tick(), if self.identity.is_some() => Ok(Some(match self.protocol {
                    Protocol::Transport => json!({ "type": "ping" }),
                    Protocol::Legacy => json!({ "type": "ka" }),
                }.to_string())),
                change = access.recv(), if self.identity.is_some() => {
                    let change = change.unwrap_or(AccessChange::Everyone);
                    Box::pin(self.recheck(change)).await.map(|()| None)
                }
            };
            match step {
                Ok(None) => {}
                // Waiting for room holds back this connection's own operations (a replay
                // goes at the client's pace); shared executions never wait on it.
                Ok(Some(message)) => tokio::select! {
                    sent = writer.send(Message::Text(message.into())) => {
                        // The socket failed.
                        if sent.is_err() {
                            break Close::new(close::NORMAL, "");
                        }
                    }
                    _ = overflow.cancelled() => break too_slow(),
                    _ = shutdown.cancelled() => break Close::new(close::GOING_AWAY, "server shutting down"),
                },
                Err(close) => break close,
            }
        };
        for (_, (_, operation)) in self.operations.drain() {
            operation.stop();
        }
        let _ = close_writer.send(Closing {
            frame: (closing.0 != close::NORMAL || !closing.1.is_empty())
                .then(|| close_message(closing.0, &closing.1)),
            // Too slow: what it has not read yet is dropped; it resumes with `after`.
            abandon: closing.0 == close::TRY_AGAIN_LATER,
        });
        drop(writer);
        drop(self);
        // A socket nobody reads is not waited for.
        if tokio::time::timeout(CLOSE_GRACE, &mut writing)
            .await
            .is_err()
        {
            writing.abort();
        }
    }

    /// One client message: an answer to send, nothing, or the reason to close.
    async fn receive(&mut self, text: &str) -> Result<Option<Value>, Close> {
        let invalid = || Close::new(close::INVALID_MESSAGE, "Invalid message received");
        let message: Value = serde_json::from_str(text).map_err(|_| invalid())?;
        let kind = message
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(invalid)?;
        match (self.protocol, kind) {
            (_, "connection_init") => self.init(message.get("payload")).await,
            (Protocol::Transport, "ping") => Ok(Some(json!({ "type": "pong" }))),
            (Protocol::Transport, "pong") => Ok(None),
            (Protocol::Transport, "subscribe") | (Protocol::Legacy, "start") => {
                self.subscribe(&message).map(|()| None)
            }
            (Protocol::Transport, "complete") | (Protocol::Legacy, "stop") => {
                let id = message
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(invalid)?;
                let stopped = self.operations.remove(id);
                let was_running = stopped.is_some();
                if let Some((_, operation)) = stopped {
                    operation.stop();
                }
                // The legacy protocol confirms a stop; the current one does not.
                Ok((self.protocol == Protocol::Legacy && was_running)
                    .then(|| json!({ "type": "complete", "id": id })))
            }
            (Protocol::Legacy, "connection_terminate") => {
                Err(Close::new(close::NORMAL, "terminated"))
            }
            _ => Err(invalid()),
        }
    }

    async fn init(&mut self, payload: Option<&Value>) -> Result<Option<Value>, Close> {
        if self.init_received {
            return Err(Close::new(
                close::TOO_MANY_INITIALISATIONS,
                "Too many initialisation requests",
            ));
        }
        self.init_received = true;
        let token = payload
            .and_then(Value::as_object)
            .and_then(|p| {
                p.iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
                    .and_then(|(_, value)| value.as_str())
            })
            .and_then(super::bearer_token);
        let actor = match token {
            Some(token) => self.authenticate(token).await?,
            None => None,
        };
        let (Some(token), Some(actor)) = (token, actor) else {
            return Err(forbidden(
                "connection_init needs {\"authorization\": \"Bearer <token>\"} with a valid token",
            ));
        };
        self.identity = Some(Identity {
            token: token.to_owned(),
            principal: actor.principal.clone(),
            actor: watch::Sender::new(Arc::new(actor)),
        });
        Ok(Some(json!({ "type": "connection_ack" })))
    }

    async fn authenticate(&self, token: &str) -> Result<Option<Actor>, Close> {
        accounts::authenticate(&self.http.state, token)
            .await
            .map_err(|error| {
                let id = crate::error::report(&error);
                Close::new(1011, format!("internal error {id}"))
            })
    }

    /// A signal that someone's rights may have shrunk.
    async fn recheck(&mut self, change: AccessChange) -> Result<(), Close> {
        let Some(identity) = &self.identity else {
            return Ok(());
        };
        if !concerns(change, &identity.principal) {
            return Ok(());
        }
        let token = identity.token.clone();
        match self.authenticate(&token).await? {
            Some(actor) => {
                // A fresh actor, read with fresh memberships; every subscription re-checks.
                if let Some(identity) = &self.identity {
                    identity.actor.send_replace(Arc::new(actor));
                }
                Ok(())
            }
            None => Err(forbidden("the token was revoked or expired")),
        }
    }

    fn subscribe(&mut self, message: &Value) -> Result<(), Close> {
        let invalid = || Close::new(close::INVALID_MESSAGE, "Invalid message received");
        let Some(identity) = &self.identity else {
            return Err(Close::new(close::UNAUTHORIZED, "Unauthorized"));
        };
        let id = message
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(invalid)?
            .to_owned();
        let params = message
            .get("payload")
            .and_then(|payload| params_from_json(payload).ok())
            .ok_or_else(invalid)?;
        if self.operations.contains_key(&id) {
            return Err(Close::new(
                close::DUPLICATE_SUBSCRIBER,
                format!("Subscriber for {id} already exists"),
            ));
        }
        self.generation += 1;
        let generation = self.generation;
        let outgoing = self.outgoing.clone();
        if self.operations.len() >= MAX_OPERATIONS {
            let errors = vec![request_error(with_code(
                format!("at most {MAX_OPERATIONS} operations per connection"),
                "LIMIT_EXCEEDED",
            ))];
            let _ = outgoing.try_send(Outgoing::Error {
                id: id.into(),
                generation,
                errors: serialised(&errors),
            });
            return Ok(());
        }
        let (query, operation_name, variables) = params.parts();
        if let Some(key) = GroupKey::of(&identity.principal, query, operation_name, variables) {
            let next = match self.protocol {
                Protocol::Transport => "next",
                Protocol::Legacy => "data",
            };
            let member = Member {
                outgoing,
                writer: self.writer.clone(),
                next,
                id: id.as_str().into(),
                generation,
                overflow: self.overflow.clone(),
            };
            let membership =
                self.http
                    .shared
                    .join(key, member, &self.http, &identity.principal, params);
            self.operations
                .insert(id, (generation, Running::Shared(membership)));
            return Ok(());
        }
        let operation = Operation {
            id: id.as_str().into(),
            generation,
            params,
            // One password check per operation, as per HTTP request.
            attempt: Arc::new(PasswordAttempt::new(self.client)),
        };
        let session = LiveSession(identity.actor.subscribe());
        let actor = identity.actor.borrow().clone();
        let task = tokio::spawn(operation.run(self.http.clone(), actor, session, outgoing));
        self.operations
            .insert(id, (generation, Running::Alone(task.abort_handle())));
        Ok(())
    }

    /// A result of an operation, as sent, if the operation is still the one with that id.
    fn deliver(&mut self, result: Outgoing) -> Option<String> {
        let current = |id: &str, generation: u64| {
            self.operations
                .get(id)
                .is_some_and(|(current, _)| *current == generation)
        };
        let (next, error) = match self.protocol {
            Protocol::Transport => ("next", "error"),
            Protocol::Legacy => ("data", "error"),
        };
        match result {
            Outgoing::Next {
                id,
                generation,
                payload,
            } => current(&id, generation).then(|| server_message(next, &id, &payload)),
            Outgoing::Error {
                id,
                generation,
                errors,
            } => {
                if !current(&id, generation) && self.operations.contains_key(&*id) {
                    return None;
                }
                if let Some((_, operation)) = self.operations.remove(&*id) {
                    operation.stop();
                }
                Some(server_message(error, &id, &errors))
            }
            Outgoing::Complete { id, generation } => {
                if !current(&id, generation) {
                    return None;
                }
                if let Some((_, operation)) = self.operations.remove(&*id) {
                    operation.stop();
                }
                Some(json!({ "type": "complete", "id": &*id }).to_string())
            }
        }
    }
}

/// A message around a payload serialised already (once for all who share it).
fn server_message(kind: &str, id: &str, payload: &str) -> String {
    let id = serde_json::to_string(id).unwrap_or_default();
    format!(r#"{{"type":"{kind}","id":{id},"payload":{payload}}}"#)
}

fn serialised(payload: &impl Serialize) -> Arc<str> {
    serde_json::to_string(payload).unwrap_or_default().into()
}

/// Whether a signal that rights may have shrunk concerns this principal.
fn concerns(change: AccessChange, principal: &Principal) -> bool {
    match (change, principal) {
        (AccessChange::Everyone, _) => true,
        (AccessChange::Account(id), Principal::Account { account_id, .. }) => id == *account_id,
        (AccessChange::ApiToken(id), Principal::ApiToken { token_id, .. }) => id == *token_id,
        _ => false,
    }
}

/// How the writer ends: the close frame, if any, and whether what is queued still goes.
struct Closing {
    frame: Option<Message>,
    abandon: bool,
}

/// The socket's writer: sends what the connection queued, then the close; a close that
/// abandons the queue is sent after the message in flight.
async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut queue: mpsc::Receiver<Message>,
    mut closing: tokio::sync::oneshot::Receiver<Closing>,
) {
    let frame = loop {
        let message = tokio::select! {
            biased;
            close = &mut closing => {
                let Ok(close) = close else { break None };
                if !close.abandon {
                    while let Ok(message) = queue.try_recv() {
                        if sink.feed(message).await.is_err() {
                            return;
                        }
                    }
                }
                break close.frame;
            }
            message = queue.recv() => message,
        };
        // None: the connection is closing; its close is on the way.
        if let Some(message) = message
            && sink.send(message).await.is_err()
        {
            return;
        }
    };
    if let Some(frame) = frame {
        let _ = sink.send(frame).await;
    }
    let _ = sink.close().await;
}

/// Closing for a refused identity; the legacy protocol has no close codes of its own, so it
/// uses the same one (its clients see the reason in the close frame).
fn forbidden(reason: &str) -> Close {
    Close::new(close::FORBIDDEN, reason)
}

struct Operation {
    id: Arc<str>,
    generation: u64,
    params: Params,
    attempt: Arc<PasswordAttempt>,
}

impl Operation {
    async fn run(
        self,
        http: HttpState,
        actor: Arc<Actor>,
        session: LiveSession,
        outgoing: mpsc::Sender<Outgoing>,
    ) {
        let Operation {
            id,
            generation,
            params,
            attempt,
        } = self;
        let fail = |errors: Vec<ServerError>| Outgoing::Error {
            id: id.clone(),
            generation,
            errors: serialised(&errors),
        };
        let request = request_data(params.into_request(), actor, attempt, ResponseWriter::Serde)
            .data(session);
        let mut responses = http.schema.execute_stream(request);
        let mut first = true;
        while let Some(response) = responses.next().await {
            let failed = response.data == async_graphql::Value::Null && !response.errors.is_empty();
            // Refused before the first result (invalid, not found, forbidden): `error`.
            if first && failed {
                let _ = outgoing.send(fail(response.errors)).await;
                return;
            }
            first = false;
            http.state.metrics.live_executions.inc();
            let next = Outgoing::Next {
                id: id.clone(),
                generation,
                payload: serialised(&response),
            };
            if outgoing.send(next).await.is_err() {
                return;
            }
        }
        let _ = outgoing.send(Outgoing::Complete { id, generation }).await;
    }
}
