//! Every word a person reads comes from the Fluent files under `locales/`, embedded at
//! build time. Vietnamese is the fallback.

use crate::domain::Named;
use std::{
    borrow::Cow,
    collections::{BTreeSet, HashMap},
};

use fluent_templates::{
    LanguageIdentifier, Loader, fluent_bundle::FluentValue, langid, static_loader,
};

use crate::domain::Locale;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "vi",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static VI: LanguageIdentifier = langid!("vi");
static EN: LanguageIdentifier = langid!("en");

fn langid(locale: Locale) -> &'static LanguageIdentifier {
    match locale {
        Locale::Vi => &VI,
        Locale::En => &EN,
    }
}

/// The translation of `key`, or the key itself when no file has it (a test checks that
/// every key used is in every locale).
pub fn text(locale: Locale, key: &str) -> String {
    LOCALES
        .try_lookup(langid(locale), key)
        .unwrap_or_else(|| key.to_owned())
}

/// The translation of `key` with named arguments.
pub fn text_with(locale: Locale, key: &str, args: &[(&'static str, &str)]) -> String {
    try_text_with(locale, key, args).unwrap_or_else(|| key.to_owned())
}

/// The translation of `key` with named arguments, if a file has it.
pub fn try_text_with(locale: Locale, key: &str, args: &[(&'static str, &str)]) -> Option<String> {
    let args: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|&(name, value)| (Cow::Borrowed(name), FluentValue::from(value.to_owned())))
        .collect();
    LOCALES.try_lookup_with_args(langid(locale), key, &args)
}

/// The translation of `key` if a file has it.
pub fn try_text(locale: Locale, key: &str) -> Option<String> {
    LOCALES.try_lookup(langid(locale), key)
}

/// The word for a stored code, such as `word(Vi, "kind", "hijacked")`; the code itself
/// when there is none.
pub fn word(locale: Locale, group: &str, code: &str) -> String {
    try_word(locale, group, code).unwrap_or_else(|| code.to_owned())
}

/// The word for a stored code if a file has it.
pub fn try_word(locale: Locale, group: &str, code: &str) -> Option<String> {
    try_text(locale, &format!("{group}-{}", code.replace('.', "-")))
}

/// The word lists of `locales/vi-foreign-words.txt`, for the tests that keep English out of
/// Vietnamese text: common English words, and the names and loanwords allowed (lower case).
pub fn foreign_words() -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut english, mut allowed) = (BTreeSet::new(), BTreeSet::new());
    for line in include_str!("../../locales/vi-foreign-words.txt").lines() {
        let (list, words) = match line.split_once(':') {
            Some(("english", words)) => (&mut english, words),
            Some(("allowed", words)) => (&mut allowed, words),
            _ => continue,
        };
        list.extend(words.split_whitespace().map(str::to_lowercase));
    }
    (english, allowed)
}

/// The language a web address says its page is in: a path part such as `en`, `en-us` or
/// `vi`, a last part ending in `-en`, or `hl=`/`lang=`/`locale=` in the query.
pub fn language_of_address(address: &str) -> Option<Locale> {
    let lower = address.to_ascii_lowercase();
    let rest = lower.split_once("://").map_or(lower.as_str(), |(_, r)| r);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let of = |code: &str| -> Option<Locale> {
        match code.split(['-', '_']).next()? {
            "en" => Some(Locale::En),
            "vi" => Some(Locale::Vi),
            _ => None,
        }
    };
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    segments
        .iter()
        .find_map(|s| {
            let s = s.split('#').next().unwrap_or_default();
            matches!(s.len(), 2 | 5).then(|| of(s)).flatten()
        })
        .or_else(|| {
            let last = segments.last()?.split(['.', '#']).next()?;
            let (_, code) = last.rsplit_once('-')?;
            (code.len() == 2).then(|| of(code)).flatten()
        })
        .or_else(|| {
            query
                .split('&')
                .find_map(|pair| match pair.split_once('=')? {
                    ("hl" | "lang" | "locale", code) => of(code),
                    _ => None,
                })
        })
}

/// `a`, `a and b`, `a, b and c`, in the locale's words.
pub fn joined(locale: Locale, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {} {last}", rest.join(", "), text(locale, "list-and")),
    }
}

/// A duration in the locale's words, largest units first: `2 ngày`, `4 giờ 30 phút`,
/// `1 day 2 hours`. Seconds show only under a minute.
pub fn duration(locale: Locale, d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let word = |n: u64, unit: &str| {
        let key = format!("duration-{unit}{}", if n == 1 { "" } else { "s" });
        text_with(locale, &key, &[("count", &n.to_string())])
    };
    let words: Vec<String> = [
        (secs / 86_400, "day"),
        (secs % 86_400 / 3_600, "hour"),
        (secs % 3_600 / 60, "minute"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, unit)| word(n, unit))
    .collect();
    if words.is_empty() {
        word(secs, "second")
    } else {
        words.join(" ")
    }
}

/// Translations for one page, handed to templates as `tr`.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Locale);

impl Tr {
    pub fn t(&self, key: &str) -> String {
        text(self.0, key)
    }

    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        text_with(self.0, key, &[(name, value)])
    }

    pub fn w(&self, group: &str, code: impl AsRef<str>) -> String {
        word(self.0, group, code.as_ref())
    }

    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests;
