//! [`SelfTest`]: the value of `ktest=`, naming one kernel self-test.

crate::named::named_values! {
    /// A kernel self-test that `ktest=NAME` runs (then the kernel reports and
    /// powers off).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum SelfTest {
        /// `pagefault`: touch an unmapped page, expect the fault handler.
        PageFault = "pagefault",
        /// `doublefault`: provoke a double fault, expect the IST handler.
        DoubleFault = "doublefault",
        /// `timer`: expect timer interrupts to arrive.
        Timer = "timer",
        /// `heap`: exercise the kernel heap.
        Heap = "heap",
        /// `frames`: exercise the physical frame allocator.
        Frames = "frames",
        /// `serial`: exercise the serial port.
        Serial = "serial",
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
