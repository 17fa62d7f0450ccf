//! A small fast generator (xorshift64*), seeded, so that a seed writes the same data.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub struct Rng(pub u64);

impl Rng {
    /// The next number of the sequence (an endless one: not an `Iterator`).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, weighted: &[(T, u32)]) -> T {
        let total: u32 = weighted.iter().map(|(_, w)| w).sum();
        let mut at = self.below(u64::from(total)) as u32;
        for &(value, weight) in weighted {
            if at < weight {
                return value;
            }
            at -= weight;
        }
        weighted[weighted.len() - 1].0
    }

    pub fn one_of<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A UUIDv7 of the millisecond `at`, so that ids sort as the rows were created.
    pub fn uuid_at(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&self.next().to_le_bytes());
        random[8..].copy_from_slice(&self.next().to_le_bytes()[..2]);
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or_default();
        uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
    }

    pub fn hex(&mut self, bytes: usize) -> String {
        (0..bytes.div_ceil(8))
            .map(|_| format!("{:016x}", self.next()))
            .collect::<String>()[..bytes * 2]
            .to_owned()
    }
}
