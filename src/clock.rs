//! Time behind a trait, so reminders and expiry can be tested without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, DurationRound, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Microsecond precision: what PostgreSQL keeps, so a value reads back as written.
fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::microseconds(1)).unwrap_or(at)
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate(Utc::now())
    }
}

/// Real time shifted by an offset that tests move forward: time still flows (so
/// background workers keep working) but days can pass in an instant.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_micros: AtomicI64,
}

impl OffsetClock {
    pub fn advance(&self, by: Duration) {
        self.offset_micros
            .fetch_add(by.num_microseconds().unwrap_or(i64::MAX), Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        truncate(Utc::now() + Duration::microseconds(self.offset_micros.load(Ordering::SeqCst)))
    }
}
