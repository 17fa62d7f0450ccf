//! When `serve` purges the personal data of closed incidents on its own.

use std::time::Duration;

use serde::Deserialize;

use super::HumanDuration;

/// The longest `purge_closed_after` accepted: about a century.
const LONGEST_AGE: Duration = Duration::from_secs(36_500 * 24 * 3600);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Purge closed incidents this long after they were closed; when absent, nothing is
    /// purged on a schedule.
    #[serde(default)]
    pub purge_closed_after: Option<HumanDuration>,
    /// How often the scheduled purge runs.
    #[serde(with = "humantime_serde")]
    pub purge_interval: Duration,
}

pub(super) fn problems(retention: &RetentionSettings, problems: &mut Vec<String>) {
    if retention.purge_interval.is_zero() {
        problems.push("retention.purge_interval: must be longer than zero".to_owned());
    }
    if retention
        .purge_closed_after
        .is_some_and(|after| after.0 > LONGEST_AGE)
    {
        problems.push("retention.purge_closed_after: must be at most 36500d".to_owned());
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{ConfigError, from_defaults_and};

    #[test]
    fn no_purge_is_scheduled_by_default() {
        let settings = from_defaults_and("", None).expect("defaults load");
        assert_eq!(settings.retention.purge_closed_after, None);
        assert_eq!(
            settings.retention.purge_interval,
            std::time::Duration::from_secs(24 * 3600)
        );
        let settings = from_defaults_and("[retention]\npurge_closed_after = \"365d\"\n", None)
            .expect("a year is accepted");
        assert_eq!(
            settings.retention.purge_closed_after.map(|d| d.0.as_secs()),
            Some(365 * 24 * 3600)
        );
    }

    #[test]
    fn the_interval_and_the_age_are_checked() {
        let Err(ConfigError::Invalid(problems)) = from_defaults_and(
            "[retention]\npurge_closed_after = \"40000d\"\npurge_interval = \"0s\"\n",
            None,
        ) else {
            panic!("expected invalid config");
        };
        for want in [
            "retention.purge_interval: must be longer than zero",
            "retention.purge_closed_after: must be at most 36500d",
        ] {
            assert!(problems.iter().any(|p| p == want), "{problems:?}");
        }
        assert!(
            from_defaults_and("[retention]\npurge_closed_after = \"soon\"\n", None).is_err(),
            "not a duration"
        );
    }
}
