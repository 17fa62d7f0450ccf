//! Failed sign-ins in a sliding window, per key: what the desk's throttle counts. Only
//! failures count, so an officer signing in correctly never spends their own budget.

use std::{
    collections::{HashMap, VecDeque},
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct Failures<K> {
    max: usize,
    window: Duration,
    seen: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Eq + Hash + Clone> Failures<K> {
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max: usize::try_from(max).unwrap_or(usize::MAX).max(1),
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Failures of `key` within the window.
    pub fn recent(&self, key: &K) -> usize {
        let now = Instant::now();
        let Ok(mut seen) = self.seen.lock() else {
            return 0;
        };
        let Some(times) = seen.get_mut(key) else {
            return 0;
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.window)
        {
            times.pop_front();
        }
        times.len()
    }

    /// `key` has failed as often as the window allows.
    pub fn exhausted(&self, key: &K) -> bool {
        self.is_full(self.recent(key))
    }

    /// Whether `recent` failures fill the window.
    pub fn is_full(&self, recent: usize) -> bool {
        recent >= self.max
    }

    /// Counts one failure of `key`; keeps at most `max` times per key.
    pub fn record(&self, key: &K) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        let times = seen.entry(key.clone()).or_default();
        times.push_back(Instant::now());
        while times.len() > self.max {
            times.pop_front();
        }
    }

    /// Forgets `key` (its owner signed in).
    pub fn clear(&self, key: &K) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(key);
        }
    }

    /// Drops the keys with no failure left in the window, so the table stays small.
    pub fn prune(&self) {
        let now = Instant::now();
        if let Ok(mut seen) = self.seen.lock() {
            seen.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) <= self.window)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_failures_per_key_within_the_window() {
        let failures = Failures::new(2, Duration::from_millis(50));
        assert!(!failures.exhausted(&"a"));
        failures.record(&"a");
        failures.record(&"a");
        failures.record(&"a");
        assert_eq!(failures.recent(&"a"), 2, "at most max are kept");
        assert!(failures.exhausted(&"a"));
        assert!(!failures.exhausted(&"b"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!failures.exhausted(&"a"), "the window moved on");
        failures.record(&"b");
        failures.clear(&"b");
        assert_eq!(failures.recent(&"b"), 0);
        failures.prune();
        assert!(failures.seen.lock().expect("lock").is_empty());
    }
}
