//! A config file's parse error in the user's words: the line, the key, what was expected and
//! what was found, without Rust's type names (`usize`, `f64`, `untagged enum`).

/// `error`, raised while reading `text`, as `line N: KEY: expected WHAT, got VALUE`.
pub fn parse_error(text: &str, error: &toml::de::Error) -> String {
    let message = in_words(error.message().trim());
    let Some(span) = error.span() else {
        return message;
    };
    let offset = span.start.min(text.len());
    let line = text[..offset].matches('\n').count() + 1;
    let unknown = message.strip_prefix("unknown field ");
    let said = match (place_of(text, offset), unknown) {
        (Place::Header, Some(rest)) => format!("unknown section {rest}"),
        (Place::Key { section, .. }, Some(rest)) => {
            let (name, expected) = rest.split_once(", expected").unwrap_or((rest, ""));
            match section {
                Some(section) => format!("unknown key {name} in [{section}]{}", with(expected)),
                None => format!("unknown key {name} outside any [section]{}", with(expected)),
            }
        }
        (Place::Key { section, key }, None) => match (section, key) {
            (Some(section), Some(key)) => format!("{section}.{key}: {message}"),
            (None, Some(key)) => format!("{key}: {message}"),
            (_, None) => message,
        },
        (Place::Header, None) => message,
    };
    format!("line {line}: {said}")
}

/// `, expected ...` again, when there was one.
fn with(expected: &str) -> String {
    match expected {
        "" => String::new(),
        rest => format!(", expected{rest}"),
    }
}

/// Where an offset of a config file sits.
enum Place {
    /// On a `[section]` header line.
    Header,
    /// In a key's value: the nearest `key =` at or above the line, under the nearest header.
    Key {
        section: Option<String>,
        key: Option<String>,
    },
}

fn place_of(text: &str, offset: usize) -> Place {
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
                return Place::Header;
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
    Place::Key { section, key }
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
