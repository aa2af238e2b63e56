//! Reading Greenhouse's answers beyond their records: error bodies, the `Link` header's next
//! page, `Retry-After`.

use std::time::Duration;

use reqwest::{StatusCode, header::HeaderMap};
use serde_json::Value;
use url::Url;

/// The most of a non-JSON error body kept as a message (an HTML error page says little).
const MAX_TEXT_MESSAGE: usize = 200;

/// An error body, in any documented shape: `{"message": …, "errors": [...]}` (either key
/// missing; `errors` items strings or `{field, message}`), OAuth's `{"error": …}`, or text.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Problem {
    /// OAuth's error code (`invalid_client`).
    pub error: Option<String>,
    pub messages: Vec<String>,
}

impl Problem {
    pub(super) fn parse(body: &[u8]) -> Self {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => {
                let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
                let error = text(object.get("error"));
                let mut messages: Vec<String> = text(object.get("message")).into_iter().collect();
                match object.get("errors") {
                    Some(Value::Array(items)) => {
                        messages.extend(items.iter().filter_map(item_message))
                    }
                    Some(other) => messages.extend(item_message(other)),
                    None => {}
                }
                messages.extend(text(object.get("error_description")));
                if messages.is_empty() {
                    messages.extend(error.clone());
                }
                Self { error, messages }
            }
            Ok(Value::Array(items)) => Self {
                error: None,
                messages: items.iter().filter_map(item_message).collect(),
            },
            Ok(other) => Self {
                error: None,
                messages: item_message(&other).into_iter().collect(),
            },
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                Self {
                    error: None,
                    messages: (!text.is_empty())
                        .then(|| text.chars().take(MAX_TEXT_MESSAGE).collect())
                        .into_iter()
                        .collect(),
                }
            }
        }
    }

    /// The messages, or the status when the body said nothing.
    pub(super) fn messages_or(self, status: StatusCode) -> Vec<String> {
        if self.messages.is_empty() {
            vec![format!("HTTP {status}")]
        } else {
            self.messages
        }
    }
}

/// One entry of `errors`: a string or `{field, message}`; anything else as it came.
fn item_message(item: &Value) -> Option<String> {
    match item {
        Value::String(text) => Some(text.clone()),
        Value::Object(object) => {
            let text = |key: &str| object.get(key).and_then(Value::as_str);
            Some(match (text("field"), text("message")) {
                (Some(field), Some(message)) => format!("{field}: {message}"),
                (None, Some(message)) => message.to_owned(),
                _ => item.to_string(),
            })
        }
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The `rel="next"` target of the `Link` headers, resolved against the request's URL (it is
/// absolute in practice, and then taken verbatim).
pub(super) fn next_link(headers: &HeaderMap, request: &Url) -> Option<Url> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(next_target)
        .and_then(|target| request.join(target).ok())
}

/// RFC 8288: `<target>; rel="next", <target>; rel="last"`; a `rel` may hold several
/// space-separated relations, and quoted parameters may hold commas.
fn next_target(value: &str) -> Option<&str> {
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let after = rest.strip_prefix('<')?;
        let end = after.find('>')?;
        let target = &after[..end];
        rest = &after[end + 1..];
        let mut quoted = false;
        let params_end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == ',' && !quoted
            })
            .map_or(rest.len(), |(at, _)| at);
        let (params, next) = rest.split_at(params_end);
        rest = next;
        let is_next = params.split(';').any(|param| {
            param.split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("rel")
                    && value
                        .trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|relation| relation.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target.trim());
        }
    }
}

/// `Retry-After` in seconds (Greenhouse sends seconds).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;
    use serde_json::json;

    use super::*;

    fn messages(body: &str) -> Vec<String> {
        Problem::parse(body.as_bytes()).messages
    }

    #[test]
    fn every_documented_error_body_reads_as_messages() {
        assert_eq!(
            messages(r#"{"message":"Resource not found"}"#),
            ["Resource not found"]
        );
        assert_eq!(
            messages(r#"{"errors":["When passing a cursor, do not include other query params."]}"#),
            ["When passing a cursor, do not include other query params."]
        );
        assert_eq!(
            messages(
                r#"{"message":"Validation error","errors":[{"field":"first_name","message":"can't be blank"},"job is closed"]}"#
            ),
            [
                "Validation error",
                "first_name: can't be blank",
                "job is closed"
            ]
        );
        assert_eq!(messages(r#"{"errors":[{"message":"bad"}]}"#), ["bad"]);
        assert_eq!(messages("{}"), Vec::<String>::new());
        assert_eq!(messages(""), Vec::<String>::new());
        assert_eq!(
            messages("<html>Bad Gateway</html>"),
            ["<html>Bad Gateway</html>"]
        );
        assert_eq!(messages(&"x".repeat(1000)).concat().len(), MAX_TEXT_MESSAGE);
    }

    #[test]
    fn oauth_errors_keep_their_code() {
        let problem = Problem::parse(br#"{"error":"invalid_client"}"#);
        assert_eq!(problem.error.as_deref(), Some("invalid_client"));
        assert_eq!(problem.messages, ["invalid_client"]);
        let problem =
            Problem::parse(br#"{"error":"invalid_request","error_description":"sub is required"}"#);
        assert_eq!(problem.messages, ["sub is required"]);
    }

    #[test]
    fn undocumented_shapes_still_say_something() {
        assert_eq!(
            messages(&json!({"errors": {"email": ["is invalid"]}}).to_string()),
            [r#"{"email":["is invalid"]}"#]
        );
        assert_eq!(messages(r#"["a", "b"]"#), ["a", "b"]);
        assert_eq!(messages(r#""plain""#), ["plain"]);
    }

    #[test]
    fn an_empty_body_reads_as_its_status() {
        assert_eq!(
            Problem::parse(b"").messages_or(StatusCode::BAD_GATEWAY),
            ["HTTP 502 Bad Gateway"]
        );
    }

    #[test]
    fn the_next_link_is_found_among_others() {
        assert_eq!(
            next_target(r#"<https://h.test/v3/jobs?cursor=abc>; rel="next""#),
            Some("https://h.test/v3/jobs?cursor=abc")
        );
        assert_eq!(
            next_target(
                r#"<https://h.test/v3/jobs?cursor=a,b>; title="x, y"; rel="prev", <https://h.test/v3/jobs?cursor=n>; rel="next last""#
            ),
            Some("https://h.test/v3/jobs?cursor=n")
        );
        assert_eq!(
            next_target("<https://h.test/v3/jobs?cursor=n>; REL=next"),
            Some("https://h.test/v3/jobs?cursor=n")
        );
        assert_eq!(
            next_target(r#"<https://h.test/v3/jobs?cursor=p>; rel="prev""#),
            None
        );
        assert_eq!(next_target(""), None);
        assert_eq!(next_target("garbage"), None);
    }

    #[test]
    fn the_next_link_is_taken_verbatim() {
        let request: Url = "https://h.test/v3/jobs?per_page=500&status=open"
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.append(
            reqwest::header::LINK,
            HeaderValue::from_static(
                r#"<https://h.test/v3/jobs?cursor=eyJpZCI6MX0%3D>; rel="next""#,
            ),
        );
        let next = next_link(&headers, &request).unwrap();
        assert_eq!(
            next.as_str(),
            "https://h.test/v3/jobs?cursor=eyJpZCI6MX0%3D"
        );
        assert_eq!(next_link(&HeaderMap::new(), &request), None);
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&headers), None);
    }
}
