//! What a member reads about who was notified of their report, from the tickets it
//! opened: never a fixed sentence.

use super::PartyKind;
use crate::domain::{
    Locale,
    directory::Directory,
    i18n::{Tr, joined, text_with},
};

/// How a notified party stands to the member's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::AsRefStr)]
#[strum(serialize_all = "snake_case")]
pub enum Notified {
    /// The member's own committee.
    OwnCommittee,
    /// A committee above it, told when a deadline passed or an officer escalated.
    HigherCommittee,
    Authority,
    Provider,
}

impl Notified {
    /// The role of a ticket of `kind` held by `party`, for a member of `committee`.
    pub fn of(kind: PartyKind, party: &str, committee: &str) -> Self {
        match kind {
            PartyKind::Committee if party == committee => Notified::OwnCommittee,
            PartyKind::Committee => Notified::HigherCommittee,
            PartyKind::Authority => Notified::Authority,
            PartyKind::Provider => Notified::Provider,
        }
    }
}

/// What a member of `committee` reads about the parties an incident's tickets went to
/// (each party's id and sort), named as `dir` names them now.
pub fn told_to_member<'a>(
    dir: &Directory,
    locale: Locale,
    committee: &str,
    tickets: impl IntoIterator<Item = (&'a str, PartyKind)>,
) -> Vec<String> {
    let parties: Vec<(String, Notified)> = tickets
        .into_iter()
        .map(|(id, kind)| {
            let name = dir.party(id).map_or(id, |p| p.name.get(locale));
            (name.to_owned(), Notified::of(kind, id, committee))
        })
        .collect();
    notified_sentences(locale, &parties)
}

/// The parties, each named with its role, then a plain sentence for each sort of party
/// the organisation's rule asks for that this report did not reach.
pub fn notified_sentences(locale: Locale, parties: &[(String, Notified)]) -> Vec<String> {
    let tr = Tr(locale);
    let named: Vec<String> = parties
        .iter()
        .map(|(name, role)| {
            text_with(
                locale,
                &format!("notified-{}", role.as_ref().replace('_', "-")),
                &[("name", name)],
            )
        })
        .collect();
    let mut lines = Vec::new();
    if !named.is_empty() {
        lines.push(tr.t1("notified-parties", "parties", &joined(locale, &named)));
    }
    let reached = |wanted: Notified| parties.iter().any(|(_, role)| *role == wanted);
    if !reached(Notified::Authority) {
        lines.push(tr.t("notified-no-authority"));
    }
    if !reached(Notified::Provider) {
        lines.push(tr.t("notified-no-provider"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties(kinds: &[Notified]) -> Vec<(String, Notified)> {
        kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("P{i}"), *k))
            .collect()
    }

    #[test]
    fn every_party_is_named_with_its_role() {
        let all = parties(&[
            Notified::OwnCommittee,
            Notified::Authority,
            Notified::Authority,
            Notified::Provider,
        ]);
        assert_eq!(
            notified_sentences(Locale::En, &all),
            [
                "We are notifying P0 (your committee), P1 (authority), P2 (authority) and the platform P3 by email and through their systems."
            ]
        );
        assert_eq!(
            notified_sentences(Locale::Vi, &all[..1])[0],
            "Chúng tôi đang thông báo cho P0 (đơn vị của bạn) qua email và hệ thống của các bên."
        );
    }

    #[test]
    fn a_report_without_an_authority_or_a_platform_says_so() {
        let lines = notified_sentences(Locale::En, &parties(&[Notified::OwnCommittee]));
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
            &parties(&[Notified::OwnCommittee, Notified::Provider]),
        );
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0]
                .ends_with("P0 (đơn vị của bạn) và nền tảng P1 qua email và hệ thống của các bên."),
            "{lines:?}"
        );
        assert!(lines[1].contains("cơ quan chức năng"), "{lines:?}");
    }

    #[test]
    fn a_higher_committee_is_not_called_the_member_s_own() {
        assert_eq!(
            Notified::of(PartyKind::Committee, "hn", "hn-ba-dinh"),
            Notified::HigherCommittee
        );
        assert_eq!(
            Notified::of(PartyKind::Committee, "hn-ba-dinh", "hn-ba-dinh"),
            Notified::OwnCommittee
        );
        let lines = notified_sentences(
            Locale::En,
            &[
                ("Ba Dinh".to_owned(), Notified::OwnCommittee),
                ("Ha Noi".to_owned(), Notified::HigherCommittee),
                ("CERT".to_owned(), Notified::Authority),
                ("Meta".to_owned(), Notified::Provider),
            ],
        );
        assert_eq!(
            lines,
            [
                "We are notifying Ba Dinh (your committee), Ha Noi (a higher committee), CERT (authority) and the platform Meta by email and through their systems."
            ]
        );
    }
}
