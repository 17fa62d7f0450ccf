//! Rules of the personal-data purge: when "closed before" is, and what of a timeline
//! entry is personal.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};
use serde_json::Value;

/// What replaces a personal value that cannot be empty.
pub const REDACTED: &str = "[redacted]";

/// Free-text fields of timeline entries: notes, the member's additions, containment
/// notes and platform case numbers.
const FREE_TEXT: [&str; 5] = ["text", "note", "containment_note", "case_ref", "previous"];

/// The cutoff of `--closed-before`: a date (midnight at `offset`), an RFC 3339 time, or a
/// duration such as `365d` counted back from `now`.
pub fn parse_cutoff(
    raw: &str,
    now: DateTime<Utc>,
    offset: FixedOffset,
) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return day
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(offset).single())
            .map(|at| at.with_timezone(&Utc))
            .ok_or_else(|| format!("`{raw}` is not a day that exists"));
    }
    if let Ok(age) = humantime::parse_duration(raw) {
        return TimeDelta::from_std(age)
            .ok()
            .and_then(|age| now.checked_sub_signed(age))
            .ok_or_else(|| format!("`{raw}` reaches back too far"));
    }
    Err(format!(
        "`{raw}` is neither a date (2026-01-31), an RFC 3339 time (2026-01-31T00:00:00+07:00) \
         nor a duration (365d)"
    ))
}

/// Removes the personal parts of a timeline entry's data: free texts become
/// [`REDACTED`], file names too, and file digests go. Returns whether anything changed.
pub fn redact_event_data(data: &mut Value) -> bool {
    let Some(map) = data.as_object_mut() else {
        return false;
    };
    let mut changed = false;
    for key in FREE_TEXT {
        changed |= redact_text(map.get_mut(key));
    }
    if let Some(Value::Array(files)) = map.get_mut("files") {
        for name in files.iter_mut() {
            changed |= redact_text(Some(name));
        }
    }
    if let Some(Value::Array(files)) = map.get_mut("evidence") {
        for file in files.iter_mut().filter_map(Value::as_object_mut) {
            changed |= redact_text(file.get_mut("name"));
            changed |= file.remove("sha256").is_some();
        }
    }
    changed
}

fn redact_text(value: Option<&mut Value>) -> bool {
    match value {
        Some(value @ Value::String(_)) if value.as_str() != Some(REDACTED) => {
            let empty = value.as_str().is_some_and(str::is_empty);
            if !empty {
                *value = Value::String(REDACTED.to_owned());
            }
            !empty
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn plus7() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).expect("offset")
    }

    #[test]
    fn a_cutoff_is_a_day_a_time_or_an_age() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        assert_eq!(
            parse_cutoff("2026-01-31", now, plus7()),
            Ok(Utc.with_ymd_and_hms(2026, 1, 30, 17, 0, 0).unwrap()),
            "midnight where the committee works"
        );
        assert_eq!(
            parse_cutoff("2026-01-31T08:00:00+07:00", now, plus7()),
            Ok(Utc.with_ymd_and_hms(2026, 1, 31, 1, 0, 0).unwrap())
        );
        assert_eq!(
            parse_cutoff("365d", now, plus7()),
            Ok(Utc.with_ymd_and_hms(2025, 11, 29, 12, 0, 0).unwrap())
        );
        assert_eq!(parse_cutoff("0s", now, plus7()), Ok(now));
        for bad in ["", "yesterday", "2026-02-30", "-5d"] {
            assert!(parse_cutoff(bad, now, plus7()).is_err(), "{bad}");
        }
    }

    #[test]
    fn free_texts_and_file_names_go_and_the_rest_stays() {
        let mut reported = json!({
            "reference": "INC-2026-000001",
            "kind": "hijacked",
            "containment_note": "Tôi đã đổi mật khẩu",
            "evidence": [{ "name": "an-nguyen.png", "content_type": "image/png",
                           "size_bytes": 10, "sha256": "ab" }],
        });
        assert!(redact_event_data(&mut reported));
        assert_eq!(
            reported,
            json!({
                "reference": "INC-2026-000001",
                "kind": "hijacked",
                "containment_note": REDACTED,
                "evidence": [{ "name": REDACTED, "content_type": "image/png", "size_bytes": 10 }],
            })
        );
        assert!(
            !redact_event_data(&mut reported),
            "a second pass changes nothing"
        );

        let mut info = json!({ "text": "Số tôi 0912", "files": ["cmnd.jpg"], "note": null });
        assert!(redact_event_data(&mut info));
        assert_eq!(
            info,
            json!({ "text": REDACTED, "files": [REDACTED], "note": null })
        );

        let mut notified = json!({ "party": "meta", "channel": "email" });
        assert!(!redact_event_data(&mut notified));
    }
}
