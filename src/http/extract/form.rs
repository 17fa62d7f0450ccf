//! Reads a member form (multipart) into its fields and its uploads. Uploads go to the
//! evidence store's temporary folder as they arrive, so a 10 MB file is never held in
//! memory; they are kept only if the form is accepted. The CSRF token must come before
//! any file, so a forged form cannot make us store anything.

use std::collections::HashMap;

use actix_multipart::Multipart;
use futures_util::StreamExt;

use super::csrf::{self, Csrf, CsrfKey};
use crate::{
    config::EvidenceSettings,
    domain::{EvidenceFile, EvidenceType, clean_file_name},
    usecases::{FileStore, Received},
};

/// Largest text field, and all text fields together.
const MAX_TEXT_FIELD: usize = 64 * 1024;
const MAX_TEXT_TOTAL: usize = 256 * 1024;
const MAX_PARTS: usize = 200;

/// A problem with one field, to be shown beside it: a translation key and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub key: String,
    pub args: Vec<(&'static str, String)>,
}

/// An upload that passed its checks, waiting for the form to be accepted.
#[derive(Debug)]
pub struct Accepted {
    pub received: Received,
    pub file: EvidenceFile,
}

#[derive(Debug, Default)]
pub struct FormData {
    fields: HashMap<String, Vec<String>>,
    pub files: Vec<Accepted>,
    /// Problems found while reading: refused files, and text fields that are not UTF-8.
    pub read_problems: Vec<Problem>,
    /// The member chose files (kept or not).
    pub files_sent: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("the form's CSRF token is missing or wrong")]
    Csrf,
    #[error("the form is larger than allowed")]
    TooLarge,
    #[error("the form could not be read: {0}")]
    Malformed(String),
    #[error("the form did not arrive within the body read timeout")]
    TimedOut,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl FormData {
    /// A form of text fields alone, such as a kept draft's answers.
    pub fn from_fields(fields: HashMap<String, Vec<String>>) -> Self {
        Self {
            fields,
            ..Self::default()
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.fields.get(name).and_then(|v| v.first()).cloned()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    pub fn fields(&self) -> &HashMap<String, Vec<String>> {
        &self.fields
    }

    /// Deletes the uploads: the form was refused.
    pub async fn discard_files(&mut self) {
        for file in self.files.drain(..) {
            file.received.discard().await;
        }
    }
}

/// Reads an `application/x-www-form-urlencoded` body into its fields (the first value of
/// each name), with a problem for each field whose value is not UTF-8 once decoded, rather
/// than the replacement characters a lossy decoder would keep.
pub fn urlencoded(body: &[u8]) -> (HashMap<String, String>, Vec<Problem>) {
    let decode = |raw: &[u8]| {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        percent_encoding::percent_decode(&spaced).collect::<Vec<u8>>()
    };
    let mut fields = HashMap::new();
    let mut problems = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = String::from_utf8_lossy(&decode(name)).into_owned();
        match String::from_utf8(decode(value)) {
            Ok(value) => {
                fields.entry(name).or_insert(value);
            }
            Err(_) => problems.push(Problem {
                field: name,
                key: "error-utf8".to_owned(),
                args: Vec::new(),
            }),
        }
    }
    (fields, problems)
}

/// Why the multipart stream could not be read: too slow, or malformed.
fn unreadable(error: actix_multipart::MultipartError) -> FormError {
    match error {
        actix_multipart::MultipartError::Payload(p)
            if crate::http::body_deadline::is_timeout(&p) =>
        {
            FormError::TimedOut
        }
        other => FormError::Malformed(other.to_string()),
    }
}

pub struct Reader<'a> {
    pub store: &'a FileStore,
    pub limits: &'a EvidenceSettings,
    pub key: &'a CsrfKey,
    pub csrf: &'a Csrf,
    /// The field that carries files; files in any other field are refused.
    pub file_field: Option<&'a str>,
}

