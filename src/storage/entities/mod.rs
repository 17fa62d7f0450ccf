//! One sea-orm entity per table.

pub mod api_key;
pub mod declaration_request;
pub mod declaration_request_member;
pub mod delivery;
pub mod delivery_attempt;
pub mod directory_change;
pub mod directory_state;
pub mod disabled_endpoint;
pub mod endpoint;
pub mod event;
pub mod evidence;
pub mod idempotency_key;
pub mod incident;
pub mod member;
pub mod member_link;
pub mod member_mail;
pub mod party;
pub mod register_page;
pub mod register_page_version;
pub mod routing_rule;
pub mod service_secret;
pub mod session;
pub mod ticket;
pub mod tracking_token;
pub mod user;
