//! The error messages of Go's `encoding/json` and `encoding/base64`, for the continue-token
//! decoder.
//!
//! kube-apiserver decodes a continue token with `base64.RawURLEncoding.DecodeString` and
//! `json.Unmarshal` into `continueToken{v string, rv int64, start string}` and puts the Go error
//! text in the 400 message (`invalid continue token: continue key is not valid: invalid
//! character 'o' in literal null (expecting 'u')`). This module reproduces those texts: a port
//! of the `encoding/json` scanner's state machine (syntax errors, checked over the whole input
//! first, as `json.Unmarshal` does), and the `UnmarshalTypeError` texts for wrong field types.

/// Decodes unpadded URL-safe base64 like Go's `base64.RawURLEncoding.DecodeString`.
pub(crate) fn decode_raw_url_base64(input: &str) -> Result<Vec<u8>, String> {
    fn value(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    }
    let corrupt = |at: usize| format!("illegal base64 data at input byte {at}");
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    let mut quantum = [0u8; 4];
    let mut n = 0;
    let mut last = 0;
    for (i, &c) in bytes.iter().enumerate() {
        // Go's decoder skips CR and LF anywhere in the input.
        if c == b'\r' || c == b'\n' {
            continue;
        }
        let Some(v) = value(c) else {
            return Err(corrupt(i));
        };
        quantum[n] = v;
        n += 1;
        last = i;
        if n == 4 {
            out.push((quantum[0] << 2) | (quantum[1] >> 4));
            out.push((quantum[1] << 4) | (quantum[2] >> 2));
            out.push((quantum[2] << 6) | quantum[3]);
            n = 0;
        }
    }
    match n {
        0 => {}
        1 => return Err(corrupt(last)),
        2 => out.push((quantum[0] << 2) | (quantum[1] >> 4)),
        _ => {
            out.push((quantum[0] << 2) | (quantum[1] >> 4));
            out.push((quantum[1] << 4) | (quantum[2] >> 2));
        }
    }
    Ok(out)
}

/// The decoded fields of a continue token.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ContinueToken {
    pub version: String,
    pub rv: i64,
    pub start: String,
}

/// `json.Unmarshal(data, &continueToken{})` with Go's error text.
pub(crate) fn unmarshal_continue_token(data: &[u8]) -> Result<ContinueToken, String> {
    check_valid(data)?;
    let mut parser = Parser { data, pos: 0 };
    let value = parser.value();
    let mut token = ContinueToken::default();
    let mut first_error: Option<String> = None;
    let mut fail = |e: String| {
        if first_error.is_none() {
            first_error = Some(e);
        }
    };
    match value {
        JVal::Null => {}
        JVal::Obj(entries) => {
            for (key, val) in entries {
                // Go matches field names exactly first, then case-insensitively.
                let field = ["v", "rv", "start"]
                    .into_iter()
                    .find(|f| *f == key)
                    .or_else(|| {
                        ["v", "rv", "start"]
                            .into_iter()
                            .find(|f| f.eq_ignore_ascii_case(&key))
                    });
                let Some(field) = field else { continue };
                let type_error = |what: &str, ty: &str| {
                    format!(
                        "json: cannot unmarshal {what} into Go struct field continueToken.{field} of type {ty}"
                    )
                };
                match (field, val) {
                    (_, JVal::Null) => {}
                    ("v", JVal::Str(s)) => token.version = s,
                    ("start", JVal::Str(s)) => token.start = s,
                    ("rv", JVal::Num(text)) => match text.parse::<i64>() {
                        Ok(n) => token.rv = n,
                        Err(_) => fail(type_error(&format!("number {text}"), "int64")),
                    },
                    ("rv", other) => fail(type_error(other.go_kind(), "int64")),
                    (_, other) => fail(type_error(other.go_kind(), "string")),
                }
            }
        }
        other => fail(format!(
            "json: cannot unmarshal {} into Go value of type storage.continueToken",
            other.go_kind()
        )),
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(token),
    }
}

/// A parsed JSON value (numbers keep their literal text, as Go parses them lazily).
#[derive(Debug)]
enum JVal {
    Null,
    Bool,
    Num(String),
    Str(String),
    Arr,
    Obj(Vec<(String, JVal)>),
}

impl JVal {
    /// The value description Go puts in an `UnmarshalTypeError`.
    fn go_kind(&self) -> &'static str {
        match self {
            JVal::Null => "null",
            JVal::Bool => "bool",
            JVal::Num(_) => "number",
            JVal::Str(_) => "string",
            JVal::Arr => "array",
            JVal::Obj(_) => "object",
        }
    }
}

