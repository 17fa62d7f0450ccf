//! The domain's enums as string columns: what sea-orm's `DeriveValueType` generates for an
//! enum of strings, written here so that domain/ never imports sea_orm. A row read back with
//! a name the code does not know fails to load instead of carrying an unknown state.

use sea_orm::{
    ActiveValue, ColIdx, DbErr, IntoActiveValue, QueryResult, TryGetError, TryGetable, Value,
    sea_query::{ArrayType, ColumnType, Nullable, StringLen, ValueType, ValueTypeErr},
};

use crate::domain::{
    AccountType, ActorKind, ContainmentState, IncidentKind, IncidentStatus, Locale, Named,
    Platform, Severity, Source, TicketStatus, TimelineEvent,
    access::{Role, SessionRealm},
    correspondence::{
        Author, Direction, InboundStatus, InboundVia, MailKind, MatchRule, MessageChannel,
        UnmatchedReason, Waiting,
    },
    delivery::{AttemptOutcome, Channel, DeliveryStatus, Notice},
    directory::{ChangeAction, ChangeSubject},
    register::{AdminRole, MemberMailKind, PageChange, PageStatus, RegisterFlag},
    routing::{PartyKind, RuleKind},
};

macro_rules! string_columns {
    ($($name:ty),+ $(,)?) => {$(
        impl From<$name> for Value {
            fn from(source: $name) -> Self {
                Value::String(Some(source.as_str().to_owned()))
            }
        }

        impl TryGetable for $name {
            fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
                let text = String::try_get_by(res, idx)?;
                text.parse().map_err(|error: String| {
                    TryGetError::DbErr(DbErr::Type(format!(
                        "{} `{text}`: {error}",
                        stringify!($name)
                    )))
                })
            }
        }

        impl ValueType for $name {
            fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
                let text = <String as ValueType>::try_from(v)?;
                text.parse().map_err(|_| ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($name).to_owned()
            }

            fn array_type() -> ArrayType {
                ArrayType::String
            }

            fn column_type() -> ColumnType {
                ColumnType::String(StringLen::None)
            }
        }

        impl Nullable for $name {
            fn null() -> Value {
                Value::String(None)
            }
        }

        impl IntoActiveValue<$name> for $name {
            fn into_active_value(self) -> ActiveValue<$name> {
                ActiveValue::Set(self)
            }
        }
    )+};
}

string_columns!(
    AccountType,
    ActorKind,
    AttemptOutcome,
    Channel,
    DeliveryStatus,
    Notice,
    ContainmentState,
    IncidentKind,
    IncidentStatus,
    Locale,
    PartyKind,
    Platform,
    RuleKind,
    ChangeAction,
    ChangeSubject,
    Role,
    SessionRealm,
    AdminRole,
    MemberMailKind,
    PageChange,
    PageStatus,
    RegisterFlag,
    Severity,
    Source,
    TicketStatus,
    TimelineEvent,
    Author,
    Direction,
    InboundStatus,
    InboundVia,
    MailKind,
    MatchRule,
    MessageChannel,
    UnmatchedReason,
    Waiting,
);
