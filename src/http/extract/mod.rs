//! What handlers take from a request: JSON and form bodies, the CSRF token, the language,
//! and the rate limits in front of the pages.

pub mod csrf;
pub mod form;
pub mod json;
pub mod lang;
pub mod limits;
