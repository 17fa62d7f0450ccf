//! Members sometimes type the account's password into a report. We never need it and
//! must never store it, so text that looks like one is refused before anything is kept.

const WORD_KEYWORDS: &[&str] = &["password", "passwd", "mật khẩu", "mat khau", "matkhau"];
const SHORT_KEYWORDS: &[&str] = &["pass", "pwd", "mk", "pw"];
const WORD_SEPARATORS: &[&str] = &["is", "là", "la", "was", "cũ là", "mới là"];

/// Whether `text` gives a password: `password: x`, `mk=x`, `mật khẩu là 123456`.
pub fn looks_like_password(text: &str) -> bool {
    let lower = text.to_lowercase();
    let keywords = WORD_KEYWORDS
        .iter()
        .map(|k| (k, true))
        .chain(SHORT_KEYWORDS.iter().map(|k| (k, false)));
    for (keyword, is_word) in keywords {
        for (at, _) in lower.match_indices(keyword) {
            let before = lower[..at].chars().next_back();
            if before.is_some_and(char::is_alphanumeric) {
                continue;
            }
            let rest = &lower[at + keyword.len()..];
            if gives_value(rest, is_word) {
                return true;
            }
        }
    }
    false
}

fn gives_value(rest: &str, words_allowed: bool) -> bool {
    let rest = rest.trim_start_matches([' ', '\t']);
    let after_mark = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix('='))
        .or_else(|| rest.strip_prefix('-'));
    if let Some(value) = after_mark {
        return first_token(value).chars().count() >= 4;
    }
    if !words_allowed {
        return false;
    }
    // "password is …" only counts when the value looks made up: digits or symbols.
    WORD_SEPARATORS.iter().any(|sep| {
        rest.strip_prefix(sep)
            .filter(|v| v.starts_with(char::is_whitespace))
            .map(first_token)
            .is_some_and(|token| {
                token.chars().count() >= 4
                    && token
                        .chars()
                        .any(|c| c.is_ascii_digit() || c.is_ascii_punctuation())
            })
    })
}

fn first_token(value: &str) -> &str {
    let value = value.trim_start();
    let value = value.trim_start_matches(['"', '\'', '“', '‘']);
    value.split(char::is_whitespace).next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::looks_like_password;

    #[test]
    fn passwords_given_in_text_are_found() {
        for text in [
            "my password: Hunter2024",
            "Password=abcdef",
            "mật khẩu là 12345678",
            "Mat khau: toiyeuvn",
            "mk: abc@123",
            "the password is s3cret!",
            "pass - qwerty12",
        ] {
            assert!(looks_like_password(text), "{text}");
        }
    }

    #[test]
    fn talk_about_passwords_is_not_a_password() {
        for text in [
            "I changed the password at 9:00",
            "Mật khẩu đã bị đổi, tôi không đăng nhập được",
            "the password is changed now",
            "passport photos were posted",
            "mk",
            "Someone removed me as admin of the page",
            "bypass: none",
        ] {
            assert!(!looks_like_password(text), "{text}");
        }
    }
}
