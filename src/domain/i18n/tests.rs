use std::{collections::BTreeSet, path::Path};

use super::*;

fn ids(locale: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(locale);
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("locale folder") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl file");
        for line in text.lines() {
            if let Some((id, _)) = line.split_once(" =")
                && !id.starts_with([' ', '#', '.'])
                && !id.is_empty()
            {
                assert!(
                    ids.insert(id.to_owned()),
                    "`{id}` is defined twice in {locale}"
                );
            }
        }
    }
    ids
}

/// Keys named in templates and code as `t("…")`, `t1("…"` or `text(.., "…")`.
fn used_keys() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut keys = BTreeSet::new();
    let mut stack = vec![root.join("templates"), root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).expect("folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for marker in [".t(\"", ".t1(\"", "text(locale, \"", "text_with(locale, \""] {
                for piece in text.split(marker).skip(1) {
                    if let Some((key, _)) = piece.split_once('"')
                        && !key.contains(['{', ' '])
                        && !key.is_empty()
                    {
                        keys.insert(key.to_owned());
                    }
                }
            }
        }
    }
    keys
}

#[test]
fn both_locales_define_the_same_keys() {
    let vi = ids("vi");
    let en = ids("en");
    let only_vi: Vec<_> = vi.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&vi).collect();
    assert!(only_vi.is_empty(), "only in vi: {only_vi:?}");
    assert!(only_en.is_empty(), "only in en: {only_en:?}");
}

#[test]
fn every_key_used_is_translated() {
    let vi = ids("vi");
    let missing: Vec<_> = used_keys()
        .into_iter()
        .filter(|k| !vi.contains(k) && k != "key")
        .collect();
    assert!(missing.is_empty(), "used but not translated: {missing:?}");
}

#[test]
fn words_come_from_the_files_in_each_language() {
    assert_eq!(word(Locale::En, "kind", "hijacked"), "hijacked");
    assert_eq!(word(Locale::Vi, "kind", "hijacked"), "bị chiếm quyền");
    assert_eq!(word(Locale::En, "kind", "unheard_of"), "unheard_of");
}

/// The glossary's rows: concept, term (`-` for none) and phrases to avoid.
fn glossary() -> Vec<(String, String, Vec<String>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/glossary.txt");
    let text = std::fs::read_to_string(&path).expect("locales/glossary.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 3, "a glossary row has three cells: {line}");
            let avoid = cells[2]
                .split(';')
                .map(|a| a.trim().to_lowercase())
                .filter(|a| !a.is_empty())
                .collect();
            (cells[0].to_owned(), cells[1].to_owned(), avoid)
        })
        .collect()
}

/// The text of every Vietnamese message (its value and continuation lines), with where it is.
fn vietnamese_lines() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/vi");
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).expect("locale folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("ftl file");
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let value = match line.split_once(" = ") {
                Some((id, value)) if !id.starts_with([' ', '#']) => value,
                _ if line.starts_with(' ') => line,
                _ => continue,
            };
            lines.push((format!("{file}:{}", n + 1), value.to_owned()));
        }
    }
    lines
}

#[test]
fn vietnamese_messages_keep_to_the_glossary() {
    let rows = glossary();
    assert!(rows.len() >= 5, "{rows:?}");
    let lines = vietnamese_lines();
    let mut broken = Vec::new();
    for (concept, term, avoid) in &rows {
        for (at, value) in &lines {
            let lower = value.to_lowercase();
            for phrase in avoid {
                if lower.contains(phrase.as_str()) {
                    broken.push(format!(
                        "{at}: `{phrase}` for {concept} (say `{term}`): {value}"
                    ));
                }
            }
        }
        if term != "-" {
            assert!(
                lines
                    .iter()
                    .any(|(_, v)| v.to_lowercase().contains(&term.to_lowercase())),
                "no message uses the term `{term}` for {concept}: drop the row or use it"
            );
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn vietnamese_messages_hold_no_english_word() {
    let (english, allowed) = foreign_words();
    assert!(english.contains("page") && allowed.contains("facebook"));
    let mut found = Vec::new();
    for (at, value) in vietnamese_lines() {
        // Placeables (`{ $name }`) are filled in by the code.
        let text: String = value
            .split('{')
            .enumerate()
            .map(|(i, piece)| {
                if i == 0 {
                    piece
                } else {
                    piece.split_once('}').map_or("", |(_, rest)| rest)
                }
            })
            .collect();
        for word in text.split(|c: char| !c.is_ascii_alphabetic()) {
            let lower = word.to_lowercase();
            if english.contains(&lower) && !allowed.contains(&lower) {
                found.push(format!("{at}: `{word}` in {value}"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn an_address_may_say_the_language_of_its_page() {
    use super::language_of_address as of;
    let en = Some(Locale::En);
    assert_eq!(
        of("https://help.x.com/en/safety-and-security/x-account-compromised"),
        en
    );
    assert_eq!(
        of("https://support.tiktok.com/en/log-in-troubleshoot/log-in"),
        en
    );
    assert_eq!(
        of("https://www.icann.org/resources/pages/dispute-resolution-2012-02-25-en"),
        en
    );
    assert_eq!(
        of("https://support.google.com/youtube/answer/76187?hl=vi"),
        Some(Locale::Vi)
    );
    assert_eq!(of("https://www.facebook.com/hacked"), None);
    assert_eq!(of("https://help.x.com/forms.html"), None);
    assert_eq!(of("https://example.org/enterprise/plan"), None);
}
