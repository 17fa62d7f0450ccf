//! Which committees a caller may see: everything, or a committee's subtree.

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    All,
    /// The committees of one subtree; never empty.
    Committees(Vec<String>),
}

impl Scope {
    pub fn allows(&self, committee: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Committees(ids) => ids.iter().any(|id| id == committee),
        }
    }
}
