//! The benchmark program's arguments: the words after `init=PATH` on the
//! kernel command line.

/// How much to measure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Timed batches per benchmark.
    pub batches: u32,
    /// Operations per batch.
    pub ops: u32,
    /// Batches run before timing and thrown away.
    pub warmup: u32,
    /// Only benchmarks whose name contains this.
    pub filter: Option<&'static str>,
}

/// Most batches a run may ask for (the per-batch figures live on the stack).
pub const MAX_BATCHES: u32 = 1000;

impl Config {
    /// 100 batches of 100 operations after 10 warm-up batches.
    pub const FULL: Config = Config {
        batches: 100,
        ops: 100,
        warmup: 10,
        filter: None,
    };
    /// `quick`: 10 batches of 20 after 2 warm-up batches.
    pub const QUICK: Config = Config {
        batches: 10,
        ops: 20,
        warmup: 2,
        filter: None,
    };

    /// Reads the arguments from the command line.
    pub fn from_cmdline(cmdline: &'static [u8]) -> Result<Config, &'static str> {
        let line = core::str::from_utf8(cmdline).map_err(|_| "command line is not UTF-8")?;
        let mut words = line.split_ascii_whitespace();
        let mut cfg = Config::FULL;
        // Arguments come after `init=PATH`; nothing before it is ours.
        if words.by_ref().any(|w| w.starts_with("init=")) {
            for word in words {
                cfg.apply(word)?;
            }
        }
        Ok(cfg)
    }

    fn apply(&mut self, word: &'static str) -> Result<(), &'static str> {
        let number = |v: &str, max: u32| match v.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err("batches, ops and warmup take a number from 1 (batches: up to 1000)"),
        };
        match word.split_once('=') {
            None if word == "quick" => {
                let filter = self.filter;
                *self = Config {
                    filter,
                    ..Config::QUICK
                };
            }
            Some(("batches", v)) => self.batches = number(v, MAX_BATCHES)?,
            Some(("ops", v)) => self.ops = number(v, 1_000_000)?,
            Some(("warmup", v)) => self.warmup = number(v, 1_000_000)?,
            Some(("filter", v)) => self.filter = Some(v),
            _ => return Err("unknown word (quick, batches=N, ops=N, warmup=N, filter=NAME)"),
        }
        Ok(())
    }

    /// True if the benchmark `name` is to run.
    pub fn selects(&self, name: &str) -> bool {
        self.filter.is_none_or(|f| name.contains(f))
    }

    /// Timed operations per benchmark.
    pub fn iterations(&self) -> u64 {
        u64::from(self.batches) * u64::from(self.ops)
    }
}
