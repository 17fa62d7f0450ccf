//! Quoted history in a reply: folded away when shown, never removed from what is kept.

/// Splits a reply's text into what the writer wrote and the history quoted below it: the
/// history starts at an attribution line ("On … wrote:", "Vào … đã viết:"), an Outlook
/// "Original Message" or "From:" header block, or a run of `>` lines that lasts to the end.
pub fn fold_quoted(text: &str) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let start = (0..lines.len()).find(|&i| starts_history(&lines, i));
    match start {
        Some(i) if i > 0 => (
            lines[..i].join("\n").trim_end().to_owned(),
            lines[i..].join("\n"),
        ),
        _ => (text.trim_end().to_owned(), String::new()),
    }
}

fn starts_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let lower = line.to_lowercase();
    let quoted_rest = || {
        lines[i + 1..]
            .iter()
            .map(|l| l.trim())
            .all(|l| l.is_empty() || l.starts_with('>'))
    };
    if lower.starts_with("-----original message-----")
        || lower.starts_with("-----tin nhắn gốc-----")
        || lower.starts_with("________________________________")
    {
        return true;
    }
    // "On Tue, 1 Dec 2026 at 10:00, Desk <cases@…> wrote:" (may wrap onto a second line).
    let attribution = |l: &str| {
        let l = l.to_lowercase();
        ((l.starts_with("on ") && l.ends_with("wrote:"))
            || (l.starts_with("vào ") && l.ends_with("đã viết:")))
            && l.len() < 300
    };
    if attribution(line) && quoted_rest() {
        return true;
    }
    if i + 1 < lines.len() && !line.is_empty() {
        let joined = format!("{line} {}", lines[i + 1].trim());
        let wrapped_quoted = lines[i + 2..]
            .iter()
            .map(|l| l.trim())
            .all(|l| l.is_empty() || l.starts_with('>'));
        if attribution(&joined) && wrapped_quoted {
            return true;
        }
    }
    if (lower.starts_with("from:") || lower.starts_with("từ:"))
        && (i == 0 || lines[i - 1].trim().is_empty())
        && lines[i + 1..].iter().take(4).any(|l| {
            let l = l.trim().to_lowercase();
            l.starts_with("sent:") || l.starts_with("subject:") || l.starts_with("date:")
        })
    {
        return true;
    }
    line.starts_with('>') && quoted_rest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_history_is_folded() {
        let text = "We removed the page.\nCase #123.\n\nOn Tue, 1 Dec 2026 at 10:00, Desk <cases@x.org> wrote:\n> Please act.\n> Thanks\n";
        let (visible, quoted) = fold_quoted(text);
        assert_eq!(visible, "We removed the page.\nCase #123.");
        assert!(quoted.starts_with("On Tue"));
        assert!(quoted.contains("> Please act."));
    }

    #[test]
    fn outlook_and_vietnamese_history_is_folded() {
        let outlook = "Done.\n\nFrom: Desk\nSent: Tuesday\nSubject: [INC-2026-000001]\n\nold text";
        assert_eq!(fold_quoted(outlook).0, "Done.");
        let vi = "Đã xử lý.\n\nVào Th 3, 1 thg 12, 2026 lúc 10:00 Desk <cases@x.org> đã viết:\n> Vui lòng xử lý.";
        assert_eq!(fold_quoted(vi).0, "Đã xử lý.");
    }

    #[test]
    fn inline_answers_and_plain_text_stay_whole() {
        let inline = "> Is the page down?\nYes, since 10:00.\n> Who owns it?\nThe member.";
        assert_eq!(fold_quoted(inline), (inline.to_owned(), String::new()));
        assert_eq!(fold_quoted("Hello"), ("Hello".to_owned(), String::new()));
        let only_quote = "> everything quoted";
        assert_eq!(fold_quoted(only_quote).0, only_quote);
    }
}
