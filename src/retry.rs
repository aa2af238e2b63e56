//! When a durable job (an email, a Greenhouse push) is tried again after a failure.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// Exponential, capped, with ±20 % jitter so a recovered server is not hit all at once.
    pub fn delay(&self, attempts: u32) -> Duration {
        let exponential = self
            .base
            .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)));
        exponential
            .min(self.max)
            .mul_f64(rand::thread_rng().gen_range(0.8..1.2))
    }
}
