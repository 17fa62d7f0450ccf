//! The receiving end of `delivery-bench`, in a process of its own so that the server's
//! figures never include it: an HTTP/1.1 webhook receiver that answers 204 (keep-alive), a
//! minimal SMTP sink that accepts every message, and a port that accepts connections and
//! never answers. Each webhook and each email is recorded on arrival: the wall-clock time
//! (nanoseconds since the Unix epoch), its id (`webhook-id`, or the order of the email)
//! and the number of the incident it is about (from the page address `page.<n>`).
//!
//! It prints `http <port>`, `smtp <port>` and `hang <port>`, then takes commands on stdin,
//! one per line: `count` prints the webhooks and emails received so far; `dump <path>`
//! writes every record as `<kind> <nanos> <incident> <id>` lines and prints `ok`;
//! `reset` forgets them. It exits when stdin closes.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Webhook,
    Email,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::Email => "email",
        }
    }
}

struct Record {
    kind: Kind,
    nanos: u128,
    incident: i64,
    id: String,
}

type Records = Arc<Mutex<Vec<Record>>>;

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The `n` of the first `page.<n>` in `bytes`; -1 without one.
fn incident_number(bytes: &[u8]) -> i64 {
    const MARK: &[u8] = b"page.";
    bytes
        .windows(MARK.len())
        .position(|w| w == MARK)
        .map(|at| {
            bytes[at + MARK.len()..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .fold(0i64, |n, b| n * 10 + i64::from(b - b'0'))
        })
        .unwrap_or(-1)
}

fn record(records: &Records, kind: Kind, incident: i64, id: String) {
    let nanos = now_nanos();
    if let Ok(mut records) = records.lock() {
        records.push(Record {
            kind,
            nanos,
            incident,
            id,
        });
    }
}

async fn serve_http(mut socket: TcpStream, records: Records) {
    let _ = socket.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_owned())
        };
        let length: usize = header("content-length:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + 4 + length {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = &buf[head_end + 4..head_end + 4 + length];
        if header("webhook-signature:").is_some_and(|s| s.starts_with("v1,")) {
            let id = header("webhook-id:").unwrap_or_default();
            record(&records, Kind::Webhook, incident_number(body), id);
        }
        buf.drain(..head_end + 4 + length);
        if socket
            .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Enough of SMTP for a client that sends plain messages: every command is accepted.
async fn serve_smtp(socket: TcpStream, records: Records, counter: Arc<Mutex<u64>>) {
    let _ = socket.set_nodelay(true);
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = String::from_utf8_lossy(&line).to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if command.starts_with("DATA") {
            if write.write_all(b"354 go on\r\n").await.is_err() {
                return;
            }
            let mut message = Vec::new();
            loop {
                line.clear();
                match lines.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == b".\r\n" || line == b".\n" {
                    break;
                }
                message.extend_from_slice(&line);
            }
            let n = counter.lock().map_or(0, |mut c| {
                *c += 1;
                *c
            });
            record(
                &records,
                Kind::Email,
                incident_number(&message),
                n.to_string(),
            );
            b"250 queued\r\n"
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

fn dump(records: &Records, path: &str) -> std::io::Result<()> {
    let records = records.lock().map_err(|_| std::io::Error::other("lock"))?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for r in records.iter() {
        writeln!(out, "{} {} {} {}", r.kind.name(), r.nanos, r.incident, r.id)?;
    }
    out.flush()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let records: Records = Arc::default();
    let http = TcpListener::bind("127.0.0.1:0").await?;
    let smtp = TcpListener::bind("127.0.0.1:0").await?;
    let hang = TcpListener::bind("127.0.0.1:0").await?;
    println!("http {}", http.local_addr()?.port());
    println!("smtp {}", smtp.local_addr()?.port());
    println!("hang {}", hang.local_addr()?.port());
    let r = records.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = http.accept().await {
            tokio::spawn(serve_http(socket, r.clone()));
        }
    });
    let r = records.clone();
    tokio::spawn(async move {
        let counter = Arc::new(Mutex::new(0u64));
        while let Ok((socket, _)) = smtp.accept().await {
            tokio::spawn(serve_smtp(socket, r.clone(), counter.clone()));
        }
    });
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hang.accept().await {
            held.push(socket);
        }
    });
    let mut commands = BufReader::new(tokio::io::stdin()).lines();
    while let Some(command) = commands.next_line().await? {
        let command = command.trim();
        if command == "count" {
            let (hooks, mails) = records.lock().map_or((0, 0), |r| {
                let hooks = r.iter().filter(|r| r.kind == Kind::Webhook).count();
                (hooks, r.len() - hooks)
            });
            println!("{hooks} {mails}");
        } else if let Some(path) = command.strip_prefix("dump ") {
            dump(&records, path.trim())?;
            println!("ok");
        } else if command == "reset" {
            if let Ok(mut r) = records.lock() {
                r.clear();
            }
            println!("ok");
        } else {
            println!("unknown command");
        }
    }
    Ok(())
}
