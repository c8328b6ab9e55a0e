//! One message as the bytes of its output: text, JSON, or a kcat-style [`Template`].

use super::Format;
use base64::Engine;
use bytes::Bytes;
use rustlog::Message;
use std::io::Write;

/// A parsed `-f` format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Vec<Token>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(Vec<u8>),
    Topic,
    Partition,
    Offset,
    Key,
    KeyLength,
    Value,
    ValueLength,
    Headers,
    Timestamp,
}

impl Template {
    /// Parses kcat's tokens and escapes; an unknown `%x` or `\x` is an error naming it.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut tokens = Vec::new();
        let mut literal = Vec::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '%' => {
                    let token = match chars.next() {
                        Some('%') => {
                            literal.push(b'%');
                            continue;
                        }
                        Some('t') => Token::Topic,
                        Some('p') => Token::Partition,
                        Some('o') => Token::Offset,
                        Some('k') => Token::Key,
                        Some('K') => Token::KeyLength,
                        Some('v' | 's') => Token::Value,
                        Some('S') => Token::ValueLength,
                        Some('h') => Token::Headers,
                        Some('T') => Token::Timestamp,
                        other => return Err(unknown("%", other)),
                    };
                    if !literal.is_empty() {
                        tokens.push(Token::Literal(std::mem::take(&mut literal)));
                    }
                    tokens.push(token);
                }
                '\\' => match chars.next() {
                    Some('n') => literal.push(b'\n'),
                    Some('t') => literal.push(b'\t'),
                    Some('r') => literal.push(b'\r'),
                    Some('\\') => literal.push(b'\\'),
                    Some('x') => {
                        let hex: String = chars.by_ref().take(2).collect();
                        let byte = u8::from_str_radix(&hex, 16)
                            .map_err(|_| format!("\\x needs two hex digits, not {hex:?}"))?;
                        literal.push(byte);
                    }
                    other => return Err(unknown("\\", other)),
                },
                c => literal.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Ok(Template(tokens))
    }
}

fn unknown(lead: &str, next: Option<char>) -> String {
    let seen = next.map_or_else(
        || format!("a lone {lead} at the end"),
        |c| format!("{lead}{c}"),
    );
    format!(
        "unknown format token {seen}: use %t %p %o %k %K %v %s %S %h %T %% and \\n \\t \\r \\\\ \\xHH"
    )
}

/// How messages are printed.
#[derive(Debug, Clone)]
pub struct Render {
    pub format: Format,
    pub template: Option<Template>,
    pub print_key: bool,
    pub print_headers: bool,
    /// What text and templates print for a null key, value or header value.
    pub null_text: String,
}

impl Render {
    /// Appends one message's output (with its newline, except for a template) to `out`.
    pub fn write(&self, message: &Message, out: &mut Vec<u8>) {
        if let Some(template) = &self.template {
            self.write_template(template, message, out);
            return;
        }
        match self.format {
            Format::Json => {
                out.extend_from_slice(json(message).to_string().as_bytes());
            }
            Format::Text => {
                if self.print_headers {
                    self.write_headers(message, out);
                    out.push(b'\t');
                }
                if self.print_key {
                    self.write_nullable(message.key.as_ref(), out);
                    out.push(b'\t');
                }
                self.write_nullable(message.value.as_ref(), out);
            }
        }
        out.push(b'\n');
    }

    fn write_nullable(&self, bytes: Option<&Bytes>, out: &mut Vec<u8>) {
        match bytes {
            Some(b) => out.extend_from_slice(b),
            None => out.extend_from_slice(self.null_text.as_bytes()),
        }
    }

    /// `n=v,n2=v2` in record order, as kcat's `%h`.
    fn write_headers(&self, message: &Message, out: &mut Vec<u8>) {
        for (i, (name, value)) in message.headers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(name.as_bytes());
            out.push(b'=');
            self.write_nullable(value.as_ref(), out);
        }
    }

    fn write_template(&self, template: &Template, message: &Message, out: &mut Vec<u8>) {
        let length = |b: Option<&Bytes>| b.map_or(-1, |b| i64::try_from(b.len()).unwrap_or(-1));
        for token in &template.0 {
            // Writes into a Vec cannot fail.
            let _ = match token {
                Token::Literal(bytes) => out.write_all(bytes),
                Token::Topic => out.write_all(message.topic().as_bytes()),
                Token::Partition => write!(out, "{}", message.partition),
                Token::Offset => write!(out, "{}", message.offset),
                Token::Timestamp => write!(out, "{}", message.timestamp),
                Token::KeyLength => write!(out, "{}", length(message.key.as_ref())),
                Token::ValueLength => write!(out, "{}", length(message.value.as_ref())),
                Token::Key => {
                    self.write_nullable(message.key.as_ref(), out);
                    Ok(())
                }
                Token::Value => {
                    self.write_nullable(message.value.as_ref(), out);
                    Ok(())
                }
                Token::Headers => {
                    self.write_headers(message, out);
                    Ok(())
                }
            };
        }
    }
}

