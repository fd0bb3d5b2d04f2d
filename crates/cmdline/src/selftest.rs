//! [`SelfTest`]: the value of `ktest=`, naming one kernel self-test.

use core::fmt;

/// A kernel self-test that `ktest=NAME` runs (then the kernel reports and
/// powers off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelfTest {
    /// `pagefault`: touch an unmapped page, expect the fault handler.
    PageFault,
    /// `doublefault`: provoke a double fault, expect the IST handler.
    DoubleFault,
    /// `timer`: expect timer interrupts to arrive.
    Timer,
    /// `heap`: exercise the kernel heap.
    Heap,
    /// `frames`: exercise the physical frame allocator.
    Frames,
    /// `serial`: exercise the serial port.
    Serial,
}

impl SelfTest {
    /// Every self-test, in command-line documentation order.
    pub const ALL: [Self; 6] = [
        Self::PageFault,
        Self::DoubleFault,
        Self::Timer,
        Self::Heap,
        Self::Frames,
        Self::Serial,
    ];

    /// What a `ktest=` value must be; used in [`crate::Problem::BadValue`].
    pub const EXPECTED: &'static str = "one of pagefault, doublefault, timer, heap, frames, serial";

    /// The name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::PageFault => "pagefault",
            Self::DoubleFault => "doublefault",
            Self::Timer => "timer",
            Self::Heap => "heap",
            Self::Frames => "frames",
            Self::Serial => "serial",
        }
    }

    /// The self-test called `name`, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|test| test.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for SelfTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{string::String, vec::Vec};

    #[test]
    fn names_round_trip() {
        for test in SelfTest::ALL {
            assert_eq!(SelfTest::from_name(test.name()), Some(test));
        }
    }

    #[test]
    fn from_name_ignores_case_and_rejects_others() {
        assert_eq!(SelfTest::from_name("PageFault"), Some(SelfTest::PageFault));
        assert_eq!(SelfTest::from_name("page_fault"), None);
        assert_eq!(SelfTest::from_name(""), None);
    }

    #[test]
    fn expected_lists_every_name() {
        let names: Vec<&str> = SelfTest::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(
            SelfTest::EXPECTED,
            String::from("one of ") + &names.join(", ")
        );
    }
}
