struct Point;

#[hiperf::profile(name = "points")]
impl Point {
    fn origin() -> Self {
        Point
    }
}

fn main() {
    let _ = Point::origin();
}
