//! The counters above the desk's queue, kept per scope for `desk.counters_max_age`.
//!
//! Counting overdue tickets and failed deliveries reads every open ticket of a scope,
//! which on a long history costs more than the page itself. A count younger than the
//! maximum age is reused; an older one is still shown while one background task counts
//! again, so no page waits for it. An officer's action forgets every count, so the next
//! page shows its effect.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::storage::DbErr;
use chrono::Utc;

use crate::storage::{
    Database, Scope,
    queue::{self, Counters},
};

#[derive(Clone)]
pub struct CounterCache {
    max_age: Duration,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// Raised by every change made through the desk; a count started under an older
    /// generation is not kept.
    generation: u64,
    entries: HashMap<Scope, Entry>,
}

#[derive(Clone, Copy)]
struct Entry {
    counters: Counters,
    /// When the count started.
    at: Instant,
    /// A background task is counting again.
    refreshing: bool,
}

impl CounterCache {
    pub fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            state: Arc::default(),
        }
    }

    /// The scope's counters: counted now, recent, or (while counted again) the last.
    pub async fn get(&self, db: &Database, scope: &Scope) -> Result<Counters, DbErr> {
        if self.max_age.is_zero() {
            return queue::counters(db.conn(), scope, Utc::now()).await;
        }
        let (stale, generation) = {
            let mut state = self.lock();
            let generation = state.generation;
            match state.entries.get_mut(scope) {
                Some(entry) if entry.refreshing || entry.at.elapsed() < self.max_age => {
                    return Ok(entry.counters);
                }
                Some(entry) => {
                    entry.refreshing = true;
                    (Some(entry.counters), generation)
                }
                None => (None, generation),
            }
        };
        let started = Instant::now();
        match stale {
            Some(last) => {
                let (cache, db, scope) = (self.clone(), db.clone(), scope.clone());
                tokio::spawn(async move {
                    match queue::counters(db.conn(), &scope, Utc::now()).await {
                        Ok(counters) => cache.store(scope, counters, started, generation),
                        Err(error) => {
                            tracing::warn!(%error, "could not count the desk queue");
                            cache.lock().entries.remove(&scope);
                        }
                    }
                });
                Ok(last)
            }
            None => {
                let counters = queue::counters(db.conn(), scope, Utc::now()).await?;
                self.store(scope.clone(), counters, started, generation);
                Ok(counters)
            }
        }
    }

    /// Forgets every count, after a change made through the desk.
    pub fn forget(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.entries.clear();
    }

    fn store(&self, scope: Scope, counters: Counters, at: Instant, generation: u64) {
        let mut state = self.lock();
        if generation != state.generation {
            state.entries.remove(&scope);
            return;
        }
        state.entries.insert(
            scope,
            Entry {
                counters,
                at,
                refreshing: false,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
