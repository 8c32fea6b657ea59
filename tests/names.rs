//! Reports name functions as a user reads them: `Type::method`, `<Type as Trait>::method`
//! (two impls may share a method name), `Trait::method` for a default method, and one name
//! (one site) for every instantiation of a generic function.

mod common;

use std::fmt;

use common::function;

struct Point {
    x: i32,
}

impl Point {
    #[hiperf::profile]
    fn new(x: i32) -> Self {
        Point { x }
    }
}

impl fmt::Display for Point {
    #[hiperf::profile]
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "({})", self.x)
    }
}

impl fmt::Debug for Point {
    #[hiperf::profile]
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Point {{ x: {} }}", self.x)
    }
}

#[derive(Clone, Copy)]
struct Crate {
    weight: u32,
}

trait Heft {
    fn heft(self) -> u32;
}

#[hiperf::profile]
impl Heft for &Crate {
    fn heft(self) -> u32 {
        self.weight
    }
}

// The lifetime is the case under test: the name drops it.
#[allow(clippy::needless_lifetimes)]
#[hiperf::profile]
impl<'a> Heft for &'a mut Crate {
    fn heft(self) -> u32 {
        self.weight * 2
    }
}

struct Wrapper<T> {
    inner: T,
}

#[hiperf::profile]
impl<T: Clone> Wrapper<T> {
    fn get(&self) -> T {
        self.inner.clone()
    }
}

#[hiperf::profile]
fn outer(n: u32) -> u32 {
    #[hiperf::profile]
    fn inner(n: u32) -> u32 {
        n + 1
    }
    inner(n) * 2
}

#[hiperf::profile(name = "given name")]
fn renamed() -> u32 {
    7
}

#[hiperf::profile]
mod shapes {
    pub trait Shape {
        fn side(&self) -> f64;

        fn area(&self) -> f64 {
            let side = self.side();
            side * side
        }
    }

    pub struct Square(pub f64);

    impl Shape for Square {
        fn side(&self) -> f64 {
            self.0
        }
    }
}

#[test]
fn names_read_like_paths() {
    let point = Point::new(3);
    assert_eq!(format!("{point} {point:?}"), "(3) Point { x: 3 }");
    let mut heavy = Crate { weight: 5 };
    assert_eq!((&heavy).heft(), 5);
    assert_eq!((&mut heavy).heft(), 10);
    assert_eq!(Wrapper { inner: 1_u8 }.get(), 1);
    assert_eq!(Wrapper { inner: "a" }.get(), "a");
    assert_eq!(outer(1), 4);
    assert_eq!(renamed(), 7);
    if !hiperf::ENABLED {
        return;
    }
    assert_eq!(function("Point::new").calls, 1);
    assert_eq!(function("<Point as Display>::fmt").calls, 1);
    assert_eq!(function("<Point as Debug>::fmt").calls, 1);
    assert_eq!(function("<&Crate as Heft>::heft").calls, 1);
    assert_eq!(function("<&mut Crate as Heft>::heft").calls, 1);
    // Instantiations share one site.
    assert_eq!(function("Wrapper<_>::get").calls, 2);
    assert_eq!(function("outer").calls, 1);
    assert_eq!(function("outer::inner").calls, 1);
    assert_eq!(function("given name").calls, 1);
}

#[test]
fn an_annotated_module_instruments_the_default_methods_of_its_traits() {
    use shapes::Shape;

    let square = shapes::Square(3.0);
    assert!((square.area() - 9.0).abs() < f64::EPSILON);
    assert!((square.area() - 9.0).abs() < f64::EPSILON);
    if !hiperf::ENABLED {
        return;
    }
    let area = function("Shape::area");
    assert_eq!(area.calls, 2);
    assert_eq!(common::hits(&area, "let side = self.side();"), 2);
    assert_eq!(function("<Square as Shape>::side").calls, 2);
}
