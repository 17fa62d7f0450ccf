//! I/O with the outside, no database and no rules: webhooks (signature, network guard), email
//! (render, formats, SMTP) and the signed acknowledge links they carry, mailgate's hand-in, and
//! the IMAP mailbox that hosted mail is polled from.

pub mod ack_link;
pub mod email;
pub mod email_channel;
pub mod guard;
pub mod imap;
pub mod mailgate;
pub mod member_mail;
pub mod signature;
pub mod webhook;
