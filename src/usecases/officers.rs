//! Desk officers: created and managed from the command line, signed in with a password
//! that is only ever stored as an argon2id hash.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier},
};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::domain::directory::Directory;
use crate::{
    domain::access::{Officer, Role},
    storage::{
        Database, sessions,
        users::{self, NewUser, UserRow},
    },
};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum OfficerError {
    #[error("{0}")]
    Invalid(String),
    #[error("no user `{0}`")]
    Unknown(String),
    #[error(transparent)]
    Storage(#[from] crate::storage::DbErr),
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// Why a sign-in failed; the desk shows the same words for both.
#[derive(Debug, PartialEq, Eq)]
pub enum SignInError {
    WrongCredentials,
    Disabled,
}

pub fn hash_password(password: &SecretString) -> Result<String, OfficerError> {
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| OfficerError::Hash(e.to_string()))
}

fn check_password(password: &SecretString) -> Result<(), OfficerError> {
    if password.expose_secret().chars().count() < MIN_PASSWORD_CHARS {
        return Err(OfficerError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

pub struct NewOfficer<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub committee: Option<&'a str>,
    pub password: &'a SecretString,
}

pub async fn create(
    db: &Database,
    dir: &Directory,
    new: NewOfficer<'_>,
) -> Result<UserRow, OfficerError> {
    let username = new.username.trim();
    if username.len() < 3
        || username.len() > 64
        || !username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
    {
        return Err(OfficerError::Invalid(
            "the username must be 3 to 64 letters, digits, `.`, `_`, `-` or `@`".into(),
        ));
    }
    if new.name.trim().is_empty() {
        return Err(OfficerError::Invalid("the name must not be empty".into()));
    }
    match (new.role, new.committee) {
        (Role::Admin, _) => {}
        (_, None) => {
            return Err(OfficerError::Invalid(
                "officers and viewers belong to a committee (--committee)".into(),
            ));
        }
        (_, Some(c)) if dir.committee(c).is_none() => {
            return Err(OfficerError::Invalid(format!(
                "`{c}` is not a committee of the directory"
            )));
        }
        _ => {}
    }
    check_password(new.password)?;
    let password_hash = hash_on_a_worker(new.password.clone()).await?;
    let tx = db.begin_write().await?;
    if users::by_username(&*tx, username).await?.is_some() {
        return Err(OfficerError::Invalid(format!(
            "the username `{username}` is taken"
        )));
    }
    let row = users::insert(
        &*tx,
        NewUser {
            username,
            name: new.name.trim(),
            role: new.role,
            committee: if new.role == Role::Admin {
                None
            } else {
                new.committee
            },
            password_hash,
        },
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

async fn hash_on_a_worker(password: SecretString) -> Result<String, OfficerError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| OfficerError::Hash(e.to_string()))?
}

async fn by_username(db: &Database, username: &str) -> Result<UserRow, OfficerError> {
    users::by_username(db.conn(), username)
        .await?
        .ok_or_else(|| OfficerError::Unknown(username.to_owned()))
}

/// Disables (or enables again) a user; a disabled user's sessions end at once.
pub async fn set_disabled(
    db: &Database,
    username: &str,
    disabled: bool,
) -> Result<(), OfficerError> {
    let user = by_username(db, username).await?;
    let tx = db.begin_write().await?;
    let now = Utc::now();
    users::set_disabled(&*tx, user.id, disabled.then_some(now), now).await?;
    if disabled {
        sessions::delete_for_user(&*tx, user.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets a new password; the user's sessions end.
pub async fn reset_password(
    db: &Database,
    username: &str,
    password: &SecretString,
) -> Result<(), OfficerError> {
    check_password(password)?;
    let user = by_username(db, username).await?;
    let hash = hash_on_a_worker(password.clone()).await?;
    let tx = db.begin_write().await?;
    users::set_password(&*tx, user.id, hash, Utc::now()).await?;
    sessions::delete_for_user(&*tx, user.id).await?;
    tx.commit().await?;
    Ok(())
}

/// A hash of a password nobody has, checked when the username is unknown so that an
/// unknown name takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password(&SecretString::from(crate::domain::token::random_token(24)))
            .unwrap_or_default()
    })
}

/// Checks a username and password.
pub async fn sign_in(
    db: &Database,
    username: &str,
    password: SecretString,
) -> Result<Result<Officer, SignInError>, OfficerError> {
    let user = users::by_username(db.conn(), username.trim()).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_owned());
    let matches = tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .map_err(|e| OfficerError::Hash(e.to_string()))?;
    Ok(match user {
        Some(user) if matches => user.officer().ok_or(SignInError::Disabled),
        _ => Err(SignInError::WrongCredentials),
    })
}

/// The officer a session names, if still enabled.
pub async fn current(db: &Database, id: Uuid) -> Result<Option<Officer>, OfficerError> {
    Ok(users::find(db.conn(), id).await?.and_then(|u| u.officer()))
}

/// The incidents an officer may see: every one for an admin, else their committee's
/// subtree.
pub fn scope(officer: &Officer, dir: &Directory) -> crate::storage::Scope {
    match (officer.role, &officer.committee) {
        (Role::Admin, _) => crate::storage::Scope::All,
        (_, Some(committee)) => crate::storage::Scope::Committees(dir.committee_subtree(committee)),
        // An officer without a committee sees nothing.
        (_, None) => crate::storage::Scope::Committees(vec![String::new()]),
    }
}
