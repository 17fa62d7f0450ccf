//! One inbound mail, read from its raw RFC 5322 bytes with mail-parser: who sent it, to
//! which address, which of our messages it answers, whether a person wrote it, and what it
//! says. HTML-only mail is turned into text by mail-parser's own converter.

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use super::MailKind;

/// Longest text kept from one mail (the raw message is kept whole beside it).
const MAX_TEXT_CHARS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("the body is not an RFC 5322 message: no header could be read")]
    NotAMessage,
    #[error("the message has no From address")]
    NoSender,
}

/// A delivery status notification (RFC 3464) about one of our messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    /// Message-IDs of the message that could not be delivered, without angle brackets.
    pub original_ids: Vec<String>,
    /// `Action: failed` with a 5.x.x status: the mail will never arrive.
    pub permanent: bool,
    /// The status code, such as `5.1.1`.
    pub status: Option<String>,
    pub recipient: Option<String>,
    /// The remote server's words.
    pub diagnostic: Option<String>,
}

/// A file attached to a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub name: String,
    pub bytes: bytes::Bytes,
}

/// What the pipeline needs of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// Hex SHA-256 of the raw bytes.
    pub sha256: String,
    /// The From address, in lower case.
    pub from: String,
    pub from_name: Option<String>,
    /// Every address the mail was sent to: To, Cc, Delivered-To, X-Original-To, in lower case.
    pub recipients: Vec<String>,
    pub subject: String,
    /// `In-Reply-To` first, then `References` from the newest, without angle brackets.
    pub thread_ids: Vec<String>,
    pub kind: MailKind,
    pub dsn: Option<Dsn>,
    pub text: String,
    pub attachments: Vec<MailAttachment>,
    /// The receiving server's `Authentication-Results`, whole.
    pub auth_results: Option<String>,
}

/// Reads one raw message.
pub fn parse_mail(raw: &[u8]) -> Result<InboundMail, MailError> {
    let mut message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
        .ok_or(MailError::NotAMessage)?;
    let (from, from_name) = first_address(message.from()).ok_or(MailError::NoSender)?;
    let dsn = delivery_report(&message);
    let kind = match &dsn {
        Some(report) if report.permanent => MailKind::HardBounce,
        Some(_) => MailKind::SoftBounce,
        None if is_automatic(&message) => MailKind::AutoReply,
        None => MailKind::Reply,
    };
    let mut recipients: Vec<String> = Vec::new();
    for address in [message.to(), message.cc()].into_iter().flatten() {
        recipients.extend(addresses(address).into_iter().map(|(a, _)| a));
    }
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for value in message.header_values(name) {
            if let Some(text) = value.as_text() {
                recipients.push(bare(text));
            }
        }
    }
    recipients.retain(|a| !a.is_empty());
    recipients.dedup();
    let mut thread_ids = ids(message.in_reply_to());
    let mut references = ids(message.references());
    references.reverse();
    thread_ids.extend(references);
    thread_ids.dedup();
    let attachments = if dsn.is_some() {
        Vec::new()
    } else {
        attachments(&mut message)
    };
    Ok(InboundMail {
        message_id: message.message_id().map(str::to_owned),
        sha256: hex::encode(Sha256::digest(raw)),
        from,
        from_name,
        recipients,
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        thread_ids,
        kind,
        dsn,
        text: body_text(&message),
        attachments,
        auth_results: message
            .header_raw("Authentication-Results")
            .map(|raw| raw.split_whitespace().collect::<Vec<_>>().join(" ")),
    })
}

fn bare(address: &str) -> String {
    address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase()
}

fn addresses(address: &Address<'_>) -> Vec<(String, Option<String>)> {
    address
        .iter()
        .filter_map(|a| {
            let email = a.address()?;
            Some((bare(email), a.name().map(str::to_owned)))
        })
        .collect()
}

