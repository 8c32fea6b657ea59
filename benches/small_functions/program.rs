// A JSON reader and pretty-printer written as a crate of this kind usually is: a few dozen
// small functions (peek, bump, one per token kind, one per escape, one per output piece),
// every one annotated with `#[profile]`. `benches/small_functions.rs` includes this file
// twice: once with `profile` = `hiperf::profile`, once with an attribute that leaves the item
// as it is, so that the same program runs bare and profiled in one process.

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// The reader's position in its input.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

#[profile]
fn reader(text: &str) -> Reader<'_> {
    Reader {
        bytes: text.as_bytes(),
        at: 0,
    }
}

#[profile]
fn peek(reader: &Reader) -> Option<u8> {
    reader.bytes.get(reader.at).copied()
}

#[profile]
fn bump(reader: &mut Reader) -> Option<u8> {
    let byte = peek(reader)?;
    reader.at += 1;
    Some(byte)
}

#[profile]
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\t' | b'\r')
}

#[profile]
fn skip_space(reader: &mut Reader) {
    while let Some(byte) = peek(reader) {
        if !is_space(byte) {
            break;
        }
        reader.at += 1;
    }
}

#[profile]
fn expect(reader: &mut Reader, wanted: u8) -> Result<(), String> {
    skip_space(reader);
    match bump(reader) {
        Some(byte) if byte == wanted => Ok(()),
        Some(byte) => Err(error(reader, &format!("expected '{}', found '{}'", wanted as char, byte as char))),
        None => Err(error(reader, &format!("expected '{}', found the end", wanted as char))),
    }
}

#[profile]
fn error(reader: &Reader, message: &str) -> String {
    format!("at byte {}: {}", reader.at, message)
}

#[profile]
fn keyword(reader: &mut Reader, word: &str, value: Value) -> Result<Value, String> {
    let end = reader.at + word.len();
    if reader.bytes.get(reader.at..end) == Some(word.as_bytes()) {
        reader.at = end;
        Ok(value)
    } else {
        Err(error(reader, "unknown keyword"))
    }
}

#[profile]
fn is_digit(byte: u8) -> bool {
    byte.is_ascii_digit()
}

#[profile]
fn digits(reader: &mut Reader) -> usize {
    let start = reader.at;
    while peek(reader).is_some_and(is_digit) {
        reader.at += 1;
    }
    reader.at - start
}

#[profile]
fn sign(reader: &mut Reader) {
    if matches!(peek(reader), Some(b'-' | b'+')) {
        reader.at += 1;
    }
}

#[profile]
fn fraction(reader: &mut Reader) {
    if peek(reader) == Some(b'.') {
        reader.at += 1;
        digits(reader);
    }
}

#[profile]
fn exponent(reader: &mut Reader) {
    if matches!(peek(reader), Some(b'e' | b'E')) {
        reader.at += 1;
        sign(reader);
        digits(reader);
    }
}

#[profile]
fn number(reader: &mut Reader) -> Result<Value, String> {
    let start = reader.at;
    sign(reader);
    if digits(reader) == 0 {
        return Err(error(reader, "a number needs digits"));
    }
    fraction(reader);
    exponent(reader);
    let text = std::str::from_utf8(&reader.bytes[start..reader.at]).map_err(|e| e.to_string())?;
    text.parse().map(Value::Number).map_err(|_| error(reader, "bad number"))
}

#[profile]
fn hex_digit(byte: u8) -> Option<u32> {
    (byte as char).to_digit(16)
}

#[profile]
fn unicode_escape(reader: &mut Reader) -> Result<char, String> {
    let mut code = 0;
    for _ in 0..4 {
        let byte = bump(reader).ok_or_else(|| error(reader, "short \\u escape"))?;
        code = code * 16 + hex_digit(byte).ok_or_else(|| error(reader, "bad hex digit"))?;
    }
    char::from_u32(code).ok_or_else(|| error(reader, "bad code point"))
}

#[profile]
fn escape(reader: &mut Reader) -> Result<char, String> {
    match bump(reader) {
        Some(b'n') => Ok('\n'),
        Some(b't') => Ok('\t'),
        Some(b'r') => Ok('\r'),
        Some(b'u') => unicode_escape(reader),
        Some(byte @ (b'"' | b'\\' | b'/')) => Ok(byte as char),
        _ => Err(error(reader, "bad escape")),
    }
}

#[profile]
fn plain_run(reader: &mut Reader) -> usize {
    let start = reader.at;
    while peek(reader).is_some_and(|byte| byte != b'"' && byte != b'\\') {
        reader.at += 1;
    }
    reader.at - start
}

#[profile]
fn string(reader: &mut Reader) -> Result<String, String> {
    expect(reader, b'"')?;
    let mut text = String::new();
    loop {
        let start = reader.at;
        let length = plain_run(reader);
        text.push_str(std::str::from_utf8(&reader.bytes[start..start + length]).map_err(|e| e.to_string())?);
        match bump(reader) {
            Some(b'"') => return Ok(text),
            Some(b'\\') => text.push(escape(reader)?),
            _ => return Err(error(reader, "unterminated string")),
        }
    }
}

