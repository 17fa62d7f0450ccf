//! Importing a directory file, and seeding an empty directory from the config. An import
//! is idempotent: a second run of the same file changes nothing and says so.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{DirectoryCache, Writes, store_writes};
use crate::{
    config::{DirectoryFile, Settings, party_rows},
    domain::{
        Actor,
        directory::{
            ChangeAction, ChangeSubject, DirectoryChange, Disabled, ImportPlan, endpoint_record,
            party_record, routing_record,
        },
    },
    storage::{Database, DbErr, directory as store, disabled_endpoints},
};

/// What an import did, or would do on a dry run.
pub struct ImportReport {
    pub plan: ImportPlan,
    /// Parties in the directory that the file does not name; an import never removes.
    pub not_in_file: usize,
    pub applied: bool,
}

/// The writes and audit records of a plan.
fn writes_of(plan: &ImportPlan, actor: &Actor, now: DateTime<Utc>) -> Writes {
    let mut w = Writes::default();
    for planned in plan.created.iter().chain(&plan.changed) {
        let after = &planned.after;
        let before = planned.before.as_ref();
        let record = party_record(after);
        match before {
            None => w.changes.push(
                DirectoryChange::new(
                    actor,
                    now,
                    ChangeSubject::Party,
                    &after.id,
                    Some(&after.id),
                    ChangeAction::Created,
                )
                .after(record),
            ),
            Some(b) if party_record(b) != record => w.changes.push(
                DirectoryChange::new(
                    actor,
                    now,
                    ChangeSubject::Party,
                    &after.id,
                    Some(&after.id),
                    ChangeAction::Updated,
                )
                .before(party_record(b))
                .after(record),
            ),
            Some(_) => {}
        }
        let old: HashMap<&str, _> = before
            .map(|b| b.endpoints.iter().map(|e| (e.id.as_str(), e)).collect())
            .unwrap_or_default();
        for e in &after.endpoints {
            let change = |action| {
                DirectoryChange::new(
                    actor,
                    now,
                    ChangeSubject::Endpoint,
                    &e.id,
                    Some(&after.id),
                    action,
                )
            };
            match old.get(e.id.as_str()) {
                None => w
                    .changes
                    .push(change(ChangeAction::Created).after(endpoint_record(e))),
                Some(o) => {
                    use secrecy::ExposeSecret;
                    let rotated = o.secret.expose_secret() != e.secret.expose_secret();
                    if rotated || endpoint_record(o) != endpoint_record(e) {
                        let action = if rotated {
                            ChangeAction::SecretRotated
                        } else {
                            ChangeAction::Updated
                        };
                        w.changes.push(
                            change(action)
                                .before(endpoint_record(o))
                                .after(endpoint_record(e)),
                        );
                    }
                }
            }
            w.endpoints.push(e.clone());
        }
        w.parties.push(after.clone());
    }
    if let Some((before, after)) = &plan.routing {
        w.routing = Some(after.clone());
        w.changes.push(
            DirectoryChange::new(
                actor,
                now,
                ChangeSubject::Routing,
                "routing",
                None,
                ChangeAction::Updated,
            )
            .before(routing_record(before))
            .after(routing_record(after)),
        );
    }
    w
}

/// Plans `file` against the directory and, unless `dry_run` or the plan has errors,
/// applies it in one transaction.
pub async fn import(
    db: &Database,
    cache: &DirectoryCache,
    actor: &Actor,
    file: DirectoryFile,
    dry_run: bool,
) -> Result<ImportReport, DbErr> {
    cache.refresh(db).await?;
    let current = cache.current();
    let now = Utc::now();
    let plan = ImportPlan::new(&current, file.rows, file.routing, now);
    let named = plan.named();
    let not_in_file = current
        .parties()
        .filter(|p| !named.contains(p.id.as_str()))
        .count();
    let apply = !dry_run && plan.errors.is_empty() && !plan.is_empty();
    if apply {
        let writes = writes_of(&plan, actor, now);
        let tx = db.begin_write().await?;
        store_writes(&*tx, &writes).await?;
        tx.commit().await?;
        cache.refresh(db).await?;
    }
    Ok(ImportReport {
        plan,
        not_in_file,
        applied: apply,
    })
}

/// Seeds the directory from the config's `[parties]` and `[routing]` the first time the
/// service starts on a database (also on one whose parties an earlier version mirrored
/// from the config; endpoints it disabled after 410 Gone stay disabled). Once seeded,
/// the config's parties are not read again: the directory is managed as data.
pub async fn seed_if_empty(db: &Database, settings: &Settings) -> anyhow::Result<bool> {
    if store::version(db.conn()).await?.is_some() {
        return Ok(false);
    }
    let now = Utc::now();
    let tx = db.begin_write().await?;
    if !store::mark_seeded(&*tx, now).await? {
        return Ok(false);
    }
    let current = store::load(&*tx).await?;
    let mut plan = ImportPlan::new(
        &current,
        party_rows(&settings.parties),
        Some(settings.routing.clone()),
        now,
    );
    anyhow::ensure!(
        plan.errors.is_empty(),
        "the configured parties cannot seed the directory:\n  {}",
        plan.errors.join("\n  ")
    );
    let gone = disabled_endpoints::all_with_reasons(&*tx).await?;
    for planned in plan.created.iter_mut().chain(plan.changed.iter_mut()) {
        for e in &mut planned.after.endpoints {
            if let Some((reason, at)) = gone.get(&e.url) {
                e.disabled = Some(Disabled {
                    reason: reason.clone(),
                    at: *at,
                });
            }
        }
    }
    let writes = writes_of(&plan, &Actor::system(), now);
    store_writes(&*tx, &writes).await?;
    tx.commit().await?;
    tracing::info!(
        parties = plan.created.len() + plan.changed.len(),
        "directory seeded from the configuration"
    );
    Ok(true)
}
