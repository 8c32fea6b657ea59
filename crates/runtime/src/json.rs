//! JSON for serde data: what the runtime writes (`HIPERF_JSON`, `HIPERF_TRACE`) and reads
//! back (saved profiles, `merge::read`).
//!
//! The runtime links into the user's program, so it does not depend on `serde_json`: that
//! crate implements `PartialEq<serde_json::Value>` for `usize` and the other primitives, which
//! makes `assert_eq!(v, vec![])` ambiguous in every crate of a graph that contains it (issue
//! 13). This writer has no `Value` type and adds no impl on any std type. It writes the layout
//! of `serde_json`'s pretty printer (two-space indents, `"key": value`) and reads back with
//! any JSON parser; floats use Rust's shortest round-trip form, non-finite ones `null`.

use std::fmt::{self, Write};

mod read;

pub(crate) use read::from_slice;

use serde::ser::{self, Serialize};

/// Why a value could not be written (a map with a key that is not a string or a number).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error(message.to_string())
    }
}

impl From<Error> for std::io::Error {
    fn from(error: Error) -> Self {
        std::io::Error::other(error)
    }
}

/// `value` as JSON on one line.
///
/// # Examples
///
/// ```
/// let text = hiperf_runtime::json::to_string(&vec![Some(1.5), None]).unwrap();
/// assert_eq!(text, "[1.5,null]");
/// ```
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    write(value, None)
}

/// `value` as indented JSON (two spaces per level).
///
/// # Examples
///
/// ```
/// let text = hiperf_runtime::json::to_string_pretty(&("a", 1)).unwrap();
/// assert_eq!(text, "[\n  \"a\",\n  1\n]");
/// ```
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    write(value, Some(0))
}

fn write<T: Serialize + ?Sized>(value: &T, indent: Option<usize>) -> Result<String, Error> {
    let mut writer = Writer {
        out: String::new(),
        indent,
    };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

/// The output and, when pretty, the current nesting depth.
struct Writer {
    out: String,
    indent: Option<usize>,
}

impl Writer {
    fn open(&mut self, bracket: char) {
        self.out.push(bracket);
        if let Some(depth) = &mut self.indent {
            *depth += 1;
        }
    }

    /// Starts an element of an array or object: a comma after the first, and in pretty mode a
    /// new line at the current depth.
    fn element(&mut self, first: bool) {
        if !first {
            self.out.push(',');
        }
        if let Some(depth) = self.indent {
            self.out.push('\n');
            self.out.extend(std::iter::repeat_n(' ', 2 * depth));
        }
    }

    fn close(&mut self, bracket: char, empty: bool) {
        if let Some(depth) = &mut self.indent {
            *depth -= 1;
            if !empty {
                let depth = *depth;
                self.out.push('\n');
                self.out.extend(std::iter::repeat_n(' ', 2 * depth));
            }
        }
        self.out.push(bracket);
    }

    fn string(&mut self, text: &str) {
        self.out.push('"');
        for character in text.chars() {
            match character {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                control if u32::from(control) < 0x20 => {
                    let _ = write!(self.out, "\\u{:04x}", u32::from(control));
                }
                other => self.out.push(other),
            }
        }
        self.out.push('"');
    }

    fn float(&mut self, value: f64) {
        if value.is_finite() {
            // `{:?}` is the shortest form that reads back to the same value (`1.0`, `1e-7`).
            let _ = write!(self.out, "{value:?}");
        } else {
            self.out.push_str("null");
        }
    }

    fn key(&mut self, first: bool, key: &str) {
        self.element(first);
        self.string(key);
        self.out.push(':');
        if self.indent.is_some() {
            self.out.push(' ');
        }
    }
}

/// An array or object being written.
struct Compound<'a> {
    writer: &'a mut Writer,
    first: bool,
    /// The closing brackets: `]` or `}`, and one more `}` for an enum variant's wrapper.
    closing: &'static [char],
}

