//! A config file's parse error in the user's words: the line, the key, what was expected and
//! what was found, without Rust's type names (`usize`, `f64`, `untagged enum`).

/// `error`, raised while reading `text`, as `line N: KEY: expected WHAT, got VALUE`.
pub fn parse_error(text: &str, error: &toml::de::Error) -> String {
    let message = in_words(error.message().trim());
    match error.span() {
        Some(span) => {
            let offset = span.start.min(text.len());
            let line = text[..offset].matches('\n').count() + 1;
            let (section, key) = key_at(text, offset);
            match (message.strip_prefix("unknown field "), section, key) {
                (Some(rest), Some(section), _) => {
                    match rest.split_once(", expected") {
                        Some((name, expected)) => {
                            format!("line {line}: unknown key {name} in [{section}], expected{expected}")
                        }
                        None => format!("line {line}: unknown key {rest} in [{section}]"),
                    }
                }
                (Some(rest), None, _) => format!("line {line}: unknown section {rest}"),
                (None, Some(section), Some(key)) => {
                    format!("line {line}: {section}.{key}: {message}")
                }
                (None, None, Some(key)) => format!("line {line}: {key}: {message}"),
                (None, _, None) => format!("line {line}: {message}"),
            }
        }
        None => message,
    }
}

/// The section and key whose value holds byte `offset`: the nearest `[section]` header above
/// it, and the nearest `key =` at or above the offset's line below that header.
fn key_at(text: &str, offset: usize) -> (Option<String>, Option<String>) {
    let mut section = None;
    let mut key = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if start > offset {
            break;
        }
        start += line.len();
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            if start > offset {
                // The offset is on this header: an unknown section, inside the one above.
                return (section, None);
            }
            section = Some(header.trim_matches(['[', ']', ' ']).to_owned());
            key = None;
        } else if let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            if !name.is_empty() && name.chars().all(is_key_char) {
                key = Some(name.trim_matches('"').to_owned());
            }
        }
    }
    (section, key)
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | ' ')
}

/// serde's `invalid type: GOT, expected WANT` as `expected WANT, got GOT`, in words.
fn in_words(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((got, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once(", expected "))
        {
            return format!(
                "expected {}, got {}",
                expected_in_words(expected),
                got_in_words(got)
            );
        }
    }
    message.to_owned()
}

fn expected_in_words(expected: &str) -> &str {
    match expected {
        "usize" | "u64" | "u32" | "u16" | "u8" => "a whole number (0 or more)",
        "isize" | "i64" | "i32" | "i16" | "i8" => "a whole number",
        "f64" | "f32" => "a number",
        "a boolean" => "true or false",
        "a sequence" => "a list",
        other => other,
    }
}

fn got_in_words(got: &str) -> String {
    for kind in ["floating point ", "integer ", "boolean "] {
        if let Some(value) = got.strip_prefix(kind) {
            return value.trim_matches('`').to_owned();
        }
    }
    if let Some(text) = got.strip_prefix("string ") {
        return format!("the text {text}");
    }
    match got {
        "sequence" => "a list".to_owned(),
        "map" => "a table".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_error;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read only by serde
    struct Run {
        runs: Option<usize>,
        seed: Option<u64>,
        alpha: Option<f64>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read only by serde
    struct File {
        run: Run,
    }

    fn error_of(text: &str) -> String {
        let e = toml::from_str::<File>(text).unwrap_err();
        parse_error(text, &e)
    }

    #[test]
    fn unknown_keys_name_their_section() {
        assert_eq!(
            error_of("[run]\nrun = 3\n"),
            "line 2: unknown key `run` in [run], expected one of `runs`, `seed`, `alpha`"
        );
        assert_eq!(
            error_of("[rn]\nruns = 3\n"),
            "line 1: unknown section `rn`, expected `run`"
        );
    }

    #[test]
    fn type_errors_name_the_line_the_key_and_what_was_expected_in_words() {
        assert_eq!(
            error_of("[run]\nruns = 20.5\n"),
            "line 2: run.runs: expected a whole number (0 or more), got 20.5"
        );
        assert_eq!(
            error_of("# seeds\n[run]\nruns = 3\nseed = -1\n"),
            "line 4: run.seed: expected a whole number (0 or more), got -1"
        );
        assert_eq!(
            error_of("[run]\nalpha = \"high\"\n"),
            "line 2: run.alpha: expected a number, got the text \"high\""
        );
        assert_eq!(
            error_of("[run]\nalpha = [\n  1,\n  \"x\"]\n"),
            "line 2: run.alpha: expected a number, got a list"
        );
    }
}
