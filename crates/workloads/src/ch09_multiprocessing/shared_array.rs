//! `np_shared_example/np_shared.py`: an array of `f64` shared by worker processes, filled
//! with 42, each worker writing its process id over its rows after checking they still hold
//! 42. The book's array is 10000 × 320000 (25.6 GB); here a file-backed memory map of
//! 1000 × 40000 (320 MB) at book size, split into 4 contiguous blocks of rows so that exactly
//! 4 workers write it.

use std::collections::BTreeSet;
use std::path::Path;

use crate::worker::{Pool, Role, Task};
use crate::{Outcome, Size, Workload, expect_eq};

/// The fill value.
pub const FILL: f64 = 42.0;

/// Rows and columns at a size.
pub fn shared_array_shape(size: Size) -> (usize, usize) {
    match size {
        Size::Quick => (100, 4_000),
        Size::Book => (1_000, 40_000),
    }
}

/// Maps `path`, `rows × columns` doubles.
fn map(path: &Path, rows: usize, columns: usize) -> Result<memmap2::MmapMut, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let bytes = rows * columns * std::mem::size_of::<f64>();
    // SAFETY: the file is private to this workload's temporary directory and each worker
    // writes only its own rows; the parent reads it after every worker has exited.
    unsafe { memmap2::MmapOptions::new().len(bytes).map_mut(&file) }
        .map_err(|e| format!("cannot map {}: {e}", path.display()))
}

/// The mapping as doubles.
fn doubles(map: &mut memmap2::MmapMut) -> &mut [f64] {
    let length = map.len() / std::mem::size_of::<f64>();
    // SAFETY: a mapping is page-aligned, so aligned for f64, and `length` doubles fit in it;
    // any bit pattern is a valid f64.
    unsafe { std::slice::from_raw_parts_mut(map.as_mut_ptr().cast::<f64>(), length) }
}

/// `worker_fn`: checks that rows `[first, end)` all hold 42, then writes this process's id
/// over them. Returns the cells written.
#[hiperf::profile]
pub fn write_rows(
    array: &mut [f64],
    columns: usize,
    first: usize,
    end: usize,
    id: f64,
) -> Result<usize, String> {
    let rows = &mut array[first * columns..end * columns];
    if let Some(position) = rows.iter().position(|&value| value != FILL) {
        return Err(format!(
            "cell {} was {} before this worker wrote it",
            first * columns + position,
            rows[position]
        ));
    }
    rows.fill(id);
    Ok(rows.len())
}

const ROLE: &str = "ch09/shared-array";

/// A worker: args `PATH ROWS COLUMNS`, then writes the rows of its index's block.
fn shared_array_worker(task: &Task) -> Result<(), String> {
    let (rows, columns): (usize, usize) = (task.parsed(1)?, task.parsed(2)?);
    let mut map = map(Path::new(task.arg(0)?), rows, columns)?;
    let (first, end) = block(rows, super::BOOK_WORKERS, task.index);
    write_rows(
        doubles(&mut map),
        columns,
        first,
        end,
        f64::from(std::process::id()),
    )?;
    map.flush().map_err(|e| e.to_string())
}

inventory::submit! { Role { name: ROLE, run: shared_array_worker } }

/// Rows `[first, end)` of worker `index` of `workers`: contiguous blocks, the first ones a
/// row longer when the rows do not divide evenly.
pub fn block(rows: usize, workers: usize, index: usize) -> (usize, usize) {
    let (base, extra) = (rows / workers, rows % workers);
    let first = index * base + index.min(extra);
    (first, first + base + usize::from(index < extra))
}

/// What the parent finds in the array after the workers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Cells still 42.
    pub unwritten: usize,
    /// Cells holding a worker's id.
    pub written: usize,
    /// The distinct ids found.
    pub writers: BTreeSet<u32>,
}

/// Fills a new array with 42, has 4 worker processes write their rows, and reads it back.
pub fn shared_array(rows: usize, columns: usize) -> Result<(Written, BTreeSet<u32>), String> {
    let directory = crate::worker::scratch_directory("hiperf-array-")?;
    let path = directory.path().join("array.f64");
    let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    file.set_len((rows * columns * std::mem::size_of::<f64>()) as u64)
        .map_err(|e| e.to_string())?;
    let mut map = map(&path, rows, columns)?;
    doubles(&mut map).fill(FILL);
    let args = [
        path.display().to_string(),
        rows.to_string(),
        columns.to_string(),
    ];
    let mut pool = Pool::spawn(ROLE, super::BOOK_WORKERS, &args)?;
    let ids: BTreeSet<u32> = pool.workers_mut().iter().map(|w| w.id()).collect();
    pool.finish()?;
    let array = doubles(&mut map);
    let unwritten = array.iter().filter(|&&value| value == FILL).count();
    let writers: BTreeSet<u32> = array
        .iter()
        .filter(|&&value| value != FILL)
        .map(|&value| value as u32)
        .collect();
    Ok((
        Written {
            unwritten,
            written: array.len() - unwritten,
            writers,
        },
        ids,
    ))
}

/// No 42 left, every cell written, by exactly the 4 workers.
pub fn check_written(
    rows: usize,
    columns: usize,
    written: &Written,
    ids: &BTreeSet<u32>,
) -> Result<(), String> {
    expect_eq("cells still 42", written.unwritten, 0)?;
    expect_eq("cells written", written.written, rows * columns)?;
    expect_eq(
        "distinct writers",
        written.writers.len(),
        super::BOOK_WORKERS,
    )?;
    expect_eq("writers are the worker processes", &written.writers, ids)
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "shared-array",
        variant: "processes",
        rank: 0,
        description: "a memory-mapped f64 array filled with 42; 4 worker processes each write their pid over their rows",
        run: |run| {
            let (rows, columns) = shared_array_shape(run.size());
            let (written, ids) = run.time(|| shared_array(rows, columns))?;
            check_written(rows, columns, &written, &ids)?;
            Ok(Outcome {
                parameters: format!("{rows} x {columns} f64 ({} MB), {} worker processes", rows * columns * 8 / 1_000_000, super::BOOK_WORKERS),
                result: format!("{} cells written by {} distinct workers, no 42 left", written.written, written.writers.len()),
            })
        },
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_row_once_in_order() {
        for rows in [4, 7, 100, 1000, 1003] {
            let blocks: Vec<(usize, usize)> = (0..4).map(|i| block(rows, 4, i)).collect();
            assert_eq!(blocks[0].0, 0);
            assert_eq!(blocks[3].1, rows);
            assert!(blocks.windows(2).all(|w| w[0].1 == w[1].0), "{blocks:?}");
        }
    }

    #[test]
    fn a_row_already_written_is_reported() {
        let mut array = vec![FILL; 12];
        array[5] = 7.0;
        assert_eq!(write_rows(&mut array, 3, 0, 1, 1.0), Ok(3));
        assert!(
            write_rows(&mut array, 3, 1, 2, 2.0)
                .unwrap_err()
                .contains("cell 5")
        );
    }

    #[test]
    fn a_missing_writer_is_reported() {
        let ids: BTreeSet<u32> = [1, 2, 3, 4].into();
        let written = Written {
            unwritten: 0,
            written: 12,
            writers: [1, 2, 3].into(),
        };
        assert!(
            check_written(3, 4, &written, &ids)
                .unwrap_err()
                .contains("distinct")
        );
    }
}
