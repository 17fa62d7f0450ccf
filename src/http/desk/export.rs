//! What every CSV download of the desk shares: cells a spreadsheet will not run as
//! formulas, and a streamed, never cached attachment.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use futures_util::Stream;

/// A CSV cell that a spreadsheet will not run as a formula.
pub fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// Rows read per batch of a streamed export.
pub const BATCH: u64 = 1000;

/// A CSV attachment named `{stem}-{time}.csv`, its body streamed as it is read.
pub fn attachment<S>(stem: &str, body: S) -> HttpResponse
where
    S: Stream<Item = Result<web::Bytes, actix_web::Error>> + 'static,
{
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{stem}-{}.csv\"",
                Utc::now().format("%Y%m%d-%H%M")
            ),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body)
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_that_start_like_a_formula_are_quoted() {
        for value in ["=1+2", "+84 912", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(value), format!("'{value}"));
        }
        assert_eq!(cell("Ba Đình"), "Ba Đình");
        assert_eq!(cell(""), "");
    }
}
