//! Links the library OS with `exo-rt`'s user linker script at its fixed
//! address (`sysproto::layout::LIBOS_BASE`), where the system server maps
//! it into every process.

use std::path::Path;

fn main() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/user.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rustc-link-arg-bins=-T{}", script.display());
    println!("cargo:rustc-link-arg-bins=--no-pie");
    println!("cargo:rustc-link-arg-bins=--defsym=__exo_image_base=0x7e0000000000");
    // Its own entry: it switches to the start stack in its bss, then goes
    // to exo-rt's `_start` (the server cannot know where that stack is).
    println!("cargo:rustc-link-arg-bins=--entry=libos_entry");
}
