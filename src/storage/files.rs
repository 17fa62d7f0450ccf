//! Evidence files on disk, each named by the SHA-256 of its bytes, so the same file sent
//! twice is stored once. Uploads are written to `tmp/` first and only moved into place
//! once the report they belong to is accepted.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::{fs, io::AsyncWriteExt};
use uuid::Uuid;

/// The folder of evidence files.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

/// An upload being received: bytes go to a temporary file while they are hashed.
pub struct Upload {
    file: fs::File,
    temp: PathBuf,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
}

/// A received upload, not yet part of the evidence.
#[derive(Debug)]
pub struct Received {
    pub temp: PathBuf,
    pub sha256: String,
    pub size: u64,
    /// The first bytes, for deciding the type.
    pub head: Vec<u8>,
}

const HEAD_BYTES: usize = 512;

/// Bytes whole in memory, to be stored under their digest; the digest is given when the
/// caller has it already, so that the bytes are hashed once.
#[derive(Debug, Clone)]
pub struct Blob {
    pub bytes: bytes::Bytes,
    pub sha256: Option<String>,
}

impl Blob {
    /// Bytes whose digest the store works out.
    pub fn new(bytes: impl Into<bytes::Bytes>) -> Self {
        Self {
            bytes: bytes.into(),
            sha256: None,
        }
    }

    /// Bytes whose SHA-256 (lowercase hex) is known.
    pub fn hashed(bytes: impl Into<bytes::Bytes>, sha256: String) -> Self {
        Self {
            bytes: bytes.into(),
            sha256: Some(sha256),
        }
    }
}

/// What [`FileStore::copy_to`] copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    pub files: u64,
    pub bytes: u64,
}

impl FileStore {
    pub async fn open(dir: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(dir.join("tmp")).await?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// The configured evidence folder, with an error that names it.
    pub async fn open_evidence(dir: &Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        Self::open(dir)
            .await
            .with_context(|| format!("could not open the evidence folder {}", dir.display()))
    }

    pub async fn begin(&self) -> std::io::Result<Upload> {
        let temp = self
            .dir
            .join("tmp")
            .join(Uuid::now_v7().simple().to_string());
        let file = fs::File::create(&temp).await?;
        Ok(Upload {
            file,
            temp,
            hasher: Sha256::new(),
            size: 0,
            head: Vec::new(),
        })
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.dir.join(prefix).join(sha256)
    }

    /// Moves an accepted upload into place under its digest.
    pub async fn keep(&self, received: &Received) -> std::io::Result<()> {
        let path = self.path_of(&received.sha256);
        if fs::try_exists(&path).await? {
            return discard_path(&received.temp).await;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).await?;
        }
        fs::rename(&received.temp, &path).await
    }

    /// Stores byte strings that are already whole in memory (a mail and its attachments)
    /// each under its digest, synced to disk, in one trip to the blocking pool; returns
    /// the digests in order. Bytes already stored are not written again.
    pub async fn store_many(&self, items: Vec<Blob>) -> std::io::Result<Vec<String>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut digests = Vec::with_capacity(items.len());
            let mut written = Vec::new();
            let result = (|| {
                use std::io::Write as _;
                for Blob { bytes, sha256 } in &items {
                    let sha256 = match sha256 {
                        Some(known) => {
                            check_digest(known)?;
                            known.clone()
                        }
                        None => hex::encode(Sha256::digest(bytes)),
                    };
                    let path = store.path_of(&sha256);
                    if !path.try_exists()? && !written.iter().any(|(_, p, _)| *p == path) {
                        let temp = store
                            .dir
                            .join("tmp")
                            .join(Uuid::now_v7().simple().to_string());
                        let mut file = std::fs::File::create(&temp)?;
                        let outcome = file.write_all(bytes);
                        written.push((temp, path, file));
                        outcome?;
                    }
                    digests.push(sha256);
                }
                // All written first, then all synced: the syncs share the disk's flushes.
                for (temp, path, file) in &written {
                    file.sync_data()?;
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::rename(temp, path)?;
                }
                Ok(())
            })();
            if result.is_err() {
                for (temp, _, _) in &written {
                    let _ = std::fs::remove_file(temp);
                }
            }
            result.map(|()| digests)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// The bytes of a stored file.
    pub async fn read(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        check_digest(sha256)?;
        fs::read(self.path_of(sha256)).await
    }

    /// Deletes a stored file; false when there was none.
    pub async fn remove(&self, sha256: &str) -> std::io::Result<bool> {
        check_digest(sha256)?;
        match fs::remove_file(self.path_of(sha256)).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Copies every stored file (not the uploads in progress) into `target`, which must
    /// not exist yet, keeping the folder layout.
    pub async fn copy_to(&self, target: &Path) -> std::io::Result<Copied> {
        let (source, target) = (self.dir.clone(), target.to_owned());
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir(&target)?;
            let mut copied = Copied::default();
            copy_tree(&source, &target, &source.join("tmp"), &mut copied)?;
            Ok(copied)
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

fn copy_tree(from: &Path, to: &Path, skip: &Path, copied: &mut Copied) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if path == skip {
            continue;
        }
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            std::fs::create_dir(&dest)?;
            copy_tree(&path, &dest, skip, copied)?;
        } else if kind.is_file() {
            copied.bytes += std::fs::copy(&path, &dest)?;
            copied.files += 1;
        }
    }
    Ok(())
}

impl Upload {
    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.file.write_all(chunk).await
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn finish(mut self) -> std::io::Result<Received> {
        self.file.flush().await?;
        self.file.sync_data().await?;
        Ok(Received {
            temp: self.temp,
            sha256: hex::encode(self.hasher.finalize()),
            size: self.size,
            head: self.head,
        })
    }

    pub async fn abandon(self) {
        drop(self.file);
        let _ = discard_path(&self.temp).await;
    }
}

impl Received {
    pub async fn discard(&self) {
        let _ = discard_path(&self.temp).await;
    }
}

fn check_digest(sha256: &str) -> std::io::Result<()> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a SHA-256 digest",
        ))
    }
}

async fn discard_path(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_are_stored_under_their_digest_given_or_worked_out() {
        let dir = tempfile::tempdir().expect("folder");
        let store = FileStore::open(dir.path()).await.expect("store");
        let mail = b"From: a@example.org\r\n\r\nhello".to_vec();
        let known = hex::encode(Sha256::digest(&mail));
        let digests = store
            .store_many(vec![
                Blob::hashed(mail.clone(), known.clone()),
                Blob::new(b"attachment".to_vec()),
                Blob::new(mail.clone()),
            ])
            .await
            .expect("stored");
        assert_eq!(
            digests,
            vec![
                known.clone(),
                hex::encode(Sha256::digest(b"attachment")),
                known.clone()
            ]
        );
        assert_eq!(store.read(&known).await.expect("kept"), mail);
        assert_eq!(store.read(&digests[1]).await.expect("kept"), b"attachment");
        let refused = store
            .store_many(vec![Blob::hashed(b"x".to_vec(), "../escape".to_owned())])
            .await;
        assert_eq!(
            refused.expect_err("not a digest").kind(),
            std::io::ErrorKind::InvalidInput
        );
        let left: Vec<_> = std::fs::read_dir(dir.path().join("tmp"))
            .expect("tmp")
            .collect();
        assert!(left.is_empty(), "no temporary file left behind");
    }
}
