//! Problems with a form, in the member's language: one per field, each with the field's
//! label for the summary at the top and its message for beside the field.

use crate::{
    domain::{FieldError, Locale, i18n},
    http::extract::form::Problem,
};

#[derive(Debug, Clone)]
pub struct Shown {
    /// The id of the field's element (and the summary's link target).
    pub id: String,
    pub label: String,
    pub message: String,
}

/// `page.url` → `page-url`; `containment.actions[2]` → `containment-actions`.
pub fn field_id(name: &str) -> String {
    let base = name.split('[').next().unwrap_or(name);
    base.replace('.', "-")
}

/// The problem shown for the field `name`, if any.
pub fn of<'a>(shown: &'a [Shown], name: &str) -> Option<&'a Shown> {
    let id = field_id(name);
    shown.iter().find(|p| p.id == id)
}

pub fn from_field_error(error: &FieldError) -> Problem {
    let mut args = Vec::new();
    if let Some(limit) = error.limit {
        args.push(("limit", limit.to_string()));
    }
    Problem {
        field: error.field.clone(),
        key: format!("error-{}", error.rule),
        args,
    }
}

pub fn show(locale: Locale, problems: Vec<Problem>) -> Vec<Shown> {
    let mut shown: Vec<Shown> = Vec::new();
    for problem in problems {
        let id = field_id(&problem.field);
        if shown.iter().any(|s| s.id == id) {
            continue;
        }
        let args: Vec<(&'static str, &str)> =
            problem.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let message = i18n::try_text_with(locale, &problem.key, &args)
            .unwrap_or_else(|| i18n::text(locale, "error-invalid"));
        shown.push(Shown {
            label: i18n::try_text(locale, &format!("field-{id}")).unwrap_or_else(|| id.clone()),
            id,
            message,
        });
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_ids_match_the_form() {
        assert_eq!(field_id("page.url"), "page-url");
        assert_eq!(field_id("page.display_name"), "page-display_name");
        assert_eq!(field_id("containment.actions[1]"), "containment-actions");
    }
}
