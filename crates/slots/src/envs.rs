//! The scheduler's table of known environments and whether each is
//! runnable: a vector sorted by id.

use alloc::vec::Vec;

use crate::EnvId;

#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub(crate) struct EnvTable {
    envs: Vec<(EnvId, bool)>,
}

impl EnvTable {
    fn index(&self, env: EnvId) -> Result<usize, usize> {
        self.envs.binary_search_by_key(&env, |e| e.0)
    }

    /// Whether `env` is runnable, or `None` if it is unknown.
    pub(crate) fn runnable(&self, env: EnvId) -> Option<bool> {
        self.index(env).ok().map(|i| self.envs[i].1)
    }

    /// True if `env` is known and runnable.
    pub(crate) fn is_runnable(&self, env: EnvId) -> bool {
        self.runnable(env) == Some(true)
    }

    /// Sets the flag of a known environment; returns the old one.
    pub(crate) fn set(&mut self, env: EnvId, runnable: bool) -> Option<bool> {
        let i = self.index(env).ok()?;
        Some(core::mem::replace(&mut self.envs[i].1, runnable))
    }

    /// Adds `env` as runnable unless it is already known.
    pub(crate) fn add(&mut self, env: EnvId) {
        if let Err(at) = self.index(env) {
            self.envs.insert(at, (env, true));
        }
    }

    /// Keeps only the environments for which `keep` is true.
    pub(crate) fn retain(&mut self, keep: impl Fn(EnvId) -> bool) {
        self.envs.retain(|e| keep(e.0));
    }

    /// True if any known environment is runnable.
    pub(crate) fn any_runnable(&self) -> bool {
        self.envs.iter().any(|e| e.1)
    }
}
