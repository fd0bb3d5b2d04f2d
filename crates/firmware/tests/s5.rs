//! `\_S5_` extraction from AML byte patterns, including the shapes QEMU's
//! DSDTs use and multi-byte PkgLength encodings.

use firmware::acpi::{find_s5, SleepType};

fn st(a: u16, b: u16) -> Option<SleepType> {
    Some(SleepType {
        slp_typ_a: a,
        slp_typ_b: b,
    })
}

#[test]
fn qemu_piix_shape_zero_ops() {
    let aml = [
        0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
    ];
    assert_eq!(find_s5(&aml), st(0, 0));
}

#[test]
fn qemu_rooted_shape_byte_prefix() {
    let aml = [
        0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00,
    ];
    assert_eq!(find_s5(&aml), st(5, 5));
}

#[test]
fn embedded_in_a_larger_dsdt() {
    let mut aml = vec![0xA5; 300];
    aml.extend_from_slice(&[
        0x08, 0x5F, 0x53, 0x33, 0x5F, 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
    ]); // _S3_
    aml.extend_from_slice(&[
        0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x07, 0x04, 0x0A, 0x07, 0x01, 0x00, 0x00,
    ]);
    aml.extend_from_slice(&[0x5B, 0x80]); // trailing OperationRegion opcode bytes
    assert_eq!(find_s5(&aml), st(7, 1));
}

#[test]
fn word_prefix_and_one_op() {
    let aml = [
        0x08, b'_', b'S', b'5', b'_', 0x12, 0x07, 0x02, 0x0B, 0x02, 0x00, 0x01,
    ];
    assert_eq!(find_s5(&aml), st(2, 1));
}

#[test]
fn two_byte_pkg_length() {
    // PkgLength 0x40 0x01 = 0x10 bytes (padding after the integers).
    let mut aml = vec![
        0x08, b'_', b'S', b'5', b'_', 0x12, 0x40, 0x01, 0x04, 0x0A, 0x06, 0x0A, 0x03,
    ];
    aml.resize(aml.len() + 9, 0x00);
    assert_eq!(find_s5(&aml), st(6, 3));
}

#[test]
fn three_and_four_byte_pkg_length_truncated_by_aml_end() {
    // Declared lengths far beyond the AML: the integers present still decode.
    let three = [
        0x08, b'_', b'S', b'5', b'_', 0x12, 0x80, 0x00, 0x01, 0x02, 0x0A, 0x04, 0x0A, 0x04,
    ];
    assert_eq!(find_s5(&three), st(4, 4));
    let four = [
        0x08, b'_', b'S', b'5', b'_', 0x12, 0xC0, 0x00, 0x00, 0x01, 0x02, 0x00, 0x0A, 0x02,
    ];
    assert_eq!(find_s5(&four), st(0, 2));
}

#[test]
fn pkg_length_shorter_than_contents_rejects() {
    // PkgLength 3 covers only NumElements and one integer.
    let aml = [
        0x08, b'_', b'S', b'5', b'_', 0x12, 0x03, 0x02, 0x0A, 0x05, 0x0A, 0x05,
    ];
    assert_eq!(find_s5(&aml), None);
}

#[test]
fn not_found_cases() {
    assert_eq!(find_s5(&[]), None);
    assert_eq!(find_s5(b"_S5_"), None);
    // Name without NameOp.
    assert_eq!(
        find_s5(&[0x00, b'_', b'S', b'5', b'_', 0x12, 0x04, 0x01, 0x00]),
        None
    );
    // Cut right after the name / the PackageOp / the PkgLength.
    assert_eq!(find_s5(&[0x08, b'_', b'S', b'5', b'_']), None);
    assert_eq!(find_s5(&[0x08, b'_', b'S', b'5', b'_', 0x12]), None);
    assert_eq!(find_s5(&[0x08, b'_', b'S', b'5', b'_', 0x12, 0x04]), None);
    // Zero elements.
    assert_eq!(
        find_s5(&[0x08, b'_', b'S', b'5', b'_', 0x12, 0x02, 0x00]),
        None
    );
    // A non-constant element (a name reference).
    assert_eq!(
        find_s5(&[0x08, b'_', b'S', b'5', b'_', 0x12, 0x07, 0x02, b'A', b'B', b'C', b'D']),
        None
    );
}
