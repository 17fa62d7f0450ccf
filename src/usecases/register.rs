//! The page register's flows. Members: ask for a one-time sign-in link, spend it, choose
//! their committee, declare / edit / close pages (each change a new version), confirm their
//! declarations (which answers the committee's open requests). Officers, always within
//! their scope: search and read the register, export it, see and confirm their members,
//! add members, send a declaration request with a deadline and follow who answered. The
//! dispatcher: queue each request's one reminder, send the member mail.
//!
//! Sign-in links: the token is HMAC(key, link id), derived again when the mail is sent,
//! so that no usable token is ever stored; the link row keeps its digest, its expiry and
//! when it was spent (once).

pub mod mail;
pub mod report;

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::{
    config::Settings,
    domain::{
        FieldError, Locale,
        access::Officer,
        directory::Directory,
        register::{
            AnswerState, Declaration, DeclarationDraft, MemberMailKind, PageChange, RegisterQuery,
            RequestDraft, answer_state, member_email, reminder_at, today_in_vietnam,
        },
        token,
    },
    storage::{
        Database, DbErr, Scope,
        register::{self as store, NewMail},
    },
};

pub use crate::domain::token::LinkKey;
pub use crate::storage::register::{
    AskedRow, LinkRow, MailRow, MemberRow, PageCursor, PageFilter, PageRow, RequestRow,
    RosterFilter, VersionRow,
};

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// Why an action on the register could not be done.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    /// The declaration changed since the form was opened.
    #[error("the declaration changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<FieldError> for RegisterError {
    fn from(e: FieldError) -> Self {
        RegisterError::Invalid(vec![e])
    }
}

// ---- signing in -------------------------------------------------------------------------

