//! A real SMTP server on loopback for tests: speaks enough of RFC 5321 for lettre, keeps
//! what it receives, and can be stopped and started again on the same port.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub recipients: Vec<String>,
    pub data: Vec<u8>,
}

pub struct SmtpServer {
    pub address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl SmtpServer {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    pub async fn start_on(address: SocketAddr) -> Self {
        let listener = TcpListener::bind(address).await.expect("bind SMTP");
        let address = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, store.clone()));
            }
        });
        Self {
            address,
            received,
            task,
        }
    }

    /// A port nobody listens on now (for "the SMTP server is down").
    pub async fn free_address() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {count} emails, got {}", self.received().len());
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: TcpStream, store: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let reply = async |write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str| {
        write.write_all(text.as_bytes()).await.is_ok()
    };
    if !reply(&mut write, "220 test.local ESMTP\r\n").await {
        return;
    }
    let (mut from, mut recipients) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") {
            "250-test.local\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".to_owned()
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 OK\r\n".to_owned()
        } else if upper.starts_with("RSET") {
            from.clear();
            recipients.clear();
            "250 OK\r\n".to_owned()
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().trim_matches(['<', '>']).to_owned();
            "250 OK\r\n".to_owned()
        } else if upper.starts_with("RCPT TO:") {
            let recipient = command[8..].trim().trim_matches(['<', '>']).to_owned();
            // A mailbox that does not exist, for tests of permanent failures.
            if recipient.starts_with("rejected@") {
                "550 5.1.1 no such mailbox\r\n".to_owned()
            } else {
                recipients.push(recipient);
                "250 OK\r\n".to_owned()
            }
        } else if upper == "DATA" {
            if !reply(&mut write, "354 end with <CRLF>.<CRLF>\r\n").await {
                return;
            }
            let mut data = Vec::new();
            loop {
                let mut chunk = String::new();
                if lines.read_line(&mut chunk).await.unwrap_or(0) == 0 {
                    return;
                }
                if chunk == ".\r\n" {
                    break;
                }
                // Undo dot-stuffing.
                let chunk = chunk
                    .strip_prefix('.')
                    .filter(|_| chunk.starts_with(".."))
                    .unwrap_or(&chunk);
                data.extend_from_slice(chunk.as_bytes());
            }
            store.lock().unwrap().push(Received {
                from: std::mem::take(&mut from),
                recipients: std::mem::take(&mut recipients),
                data,
            });
            "250 OK queued\r\n".to_owned()
        } else if upper.starts_with("QUIT") {
            let _ = reply(&mut write, "221 bye\r\n").await;
            return;
        } else {
            "502 not implemented\r\n".to_owned()
        };
        if !reply(&mut write, &answer).await {
            return;
        }
    }
}