#[profile]
fn separator(reader: &mut Reader, close: u8) -> Result<bool, String> {
    skip_space(reader);
    match bump(reader) {
        Some(b',') => Ok(true),
        Some(byte) if byte == close => Ok(false),
        _ => Err(error(reader, "expected ',' or a closing bracket")),
    }
}

#[profile]
fn empty(reader: &mut Reader, close: u8) -> bool {
    skip_space(reader);
    let closed = peek(reader) == Some(close);
    if closed {
        reader.at += 1;
    }
    closed
}

#[profile]
fn list(reader: &mut Reader) -> Result<Value, String> {
    expect(reader, b'[')?;
    let mut items = Vec::new();
    if empty(reader, b']') {
        return Ok(Value::List(items));
    }
    loop {
        items.push(value(reader)?);
        if !separator(reader, b']')? {
            return Ok(Value::List(items));
        }
    }
}

#[profile]
fn member(reader: &mut Reader) -> Result<(String, Value), String> {
    let key = string(reader)?;
    expect(reader, b':')?;
    let item = value(reader)?;
    Ok((key, item))
}

#[profile]
fn object(reader: &mut Reader) -> Result<Value, String> {
    expect(reader, b'{')?;
    let mut members = Vec::new();
    if empty(reader, b'}') {
        return Ok(Value::Object(members));
    }
    loop {
        members.push(member(reader)?);
        if !separator(reader, b'}')? {
            return Ok(Value::Object(members));
        }
    }
}

#[profile]
fn value(reader: &mut Reader) -> Result<Value, String> {
    skip_space(reader);
    match peek(reader) {
        Some(b'{') => object(reader),
        Some(b'[') => list(reader),
        Some(b'"') => string(reader).map(Value::Text),
        Some(b't') => keyword(reader, "true", Value::Bool(true)),
        Some(b'f') => keyword(reader, "false", Value::Bool(false)),
        Some(b'n') => keyword(reader, "null", Value::Null),
        Some(_) => number(reader),
        None => Err(error(reader, "unexpected end")),
    }
}

/// Parses one JSON document.
#[profile]
pub fn parse(text: &str) -> Result<Value, String> {
    let mut reader = reader(text);
    let parsed = value(&mut reader)?;
    skip_space(&mut reader);
    if reader.at != reader.bytes.len() {
        return Err(error(&reader, "trailing characters"));
    }
    Ok(parsed)
}

#[profile]
fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

#[profile]
fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    indent(out, depth);
}

#[profile]
fn escaped_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

#[profile]
fn quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        escaped_char(out, c);
    }
    out.push('"');
}

#[profile]
fn number_text(out: &mut String, number: f64) {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        out.push_str(&format!("{}", number as i64));
    } else {
        out.push_str(&format!("{number}"));
    }
}

#[profile]
fn write_list(out: &mut String, items: &[Value], depth: usize) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        newline(out, depth + 1);
        write_value(out, item, depth + 1);
    }
    newline(out, depth);
    out.push(']');
}

#[profile]
fn write_object(out: &mut String, members: &[(String, Value)], depth: usize) {
    if members.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (index, (key, item)) in members.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        newline(out, depth + 1);
        quoted(out, key);
        out.push_str(": ");
        write_value(out, item, depth + 1);
    }
    newline(out, depth);
    out.push('}');
}

#[profile]
fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => number_text(out, *number),
        Value::Text(text) => quoted(out, text),
        Value::List(items) => write_list(out, items, depth),
        Value::Object(members) => write_object(out, members, depth),
    }
}

/// Pretty-prints a value with two-space indentation.
#[profile]
pub fn pretty(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

/// What a document holds: values of each kind and the deepest nesting.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Census {
    pub values: u64,
    pub numbers: u64,
    pub texts: u64,
    pub depth: u64,
}

#[profile]
fn visit(value: &Value, depth: u64, census: &mut Census) {
    census.values += 1;
    census.depth = census.depth.max(depth);
    match value {
        Value::Number(_) => census.numbers += 1,
        Value::Text(_) => census.texts += 1,
        Value::List(items) => items.iter().for_each(|item| visit(item, depth + 1, census)),
        Value::Object(members) => members.iter().for_each(|(_, item)| visit(item, depth + 1, census)),
        Value::Null | Value::Bool(_) => {}
    }
}

/// Counts a document's values.
#[profile]
pub fn census(value: &Value) -> Census {
    let mut census = Census::default();
    visit(value, 0, &mut census);
    census
}

/// The whole program: parse, census, pretty-print, parse the output again.
#[profile]
pub fn run(text: &str) -> (Census, usize) {
    let parsed = parse(text).expect("the generated document is valid JSON");
    let counts = census(&parsed);
    let printed = pretty(&parsed);
    let again = parse(&printed).expect("the printed document is valid JSON");
    assert!(again == parsed, "the pretty-printed document reads back equal");
    (counts, printed.len())
}
