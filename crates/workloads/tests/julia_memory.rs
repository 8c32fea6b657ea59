//! The heap figures of the chapter 2 grid equal the capacities the code asks for.

use hiperf_workloads::ch02_julia::build_grid;

#[global_allocator]
static ALLOC: hiperf_runtime::alloc::Alloc = hiperf_runtime::alloc::Alloc::system();

const COMPLEX_BYTES: i64 = 16;
const FLOAT_BYTES: i64 = 8;

#[test]
fn building_the_grid_keeps_exactly_the_capacity_of_zs_and_cs() {
    let ((zs, cs), figures) = hiperf_runtime::memit::measure(|| build_grid(1000));
    assert_eq!((zs.len(), cs.len()), (1_000_000, 1_000_000));
    let kept = (zs.capacity() + cs.capacity()) as i64 * COMPLEX_BYTES;
    assert_eq!(figures.net_bytes, kept);
    // Pushing doubles the capacity: the peak also holds the old buffer of the last growth
    // while it is copied, and the coordinate lists.
    assert!(figures.increment_bytes >= kept);
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let grid = profile
        .functions
        .iter()
        .find(|f| f.name == "build_grid")
        .expect("build_grid is annotated");
    let line = |text: &str| {
        let line = grid
            .lines
            .iter()
            .find(|l| l.contents.trim() == text)
            .unwrap_or_else(|| panic!("no line {text}"));
        line.memory.clone().expect("build_grid measures memory")
    };
    assert_eq!(
        line("zs.push(Complex64::new(xcoord, ycoord));").increment_bytes,
        zs.capacity() as i64 * COMPLEX_BYTES
    );
    assert_eq!(
        line("cs.push(C);").increment_bytes,
        cs.capacity() as i64 * COMPLEX_BYTES
    );
    let y_line = line("y.push(ycoord);");
    assert_eq!(y_line.increment_bytes % FLOAT_BYTES, 0);
    assert!(y_line.increment_bytes >= 1000 * FLOAT_BYTES);
    let call = grid.memory.as_ref().unwrap();
    assert_eq!(
        call.increment_bytes, kept,
        "x and y are freed before the call ends"
    );
}
