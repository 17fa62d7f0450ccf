//! HTML pages: the member's report form, confirmation and tracking pages, and the
//! acknowledge page behind a party's email link.

pub mod ack;
pub mod check;
pub mod register;
pub mod report;
pub mod steps;
pub mod track;

use actix_web::web;

use crate::http::{extract::limits::WebLimits, html};

pub fn configure(cfg: &mut web::ServiceConfig, limits: &WebLimits) {
    cfg.service(
        crate::http::routes::at("/static/site.css")
            .get(html::stylesheet)
            .done(),
    );
    report::configure(cfg, limits);
    check::configure(cfg, limits);
    steps::configure(cfg, limits);
    track::configure(cfg, limits);
    ack::configure(cfg);
}
