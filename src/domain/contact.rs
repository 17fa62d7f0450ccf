//! Contact details of a reporter or of an account: email addresses and phone numbers.

use super::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        let invalid = || {
            FieldError::new(
                field,
                "email",
                "must be an email address like name@example.org",
            )
        };
        if value.len() > 254 || !email_address::EmailAddress::is_valid(value) {
            return Err(invalid());
        }
        let (_, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        // A bare host such as `name@localhost` cannot receive mail from the outside.
        if !domain.contains('.') || domain.starts_with('[') {
            return Err(invalid());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number reduced to an optional leading `+` and 8 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let mut out = String::with_capacity(raw.len());
        for (i, c) in raw.trim().chars().enumerate() {
            match c {
                '+' if i == 0 => out.push(c),
                '0'..='9' => out.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(Self::invalid(field)),
            }
        }
        let digits = out.trim_start_matches('+').len();
        if !(8..=15).contains(&digits) {
            return Err(Self::invalid(field));
        }
        Ok(Self(out))
    }

    fn invalid(field: &str) -> FieldError {
        FieldError::new(
            field,
            "phone",
            "must be a phone number of 8 to 15 digits, optionally starting with +",
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_refuses_the_rest() {
        assert!(Email::parse("e", "an.nguyen@example.org").is_ok());
        assert!(Email::parse("e", " an@example.org ").is_ok());
        for bad in [
            "",
            "an",
            "an@",
            "@example.org",
            "an@localhost",
            "a b@example.org",
        ] {
            assert_eq!(
                Email::parse("e", bad).map_err(|e| e.rule),
                Err("email"),
                "{bad}"
            );
        }
    }

    #[test]
    fn phones_keep_digits_and_a_leading_plus() {
        assert_eq!(
            Phone::parse("p", "+84 912-345.678").map(|p| p.as_str().to_owned()),
            Ok("+84912345678".to_owned())
        );
        assert_eq!(
            Phone::parse("p", "(024) 3825 1234").map(|p| p.as_str().to_owned()),
            Ok("02438251234".to_owned())
        );
        for bad in ["12345", "+84 912 abc", "84+912345678", "1234567890123456"] {
            assert_eq!(
                Phone::parse("p", bad).map_err(|e| e.rule),
                Err("phone"),
                "{bad}"
            );
        }
    }
}
