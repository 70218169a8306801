//! The `loket` binary: parse arguments, load configuration, hand over to the library.

fn main() {
    println!("loket");
}
