//! The member's report form in steps: which questions each step asks, the answers kept
//! between steps, and the day/month/year/hour/minute boxes of a time.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::EvidenceFile;

/// The steps of the form, in the order a member goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Name and how to reach the member.
    You,
    /// The member's committee, found by name.
    Committee,
    /// The page or account.
    Page,
    /// What happened and when.
    What,
    /// Whether the page is stopped.
    Stopped,
    /// Screenshots and documents.
    Evidence,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::You,
        Step::Committee,
        Step::Page,
        Step::What,
        Step::Stopped,
        Step::Evidence,
    ];

    /// The step's part of the address, `/report/{slug}`.
    pub fn slug(self) -> &'static str {
        match self {
            Step::You => "about-you",
            Step::Committee => "committee",
            Step::Page => "page",
            Step::What => "what-happened",
            Step::Stopped => "stopped",
            Step::Evidence => "evidence",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// 1 for the first step.
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    pub fn next(self) -> Option<Step> {
        Self::ALL.get(self.number()).copied()
    }

    pub fn previous(self) -> Option<Step> {
        self.number().checked_sub(2).map(|i| Self::ALL[i])
    }

    /// Whether the form field (or the field a rule names) is asked on this step.
    pub fn owns(self, field: &str) -> bool {
        let base = field.split_once('.').map_or(field, |(head, _)| head);
        match self {
            Step::You => matches!(
                field,
                "reporter.name" | "reporter.email" | "reporter.phone" | "reporter.contact"
            ),
            Step::Committee => field == "reporter.committee",
            Step::Page => base == "page",
            Step::What => matches!(base, "kind" | "detected_at" | "description"),
            Step::Stopped => base == "containment",
            Step::Evidence => base == "evidence",
        }
    }

    /// The step that asks `field`, if any does.
    pub fn of(field: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|s| s.owns(field))
    }
}

/// The answers of a report being filled in, kept between steps.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Answers {
    /// The key that makes a second Submit find the first report.
    pub submission_id: String,
    /// Every answered field, as typed.
    pub fields: BTreeMap<String, Vec<String>>,
    /// Files already stored as evidence-to-be.
    pub files: Vec<EvidenceFile>,
    /// The steps the member has passed, by slug.
    pub done: Vec<String>,
}

impl Answers {
    pub fn new(submission_id: String) -> Self {
        Self {
            submission_id,
            ..Self::default()
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// Replaces the answers of `step` with `sent` (fields of other steps are ignored).
    pub fn answer(&mut self, step: Step, sent: impl IntoIterator<Item = (String, Vec<String>)>) {
        self.fields.retain(|name, _| !step.owns(name));
        for (name, values) in sent {
            let values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
            if step.owns(&name) && !values.is_empty() {
                self.fields.insert(name, values);
            }
        }
    }

    pub fn pass(&mut self, step: Step) {
        if !self.is_done(step) {
            self.done.push(step.slug().to_owned());
        }
    }

    pub fn is_done(&self, step: Step) -> bool {
        self.done.iter().any(|d| d == step.slug())
    }

    /// The first step not passed yet; none when every step is.
    pub fn first_open(&self) -> Option<Step> {
        Step::ALL.into_iter().find(|s| !self.is_done(*s))
    }
}

/// What is wrong with the boxes of a date or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartsError {
    /// Some boxes are filled in, others are empty.
    Incomplete,
    /// A box holds something other than a number, or the date does not exist.
    NotReal,
}

/// A local time from its five boxes: nothing when all are empty.
pub fn time_from_parts(
    day: &str,
    month: &str,
    year: &str,
    hour: &str,
    minute: &str,
) -> Result<Option<NaiveDateTime>, PartsError> {
    let parts = [day, month, year, hour, minute].map(str::trim);
    if parts.iter().all(|p| p.is_empty()) {
        return Ok(None);
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(PartsError::Incomplete);
    }
    let number = |s: &str| -> Result<u32, PartsError> {
        if s.len() > 4 || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(PartsError::NotReal);
        }
        s.parse().map_err(|_| PartsError::NotReal)
    };
    let [day, month, year, hour, minute] = [
        number(parts[0])?,
        number(parts[1])?,
        number(parts[2])?,
        number(parts[3])?,
        number(parts[4])?,
    ];
    if parts[2].len() != 4 {
        return Err(PartsError::NotReal);
    }
    let year = i32::try_from(year).map_err(|_| PartsError::NotReal)?;
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .map(Some)
        .ok_or(PartsError::NotReal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_the_form_belongs_to_one_step() {
        for field in [
            "reporter.name",
            "reporter.email",
            "reporter.phone",
            "reporter.contact",
            "reporter.committee",
            "page.url",
            "page.created_on.year",
            "kind",
            "detected_at.hour",
            "description",
            "containment.state",
            "containment.stopped_at.day",
            "containment.actions",
            "evidence",
        ] {
            let owners: Vec<Step> = Step::ALL.into_iter().filter(|s| s.owns(field)).collect();
            assert_eq!(owners.len(), 1, "{field}: {owners:?}");
        }
        assert_eq!(Step::of("website"), None);
    }

    #[test]
    fn steps_go_forward_and_back_in_order() {
        assert_eq!(Step::You.previous(), None);
        assert_eq!(Step::You.next(), Some(Step::Committee));
        assert_eq!(Step::Evidence.next(), None);
        assert_eq!(Step::Evidence.previous(), Some(Step::Stopped));
        assert_eq!(Step::from_slug("what-happened"), Some(Step::What));
        assert_eq!(Step::Stopped.number(), 5);
    }

    #[test]
    fn a_step_replaces_only_its_own_answers() {
        let mut a = Answers::new("s".into());
        a.answer(
            Step::You,
            [("reporter.name".to_owned(), vec!["Bình".to_owned()])],
        );
        a.answer(
            Step::Page,
            [
                ("page.url".to_owned(), vec!["https://x".to_owned()]),
                ("reporter.name".to_owned(), vec!["forged".to_owned()]),
            ],
        );
        assert_eq!(a.get("reporter.name"), Some("Bình"));
        a.answer(Step::Page, [("page.url".to_owned(), vec![String::new()])]);
        assert_eq!(a.get("page.url"), None);
        a.pass(Step::You);
        a.pass(Step::You);
        assert_eq!(a.first_open(), Some(Step::Committee));
    }

    #[test]
    fn a_time_takes_all_five_boxes_and_must_exist() {
        let t = time_from_parts("28", "11", "2026", "8", "05")
            .expect("boxes")
            .expect("a time");
        assert_eq!(t.to_string(), "2026-11-28 08:05:00");
        assert_eq!(time_from_parts("", " ", "", "", ""), Ok(None));
        assert_eq!(
            time_from_parts("28", "11", "2026", "", ""),
            Err(PartsError::Incomplete)
        );
        assert_eq!(
            time_from_parts("31", "2", "2026", "8", "0"),
            Err(PartsError::NotReal)
        );
        assert_eq!(
            time_from_parts("1", "2", "26", "8", "0"),
            Err(PartsError::NotReal)
        );
        assert_eq!(
            time_from_parts("1", "2", "2026", "24", "0"),
            Err(PartsError::NotReal)
        );
        assert_eq!(
            time_from_parts("a", "2", "2026", "8", "0"),
            Err(PartsError::NotReal)
        );
    }
}
