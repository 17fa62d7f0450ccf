//! The webhook contract as OpenAPI schemas: one per event type, named by `schema_name`,
//! and `WebhookEvent`, any one of them told apart by `type`. utoipa 5 cannot write the
//! OpenAPI 3.1 `webhooks` section, so the events are published as components.

use crate::domain::Named;
use std::borrow::Cow;

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        KnownFormat, ObjectBuilder, OneOfBuilder, Ref, RefOr, Schema, SchemaFormat, Type,
        schema::Discriminator,
    },
};

use super::{
    ContainmentChangedData, EndpointTestData, EventType, IncidentReportedData,
    NotificationTestData, StatusChangedData, TicketChangedData, TicketEscalatedData,
    TicketMessageData, TicketReminderData, WebhookEvent,
};

type Schemas = Vec<(String, RefOr<Schema>)>;

impl EventType {
    /// The name of this event's schema in the OpenAPI document.
    pub fn schema_name(self) -> String {
        format!("WebhookEvent_{}", self.as_str().replace('.', "_"))
    }

    /// The schema of this event's `data`, added to `schemas` with everything it refers to.
    fn data_schema(self, schemas: &mut Schemas) -> String {
        match self {
            EventType::IncidentReported => add::<IncidentReportedData>(schemas),
            EventType::IncidentContainmentChanged => add::<ContainmentChangedData>(schemas),
            EventType::IncidentStatusChanged => add::<StatusChangedData>(schemas),
            EventType::TicketAcknowledged
            | EventType::TicketResolved
            | EventType::TicketRejected
            | EventType::TicketFailed => add::<TicketChangedData>(schemas),
            EventType::TicketReminder => add::<TicketReminderData>(schemas),
            EventType::TicketEscalated => add::<TicketEscalatedData>(schemas),
            EventType::TicketMessage => add::<TicketMessageData>(schemas),
            EventType::NotificationTest => add::<NotificationTestData>(schemas),
            EventType::EndpointTest => add::<EndpointTestData>(schemas),
        }
    }

    /// The whole body of this event: `{type, timestamp, data}` with `type` fixed.
    fn event_schema(self, data: &str) -> Schema {
        ObjectBuilder::new()
            .title(Some(self.as_str()))
            .description(Some(format!("`{self}`: {}", self.meaning())))
            .property("data", Ref::from_schema_name(data))
            .required("data")
            .property(
                "timestamp",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                    .description(Some(
                        "When the event happened: RFC 3339, UTC, milliseconds.",
                    )),
            )
            .required("timestamp")
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([self.as_str()])),
            )
            .required("type")
            .into()
    }
}

fn add<T: ToSchema>(schemas: &mut Schemas) -> String {
    T::schemas(schemas);
    schemas.push((T::name().into_owned(), T::schema()));
    T::name().into_owned()
}

impl PartialSchema for EventType {
    fn schema() -> RefOr<Schema> {
        let values: Vec<String> = EventType::ALL
            .iter()
            .map(|t| format!("- `{t}`: {}", t.meaning()))
            .collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(EventType::ALL.iter().map(|t| t.as_str())))
            .description(Some(format!(
                "The `type` of a webhook event.\n\n{}",
                values.join("\n")
            )))
            .into()
    }
}

impl ToSchema for EventType {}

impl PartialSchema for WebhookEvent {
    fn schema() -> RefOr<Schema> {
        let mut discriminator = Discriminator::new("type");
        let mut any = OneOfBuilder::new().description(Some(
            "Any webhook event, told apart by `type`; see `EventType` for when each is sent.",
        ));
        for event in EventType::ALL {
            let name = event.schema_name();
            discriminator.mapping.insert(
                event.as_str().to_owned(),
                format!("#/components/schemas/{name}"),
            );
            any = any.item(Ref::from_schema_name(name));
        }
        any.discriminator(Some(discriminator)).into()
    }
}

impl ToSchema for WebhookEvent {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("WebhookEvent")
    }

    fn schemas(schemas: &mut Schemas) {
        schemas.push((EventType::name().into_owned(), EventType::schema()));
        for event in EventType::ALL {
            let data = event.data_schema(schemas);
            schemas.push((event.schema_name(), event.event_schema(&data).into()));
        }
    }
}
