//! A minimal SMTP server on loopback that accepts every message, so a test can read the
//! reply address the app's email to a party carries.

use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// One accepted message: its recipients and its bytes.
#[derive(Debug, Clone)]
pub struct Sent {
    pub rcpt_to: Vec<String>,
    pub raw: Vec<u8>,
}

pub struct MailSink {
    port: u16,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl MailSink {
    pub async fn start() -> MailSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let port = listener.local_addr().expect("the sink's address").port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&sent);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, Arc::clone(&keep)));
            }
        });
        MailSink { port, sent }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The `Reply-To` address of the email sent to `to`, once one has arrived.
    pub fn reply_address_of_mail_to(&self, to: &str) -> Option<String> {
        let sent = self.sent.lock().expect("sink lock").clone();
        let mail = sent.iter().find(|m| m.rcpt_to.iter().any(|r| r == to))?;
        let parsed = mail_parser::MessageParser::default()
            .parse(&mail.raw)
            .expect("the app's email parses");
        parsed
            .reply_to()
            .and_then(|r| r.first())
            .and_then(|a| a.address())
            .map(str::to_owned)
    }
}

async fn session(stream: TcpStream, sent: Arc<Mutex<Vec<Sent>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "RCPT" => {
                let address = line
                    .split_once('<')
                    .and_then(|(_, rest)| rest.split_once('>'))
                    .map(|(address, _)| address.to_owned())
                    .unwrap_or_default();
                rcpt_to.push(address);
                b"250 ok\r\n"
            }
            "DATA" => {
                write.write_all(b"354 go on\r\n").await?;
                let mut raw = Vec::new();
                let mut data = Vec::new();
                loop {
                    data.clear();
                    if read.read_until(b'\n', &mut data).await? == 0 {
                        return Ok(());
                    }
                    if data == b".\r\n" {
                        break;
                    }
                    raw.extend_from_slice(data.strip_prefix(b".").unwrap_or(&data));
                }
                sent.lock().expect("sink lock").push(Sent {
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    raw,
                });
                b"250 queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            "RSET" => {
                rcpt_to.clear();
                b"250 ok\r\n"
            }
            _ => b"250 ok\r\n",
        };
        write.write_all(reply).await?;
    }
}