impl Compound<'_> {
    fn next(&mut self) -> bool {
        std::mem::replace(&mut self.first, false)
    }

    fn end(self) {
        let mut empty = self.first;
        for &bracket in self.closing {
            self.writer.close(bracket, empty);
            empty = false;
        }
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.out.push_str(if value { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, value: i8) -> Result<(), Error> {
        self.serialize_i64(value.into())
    }
    fn serialize_i16(self, value: i16) -> Result<(), Error> {
        self.serialize_i64(value.into())
    }
    fn serialize_i32(self, value: i32) -> Result<(), Error> {
        self.serialize_i64(value.into())
    }
    fn serialize_i64(self, value: i64) -> Result<(), Error> {
        let _ = write!(self.out, "{value}");
        Ok(())
    }
    fn serialize_i128(self, value: i128) -> Result<(), Error> {
        let _ = write!(self.out, "{value}");
        Ok(())
    }
    fn serialize_u8(self, value: u8) -> Result<(), Error> {
        self.serialize_u64(value.into())
    }
    fn serialize_u16(self, value: u16) -> Result<(), Error> {
        self.serialize_u64(value.into())
    }
    fn serialize_u32(self, value: u32) -> Result<(), Error> {
        self.serialize_u64(value.into())
    }
    fn serialize_u64(self, value: u64) -> Result<(), Error> {
        let _ = write!(self.out, "{value}");
        Ok(())
    }
    fn serialize_u128(self, value: u128) -> Result<(), Error> {
        let _ = write!(self.out, "{value}");
        Ok(())
    }
    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        if value.is_finite() {
            let _ = write!(self.out, "{value:?}");
        } else {
            self.out.push_str("null");
        }
        Ok(())
    }
    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        self.float(value);
        Ok(())
    }
    fn serialize_char(self, value: char) -> Result<(), Error> {
        self.string(value.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, value: &str) -> Result<(), Error> {
        self.string(value);
        Ok(())
    }
    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        ser::Serializer::collect_seq(self, value)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.open('{');
        self.key(true, variant);
        value.serialize(&mut *self)?;
        self.close('}', false);
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open('[');
        Ok(Compound {
            writer: self,
            first: true,
            closing: &[']'],
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.open('{');
        self.key(true, variant);
        self.open('[');
        Ok(Compound {
            writer: self,
            first: true,
            closing: &[']', '}'],
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open('{');
        Ok(Compound {
            writer: self,
            first: true,
            closing: &['}'],
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.open('{');
        self.key(true, variant);
        self.open('{');
        Ok(Compound {
            writer: self,
            first: true,
            closing: &['}', '}'],
        })
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let first = self.next();
        self.writer.element(first);
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self);
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        // A key is written as a value on its own, then quoted if it is a number.
        let text = to_string(key)?;
        let key = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(_) => text,
            None if text.parse::<f64>().is_ok() => format!("\"{text}\""),
            None => return Err(ser::Error::custom("a JSON object key must be a string")),
        };
        let first = self.next();
        self.writer.element(first);
        self.writer.out.push_str(&key);
        self.writer.out.push(':');
        if self.writer.indent.is_some() {
            self.writer.out.push(' ');
        }
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self);
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let first = self.next();
        self.writer.key(first, key);
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self);
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::{to_string, to_string_pretty};

    #[derive(Serialize)]
    struct Sample {
        name: &'static str,
        values: Vec<f64>,
        empty: Vec<u8>,
        missing: Option<u32>,
        nested: Inner,
    }

    #[derive(Serialize)]
    struct Inner {
        flag: bool,
    }

    #[derive(Serialize)]
    enum Shape {
        Point,
        Circle(f64),
        Pair(i32, i32),
        Box { width: u32 },
    }

    fn sample() -> Sample {
        Sample {
            name: "a \"quoted\"\n\u{1}name",
            values: vec![1.0, 0.5, 1e-7, f64::NAN],
            empty: Vec::new(),
            missing: None,
            nested: Inner { flag: true },
        }
    }

    #[test]
    fn the_pretty_layout_is_serde_jsons() {
        let expected = "{\n  \"name\": \"a \\\"quoted\\\"\\n\\u0001name\",\n  \"values\": [\n    1.0,\n    0.5,\n    1e-7,\n    null\n  ],\n  \"empty\": [],\n  \"missing\": null,\n  \"nested\": {\n    \"flag\": true\n  }\n}";
        assert_eq!(to_string_pretty(&sample()).unwrap(), expected);
    }

    #[test]
    fn the_output_reads_back_with_a_json_parser() {
        for text in [
            to_string(&sample()).unwrap(),
            to_string_pretty(&sample()).unwrap(),
        ] {
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value["values"][1], 0.5);
            assert_eq!(value["nested"]["flag"], true);
            assert!(value["missing"].is_null());
        }
    }

    #[test]
    fn enums_maps_and_extreme_numbers() {
        let shapes = vec![
            Shape::Point,
            Shape::Circle(2.0),
            Shape::Pair(-1, 2),
            Shape::Box { width: 3 },
        ];
        assert_eq!(
            to_string(&shapes).unwrap(),
            r#"["Point",{"Circle":2.0},{"Pair":[-1,2]},{"Box":{"width":3}}]"#
        );
        let map: BTreeMap<u32, &str> = [(1, "one"), (2, "two")].into_iter().collect();
        assert_eq!(to_string(&map).unwrap(), r#"{"1":"one","2":"two"}"#);
        let numbers = (u64::MAX, i64::MIN, 1e300_f64, -0.0_f64);
        let text = to_string(&numbers).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value[0].as_u64(), Some(u64::MAX));
        assert_eq!(value[1].as_i64(), Some(i64::MIN));
        assert_eq!(value[2].as_f64(), Some(1e300));
    }
}