/// A parser for input already accepted by [`check_valid`].
struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> u8 {
        self.data.get(self.pos).copied().unwrap_or(0)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> JVal {
        self.skip_ws();
        match self.peek() {
            b'{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == b'}' {
                        self.pos += 1;
                        break;
                    }
                    let key = self.string();
                    self.skip_ws();
                    self.pos += 1; // ':'
                    let value = self.value();
                    entries.push((key, value));
                    self.skip_ws();
                    if self.peek() == b',' {
                        self.pos += 1;
                    }
                }
                JVal::Obj(entries)
            }
            b'[' => {
                self.pos += 1;
                loop {
                    self.skip_ws();
                    if self.peek() == b']' || self.pos >= self.data.len() {
                        self.pos += 1;
                        break;
                    }
                    self.value();
                    self.skip_ws();
                    if self.peek() == b',' {
                        self.pos += 1;
                    }
                }
                JVal::Arr
            }
            b'"' => JVal::Str(self.string()),
            b't' => {
                self.pos += 4;
                JVal::Bool
            }
            b'f' => {
                self.pos += 5;
                JVal::Bool
            }
            b'n' => {
                self.pos += 4;
                JVal::Null
            }
            _ => {
                let start = self.pos;
                while matches!(self.peek(), b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    self.pos += 1;
                }
                JVal::Num(String::from_utf8_lossy(&self.data[start..self.pos]).into_owned())
            }
        }
    }

    fn string(&mut self) -> String {
        self.pos += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        while self.pos < self.data.len() {
            let c = self.data[self.pos];
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek();
                    self.pos += 1;
                    match e {
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let ch = self.hex4().map(|hi| {
                                if (0xD800..0xDC00).contains(&hi)
                                    && self.data.get(self.pos..self.pos + 2) == Some(b"\\u")
                                {
                                    let save = self.pos;
                                    self.pos += 2;
                                    match self.hex4() {
                                        Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                        }
                                        _ => {
                                            self.pos = save;
                                            0xFFFD
                                        }
                                    }
                                } else {
                                    hi
                                }
                            });
                            let ch = ch.and_then(char::from_u32).unwrap_or('\u{FFFD}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
        // Go replaces invalid UTF-8 with U+FFFD.
        String::from_utf8_lossy(&out).into_owned()
    }

    fn hex4(&mut self) -> Option<u32> {
        let text = self.data.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        u32::from_str_radix(std::str::from_utf8(text).ok()?, 16).ok()
    }
}

/// Go's `checkValid`: the first syntax error of `data`, worded like `encoding/json`.
pub(crate) fn check_valid(data: &[u8]) -> Result<(), String> {
    let mut scanner = Scanner {
        step: Step::BeginValue,
        stack: Vec::new(),
        end_top: false,
    };
    for &c in data {
        scanner.step(c)?;
    }
    scanner.eof()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    /// Inside a literal: the remaining bytes expected, and the literal's name.
    Literal(&'static [u8], &'static str),
}

struct Scanner {
    step: Step,
    stack: Vec<Parse>,
    end_top: bool,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's `quoteChar`: the byte as a single-quoted Go character literal.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        b'\\' => "'\\\\'".to_string(),
        7 => "'\\a'".to_string(),
        8 => "'\\b'".to_string(),
        12 => "'\\f'".to_string(),
        b'\n' => "'\\n'".to_string(),
        b'\r' => "'\\r'".to_string(),
        b'\t' => "'\\t'".to_string(),
        11 => "'\\v'".to_string(),
        0x20..=0x7e => format!("'{}'", c as char),
        0..=0x1f | 0x7f => format!("'\\x{c:02x}'"),
        // Go converts the byte to the rune U+0080..U+00FF before quoting it.
        0x80..=0xa0 | 0xad => format!("'\\u{:04x}'", u32::from(c)),
        _ => format!("'{}'", char::from(c)),
    }
}

impl Scanner {
    fn error(c: u8, context: &str) -> String {
        format!("invalid character {} {context}", quote_char(c))
    }

    fn eof(&mut self) -> Result<(), String> {
        if self.end_top {
            return Ok(());
        }
        self.step(b' ')?;
        if self.end_top {
            Ok(())
        } else {
            Err("unexpected end of JSON input".to_string())
        }
    }

