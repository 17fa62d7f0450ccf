//! Directory files: the TOML of `[parties]` and `[routing]` (the config's own sections,
//! which seed an empty directory) and the CSV of a committee tree, read into import rows
//! that name their place in the file.

use std::collections::BTreeMap;

use figment::{
    Figment,
    providers::{Format, Toml},
};
use serde::Deserialize;

use super::{PartiesSettings, PartySettings};
use crate::domain::{
    Locale,
    directory::{ContactDraft, Directory, ImportEndpoint, ImportRow, PartyDraft},
    routing::{PartyKind, RoutingRules},
};

/// The deadline of a committee read from CSV without one, when it is new.
pub const CSV_DEFAULT_DEADLINE: &str = "24h";

/// What a directory file asks for.
#[derive(Debug, Default)]
pub struct DirectoryFile {
    pub rows: Vec<ImportRow>,
    /// The routing rules, when the file has a `[routing]` section.
    pub routing: Option<RoutingRules>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlFile {
    #[serde(default)]
    parties: PartiesSettings,
    #[serde(default)]
    routing: Option<RoutingRules>,
}

fn humantime(d: std::time::Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn toml_row(place: String, kind: PartyKind, p: &PartySettings) -> ImportRow {
    ImportRow {
        place,
        draft: PartyDraft {
            id: p.id.clone(),
            kind: Some(kind),
            parent: p.parent.clone(),
            name_vi: p.name.vi.clone(),
            name_en: p.name.en.clone(),
            locale: Some(p.locale),
            ack_deadline: humantime(p.ack_deadline),
            emails: p.contacts.emails.clone(),
            contact: ContactDraft::of(p.contacts.person.as_ref()),
        },
        endpoints: Some(
            p.contacts
                .webhooks
                .iter()
                .map(|w| ImportEndpoint {
                    url: w.url.clone(),
                    secret: w.secret.clone(),
                    previous_secret: w.previous_secret.clone(),
                })
                .collect(),
        ),
    }
}

/// The rows of a `[parties]` section, each named by its key.
pub fn party_rows(parties: &PartiesSettings) -> Vec<ImportRow> {
    let lists = [
        ("committees", PartyKind::Committee, &parties.committees),
        ("authorities", PartyKind::Authority, &parties.authorities),
        ("providers", PartyKind::Provider, &parties.providers),
    ];
    lists
        .into_iter()
        .flat_map(|(list, kind, parties)| {
            parties
                .iter()
                .enumerate()
                .map(move |(i, p)| toml_row(format!("parties.{list}[{i}]"), kind, p))
        })
        .collect()
}

/// Reads a TOML directory file: `[[parties.committees]]`, `[[parties.authorities]]`,
/// `[[parties.providers]]` and an optional `[routing]`, as in the config.
pub fn read_toml(text: &str) -> Result<DirectoryFile, String> {
    let file: TomlFile = Figment::from(Toml::string(text))
        .extract()
        .map_err(|e| e.to_string())?;
    Ok(DirectoryFile {
        rows: party_rows(&file.parties),
        routing: file.routing,
    })
}

/// Reads a CSV committee tree with the header `id,parent,name.vi,name.en,emails` and,
/// optionally, `kind`, `locale`, `ack_deadline`, `contact.name`, `contact.phone` and
/// `contact.email` columns; several addresses are separated by `;`. A committee already in
/// `current` keeps its locale and deadline when the row leaves them empty (a new one gets
/// `vi` and 24h), and each part of its named contact whose column the file lacks; an empty
/// cell of a column it has clears that part.
pub fn read_csv(text: &str, current: &Directory) -> Result<DirectoryFile, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![format!("line 1: {e}")])?
        .clone();
    let column: BTreeMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let known = [
        "id",
        "parent",
        "name.vi",
        "name.en",
        "emails",
        "kind",
        "locale",
        "ack_deadline",
        "contact.name",
        "contact.phone",
        "contact.email",
    ];
    let mut errors: Vec<String> = headers
        .iter()
        .filter(|h| !known.contains(h))
        .map(|h| {
            format!(
                "line 1: unknown column `{h}`; the columns are {}",
                known.join(", ")
            )
        })
        .collect();
    for required in ["id", "parent", "name.vi", "name.en", "emails"] {
        if !column.contains_key(required) {
            errors.push(format!("line 1: the column `{required}` is missing"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let place = format!("line {line}");
        let get = |name: &str| {
            column
                .get(name)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .to_owned()
        };
        let id = get("id");
        let existing = current.party(&id);
        let kind = match get("kind").as_str() {
            "" => None,
            raw => match raw.parse::<PartyKind>() {
                Ok(k) => Some(k),
                Err(e) => {
                    errors.push(format!("{place}: kind: `{raw}` {e}"));
                    continue;
                }
            },
        };
        let locale = match get("locale").as_str() {
            "" => existing.map(|p| p.locale).or(Some(Locale::Vi)),
            raw => match raw.parse::<Locale>() {
                Ok(l) => Some(l),
                Err(e) => {
                    errors.push(format!("{place}: locale: `{raw}` {e}"));
                    continue;
                }
            },
        };
        let ack_deadline = match get("ack_deadline") {
            d if d.is_empty() => existing.map_or_else(
                || CSV_DEFAULT_DEADLINE.to_owned(),
                |p| humantime(p.ack_deadline),
            ),
            d => d,
        };
        let parent = get("parent");
        rows.push(ImportRow {
            place,
            draft: PartyDraft {
                id,
                kind: kind
                    .or(existing.map(|p| p.kind))
                    .or(Some(PartyKind::Committee)),
                parent: (!parent.is_empty()).then_some(parent),
                name_vi: get("name.vi"),
                name_en: get("name.en"),
                locale,
                ack_deadline,
                emails: get("emails")
                    .split([';', ' '])
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .map(str::to_owned)
                    .collect(),
                contact: {
                    // Each part from its column when the file has one, else as it is.
                    let kept = ContactDraft::of(existing.and_then(|p| p.contact.as_ref()));
                    let part = |name: &str, kept: String| {
                        if column.contains_key(name) {
                            get(name)
                        } else {
                            kept
                        }
                    };
                    ContactDraft {
                        name: part("contact.name", kept.name),
                        phone: part("contact.phone", kept.phone),
                        email: part("contact.email", kept.email),
                    }
                },
            },
            endpoints: None,
        });
    }
    if errors.is_empty() {
        Ok(DirectoryFile {
            rows,
            routing: None,
        })
    } else {
        Err(errors)
    }
}
