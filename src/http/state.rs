//! Everything a handler needs, built once by the application and shared by every worker.

use std::sync::Arc;

use crate::{
    channels::{ack_link::AckKey, webhook::WebhookSender},
    config::Settings,
    domain::{correspondence::ReplyKey, directory::Directory, token::LinkKey},
    http::{desk::SignInLimits, extract::csrf::CsrfKey},
    usecases::correspondence::MailWriter,
    usecases::directory::DirectoryCache,
    usecases::{Database, FileStore},
    usecases::{desk_counters::CounterCache, intake::Intake, outbox::Outbox},
};

/// Everything a handler needs, wired once.
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub intake: Intake,
    pub outbox: Outbox,
    pub ack: AckKey,
    pub csrf: CsrfKey,
    pub files: FileStore,
    pub sign_in: SignInLimits,
    pub counters: CounterCache,
    /// The directory's current snapshot, reloaded on change.
    pub directory: DirectoryCache,
    /// Sends an endpoint's test event, and checks endpoint URLs with its network guard.
    pub webhooks: WebhookSender,
    /// Derives the tokens of members' sign-in links.
    pub links: LinkKey,
    /// Budgets of members' sign-in link requests.
    pub member_sign_in: crate::http::member::register::SignInLimits,
    /// Seals and opens the tokens of reply addresses.
    pub reply: ReplyKey,
    /// Stores inbound mail.
    pub mail: MailWriter,
}

impl AppState {
    /// What the inbound mail pipeline needs, with the directory snapshot `dir`.
    pub fn mailroom<'a>(
        &'a self,
        dir: &'a Directory,
    ) -> crate::usecases::correspondence::Mailroom<'a> {
        crate::usecases::correspondence::Mailroom {
            db: &self.db,
            settings: &self.settings,
            dir,
            outbox: &self.outbox,
            files: &self.files,
            reply: &self.reply,
            writer: &self.mail,
        }
    }

    pub fn notify(&self) -> crate::usecases::incident::Notify<'_> {
        crate::usecases::incident::Notify {
            settings: &self.settings,
            dir: self.directory.current(),
            outbox: &self.outbox,
        }
    }
}
