//! Free text with bounds: trimmed, no control characters, a length in characters.

use super::FieldError;

#[derive(Debug, Clone, Copy)]
pub struct TextRule {
    pub min: usize,
    pub max: usize,
    pub multiline: bool,
}

impl TextRule {
    pub const fn line(min: usize, max: usize) -> Self {
        Self {
            min,
            max,
            multiline: false,
        }
    }

    pub const fn block(min: usize, max: usize) -> Self {
        Self {
            min,
            max,
            multiline: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    pub fn parse(field: &str, raw: &str, rule: TextRule) -> Result<Self, FieldError> {
        let value = raw.trim();
        let len = value.chars().count();
        if len == 0 && rule.min > 0 {
            return Err(FieldError::new(field, "required", "must not be empty"));
        }
        if len < rule.min {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("must be at least {} characters", rule.min),
            )
            .with_limit(rule.min));
        }
        if len > rule.max {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("must be at most {} characters", rule.max),
            )
            .with_limit(rule.max));
        }
        let bad = value
            .chars()
            .any(|c| c.is_control() && !(rule.multiline && matches!(c, '\n' | '\r' | '\t')));
        if bad {
            return Err(FieldError::new(
                field,
                "control_characters",
                "must not contain control characters",
            ));
        }
        if super::secret::looks_like_password(value) {
            return Err(FieldError::new(
                field,
                "no_passwords",
                "must not contain a password: it is never needed, remove it",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// What the desk's search looks in: the parts, lower-cased (Unicode), space-separated.
pub fn search_text(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|p| p.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds_text() {
        let rule = TextRule::line(2, 5);
        assert_eq!(
            BoundedText::parse("f", "  abc ", rule).map(BoundedText::into_inner),
            Ok("abc".to_owned())
        );
        assert_eq!(
            BoundedText::parse("f", "   ", rule).map_err(|e| e.rule),
            Err("required")
        );
        assert_eq!(
            BoundedText::parse("f", "a", rule).map_err(|e| e.rule),
            Err("too_short")
        );
        assert_eq!(
            BoundedText::parse("f", "abcdef", rule).map_err(|e| e.rule),
            Err("too_long")
        );
        assert_eq!(
            BoundedText::parse("f", "a\nb", rule).map_err(|e| e.rule),
            Err("control_characters")
        );
        assert!(BoundedText::parse("f", "a\nb", TextRule::block(1, 5)).is_ok());
    }
}