/// Null as JSON null, UTF-8 as a string, other bytes as `{"base64": "..."}`.
fn json_bytes(bytes: Option<&Bytes>) -> serde_json::Value {
    match bytes {
        None => serde_json::Value::Null,
        Some(b) => match std::str::from_utf8(b) {
            Ok(text) => serde_json::Value::String(text.to_string()),
            Err(_) => serde_json::json!({
                "base64": base64::engine::general_purpose::STANDARD.encode(b)
            }),
        },
    }
}

/// One message as a JSON object.
pub fn json(message: &Message) -> serde_json::Value {
    // Pairs, not an object: header keys repeat, and their order is part of the record.
    let headers: Vec<serde_json::Value> = message
        .headers
        .iter()
        .map(|(k, v)| serde_json::json!([k, json_bytes(v.as_ref())]))
        .collect();
    serde_json::json!({
        "topic": message.topic(),
        "partition": message.partition,
        "offset": message.offset,
        "timestamp": message.timestamp,
        "key": json_bytes(message.key.as_ref()),
        "value": json_bytes(message.value.as_ref()),
        "headers": headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn message() -> Message {
        Message {
            topic: Arc::from("t"),
            partition: 1,
            offset: 5,
            timestamp: 42,
            key: Some(Bytes::from_static(b"k")),
            value: None,
            headers: vec![
                ("h".into(), Some(Bytes::from_static(b"x"))),
                ("h".into(), None),
                ("e".into(), Some(Bytes::new())),
            ],
        }
    }

    fn render(format: Format, template: Option<&str>) -> Render {
        Render {
            format,
            template: template.map(|t| Template::parse(t).unwrap()),
            print_key: false,
            print_headers: false,
            null_text: "NULL".into(),
        }
    }

    fn text(render: &Render, message: &Message) -> String {
        let mut out = Vec::new();
        render.write(message, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_lines_show_null_apart_from_the_string_null() {
        let plain = render(Format::Text, None);
        assert_eq!(text(&plain, &message()), "NULL\n");
        let mut with_null_string = message();
        with_null_string.value = Some(Bytes::from_static(b"null"));
        assert_eq!(text(&plain, &with_null_string), "null\n");
        let keyed = Render {
            print_key: true,
            print_headers: true,
            ..plain
        };
        assert_eq!(text(&keyed, &message()), "h=x,h=NULL,e=\tk\tNULL\n");
    }

    #[test]
    fn json_keeps_null_strings_and_binary_apart() {
        let mut m = message();
        m.key = Some(Bytes::from_static(b"\xff\x00k"));
        let json: serde_json::Value =
            serde_json::from_str(text(&render(Format::Json, None), &m).trim_end()).unwrap();
        assert_eq!(json["offset"], 5);
        assert_eq!(json["key"], serde_json::json!({"base64": "/wBr"}));
        assert!(json["value"].is_null());
        assert_eq!(
            json["headers"],
            serde_json::json!([["h", "x"], ["h", null], ["e", ""]])
        );
    }

    #[test]
    fn kcat_templates_render_every_token() {
        let r = render(
            Format::Text,
            Some(r"%t [%p] @%o %T: %k=%v (%K/%S) {%h} 100%%\t|\x41\n"),
        );
        assert_eq!(
            text(&r, &message()),
            "t [1] @5 42: k=NULL (1/-1) {h=x,h=NULL,e=} 100%\t|A\n"
        );
        assert_eq!(text(&render(Format::Text, Some("%s")), &message()), "NULL");
    }

    #[test]
    fn bad_templates_name_the_token() {
        for (bad, named) in [
            ("%z", "%z"),
            ("50%", "lone %"),
            (r"\q", r"\q"),
            (r"\xZZ", "hex"),
        ] {
            let err = Template::parse(bad).unwrap_err();
            assert!(err.contains(named), "{bad}: {err}");
        }
    }
}