impl Reader<'_> {
    pub async fn read(&self, mut payload: Multipart) -> Result<FormData, FormError> {
        let mut form = FormData::default();
        let result = self.read_into(&mut payload, &mut form).await;
        if result.is_err() {
            form.discard_files().await;
        }
        result.map(|()| form)
    }

    async fn read_into(
        &self,
        payload: &mut Multipart,
        form: &mut FormData,
    ) -> Result<(), FormError> {
        let mut verified = false;
        let mut text_total = 0usize;
        let mut parts = 0usize;
        let mut files_seen = 0usize;
        let body_cap = self.limits.max_files * self.limits.max_file_bytes + MAX_TEXT_TOTAL;
        let mut body_total = 0usize;
        while let Some(field) = payload.next().await {
            let mut field = field.map_err(unreadable)?;
            parts += 1;
            if parts > MAX_PARTS {
                return Err(FormError::TooLarge);
            }
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .map(str::to_owned);
            if let Some(file_name) = file_name {
                if !verified {
                    return Err(FormError::Csrf);
                }
                if self.file_field != Some(name.as_str()) {
                    return Err(FormError::Malformed(format!(
                        "no files are taken in `{name}`"
                    )));
                }
                if file_name.is_empty() {
                    // An empty file input: browsers send an empty part.
                    while let Some(chunk) = field.next().await {
                        let chunk = chunk.map_err(unreadable)?;
                        body_total += chunk.len();
                        if body_total > body_cap {
                            return Err(FormError::TooLarge);
                        }
                    }
                    continue;
                }
                form.files_sent = true;
                files_seen += 1;
                let mut upload = (files_seen <= self.limits.max_files).then(|| self.store.begin());
                let mut upload = match upload.take() {
                    Some(begin) => Some(begin.await?),
                    None => None,
                };
                let mut too_large = false;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(unreadable)?;
                    body_total += chunk.len();
                    if body_total > body_cap {
                        if let Some(upload) = upload.take() {
                            upload.abandon().await;
                        }
                        return Err(FormError::TooLarge);
                    }
                    if let Some(current) = upload.as_mut() {
                        if current.size() as usize + chunk.len() > self.limits.max_file_bytes {
                            too_large = true;
                            if let Some(upload) = upload.take() {
                                upload.abandon().await;
                            }
                        } else {
                            current.write(&chunk).await?;
                        }
                    }
                }
                let shown = clean_file_name(&file_name, EvidenceType::Pdf);
                if files_seen == self.limits.max_files + 1 {
                    form.read_problems.push(Problem {
                        field: name.clone(),
                        key: "error-too_many_files".to_owned(),
                        args: vec![("limit", self.limits.max_files.to_string())],
                    });
                }
                if too_large {
                    form.read_problems.push(Problem {
                        field: name.clone(),
                        key: "error-file_too_large".to_owned(),
                        args: vec![
                            ("name", shown.clone()),
                            (
                                "limit",
                                (self.limits.max_file_bytes / (1024 * 1024))
                                    .max(1)
                                    .to_string(),
                            ),
                        ],
                    });
                }
                let Some(upload) = upload else { continue };
                let received = upload.finish().await?;
                match EvidenceType::sniff(&name, &received.head) {
                    Ok(kind) if received.size > 0 => {
                        form.files.push(Accepted {
                            file: EvidenceFile {
                                file_name: clean_file_name(&file_name, kind),
                                kind,
                                size_bytes: received.size,
                                sha256: received.sha256.clone(),
                            },
                            received,
                        });
                    }
                    _ => {
                        received.discard().await;
                        form.read_problems.push(Problem {
                            field: name.clone(),
                            key: "error-file_type".to_owned(),
                            args: vec![("name", shown)],
                        });
                    }
                }
                continue;
            }
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(unreadable)?;
                body_total += chunk.len();
                text_total += chunk.len();
                if value.len() + chunk.len() > MAX_TEXT_FIELD || text_total > MAX_TEXT_TOTAL {
                    return Err(FormError::TooLarge);
                }
                value.extend_from_slice(&chunk);
            }
            let value = match String::from_utf8(value) {
                Ok(value) => value,
                Err(_) if name == csrf::FIELD => return Err(FormError::Csrf),
                Err(bytes) => {
                    // Shown beside the field, like any other problem with it.
                    form.read_problems.push(Problem {
                        field: name.clone(),
                        key: "error-utf8".to_owned(),
                        args: Vec::new(),
                    });
                    String::from_utf8_lossy(bytes.as_bytes()).into_owned()
                }
            };
            if name == csrf::FIELD {
                verified = self.key.verify(self.csrf, &value);
                if !verified {
                    return Err(FormError::Csrf);
                }
                continue;
            }
            form.fields.entry(name).or_default().push(value);
        }
        if !verified {
            return Err(FormError::Csrf);
        }
        Ok(())
    }
}
