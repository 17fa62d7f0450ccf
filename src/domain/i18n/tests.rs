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
