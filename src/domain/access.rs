//! Who may do what: the scopes of API keys, and the roles of the officers who sign in
//! to the desk.

use super::incident::named_enum;

named_enum!(
    /// A permission granted to an API key.
    ApiScope {
        IncidentsWrite => "incidents:write",
        IncidentsRead => "incidents:read",
        TicketsWrite => "tickets:write",
    }
);

impl ApiScope {
    /// Parses a comma- or space-separated list.
    pub fn parse_list(raw: &str) -> Result<Vec<Self>, String> {
        let mut scopes = Vec::new();
        for part in raw
            .split([',', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let scope: ApiScope = part.parse().map_err(|e| format!("scope `{part}` {e}"))?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(scopes)
    }
}

named_enum!(
    /// What an officer may do in the desk: an admin everything, in every committee; an
    /// officer reads and acts on the incidents of their committee and its descendants; a
    /// viewer only reads those.
    Role {
        Admin => "admin",
        Officer => "officer",
        Viewer => "viewer",
    }
);

impl Role {
    pub fn may_act(self) -> bool {
        matches!(self, Role::Admin | Role::Officer)
    }
}

/// A signed-in officer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    pub id: uuid::Uuid,
    pub username: String,
    pub name: String,
    pub role: Role,
    /// The committee whose subtree the officer sees; none for an admin.
    pub committee: Option<String>,
}

impl Officer {
    pub fn actor(&self) -> super::Actor {
        super::Actor {
            kind: super::ActorKind::Officer,
            id: Some(self.username.clone()),
            name: Some(self.name.clone()),
        }
    }
}
