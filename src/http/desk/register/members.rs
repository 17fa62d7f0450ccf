//! The members of the scope's committees: who they are, whether their committee confirmed
//! them and when they last confirmed their declarations; confirming those who chose a
//! committee of the scope; adding members to a committee by pasting their emails.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Desk, Opt, broken, committee_choices, committee_name, done_text, local, redirect, rule_text,
};
use crate::{
    domain::FieldError,
    http::{
        desk::{Who, actions::acting, directory::Fields},
        extract::csrf::Csrf,
        html::{
            error::PageError,
            page::{self, Chrome},
            problems::Shown,
        },
        state::AppState,
    },
    usecases::register::{self as uc, MemberRow, RegisterError, RosterFilter},
};

#[derive(Debug, Default, Deserialize)]
pub struct RosterQuery {
    filter: Option<String>,
    after: Option<String>,
    /// Words to find another committee for the form.
    cq: Option<String>,
    done: Option<String>,
    n: Option<u64>,
}

impl RosterQuery {
    fn awaiting(&self) -> bool {
        self.filter.as_deref() == Some("unconfirmed")
    }
}

/// A member in the roster.
pub struct MemberLine {
    pub id: Uuid,
    pub email: String,
    pub committee: String,
    /// When their committee confirmed them.
    pub member_since: Option<String>,
    /// When they last confirmed their declarations.
    pub last_confirmation: Option<String>,
}

/// The form that adds members, as typed.
#[derive(Default)]
struct AddValues {
    committee: String,
    emails: String,
    cq: String,
}

#[derive(Template)]
#[template(path = "desk/register/members.html")]
struct RosterPage {
    chrome: Chrome,
    who: Who,
    rows: Vec<MemberLine>,
    /// Some member of the page waits for their committee's confirmation.
    any_awaiting: bool,
    awaiting: bool,
    next: Option<String>,
    may_act: bool,
    csrf_token: String,
    committees: Vec<Opt>,
    add: AddValues,
    problems: Vec<Shown>,
    done: Option<String>,
}

impl RosterPage {
    fn err(&self, id: &str) -> Vec<&Shown> {
        self.problems.iter().filter(|p| p.id == id).collect()
    }
}

async fn render(
    state: &AppState,
    desk: &Desk,
    query: &RosterQuery,
    add: AddValues,
    problems: Vec<Shown>,
) -> Result<HttpResponse, PageError> {
    let filter = if query.awaiting() {
        RosterFilter::Unconfirmed
    } else {
        RosterFilter::All
    };
    let size = state.settings.register.page_size;
    let mut members: Vec<MemberRow> = uc::roster(
        &state.db,
        &desk.scope,
        filter,
        query.after.as_deref().filter(|a| !a.is_empty()),
        size + 1,
    )
    .await
    .map_err(broken)?;
    let more = members.len() as u64 > size;
    members.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    let next = more.then(|| members.last()).flatten().map(|last| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if query.awaiting() {
            q.append_pair("filter", "unconfirmed");
        }
        q.append_pair("after", &last.email);
        format!("/desk/register/members?{}", q.finish())
    });
    let dir = state.directory.current();
    let tr = desk.tr();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = RosterPage {
        chrome: desk.chrome("desk-reg-members-title", "/desk/register/members"),
        who: Who::of(desk),
        rows: members
            .iter()
            .map(|m| MemberLine {
                id: m.id,
                email: m.email.clone(),
                committee: m
                    .committee_id
                    .as_deref()
                    .map(|c| committee_name(&dir, tr.0, c))
                    .unwrap_or_default(),
                member_since: m
                    .committee_confirmed_at
                    .map(|at| local(desk, &state.settings, at)),
                last_confirmation: m.confirmed_at.map(|at| local(desk, &state.settings, at)),
            })
            .collect(),
        any_awaiting: members.iter().any(|m| m.committee_confirmed_at.is_none()),
        awaiting: query.awaiting(),
        next,
        may_act: desk.may_act(),
        csrf_token: desk.csrf_token.clone(),
        committees: committee_choices(desk, &dir, &add.cq, &add.committee),
        add,
        problems,
        done: done_text(tr.0, query.done.as_deref(), query.n),
    };
    Ok(desk.respond(state, status, page::render(&page)))
}

