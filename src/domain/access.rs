//! Who may do what: the scopes of API keys, and the roles of the officers who sign in
//! to the desk.

/// A permission granted to an API key.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum ApiScope {
    #[strum(serialize = "incidents:write")]
    IncidentsWrite,
    #[strum(serialize = "incidents:read")]
    IncidentsRead,
    #[strum(serialize = "tickets:write")]
    TicketsWrite,
    /// Read parties, their endpoints and the routing preview, within the key's reach.
    #[strum(serialize = "directory:read")]
    DirectoryRead,
    /// Manage the webhook endpoints of the parties within the key's reach.
    #[strum(serialize = "directory:write")]
    DirectoryWrite,
    /// Read the page register and the declaration requests within the key's reach.
    #[strum(serialize = "register:read")]
    RegisterRead,
    /// Hand in raw mail received for the service (`POST /api/v1/inbound/email`): for a mail
    /// service that forwards by HTTP, or `incident-desk mailgate`.
    #[strum(serialize = "mail:inbound")]
    MailInbound,
}

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

/// Whose session a cookie stands for: an officer's at the desk or a member's in the
/// register. Each realm has its own cookie, path and key, and a session is only ever
/// loaded in its own realm.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum SessionRealm {
    Desk,
    Member,
}

/// What an officer may do in the desk: an admin everything, in every committee; an
/// officer reads and acts on the incidents of their committee and its descendants; a
/// viewer only reads those.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum Role {
    Admin,
    Officer,
    Viewer,
}

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

/// What an officer may do to one party of the directory in the desk.
///
/// Admins manage everything. An officer (`Role::Officer`) manages the contacts of the
/// committees of their own subtree, that is its email addresses and webhook endpoints,
/// but not its names, parent, deadline, locale or disabled state, and cannot remove it.
/// A viewer only reads. Officers and viewers read the committees of their subtree and
/// every authority and provider (who receives their incidents); other committees are
/// not theirs to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DirectoryRight {
    Read,
    Contacts,
    Manage,
}

impl Officer {
    /// The officer's right over `party` (`None`: not theirs to see).
    pub fn directory_right(
        &self,
        dir: &super::directory::Directory,
        party: &super::directory::Party,
    ) -> Option<DirectoryRight> {
        use super::routing::PartyKind;
        if self.role == Role::Admin {
            return Some(DirectoryRight::Manage);
        }
        let own = party.kind == PartyKind::Committee
            && self
                .committee
                .as_deref()
                .is_some_and(|root| dir.is_within(&party.id, root));
        match (self.role, own, party.kind) {
            (Role::Officer, true, _) => Some(DirectoryRight::Contacts),
            (_, true, _) | (_, false, PartyKind::Authority | PartyKind::Provider) => {
                Some(DirectoryRight::Read)
            }
            (_, false, PartyKind::Committee) => None,
        }
    }

    /// Whether the officer may add, rename, move, disable or remove parties and edit the
    /// routing rules.
    pub fn manages_directory(&self) -> bool {
        self.role == Role::Admin
    }
}
