//! hiperf against the peer Rust profilers: the cases the criterion bench runs, and the table built
//! from its results.
//!
//! ```text
//! cargo bench --manifest-path bench/peers/Cargo.toml
//! cargo run --release --manifest-path bench/peers/Cargo.toml --bin peers-table -- --out target/hiperf
//! ```
//!
//! The bench (`benches/peers/`) names every case from [`catalogue`], so the two steps agree on
//! criterion's directories; it also writes a [`run::RunInfo`] beside criterion's results. The
//! table step ([`table::build`]) reads both and checks hiperf's targets; [`render`] turns the
//! result into Markdown.

pub mod catalogue;
pub mod estimates;
pub mod lockfile;
pub mod render;
pub mod run;
pub mod table;
