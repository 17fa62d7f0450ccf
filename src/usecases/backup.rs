//! `incident-desk backup <file>`: a consistent copy of the SQLite database, taken while
//! the service runs, and a copy of the evidence folder beside it in `<file>.evidence/`.
//! To restore, put the file where `database.url` points and the folder at `evidence.dir`.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
};

use anyhow::Context;
use secrecy::ExposeSecret;

use crate::{
    config::Settings,
    storage::{self, Database, files::FileStore},
};

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub database: PathBuf,
    pub database_bytes: u64,
    pub evidence: PathBuf,
    pub files: u64,
    pub file_bytes: u64,
}

/// The folder the evidence of a backup at `file` is copied to.
pub fn evidence_folder(file: &Path) -> PathBuf {
    let mut name = OsString::from(file.as_os_str());
    name.push(".evidence");
    PathBuf::from(name)
}

pub async fn run(settings: &Settings, file: &Path) -> anyhow::Result<Backup> {
    anyhow::ensure!(
        settings.is_sqlite(),
        "backup copies SQLite databases only, and this one is PostgreSQL: back it up with \
         `pg_dump -Fc` (restore with `pg_restore`), and copy the evidence folder {} beside the dump",
        settings.evidence.dir.display()
    );
    let evidence = evidence_folder(file);
    for path in [file, evidence.as_path()] {
        anyhow::ensure!(
            std::fs::symlink_metadata(path).is_err(),
            "{} already exists; a backup never overwrites anything",
            path.display()
        );
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        anyhow::ensure!(
            parent.is_dir(),
            "the folder {} does not exist",
            parent.display()
        );
    }
    let source = storage::sqlite_path(settings.database.url.expose_secret());
    if let Some(source) = &source {
        anyhow::ensure!(
            source.is_file(),
            "there is no database at {} to back up",
            source.display()
        );
    }
    let db = Database::connect(&settings.database).await?;
    db.copy_sqlite_to(file)
        .await
        .with_context(|| format!("could not write the database copy {}", file.display()))?;
    let database_bytes = std::fs::metadata(file)
        .with_context(|| format!("could not read the size of {}", file.display()))?
        .len();
    // After the database: every file its copy names was stored before it was committed.
    let files = FileStore::open_evidence(&settings.evidence.dir).await?;
    let copied = files
        .copy_to(&evidence)
        .await
        .with_context(|| format!("could not copy the evidence to {}", evidence.display()))?;
    Ok(Backup {
        database: file.to_owned(),
        database_bytes,
        evidence,
        files: copied.files,
        file_bytes: copied.bytes,
    })
}
