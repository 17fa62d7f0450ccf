//! State machines: each lists its allowed transitions in one `match`.

use std::fmt::Display;

/// A state with a fixed set of allowed next states.
pub trait StateMachine: Copy + Eq + Display + 'static {
    /// Name of the machine for error messages, such as `incident status`.
    const NAME: &'static str;

    fn allowed_next(self) -> &'static [Self];

    fn transition(self, to: Self) -> Result<Self, TransitionError> {
        if self.allowed_next().contains(&to) {
            Ok(to)
        } else {
            Err(TransitionError {
                machine: Self::NAME,
                from: self.to_string(),
                to: to.to_string(),
                allowed: self
                    .allowed_next()
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            })
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{machine} cannot change from `{from}` to `{to}`")]
pub struct TransitionError {
    pub machine: &'static str,
    pub from: String,
    pub to: String,
    pub allowed: Vec<String>,
}
