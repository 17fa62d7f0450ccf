//! Free text with bounds: trimmed, in Unicode NFC, no control characters, nothing invisible
//! or direction-changing that could make one name look like another, a length in characters.

use unicode_normalization::UnicodeNormalization;

use super::FieldError;

/// Characters that change the direction of the text after them (U+202A-U+202E, U+2066-U+2069,
/// and the marks U+200E, U+200F, U+061C).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no width (U+200B-U+200D, U+2060-U+2064, U+FEFF, U+180E, U+00AD).
pub fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}' | '\u{00AD}')
}

/// The rule broken by a text's invisible characters, if any: direction controls anywhere;
/// zero-width characters in one-line text (names, handles, references), while longer text
/// may keep the joiners that emoji and some scripts need.
pub fn invisible(field: &str, value: &str, multiline: bool) -> Option<FieldError> {
    let bad = value.chars().any(|c| {
        is_bidi_control(c)
            || (is_zero_width(c) && !(multiline && matches!(c, '\u{200C}' | '\u{200D}')))
    });
    bad.then(|| {
        FieldError::new(
            field,
            "invisible_characters",
            "must not contain invisible or direction-changing characters (such as U+200B or U+202E)",
        )
    })
}

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
        // The longest allowed counts what was sent, as the API document's `maxLength` does;
        // the shortest counts what is kept.
        let sent = raw.chars().count();
        let normalised: String = raw.nfc().collect();
        let value = normalised.trim();
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
        if len > rule.max || sent > rule.max {
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
        if let Some(error) = invisible(field, value, rule.multiline) {
            return Err(error);
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

/// `text` lower-cased, without diacritics (`đ` as `d`), for matching Vietnamese names
/// typed with or without their marks.
pub fn fold_for_search(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect()
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
            BoundedText::parse("f", " abc ", rule).map(BoundedText::into_inner),
            Ok("abc".to_owned())
        );
        // The longest allowed counts what was sent (as the API document's maxLength).
        assert_eq!(
            BoundedText::parse("f", "  abc ", rule).map_err(|e| e.rule),
            Err("too_long")
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

    #[test]
    fn normalises_to_nfc_and_refuses_invisible_characters() {
        let rule = TextRule::line(1, 50);
        // "Bình" typed with a combining grave accent is stored composed.
        let decomposed = "Bi\u{0300}nh";
        assert_eq!(
            BoundedText::parse("f", decomposed, rule).map(BoundedText::into_inner),
            Ok("Bình".to_owned())
        );
        for bad in [
            "admin\u{202E}gnp.exe",
            "Ba\u{200B}Dinh",
            "\u{2066}Ba Dinh\u{2069}",
            "\u{FEFF}Ba Dinh",
            "Ba\u{200D}Dinh",
        ] {
            assert_eq!(
                BoundedText::parse("f", bad, rule).map_err(|e| e.rule),
                Err("invisible_characters"),
                "{bad:?}"
            );
        }
        // Longer text keeps the joiners of emoji sequences, but never direction controls.
        let block = TextRule::block(1, 100);
        assert!(BoundedText::parse("f", "Gia đình 👨\u{200D}👩\u{200D}👧", block).is_ok());
        assert_eq!(
            BoundedText::parse("f", "see \u{202E}txt.exe", block).map_err(|e| e.rule),
            Err("invisible_characters")
        );
    }
}
