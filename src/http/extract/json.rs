//! The JSON body extractor: checks the content type, enforces the size limit while
//! reading, and names the exact field of any type error.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::{domain::FieldError, http::error::ApiError, http::state::AppState};

/// A parsed JSON body with the raw bytes it came from.
pub struct JsonBody<T> {
    pub value: T,
    pub raw: web::Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                m.type_() == mime::APPLICATION
                    && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
            });
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(64 * 1024, |s| s.settings.server.max_body_bytes);
        let timeout = req
            .app_data::<web::Data<AppState>>()
            .map_or(std::time::Duration::ZERO, |s| {
                s.settings.server.body_read_timeout
            });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType("application/json"));
            }
            if declared.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            let raw = read_limited(&mut payload, limit, timeout).await?;
            let value = parse(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// Reads a whole body of at most `limit` bytes.
pub async fn read_limited(
    payload: &mut Payload,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<web::Bytes, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            if crate::http::body_deadline::is_timeout(&e) {
                ApiError::BodyTimeout(timeout.as_secs())
            } else {
                ApiError::BadRequest(format!("could not read the body: {e}"))
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parses JSON; syntax errors, data after the value and an array where an object belongs
/// are 400; a wrong type or unknown field is 422 naming the field.
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let first = raw.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(ApiError::MalformedJson(
            "the body must be a JSON object".to_owned(),
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(raw);
    let value = deserialize(de)?;
    de.end().map_err(|e| {
        ApiError::MalformedJson(
            e.to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        )
    })?;
    Ok(value)
}

/// For a struct field of an input object: the value must be a JSON object (serde would
/// otherwise take an array, field by position).
pub fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(ObjectOnly(deserializer))
}

/// A deserializer that reads structs as maps only, so a sequence is refused; everything
/// else goes to the wrapped deserializer unchanged.
struct ObjectOnly<D>(D);

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(fn $method<V: serde::de::Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* visitor)
        })*
    };
}

impl<'de, D: serde::Deserializer<'de>> serde::Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(SomeObject(visitor))
    }

    forward! {
        deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
        deserialize_i32(), deserialize_i64(), deserialize_u8(), deserialize_u16(),
        deserialize_u32(), deserialize_u64(), deserialize_f32(), deserialize_f64(),
        deserialize_char(), deserialize_str(), deserialize_string(), deserialize_bytes(),
        deserialize_byte_buf(), deserialize_unit(), deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str), deserialize_seq(),
        deserialize_tuple(len: usize), deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(), deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(), deserialize_ignored_any(),
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// The visitor of an `Option` whose `Some` is read through [`ObjectOnly`].
struct SomeObject<V>(V);

impl<'de, V: serde::de::Visitor<'de>> serde::de::Visitor<'de> for SomeObject<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.0.visit_some(ObjectOnly(d))
    }
}

fn deserialize<'de, T: serde::Deserialize<'de>>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_owned();
                let (field, rule) = if let Some(name) = message
                    .strip_prefix("unknown field `")
                    .and_then(|m| m.split('`').next())
                {
                    // The path already ends with the unknown field's name.
                    let field = if path == "." {
                        name.to_owned()
                    } else {
                        path.clone()
                    };
                    (field, "unknown_field")
                } else if message.starts_with("missing field") {
                    let name = message.split('`').nth(1).unwrap_or_default();
                    let field = if path == "." {
                        name.to_owned()
                    } else {
                        format!("{path}.{name}")
                    };
                    (field, "required")
                } else if message.starts_with("unknown variant") {
                    (path, "one_of")
                } else {
                    (path, "type")
                };
                ApiError::Validation(vec![FieldError::new(field, rule, message)])
            }
            _ => ApiError::MalformedJson(
                inner
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
        }
    })
}
