//! What an API key may do.

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