/// Queues a sign-in link for `email`, creating the member when new. The caller answers the
/// same whatever happens here, so that nobody learns whether an address is known.
pub async fn ask_link(
    db: &Database,
    key: &LinkKey,
    settings: &Settings,
    email: &str,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<(), RegisterError> {
    let email = member_email("email", email)?;
    let tx = db.begin_write().await?;
    let member = store::ensure_member(&*tx, &email, locale, None, now).await?;
    let link = new_link(
        key,
        member.id,
        None,
        now + delta(settings.register.link_ttl),
        now,
    );
    let link_id = link.id;
    store::insert_link(&*tx, link).await?;
    store::enqueue_mail(
        &*tx,
        &[NewMail {
            member_id: member.id,
            kind: MemberMailKind::SignIn,
            link_id: Some(link_id),
            request_id: None,
        }],
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn new_link(
    key: &LinkKey,
    member: Uuid,
    request: Option<Uuid>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> LinkRow {
    let id = Uuid::now_v7();
    LinkRow {
        id,
        digest: token::digest(&key.token(id)),
        member_id: member,
        request_id: request,
        created_at: now,
        expires_at,
        used_at: None,
    }
}

/// Why a link does not sign in.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Unknown, used or expired: the member asks for a new one.
    #[error("the link is not valid any more")]
    Spent,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Spends a sign-in link, once: the member it signs in.
pub async fn redeem(
    db: &Database,
    token: &str,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<MemberRow, LinkError> {
    if token.is_empty() || token.len() > 100 {
        return Err(LinkError::Spent);
    }
    let tx = db.begin_write().await?;
    let Some(link) = store::link_by_digest(&*tx, &token::digest(token)).await? else {
        return Err(LinkError::Spent);
    };
    if !store::use_link(&*tx, link.id, now).await? {
        return Err(LinkError::Spent);
    }
    store::touch_sign_in(&*tx, link.member_id, locale, now).await?;
    let member = store::member(&*tx, link.member_id)
        .await?
        .ok_or(LinkError::Spent)?;
    tx.commit().await?;
    Ok(member)
}

/// Whether a link is still worth showing its sign-in button for.
pub async fn link_is_live(db: &Database, token: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    if token.is_empty() || token.len() > 100 {
        return Ok(false);
    }
    Ok(store::link_by_digest(db.conn(), &token::digest(token))
        .await?
        .is_some_and(|l| l.used_at.is_none() && l.expires_at > now))
}

pub async fn member(db: &Database, id: Uuid) -> Result<Option<MemberRow>, DbErr> {
    store::member(db.conn(), id).await
}

/// Signs a member out everywhere.
pub async fn sign_out_everywhere(db: &Database, member: Uuid) -> Result<(), DbErr> {
    let tx = db.begin_write().await?;
    crate::storage::sessions::delete_for_member(&*tx, member).await?;
    tx.commit().await
}

// ---- the member's own register -----------------------------------------------------------

/// The member chooses their committee (before any officer confirmed one); their pages move
/// with them.
pub async fn choose_committee(
    db: &Database,
    dir: &Directory,
    member: &MemberRow,
    committee: &str,
) -> Result<(), RegisterError> {
    if member.committee_confirmed_at.is_some() {
        return Err(FieldError::new(
            "committee",
            "confirmed",
            "is already confirmed by your committee; ask them to change it",
        )
        .into());
    }
    if dir.open_committee(committee).is_none() {
        return Err(FieldError::new(
            "committee",
            "unknown",
            "must be a committee of the directory",
        )
        .into());
    }
    let tx = db.begin_write().await?;
    store::set_committee(&*tx, member.id, committee, None).await?;
    store::move_pages(&*tx, member.id, committee).await?;
    tx.commit().await?;
    Ok(())
}

/// The member's page, when it is theirs.
async fn own_page(
    conn: &impl crate::storage::Conn,
    member: &MemberRow,
    id: Uuid,
) -> Result<PageRow, RegisterError> {
    store::page(conn, id)
        .await?
        .filter(|p| p.member_id == member.id)
        .ok_or(RegisterError::NotFound)
}

/// Declares a new page, at version 1.
pub async fn declare(
    db: &Database,
    member: &MemberRow,
    draft: &DeclarationDraft,
    now: DateTime<Utc>,
) -> Result<PageRow, RegisterError> {
    let Some(committee) = member.committee_id.clone() else {
        return Err(FieldError::new(
            "committee",
            "required",
            "must be chosen before declaring a page",
        )
        .into());
    };
    let declaration = draft
        .check(today_in_vietnam(now))
        .map_err(RegisterError::Invalid)?;
    let key = declaration.page_key();
    let tx = db.begin_write().await?;
    let mine = store::pages_of(&*tx, member.id).await?;
    if mine.iter().any(|p| p.page_key == key) {
        return Err(FieldError::new(
            "url",
            "already_declared",
            "is a page you have already declared",
        )
        .into());
    }
    let page = PageRow {
        id: Uuid::now_v7(),
        member_id: member.id,
        committee_id: committee,
        page_key: key,
        declaration,
        version: 1,
        declared_at: now,
        updated_at: now,
        confirmed_at: now,
    };
    store::insert_page(&*tx, &page).await?;
    tx.commit().await?;
    Ok(page)
}

/// Writes a new version of the member's page, from the version the form showed.
pub async fn edit(
    db: &Database,
    member: &MemberRow,
    id: Uuid,
    shown_version: i32,
    draft: &DeclarationDraft,
    now: DateTime<Utc>,
) -> Result<PageRow, RegisterError> {
    let declaration = draft
        .check(today_in_vietnam(now))
        .map_err(RegisterError::Invalid)?;
    let tx = db.begin_write().await?;
    let current = own_page(&*tx, member, id).await?;
    if current.version != shown_version {
        return Err(RegisterError::Conflict);
    }
    let key = declaration.page_key();
    if key != current.page_key {
        let mine = store::pages_of(&*tx, member.id).await?;
        if mine.iter().any(|p| p.id != id && p.page_key == key) {
            return Err(FieldError::new(
                "url",
                "already_declared",
                "is a page you have already declared",
            )
            .into());
        }
    }
    if declaration == current.declaration {
        return Ok(current);
    }
    let change = current.declaration.change_to(&declaration);
    let page = PageRow {
        page_key: key,
        declaration,
        version: current.version + 1,
        updated_at: now,
        confirmed_at: now,
        committee_id: member
            .committee_id
            .clone()
            .unwrap_or(current.committee_id.clone()),
        ..current
    };
    if !store::update_page(&*tx, &page, change).await? {
        return Err(RegisterError::Conflict);
    }
    tx.commit().await?;
    Ok(page)
}

pub async fn my_pages(db: &Database, member: &MemberRow) -> Result<Vec<PageRow>, DbErr> {
    store::pages_of(db.conn(), member.id).await
}

/// One of the member's pages with every version, oldest first.
pub async fn my_page(
    db: &Database,
    member: &MemberRow,
    id: Uuid,
) -> Result<(PageRow, Vec<VersionRow>), RegisterError> {
    let conn = db.conn();
    let page = own_page(conn, member, id).await?;
    let versions = store::versions(conn, id).await?;
    Ok((page, versions))
}

/// The member's requests not answered yet.
pub async fn open_requests(db: &Database, member: &MemberRow) -> Result<Vec<RequestRow>, DbErr> {
    store::open_requests_of(db.conn(), member.id).await
}

/// The member says every page they run is declared and current: every page counts as
/// confirmed now, and every open request as answered.
pub async fn confirm(db: &Database, member: &MemberRow, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let tx = db.begin_write().await?;
    store::confirm_declarations(&*tx, member.id, now).await?;
    let answered = store::answer_requests(&*tx, member.id, now).await?;
    tx.commit().await?;
    Ok(answered)
}

/// The version of a member's declaration a report starts from.
pub async fn declaration_for_report(
    db: &Database,
    member: &MemberRow,
    id: Uuid,
) -> Result<PageRow, RegisterError> {
    own_page(db.conn(), member, id).await
}

// ---- officers ---------------------------------------------------------------------------

/// A page in an officer's list: the page, its declarer's email, and whether another member
/// declared the same page too.
#[derive(Debug, Clone)]
pub struct ListedPage {
    pub page: PageRow,
    pub email: String,
    pub shared: bool,
}

/// A keyset page of the register in the scope.
pub async fn search(
    db: &Database,
    scope: &Scope,
    filter: &PageFilter,
    oldest_first: bool,
    after: Option<PageCursor>,
    limit: u64,
) -> Result<(Vec<ListedPage>, Option<PageCursor>), DbErr> {
    let conn = db.conn();
    let rows = store::search(conn, scope, filter, oldest_first, after, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    let rows: Vec<PageRow> = rows.into_iter().take(limit as usize).collect();
    let next = more
        .then(|| rows.last().map(|p| (p.updated_at, p.id)))
        .flatten();
    let listed = listed(conn, rows).await?;
    Ok((listed, next))
}

async fn listed(
    conn: &impl crate::storage::Conn,
    rows: Vec<PageRow>,
) -> Result<Vec<ListedPage>, DbErr> {
    let keys: Vec<String> = rows.iter().map(|p| p.page_key.clone()).collect();
    let shared = store::shared_keys(conn, &keys).await?;
    let mut ids: Vec<Uuid> = rows.iter().map(|p| p.member_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let emails = store::emails_of(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|page| ListedPage {
            email: emails.get(&page.member_id).cloned().unwrap_or_default(),
            shared: shared.contains(&page.page_key),
            page,
        })
        .collect())
}

/// A page of the scope with every version, and the other declarations of the same page.
pub struct PageRecord {
    pub listed: ListedPage,
    pub versions: Vec<VersionRow>,
    /// Other members' declarations of the same page, in the scope.
    pub others: Vec<ListedPage>,
}

pub async fn page_record(
    db: &Database,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<PageRecord>, DbErr> {
    let conn = db.conn();
    let Some(page) = store::page_in(conn, scope, id).await? else {
        return Ok(None);
    };
    let versions = store::versions(conn, id).await?;
    let filter = PageFilter {
        query: Some(RegisterQuery::PageKey(page.page_key.clone())),
        ..Default::default()
    };
    let same = store::search(conn, scope, &filter, false, None, 20).await?;
    let mut all = listed(conn, std::iter::once(page).chain(same).collect()).await?;
    let listed = all.remove(0);
    let others = all
        .into_iter()
        .filter(|p| p.page.id != listed.page.id)
        .collect();
    Ok(Some(PageRecord {
        listed,
        versions,
        others,
    }))
}

/// One version of a page in the scope, as declared then.
pub async fn page_version(
    db: &Database,
    scope: &Scope,
    id: Uuid,
    version: i32,
) -> Result<Option<(VersionRow, Declaration)>, DbErr> {
    let conn = db.conn();
    if store::page_in(conn, scope, id).await?.is_none() {
        return Ok(None);
    }
    Ok(store::version(conn, id, version).await?.and_then(|v| {
        serde_json::from_str::<Declaration>(&v.snapshot)
            .ok()
            .map(|d| (v, d))
    }))
}

/// The members of the scope's committees.
pub async fn roster(
    db: &Database,
    scope: &Scope,
    filter: RosterFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<MemberRow>, DbErr> {
    store::roster(db.conn(), scope, filter, after, limit).await
}

/// An officer confirms that these members belong to their committees.
pub async fn confirm_members(
    db: &Database,
    scope: &Scope,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let tx = db.begin_write().await?;
    let n = store::confirm_committee(&*tx, scope, ids, now).await?;
    tx.commit().await?;
    Ok(n)
}

/// An officer adds members to a committee of their scope, by email, confirmed at once.
/// An address whose member belongs to another committee is refused with its line.
pub async fn add_members(
    db: &Database,
    dir: &Directory,
    scope: &Scope,
    committee: &str,
    emails: &[String],
    now: DateTime<Utc>,
) -> Result<usize, RegisterError> {
    if dir.open_committee(committee).is_none() || !scope.allows(committee) {
        return Err(
            FieldError::new("committee", "unknown", "must be a committee you look after").into(),
        );
    }
    let mut errors = Vec::new();
    let mut clean = Vec::new();
    for (i, raw) in emails.iter().enumerate().take(1000) {
        match member_email(&format!("emails[{i}]"), raw) {
            Ok(e) => clean.push((i, e)),
            Err(e) => errors.push(e),
        }
    }
    if emails.len() > 1000 {
        errors.push(
            FieldError::new("emails", "too_many", "must list at most 1000 addresses")
                .with_limit(1000),
        );
    }
    if clean.is_empty() && errors.is_empty() {
        errors.push(FieldError::new(
            "emails",
            "required",
            "must list at least one address",
        ));
    }
    let tx = db.begin_write().await?;
    let mut added = 0;
    let mut seen = std::collections::HashSet::new();
    // Each refusal names the address by its place in `emails`, as typed; an address
    // listed twice counts once.
    for (i, email) in clean.iter().filter(|(_, e)| seen.insert(e.clone())) {
        let member = store::ensure_member(
            &*tx,
            email,
            dir.party(committee).map_or(Locale::Vi, |p| p.locale),
            None,
            now,
        )
        .await?;
        match member.committee_id.as_deref() {
            Some(c) if c != committee && member.committee_confirmed_at.is_some() => {
                errors.push(FieldError::new(
                    format!("emails[{i}]"),
                    "other_committee",
                    "belongs to another committee",
                ));
            }
            _ => {
                store::set_committee(&*tx, member.id, committee, Some(now)).await?;
                store::move_pages(&*tx, member.id, committee).await?;
                added += 1;
            }
        }
    }
    if !errors.is_empty() {
        return Err(RegisterError::Invalid(errors));
    }
    tx.commit().await?;
    Ok(added)
}

/// What importing a roster did (or would do).
#[derive(Debug, Default)]
pub struct RosterImport {
    pub created: Vec<crate::domain::register::RosterRow>,
    /// Members moved: the row, and the committee they were in.
    pub moved: Vec<(crate::domain::register::RosterRow, Option<String>)>,
    pub unchanged: usize,
    pub applied: bool,
}

/// Imports a checked roster, all rows in one transaction: each member is created or moved
/// to the row's committee, confirmed at once (the file comes from the organisation), their
/// pages with them. With `dry_run`, only says what would change.
pub async fn import_roster(
    db: &Database,
    dir: &Directory,
    rows: Vec<crate::domain::register::RosterRow>,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<RosterImport, DbErr> {
    let tx = db.begin_write().await?;
    let mut report = RosterImport::default();
    for row in rows {
        let existing = store::member_by_email(&*tx, &row.email).await?;
        let confirmed_here = existing.as_ref().is_some_and(|m| {
            m.committee_id.as_deref() == Some(row.committee.as_str())
                && m.committee_confirmed_at.is_some()
        });
        if confirmed_here {
            report.unchanged += 1;
            continue;
        }
        if !dry_run {
            let locale = dir.party(&row.committee).map_or(Locale::Vi, |p| p.locale);
            let member = store::ensure_member(&*tx, &row.email, locale, None, now).await?;
            store::set_committee(&*tx, member.id, &row.committee, Some(now)).await?;
            store::move_pages(&*tx, member.id, &row.committee).await?;
        }
        match existing {
            None => report.created.push(row),
            Some(m) => report.moved.push((row, m.committee_id)),
        }
    }
    report.applied = !dry_run && (!report.created.is_empty() || !report.moved.is_empty());
    if report.applied {
        tx.commit().await?;
    }
    Ok(report)
}

/// Sends a declaration request to every member of a committee's subtree: each gets a
/// one-time link valid until the deadline (at most `register.request_link_ttl`).
#[allow(clippy::too_many_arguments)]
pub async fn start_request(
    db: &Database,
    key: &LinkKey,
    settings: &Settings,
    dir: &Directory,
    officer: &Officer,
    scope: &Scope,
    draft: &RequestDraft,
    now: DateTime<Utc>,
) -> Result<(RequestRow, usize), RegisterError> {
    let request = draft.check(now).map_err(RegisterError::Invalid)?;
    if dir.committee(&request.committee).is_none() || !scope.allows(&request.committee) {
        return Err(
            FieldError::new("committee", "unknown", "must be a committee you look after").into(),
        );
    }
    let subtree = dir.committee_subtree(&request.committee);
    let tx = db.begin_write().await?;
    let asked = store::members_of(&*tx, &subtree).await?;
    let row = RequestRow {
        id: Uuid::now_v7(),
        committee_id: request.committee.clone(),
        created_by: officer.id,
        created_by_name: officer.name.clone(),
        message: request.message.clone(),
        deadline: request.deadline,
        remind_at: reminder_at(
            now,
            request.deadline,
            delta(settings.register.reminder_before),
        ),
        reminded_at: None,
        created_at: now,
        asked_count: i32::try_from(asked.len()).unwrap_or(i32::MAX),
        answered_count: 0,
    };
    store::insert_request(&*tx, row.clone(), &asked).await?;
    let members: Vec<Uuid> = asked.iter().map(|(m, _)| *m).collect();
    queue_links(
        &*tx,
        key,
        settings,
        &row,
        &members,
        MemberMailKind::Request,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((row, asked.len()))
}

/// A link and a mail of `kind` for each member, for a request.
async fn queue_links(
    conn: &impl crate::storage::Conn,
    key: &LinkKey,
    settings: &Settings,
    request: &RequestRow,
    members: &[Uuid],
    kind: MemberMailKind,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let expires = request
        .deadline
        .min(now + delta(settings.register.request_link_ttl));
    let mut mails = Vec::with_capacity(members.len());
    for member in members {
        let link = new_link(key, *member, Some(request.id), expires, now);
        mails.push(NewMail {
            member_id: *member,
            kind,
            link_id: Some(link.id),
            request_id: Some(request.id),
        });
        store::insert_link(conn, link).await?;
    }
    store::enqueue_mail(conn, &mails, now).await
}

/// Requests of the scope, newest first, with (asked, answered).
pub async fn requests(
    db: &Database,
    scope: &Scope,
    limit: u64,
) -> Result<Vec<(RequestRow, u64, u64)>, DbErr> {
    let conn = db.conn();
    let mut out = Vec::new();
    for r in store::requests(conn, scope, limit).await? {
        let (asked, answered) = store::request_counts(conn, r.id).await?;
        out.push((r, asked, answered));
    }
    Ok(out)
}

/// A request of the scope, with (asked, answered).
pub async fn request(
    db: &Database,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<(RequestRow, u64, u64)>, DbErr> {
    let conn = db.conn();
    let Some(r) = store::request_in(conn, scope, id).await? else {
        return Ok(None);
    };
    let (asked, answered) = store::request_counts(conn, r.id).await?;
    Ok(Some((r, asked, answered)))
}

/// A member asked by a request, and where they stand.
#[derive(Debug, Clone)]
pub struct Asked {
    pub row: AskedRow,
    pub state: AnswerState,
    /// The oldest confirmation among their open pages.
    pub oldest_confirmation: Option<DateTime<Utc>>,
}

/// The members of a request in one state, by member id after `after`. Stale members are
/// those who answered but still have a page not confirmed within `register.stale_after`.
pub async fn asked(
    db: &Database,
    settings: &Settings,
    request: Uuid,
    state: AnswerState,
    after: Option<Uuid>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<Asked>, Option<Uuid>), DbErr> {
    let conn = db.conn();
    let stale_after = delta(settings.register.stale_after);
    let answered = state != AnswerState::NotAnswered;
    let mut out = Vec::new();
    let mut cursor = after;
    // Stale members are found among those who answered, a batch at a time.
    loop {
        let rows = store::asked(conn, request, answered, cursor, limit + 1).await?;
        let exhausted = rows.len() as u64 <= limit;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.member_id).collect();
        let oldest = if answered {
            store::oldest_confirmations(conn, &ids).await?
        } else {
            HashMap::new()
        };
        for row in rows.into_iter().take(limit as usize) {
            cursor = Some(row.member_id);
            let oldest_confirmation = oldest.get(&row.member_id).copied();
            let s = answer_state(row.answered_at, oldest_confirmation, now, stale_after);
            let wanted = match state {
                AnswerState::Answered => true,
                other => s == other,
            };
            if wanted {
                out.push(Asked {
                    state: s,
                    oldest_confirmation,
                    row,
                });
                if out.len() as u64 == limit {
                    return Ok((out, if exhausted { None } else { cursor }));
                }
            }
        }
        if exhausted {
            return Ok((out, None));
        }
    }
}

/// Queues the one reminder of every request whose time has come, to each member who has
/// not answered; returns how many reminders were queued.
pub async fn remind_due(
    db: &Database,
    key: &LinkKey,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let due = store::due_reminders(db.conn(), now, 10).await?;
    let mut queued = 0;
    for request in due {
        let tx = db.begin_write().await?;
        if !store::mark_reminded(&*tx, request.id, now).await? {
            continue;
        }
        let members = store::unanswered(&*tx, request.id).await?;
        queue_links(
            &*tx,
            key,
            settings,
            &request,
            &members,
            MemberMailKind::Reminder,
            now,
        )
        .await?;
        tx.commit().await?;
        queued += members.len();
    }
    Ok(queued)
}

/// Mail counts of a request: (kind, status, count).
pub async fn request_mail(
    db: &Database,
    request: Uuid,
) -> Result<Vec<(MemberMailKind, crate::domain::delivery::DeliveryStatus, i64)>, DbErr> {
    store::request_mail_counts(db.conn(), request).await
}

/// The incident's flag from the register, for a report of `key` by `reporter` (by email).
pub async fn flag_for_report(
    db: &Database,
    key: &str,
    reporter_email: Option<&str>,
) -> Result<Option<crate::domain::register::RegisterFlag>, DbErr> {
    let conn = db.conn();
    let declarers = store::declarers(conn, key).await?;
    if declarers.is_empty() {
        return Ok(None);
    }
    let reporter = match reporter_email {
        Some(email) => store::member_by_email(conn, &email.to_lowercase())
            .await?
            .map(|m| m.id),
        None => None,
    };
    Ok(crate::domain::register::flag_for(reporter, &declarers))
}

/// Which change a version records, for the history's words.
pub fn change_of(v: &VersionRow) -> PageChange {
    v.change
}
