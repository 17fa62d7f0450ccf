//! Resources that know their methods: every method a resource does not route is answered
//! 405 with `Allow` listing the ones it does (RFC 9110), and a GET also answers HEAD.

use actix_web::{FromRequest, Handler, Resource, Responder, ResponseError, web};

use crate::http::error::ApiError;

/// A resource being built, with the methods routed so far.
pub struct Methods {
    resource: Resource,
    allow: Vec<&'static str>,
}

/// The resource at `path`.
pub fn at(path: &str) -> Methods {
    Methods {
        resource: web::resource(path),
        allow: Vec::new(),
    }
}

impl Methods {
    fn route(mut self, method: &'static str, route: actix_web::Route) -> Self {
        self.allow.push(method);
        self.resource = self.resource.route(route);
        self
    }

    /// GET, and HEAD with the same handler (actix sends the head without the body).
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route("GET", web::get().to(handler.clone()))
            .route("HEAD", web::head().to(handler))
    }

    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route("POST", web::post().to(handler))
    }

    pub fn patch<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route("PATCH", web::patch().to(handler))
    }

    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route("DELETE", web::delete().to(handler))
    }

    /// The resource, answering 405 with `Allow` to every other method.
    pub fn done(self) -> Resource {
        let allow = self.allow.join(", ");
        self.resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { ApiError::MethodNotAllowed(allow).error_response() }
        }))
    }
}
