//! The short human reference of an incident: `INC-2026-000123`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceCode {
    year: i32,
    number: u64,
}

impl ReferenceCode {
    pub fn new(year: i32, number: u64) -> Self {
        Self { year, number }
    }

    /// Parses `INC-YYYY-NNNNNN` (six or more digits), case-insensitively.
    pub fn parse(raw: &str) -> Option<Self> {
        let upper = raw.trim().to_ascii_uppercase();
        let rest = upper.strip_prefix("INC-")?;
        let (year, number) = rest.split_once('-')?;
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !all_digits(year) || number.len() < 6 || !all_digits(number) {
            return None;
        }
        Some(Self {
            year: year.parse().ok()?,
            number: number.parse().ok()?,
        })
    }
}

impl fmt::Display for ReferenceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INC-{:04}-{:06}", self.year, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_back() {
        let code = ReferenceCode::new(2026, 123);
        assert_eq!(code.to_string(), "INC-2026-000123");
        assert_eq!(ReferenceCode::parse("inc-2026-000123"), Some(code));
        assert_eq!(
            ReferenceCode::parse("INC-2026-1234567").map(|c| c.to_string()),
            Some("INC-2026-1234567".to_owned())
        );
        for bad in [
            "INC-26-000123",
            "INC-2026-123",
            "INC-2026-00012a",
            "2026-000123",
            "",
        ] {
            assert_eq!(ReferenceCode::parse(bad), None, "{bad}");
        }
    }
}