fn first_address(address: Option<&Address<'_>>) -> Option<(String, Option<String>)> {
    addresses(address?)
        .into_iter()
        .find(|(a, _)| a.contains('@'))
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Out-of-office answers and other mail no person wrote (RFC 3834 and common practice).
fn is_automatic(message: &Message<'_>) -> bool {
    let header = |name: &'static str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if header("Auto-Submitted").is_some_and(|v| !v.starts_with("no")) {
        return true;
    }
    if header("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list")) {
        return true;
    }
    if header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("X-Auto-Response-Suppress").is_some_and(|v| v.contains("all"))
            && header("X-Autoreply").is_some()
    {
        return true;
    }
    let subject = message.subject().unwrap_or_default().to_lowercase();
    [
        "out of office",
        "automatic reply",
        "auto-reply",
        "autoreply",
        "auto:",
        "trả lời tự động",
        "vắng mặt",
    ]
    .iter()
    .any(|marker| subject.contains(marker))
}

/// The delivery-status part of a `multipart/report`, and the message it is about.
fn delivery_report(message: &Message<'_>) -> Option<Dsn> {
    let root = message.root_part();
    let is_report = root.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    if !is_report {
        return None;
    }
    let mut status_text = None;
    let mut original_ids = Vec::new();
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let (ctype, subtype) = (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or_default().to_ascii_lowercase(),
        );
        match (ctype.as_str(), subtype.as_str()) {
            ("message", "delivery-status") | ("message", "global-delivery-status") => {
                status_text = Some(String::from_utf8_lossy(part.contents()).into_owned());
            }
            ("message", "rfc822") | ("message", "global") => {
                if let PartType::Message(original) = &part.body
                    && let Some(id) = original.message_id()
                {
                    original_ids.push(id.to_owned());
                }
            }
            ("text", "rfc822-headers") | ("message", "rfc822-headers") => {
                if let Some(headers) = MessageParser::default().parse_headers(part.contents())
                    && let Some(id) = headers.message_id()
                {
                    original_ids.push(id.to_owned());
                }
            }
            _ => {}
        }
    }
    let status_text = status_text?;
    let field = |name: &str| {
        status_text.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let action = field("Action").unwrap_or_default().to_ascii_lowercase();
    let status = field("Status");
    let permanent = action == "failed" || status.as_deref().is_some_and(|s| s.starts_with('5'));
    let recipient = field("Final-Recipient")
        .or_else(|| field("Original-Recipient"))
        .map(|r| bare(r.rsplit(';').next().unwrap_or_default()));
    original_ids.dedup();
    Some(Dsn {
        original_ids,
        permanent,
        status,
        recipient,
        diagnostic: field("Diagnostic-Code").map(|d| d.chars().take(500).collect()),
    })
}

fn body_text(message: &Message<'_>) -> String {
    let text = message.body_text(0).unwrap_or_default();
    let text = text.replace("\r\n", "\n");
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((at, _)) => text[..at].to_owned(),
        None => text,
    }
}