    fn step(&mut self, c: u8) -> Result<(), String> {
        match self.step {
            Step::BeginValueOrEmpty => {
                if is_space(c) {
                    return Ok(());
                }
                if c == b']' {
                    return self.end_value(c);
                }
                self.begin_value(c)
            }
            Step::BeginValue => self.begin_value(c),
            Step::BeginStringOrEmpty => {
                if is_space(c) {
                    return Ok(());
                }
                if c == b'}' {
                    if let Some(top) = self.stack.last_mut() {
                        *top = Parse::ObjectValue;
                    }
                    return self.end_value(c);
                }
                self.begin_string(c)
            }
            Step::BeginString => self.begin_string(c),
            Step::EndValue => self.end_value(c),
            Step::EndTop => {
                if is_space(c) {
                    Ok(())
                } else {
                    Err(Self::error(c, "after top-level value"))
                }
            }
            Step::InString => {
                match c {
                    b'"' => self.step = Step::EndValue,
                    b'\\' => self.step = Step::InStringEsc,
                    0..=0x1f => return Err(Self::error(c, "in string literal")),
                    _ => {}
                }
                Ok(())
            }
            Step::InStringEsc => {
                match c {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                        self.step = Step::InString
                    }
                    b'u' => self.step = Step::InStringEscU(0),
                    _ => return Err(Self::error(c, "in string escape code")),
                }
                Ok(())
            }
            Step::InStringEscU(n) => {
                if !c.is_ascii_hexdigit() {
                    return Err(Self::error(c, "in \\u hexadecimal character escape"));
                }
                self.step = if n == 3 {
                    Step::InString
                } else {
                    Step::InStringEscU(n + 1)
                };
                Ok(())
            }
            Step::Neg => {
                match c {
                    b'0' => self.step = Step::Zero,
                    b'1'..=b'9' => self.step = Step::One,
                    _ => return Err(Self::error(c, "in numeric literal")),
                }
                Ok(())
            }
            Step::One => {
                if c.is_ascii_digit() {
                    return Ok(());
                }
                self.zero(c)
            }
            Step::Zero => self.zero(c),
            Step::Dot => {
                if c.is_ascii_digit() {
                    self.step = Step::Dot0;
                    return Ok(());
                }
                Err(Self::error(c, "after decimal point in numeric literal"))
            }
            Step::Dot0 => {
                if c.is_ascii_digit() {
                    return Ok(());
                }
                if c == b'e' || c == b'E' {
                    self.step = Step::E;
                    return Ok(());
                }
                self.end_value(c)
            }
            Step::E => {
                if c == b'+' || c == b'-' {
                    self.step = Step::ESign;
                    return Ok(());
                }
                self.e_sign(c)
            }
            Step::ESign => self.e_sign(c),
            Step::E0 => {
                if c.is_ascii_digit() {
                    return Ok(());
                }
                self.end_value(c)
            }
            Step::Literal(rest, name) => {
                let Some((&want, tail)) = rest.split_first() else {
                    return self.end_value(c);
                };
                if c != want {
                    return Err(Self::error(
                        c,
                        &format!("in literal {name} (expecting {})", quote_char(want)),
                    ));
                }
                self.step = if tail.is_empty() {
                    Step::EndValue
                } else {
                    Step::Literal(tail, name)
                };
                Ok(())
            }
        }
    }

    fn zero(&mut self, c: u8) -> Result<(), String> {
        match c {
            b'.' => {
                self.step = Step::Dot;
                Ok(())
            }
            b'e' | b'E' => {
                self.step = Step::E;
                Ok(())
            }
            _ => self.end_value(c),
        }
    }

    fn e_sign(&mut self, c: u8) -> Result<(), String> {
        if c.is_ascii_digit() {
            self.step = Step::E0;
            return Ok(());
        }
        Err(Self::error(c, "in exponent of numeric literal"))
    }

    fn begin_value(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            return Ok(());
        }
        self.step = match c {
            b'{' => {
                self.stack.push(Parse::ObjectKey);
                Step::BeginStringOrEmpty
            }
            b'[' => {
                self.stack.push(Parse::ArrayValue);
                Step::BeginValueOrEmpty
            }
            b'"' => Step::InString,
            b'-' => Step::Neg,
            b'0' => Step::Zero,
            b'1'..=b'9' => Step::One,
            b't' => Step::Literal(b"rue", "true"),
            b'f' => Step::Literal(b"alse", "false"),
            b'n' => Step::Literal(b"ull", "null"),
            _ => return Err(Self::error(c, "looking for beginning of value")),
        };
        Ok(())
    }

    fn begin_string(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            return Ok(());
        }
        if c == b'"' {
            self.step = Step::InString;
            return Ok(());
        }
        Err(Self::error(c, "looking for beginning of object key string"))
    }

    fn end_value(&mut self, c: u8) -> Result<(), String> {
        let Some(&top) = self.stack.last() else {
            self.step = Step::EndTop;
            self.end_top = true;
            return self.step(c);
        };
        if is_space(c) {
            self.step = Step::EndValue;
            return Ok(());
        }
        match top {
            Parse::ObjectKey => {
                if c == b':' {
                    if let Some(t) = self.stack.last_mut() {
                        *t = Parse::ObjectValue;
                    }
                    self.step = Step::BeginValue;
                    return Ok(());
                }
                Err(Self::error(c, "after object key"))
            }
            Parse::ObjectValue => match c {
                b',' => {
                    if let Some(t) = self.stack.last_mut() {
                        *t = Parse::ObjectKey;
                    }
                    self.step = Step::BeginString;
                    Ok(())
                }
                b'}' => {
                    self.pop();
                    Ok(())
                }
                _ => Err(Self::error(c, "after object key:value pair")),
            },
            Parse::ArrayValue => match c {
                b',' => {
                    self.step = Step::BeginValue;
                    Ok(())
                }
                b']' => {
                    self.pop();
                    Ok(())
                }
                _ => Err(Self::error(c, "after array element")),
            },
        }
    }

    fn pop(&mut self) {
        self.stack.pop();
        if self.stack.is_empty() {
            self.step = Step::EndTop;
            self.end_top = true;
        } else {
            self.step = Step::EndValue;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_like_go() {
        assert_eq!(decode_raw_url_base64("bm90").unwrap(), b"not");
        assert_eq!(decode_raw_url_base64("bm9").unwrap(), b"no");
        assert_eq!(
            decode_raw_url_base64("bm90=").unwrap_err(),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(
            decode_raw_url_base64("bm90b").unwrap_err(),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(
            decode_raw_url_base64("b+90").unwrap_err(),
            "illegal base64 data at input byte 1"
        );
    }

    #[test]
    fn syntax_errors_like_go() {
        let err = |s: &str| check_valid(s.as_bytes()).unwrap_err();
        assert_eq!(
            err("not-a-valid-continue-token"),
            "invalid character 'o' in literal null (expecting 'u')"
        );
        assert_eq!(err(""), "unexpected end of JSON input");
        assert_eq!(err("{"), "unexpected end of JSON input");
        assert_eq!(
            err("nu"),
            "invalid character ' ' in literal null (expecting 'l')"
        );
        assert_eq!(
            err("x"),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(err("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(
            err("{\"a\":1 2}"),
            "invalid character '2' after object key:value pair"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(
            err("{1}"),
            "invalid character '1' looking for beginning of object key string"
        );
        assert_eq!(err("{} x"), "invalid character 'x' after top-level value");
        assert_eq!(
            err("\"\u{1}\""),
            "invalid character '\\x01' in string literal"
        );
        assert_eq!(
            err("1.x"),
            "invalid character 'x' after decimal point in numeric literal"
        );
        assert_eq!(err("-x"), "invalid character 'x' in numeric literal");
        assert!(check_valid(br#"{"v":"meta.k8s.io/v1","rv":301,"start":"a\u0000"}"#).is_ok());
        assert!(check_valid(b" [1, 2.5e-3, true, false, null, {}] ").is_ok());
    }

    #[test]
    fn type_errors_like_go() {
        let t =
            unmarshal_continue_token(br#"{"v":"meta.k8s.io/v1","rv":301,"start":"prod/x\u0000"}"#)
                .unwrap();
        assert_eq!(t.rv, 301);
        assert_eq!(t.start, "prod/x\0");
        assert_eq!(
            unmarshal_continue_token(br#"{"rv":"1"}"#).unwrap_err(),
            "json: cannot unmarshal string into Go struct field continueToken.rv of type int64"
        );
        assert_eq!(
            unmarshal_continue_token(br#"{"rv":1.5}"#).unwrap_err(),
            "json: cannot unmarshal number 1.5 into Go struct field continueToken.rv of type int64"
        );
        assert_eq!(
            unmarshal_continue_token(br#"[1]"#).unwrap_err(),
            "json: cannot unmarshal array into Go value of type storage.continueToken"
        );
        assert_eq!(
            unmarshal_continue_token(br#"{"V":"x"}"#).unwrap().version,
            "x"
        );
    }
}
