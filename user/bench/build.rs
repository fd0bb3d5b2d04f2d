//! Links the benchmark program with the user linker script of `exo-rt`
//! (`runtime/user.ld`: static, non-PIE, at 0x400000, R / RX / RW segments).

use std::path::Path;

fn main() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime/user.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rustc-link-arg-bins=-T{}", script.display());
    println!("cargo:rustc-link-arg-bins=--no-pie");
}
