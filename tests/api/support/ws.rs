//! A WebSocket GraphQL client for tests: `graphql-transport-ws` (or the legacy
//! `graphql-ws`) over a real socket.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use super::TestApp;

pub const TRANSPORT: &str = "graphql-transport-ws";
pub const LEGACY: &str = "graphql-ws";

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
}

/// What the server did next.
#[derive(Debug)]
pub enum Received {
    Message(Value),
    Closed(Option<u16>),
}

impl TestApp {
    /// Opens a socket offering `protocol`, with an optional `Origin`.
    pub async fn ws_connect(
        &self,
        protocol: Option<&str>,
        origin: Option<&str>,
    ) -> Result<WsClient, tokio_tungstenite::tungstenite::Error> {
        WsClient::connect(&self.address, protocol, origin).await
    }

    /// A `graphql-transport-ws` connection, initialised and acknowledged.
    pub async fn ws(&self, token: &str) -> WsClient {
        WsClient::initialised(&self.address, token).await
    }

    /// Waits until this process follows at least `n` subscriptions (its `/metrics`), so an
    /// event caused now reaches them.
    pub async fn wait_for_subscribers(&self, n: usize) {
        wait_for_subscribers(&self.address, n).await
    }

    /// A counter or gauge of `/metrics` (0 when absent).
    pub async fn metric(&self, name: &str) -> f64 {
        let metrics = reqwest::get(format!("{}/metrics", self.address))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// A `graphql-transport-ws` connection, initialised, whose socket takes in little at a
    /// time: a client that stops reading stalls the server's writes to it quickly.
    pub async fn ws_small_window(&self, token: &str) -> WsClient {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(2048).unwrap();
        let address = self.address.trim_start_matches("http://");
        let stream = socket.connect(address.parse().unwrap()).await.unwrap();
        let url = format!("ws://{address}/graphql/ws");
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static(TRANSPORT),
        );
        let (socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
        let mut client = WsClient { socket };
        client.init(token).await;
        assert_eq!(client.message().await["type"], "connection_ack");
        client
    }
}

/// Waits until the server at `address` follows at least `n` subscriptions.
pub async fn wait_for_subscribers(address: &str, n: usize) {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = client
            .get(format!("{address}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let current = metrics
            .lines()
            .find_map(|l| l.strip_prefix("introgate_live_subscribers "))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if current >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{current} of {n} subscribers after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl WsClient {
    /// Opens a socket to the server at `address` (`http://host:port`).
    pub async fn connect(
        address: &str,
        protocol: Option<&str>,
        origin: Option<&str>,
    ) -> Result<WsClient, tokio_tungstenite::tungstenite::Error> {
        let url = format!("{}/graphql/ws", address.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        if let Some(protocol) = protocol {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(protocol).unwrap(),
            );
        }
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        let (socket, _) = connect_async(request).await?;
        Ok(WsClient { socket })
    }

    pub async fn initialised(address: &str, token: &str) -> WsClient {
        let mut client = Self::connect(address, Some(TRANSPORT), None)
            .await
            .expect("connect");
        client.init(token).await;
        assert_eq!(client.message().await["type"], "connection_ack");
        client
    }
}

impl WsClient {
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.to_owned().into()))
            .await
            .expect("send");
    }

    pub async fn init(&mut self, token: &str) {
        self.send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next text message or the close, answering pings; fails after 10 s.
    pub async fn receive_within(&mut self, limit: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match next {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON message");
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    if value["type"] == "ka" {
                        continue;
                    }
                    return Some(Received::Message(value));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(Received::Closed(frame.map(|f| u16::from(f.code))));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Received::Closed(None)),
            }
        }
    }

    pub async fn receive(&mut self) -> Received {
        self.receive_within(Duration::from_secs(10))
            .await
            .expect("nothing from the server within 10 s")
    }

    /// The next message; fails on a close.
    pub async fn message(&mut self) -> Value {
        match self.receive().await {
            Received::Message(message) => message,
            Received::Closed(code) => panic!("closed ({code:?}) instead of a message"),
        }
    }

    /// The next `next` payload's data for operation `id`.
    pub async fn next_data(&mut self, id: &str) -> Value {
        let message = self.message().await;
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], id, "{message}");
        assert!(message["payload"].get("errors").is_none(), "{message}");
        message["payload"]["data"].clone()
    }

    /// Waits for the server to close the socket; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        match self.receive().await {
            Received::Closed(code) => code,
            Received::Message(message) => panic!("expected a close, got {message}"),
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
