//! The messages of pprof's `profile.proto`, described here with prost's derives (field numbers
//! and types as the format defines them; no generated code). Only what hiperf writes or a
//! reader needs: every field of the format is declared, so that decoding another tool's
//! profile keeps its data.

/// A whole profile. `string_table[0]` is always the empty string; every `i64` name below is
/// an index into `string_table`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Profile {
    /// What each value of a sample measures, in order.
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<ValueType>,
    /// The measurements, each with its stack.
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
    /// The binaries the locations belong to.
    #[prost(message, repeated, tag = "3")]
    pub mapping: Vec<Mapping>,
    /// Every distinct place in the code a stack names.
    #[prost(message, repeated, tag = "4")]
    pub location: Vec<Location>,
    /// Every function the locations name.
    #[prost(message, repeated, tag = "5")]
    pub function: Vec<Function>,
    /// Every string of the profile, each once.
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
    /// A regular expression of frames to drop (a string index).
    #[prost(int64, tag = "7")]
    pub drop_frames: i64,
    /// A regular expression of frames to keep (a string index).
    #[prost(int64, tag = "8")]
    pub keep_frames: i64,
    /// When the profile was written, in nanoseconds since the Unix epoch.
    #[prost(int64, tag = "9")]
    pub time_nanos: i64,
    /// How long the profile covers, in nanoseconds.
    #[prost(int64, tag = "10")]
    pub duration_nanos: i64,
    /// What `period` counts.
    #[prost(message, optional, tag = "11")]
    pub period_type: Option<ValueType>,
    /// The sampling period (hiperf counts every event: 1).
    #[prost(int64, tag = "12")]
    pub period: i64,
    /// Free-form comments (string indices).
    #[prost(int64, repeated, tag = "13")]
    pub comment: Vec<i64>,
    /// The sample type a viewer shows first (a string index: a `ValueType::r#type`).
    #[prost(int64, tag = "14")]
    pub default_sample_type: i64,
}

/// A kind of value and its unit, e.g. `wall` in `nanoseconds`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueType {
    /// The kind (a string index).
    #[prost(int64, tag = "1")]
    pub r#type: i64,
    /// Its unit (a string index).
    #[prost(int64, tag = "2")]
    pub unit: i64,
}

/// One measurement: a stack (leaf first) and one value per sample type.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// Location ids, the leaf first and the outermost caller last.
    #[prost(uint64, repeated, tag = "1")]
    pub location_id: Vec<u64>,
    /// One value per entry of `Profile::sample_type`.
    #[prost(int64, repeated, tag = "2")]
    pub value: Vec<i64>,
    /// Extra key/value data.
    #[prost(message, repeated, tag = "3")]
    pub label: Vec<Label>,
}

/// A key with a string or numeric value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Label {
    /// The key (a string index).
    #[prost(int64, tag = "1")]
    pub key: i64,
    /// A string value (a string index), or 0.
    #[prost(int64, tag = "2")]
    pub str: i64,
    /// A numeric value.
    #[prost(int64, tag = "3")]
    pub num: i64,
    /// The numeric value's unit (a string index).
    #[prost(int64, tag = "4")]
    pub num_unit: i64,
}

/// A binary (or, for hiperf, the annotated program as a whole).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Mapping {
    /// Nonzero id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// Start of the mapped address range.
    #[prost(uint64, tag = "2")]
    pub memory_start: u64,
    /// End of the mapped address range.
    #[prost(uint64, tag = "3")]
    pub memory_limit: u64,
    /// Offset in the file.
    #[prost(uint64, tag = "4")]
    pub file_offset: u64,
    /// The binary's name (a string index).
    #[prost(int64, tag = "5")]
    pub filename: i64,
    /// Its build id (a string index).
    #[prost(int64, tag = "6")]
    pub build_id: i64,
    /// Whether the locations already name their functions (no symbolization needed).
    #[prost(bool, tag = "7")]
    pub has_functions: bool,
    /// Whether they name their files.
    #[prost(bool, tag = "8")]
    pub has_filenames: bool,
    /// Whether they carry line numbers.
    #[prost(bool, tag = "9")]
    pub has_line_numbers: bool,
    /// Whether inlined frames are resolved.
    #[prost(bool, tag = "10")]
    pub has_inline_frames: bool,
}

/// A place in the code: for hiperf, one source line of an annotated function.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Location {
    /// Nonzero id, referred to by samples.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// The mapping it belongs to (0: none).
    #[prost(uint64, tag = "2")]
    pub mapping_id: u64,
    /// An instruction address (hiperf has none: 0).
    #[prost(uint64, tag = "3")]
    pub address: u64,
    /// The source lines, the innermost inlined one first.
    #[prost(message, repeated, tag = "4")]
    pub line: Vec<Line>,
    /// Whether several frames were folded into this one.
    #[prost(bool, tag = "5")]
    pub is_folded: bool,
}

/// A function and a line number in it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Line {
    /// The function's id.
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    /// The line number in the function's file.
    #[prost(int64, tag = "2")]
    pub line: i64,
}

/// A function.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Function {
    /// Nonzero id, referred to by lines.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// Its name as people read it (a string index).
    #[prost(int64, tag = "2")]
    pub name: i64,
    /// Its name as the system knows it (a string index).
    #[prost(int64, tag = "3")]
    pub system_name: i64,
    /// Its source file (a string index).
    #[prost(int64, tag = "4")]
    pub filename: i64,
    /// The line where it starts.
    #[prost(int64, tag = "5")]
    pub start_line: i64,
}
