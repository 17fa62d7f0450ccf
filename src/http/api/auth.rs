//! API key authentication: `Authorization: Bearer <key>`, scopes and committee binding.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use uuid::Uuid;

use crate::{
    domain::{Actor, ActorKind, access::ApiScope},
    http::error::ApiError,
    http::state::AppState,
    usecases::{Scope, access},
};

/// The integration behind a request.
#[derive(Debug, Clone)]
pub struct ApiPrincipal {
    pub key_id: Uuid,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub committee: Option<String>,
    pub party: Option<String>,
    /// The committees this key sees: all, or the subtree of its committee.
    pub scope: Scope,
}

impl ApiPrincipal {
    pub fn require(&self, scope: ApiScope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this API key lacks the scope `{scope}`"
            )))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            kind: ActorKind::Integration,
            id: Some(self.key_id.to_string()),
            name: Some(self.name.clone()),
        }
    }
}

/// The API key a request presents (`Authorization: Bearer <key>`), not yet checked. A
/// handler that may refuse a request for want of room takes this instead of
/// [`ApiPrincipal`], so that a refusal costs no database read.
pub struct ApiCredentials(String);

impl ApiCredentials {
    /// The active key behind these credentials, or 401.
    pub async fn authenticate(self, state: &AppState) -> Result<ApiPrincipal, ApiError> {
        let key = access::authenticate(&state.db, &state.directory.current(), &self.0)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(ApiPrincipal {
            key_id: key.key_id,
            name: key.name,
            scopes: key.scopes,
            committee: key.committee,
            party: key.party,
            scope: key.scope,
        })
    }
}

impl FromRequest for ApiCredentials {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|p| !p.is_empty());
        std::future::ready(
            presented
                .map(|p| ApiCredentials(p.to_owned()))
                .ok_or(ApiError::Unauthorized),
        )
    }
}

impl FromRequest for ApiPrincipal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credentials = ApiCredentials::from_request(req, payload).into_inner();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            credentials?.authenticate(&state).await
        })
    }
}