/// The binary attachments, moved out of the parsed message (they are not read again).
fn attachments(message: &mut Message<'_>) -> Vec<MailAttachment> {
    let ids = message.attachments.clone();
    ids.into_iter()
        .filter_map(|id| {
            let part = message.parts.get_mut(id as usize)?;
            let name = part.attachment_name().unwrap_or("attachment").to_owned();
            match &mut part.body {
                PartType::Binary(bytes) | PartType::InlineBinary(bytes) => Some(MailAttachment {
                    name,
                    bytes: std::mem::take(bytes).into_owned().into(),
                }),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "From: Meta Support <support@meta.example>\r\n\
To: cases+tabc@desk.example.org\r\n\
Subject: Re: [INC-2026-000123] Page hijacked\r\n\
Message-ID: <reply-1@meta.example>\r\n\
In-Reply-To: <ticket-0190@desk.example.org>\r\n\
References: <root@desk.example.org> <ticket-0190@desk.example.org>\r\n\
Authentication-Results: mx.desk.example.org; dmarc=pass header.from=meta.example\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
We restored the page. Case #4411\r\n";

    #[test]
    fn a_reply_is_read() {
        let mail = parse_mail(REPLY.as_bytes()).expect("parses");
        assert_eq!(mail.from, "support@meta.example");
        assert_eq!(mail.from_name.as_deref(), Some("Meta Support"));
        assert_eq!(mail.recipients, vec!["cases+tabc@desk.example.org"]);
        assert_eq!(mail.subject, "Re: [INC-2026-000123] Page hijacked");
        assert_eq!(
            mail.thread_ids,
            vec!["ticket-0190@desk.example.org", "root@desk.example.org"]
        );
        assert_eq!(mail.message_id.as_deref(), Some("reply-1@meta.example"));
        assert_eq!(mail.kind, MailKind::Reply);
        assert!(mail.text.contains("Case #4411"));
        assert!(
            mail.auth_results
                .as_deref()
                .is_some_and(|a| a.contains("dmarc=pass"))
        );
        assert_eq!(mail.sha256.len(), 64);
    }

    #[test]
    fn an_out_of_office_is_automatic() {
        let ooo = REPLY.replace(
            "Content-Type",
            "Auto-Submitted: auto-replied\r\nContent-Type",
        );
        assert_eq!(
            parse_mail(ooo.as_bytes()).expect("parses").kind,
            MailKind::AutoReply
        );
        let bulk = REPLY.replace("Content-Type", "Precedence: bulk\r\nContent-Type");
        assert_eq!(
            parse_mail(bulk.as_bytes()).expect("parses").kind,
            MailKind::AutoReply
        );
    }

    #[test]
    fn a_delivery_report_names_the_failed_message() {
        let dsn = "From: MAILER-DAEMON@mx.example\r\n\
To: cases@desk.example.org\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Auto-Submitted: auto-replied\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain\r\n\
\r\n\
Your message could not be delivered.\r\n\
--b1\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example\r\n\
\r\n\
Final-Recipient: rfc822; abuse@cert.example\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n\
--b1\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
Message-ID: <0190abcd@desk.example.org>\r\n\
Subject: [INC-2026-000123]\r\n\
--b1--\r\n";
        let mail = parse_mail(dsn.as_bytes()).expect("parses");
        assert_eq!(mail.kind, MailKind::HardBounce);
        let report = mail.dsn.expect("a report");
        assert_eq!(report.original_ids, vec!["0190abcd@desk.example.org"]);
        assert_eq!(report.status.as_deref(), Some("5.1.1"));
        assert_eq!(report.recipient.as_deref(), Some("abuse@cert.example"));
        assert!(
            report
                .diagnostic
                .is_some_and(|d| d.contains("no such user"))
        );
        let delayed = dsn
            .replace("Action: failed", "Action: delayed")
            .replace("Status: 5.1.1", "Status: 4.4.1");
        assert_eq!(
            parse_mail(delayed.as_bytes()).expect("parses").kind,
            MailKind::SoftBounce
        );
    }

    #[test]
    fn html_only_mail_becomes_text_and_files_are_kept() {
        let mail = "From: a@b.example\r\n\
Subject: x\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"m\"\r\n\
\r\n\
--m\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>The page is <b>down</b>.</p>\r\n\
--m\r\n\
Content-Type: image/png\r\n\
Content-Disposition: attachment; filename=\"shot.png\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgo=\r\n\
--m--\r\n";
        let parsed = parse_mail(mail.as_bytes()).expect("parses");
        assert!(parsed.text.contains("The page is down."), "{}", parsed.text);
        assert_eq!(parsed.attachments.len(), 1);
        assert_eq!(parsed.attachments[0].name, "shot.png");
        assert_eq!(parsed.attachments[0].bytes[..4], [0x89, b'P', b'N', b'G']);
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(parse_mail(b""), Err(MailError::NotAMessage));
        assert_eq!(
            parse_mail(b"Subject: no sender\r\n\r\nbody"),
            Err(MailError::NoSender)
        );
    }
}
