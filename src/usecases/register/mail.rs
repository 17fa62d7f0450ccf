//! The member mail queue: sign-in links, declaration requests and their reminders. The
//! dispatcher claims due mails under a lease, the channel renders and sends each, and the
//! outcome is recorded here: delivered, tried again on the dispatcher's schedule, or
//! failed for good. A mail whose link was spent or expired meanwhile is not sent.

use chrono::{DateTime, TimeDelta, Utc};

use super::{LinkKey, delta};
use crate::{
    config::Settings,
    domain::{
        Locale,
        delivery::{DeliveryStatus, SendOutcome},
        register::MailJob,
    },
    storage::{Database, DbErr, register as store},
};

/// Most mails claimed in one step.
const CLAIM: u64 = 32;

/// Claims due mails and makes them ready to send; mails that cannot go any more (their
/// link spent or expired, their member gone) are failed on the way.
pub async fn claim(
    db: &Database,
    key: &LinkKey,
    settings: &Settings,
    committee_name: impl Fn(&str, Locale) -> String,
    now: DateTime<Utc>,
) -> Result<Vec<MailJob>, DbErr> {
    let lease = now
        + delta(settings.dispatcher.lease)
        + TimeDelta::from_std(settings.email.timeout).unwrap_or(TimeDelta::seconds(30));
    let tx = db.begin_write().await?;
    let claimed = store::claim_mails(&*tx, now, lease, CLAIM).await?;
    let mut jobs = Vec::with_capacity(claimed.len());
    for mail in claimed {
        let member = store::member(&*tx, mail.member_id).await?;
        let link = match mail.link_id {
            Some(id) => store::link(&*tx, id).await?,
            None => None,
        };
        let request = match mail.request_id {
            Some(id) => store::request_in(&*tx, &crate::storage::Scope::All, id).await?,
            None => None,
        };
        let usable = link
            .as_ref()
            .is_some_and(|l| l.used_at.is_none() && l.expires_at > now);
        let Some(member) = member.filter(|_| usable) else {
            store::record_mail(
                &*tx,
                mail.id,
                DeliveryStatus::Failed,
                mail.attempts,
                now,
                Some("the link was used or expired before the mail could be sent".to_owned()),
                now,
            )
            .await?;
            continue;
        };
        let link = link.expect("usable link");
        jobs.push(MailJob {
            id: mail.id,
            attempts: mail.attempts,
            kind: mail.kind,
            to: member.email.clone(),
            locale: member.locale,
            link: Some(format!(
                "{}/me/link/{}",
                settings.public_base_url.trim_end_matches('/'),
                key.token(link.id)
            )),
            link_expires_at: Some(link.expires_at),
            committee: request
                .as_ref()
                .map(|r| committee_name(&r.committee_id, member.locale)),
            deadline: request.as_ref().map(|r| r.deadline),
            message: request
                .as_ref()
                .map(|r| r.message.clone())
                .filter(|m| !m.is_empty()),
        });
    }
    tx.commit().await?;
    Ok(jobs)
}

/// Writes down what sending `job` came to.
pub async fn record(
    db: &Database,
    settings: &Settings,
    job: &MailJob,
    outcome: &SendOutcome,
    now: DateTime<Utc>,
) -> Result<DeliveryStatus, DbErr> {
    let attempts = job.attempts + 1;
    let (status, next, error) = match outcome {
        SendOutcome::Delivered { .. } => (DeliveryStatus::Delivered, now, None),
        SendOutcome::Failed { error: e, .. } => (DeliveryStatus::Failed, now, Some(e.clone())),
        SendOutcome::Gone { reply: e } | SendOutcome::Refused { reason: e } => {
            (DeliveryStatus::Failed, now, Some(e.clone()))
        }
        SendOutcome::Retry { error: e, .. } => {
            match settings
                .dispatcher
                .schedule
                .get(usize::try_from(attempts).unwrap_or(usize::MAX))
            {
                Some(wait) => (
                    DeliveryStatus::Pending,
                    now + delta(wait.0),
                    Some(e.clone()),
                ),
                None => (DeliveryStatus::Failed, now, Some(e.clone())),
            }
        }
    };
    let tx = db.begin_write().await?;
    store::record_mail(&*tx, job.id, status, attempts, next, error, now).await?;
    tx.commit().await?;
    Ok(status)
}
