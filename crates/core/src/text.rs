//! Text shown to users.

use std::borrow::Cow;

/// `text` with line breaks and other control characters escaped (`\n`, `\r`, `\u{1b}`; tabs are
/// kept), so that user input quoted in a message (a CSV column name, a JSON key, a TOML string)
/// cannot break the message over several lines.
pub fn one_line(text: &str) -> Cow<'_, str> {
    let escaped = |c: char| c.is_control() && c != '\t';
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn one_line_escapes_line_breaks_and_control_characters_only() {
        assert_eq!(
            one_line("a\nb\r\nc\u{1b}d\te é"),
            "a\\nb\\r\\nc\\u{1b}d\te é"
        );
        assert!(matches!(
            one_line("plain"),
            std::borrow::Cow::Borrowed("plain")
        ));
    }
}
