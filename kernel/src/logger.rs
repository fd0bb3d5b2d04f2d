//! The `log` facade's backend: timestamped lines on the serial console at
//! the level the command line chose.

use cmdline::LogLevel;
use log::{LevelFilter, Metadata, Record};

struct SerialLogger;

static LOGGER: SerialLogger = SerialLogger;

impl log::Log for SerialLogger {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &Record) {
        if self.enabled(r.metadata()) {
            let us = crate::time::now_us();
            crate::println!(
                "[{:>4}.{:06}] {:<5} {}: {}",
                us / 1_000_000,
                us % 1_000_000,
                r.level(),
                r.target(),
                r.args()
            );
        }
    }

    fn flush(&self) {}
}

/// Installs the logger at `level`.
pub fn init(level: LogLevel) {
    let filter = match level {
        LogLevel::Error => LevelFilter::Error,
        LogLevel::Warn => LevelFilter::Warn,
        LogLevel::Info => LevelFilter::Info,
        LogLevel::Debug => LevelFilter::Debug,
        LogLevel::Trace => LevelFilter::Trace,
    };
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(filter);
}
