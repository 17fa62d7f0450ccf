//! What a member reads about who was notified of their report, from the tickets it
//! opened: never a fixed sentence.

use super::PartyKind;
use crate::domain::{
    Locale,
    i18n::{Tr, joined, text_with},
};

/// The parties, each named with its role, then a plain sentence for each sort of party
/// the organisation's rule asks for that this report did not reach.
pub fn notified_sentences(locale: Locale, parties: &[(String, PartyKind)]) -> Vec<String> {
    let tr = Tr(locale);
    let named: Vec<String> = parties
        .iter()
        .map(|(name, kind)| {
            text_with(
                locale,
                "notified-party",
                &[("name", name), ("role", &tr.w("notified-role", kind))],
            )
        })
        .collect();
    let mut lines = Vec::new();
    if !named.is_empty() {
        lines.push(tr.t1("notified-parties", "parties", &joined(locale, &named)));
    }
    let reached = |wanted: PartyKind| parties.iter().any(|(_, kind)| *kind == wanted);
    if !reached(PartyKind::Authority) {
        lines.push(tr.t("notified-no-authority"));
    }
    if !reached(PartyKind::Provider) {
        lines.push(tr.t("notified-no-provider"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties(kinds: &[PartyKind]) -> Vec<(String, PartyKind)> {
        kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("P{i}"), *k))
            .collect()
    }

    #[test]
    fn every_party_is_named_with_its_role() {
        let all = parties(&[
            PartyKind::Committee,
            PartyKind::Authority,
            PartyKind::Authority,
            PartyKind::Provider,
        ]);
        assert_eq!(
            notified_sentences(Locale::En, &all),
            [
                "We are notifying P0 (your committee), P1 (authority), P2 (authority) and P3 (platform) by email and through their systems."
            ]
        );
        assert_eq!(
            notified_sentences(Locale::Vi, &all[..1])[0],
            "Chúng tôi đang thông báo cho P0 (đơn vị của bạn) qua email và hệ thống kết nối."
        );
    }

    #[test]
    fn a_report_without_an_authority_or_a_platform_says_so() {
        let lines = notified_sentences(Locale::En, &parties(&[PartyKind::Committee]));
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[1].starts_with("No authority was notified"),
            "{lines:?}"
        );
        assert!(
            lines[2].starts_with("No platform was notified"),
            "{lines:?}"
        );
        let lines = notified_sentences(
            Locale::Vi,
            &parties(&[PartyKind::Committee, PartyKind::Provider]),
        );
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0]
                .ends_with("P0 (đơn vị của bạn) và P1 (nền tảng) qua email và hệ thống kết nối."),
            "{lines:?}"
        );
        assert!(lines[1].contains("cơ quan chức năng"), "{lines:?}");
    }
}