#[tracing::instrument(skip_all)]
pub async fn roster(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<RosterQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let add = AddValues {
        cq: query.cq.clone().unwrap_or_default(),
        ..Default::default()
    };
    render(&state, &desk, &query, add, Vec::new()).await
}

/// The officer confirms that the chosen members belong to their committees.
#[tracing::instrument(skip_all)]
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let fields = Fields::parse(&body);
    let desk = acting(&req, &state, &session, csrf, fields.token()).await?;
    let ids: Vec<Uuid> = fields
        .all("member")
        .iter()
        .filter_map(|id| id.parse().ok())
        .take(1000)
        .collect();
    let confirmed = uc::confirm_members(&state.db, &desk.scope, &ids, Utc::now())
        .await
        .map_err(broken)?;
    tracing::info!(user = %desk.officer.username, confirmed, "members confirmed");
    Ok(redirect(format!(
        "/desk/register/members?filter=unconfirmed&done=confirmed&n={confirmed}"
    )))
}

/// The addresses pasted in the form, each with its line (1-based): one or more a line,
/// separated by commas or semicolons.
fn pasted(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .flat_map(|(i, line)| {
            line.split([',', ';'])
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(move |e| (i + 1, e.to_owned()))
        })
        .collect()
}

/// The problems of the form, each address named by its line.
fn line_problems(desk: &Desk, entries: &[(usize, String)], errors: &[FieldError]) -> Vec<Shown> {
    let tr = desk.tr();
    errors
        .iter()
        .map(|e| {
            let message = rule_text(tr.0, e);
            let entry = e
                .field
                .strip_prefix("emails[")
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| entries.get(i));
            match (e.field.as_str(), entry) {
                (_, Some((line, email))) => Shown {
                    id: "emails".to_owned(),
                    label: format!(
                        "{} ({email})",
                        tr.t1("desk-reg-line", "line", &line.to_string())
                    ),
                    message,
                },
                ("committee", None) => Shown {
                    id: "committee".to_owned(),
                    label: tr.t("desk-reg-field-committee"),
                    message,
                },
                _ => Shown {
                    id: "emails".to_owned(),
                    label: tr.t("desk-reg-field-emails"),
                    message,
                },
            }
        })
        .collect()
}

/// The officer adds members to a committee of their scope, by email, confirmed at once.
#[tracing::instrument(skip_all)]
pub async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let fields = Fields::parse(&body);
    let desk = acting(&req, &state, &session, csrf, fields.token()).await?;
    let values = AddValues {
        committee: fields.get("committee").trim().to_owned(),
        emails: fields.get("emails").to_owned(),
        cq: fields.get("cq").to_owned(),
    };
    let entries = pasted(&values.emails);
    let emails: Vec<String> = entries.iter().map(|(_, e)| e.clone()).collect();
    let dir = state.directory.current();
    match uc::add_members(
        &state.db,
        &dir,
        &desk.scope,
        &values.committee,
        &emails,
        Utc::now(),
    )
    .await
    {
        Ok(added) => {
            tracing::info!(user = %desk.officer.username, added, "members added");
            Ok(redirect(format!(
                "/desk/register/members?done=added&n={added}"
            )))
        }
        Err(RegisterError::Invalid(errors)) => {
            let problems = line_problems(&desk, &entries, &errors);
            render(&state, &desk, &RosterQuery::default(), values, problems).await
        }
        Err(RegisterError::Db(error)) => Err(broken(error)),
        Err(RegisterError::NotFound | RegisterError::Conflict) => Err(broken(anyhow::anyhow!(
            "adding members cannot miss or conflict"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::pasted;

    #[test]
    fn pasted_addresses_keep_their_line() {
        assert_eq!(
            pasted("a@x.org\n\n b@x.org, c@x.org ;\n"),
            [
                (1, "a@x.org".to_owned()),
                (3, "b@x.org".to_owned()),
                (3, "c@x.org".to_owned()),
            ]
        );
    }
}
