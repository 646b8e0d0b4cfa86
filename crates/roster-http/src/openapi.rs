//! Roster's OpenAPI 3.1 document. The operations come from the `#[utoipa::path]` of each routed
//! handler (`crate::routes` registers every route through `utoipa_axum::routes!`, so the
//! router and the document are one list) and the schemas from the `roster-wire` types the
//! handlers decode and answer. What holds for every `/v1` operation alike (the secret key, the
//! API-version selectors, the error envelope on each error status) is added here once.

use axum::Extension;
use axum::http::header;
use axum::response::IntoResponse;
use roster_wire::errors::ErrorEnvelope;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder, Type,
};

use crate::version::{KNOWN_VERSIONS, QUERY_PARAM};

/// The scheme every `/v1` operation requires: `Authorization: Bearer <secret key>`.
const SECRET_KEY: &str = "secret_key";

/// The statuses any `/v1` operation may answer with Clerk's error envelope, and why.
const ERROR_STATUSES: [(&str, &str); 8] = [
    (
        "400",
        "The request is malformed, or the API version is unknown.",
    ),
    ("401", "The secret key is missing or invalid."),
    (
        "403",
        "A rule of the instance forbids this (a banned or locked user).",
    ),
    ("404", "The resource does not exist."),
    ("409", "A concurrent change; retry the request."),
    ("422", "A parameter is missing, unknown or invalid."),
    ("429", "Too many requests; retry later."),
    (
        "500",
        "An internal failure; the details are in the server log.",
    ),
];

/// The statuses only a request with a body can meet.
const BODY_ERROR_STATUSES: [(&str, &str); 2] = [
    ("413", "The request body is too large."),
    ("415", "The request body is not JSON."),
];

/// The document's fixed parts; `complete` adds what the handlers' attributes leave out.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Roster",
        description = "Clerk's Backend API, served by Roster from its own database.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(ErrorEnvelope))
)]
pub(crate) struct Document;

/// Adds the security scheme, the version selectors, the error responses and the body rules.
pub(crate) fn complete(mut document: OpenApi) -> OpenApi {
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let components = document.components.get_or_insert_default();
    components.add_security_scheme(
        SECRET_KEY,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A secret key, `sk_…`."))
                .build(),
        ),
    );
    let mut request_schemas = Vec::new();
    for (path, item) in document.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            if let Some(body) = operation.request_body.as_mut() {
                request_schemas.extend(optional_body(body));
            }
            if path.starts_with("/v1/") {
                complete_v1(operation);
            }
        }
    }
    for name in request_schemas {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) {
            // The body decoder names every key it does not know (422), so none is allowed.
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
    }
    document
}

/// An empty JSON body (or `null`) is the request type's defaults, so no body is required.
/// Returns the names of the schemas the body refers to. A multipart upload keeps its own
/// attributes: its file is required, and parts it does not know are skipped.
fn optional_body(body: &mut RequestBody) -> Vec<String> {
    if !body.content.contains_key("application/json") {
        return Vec::new();
    }
    body.required = Some(Required::False);
    body.content
        .values()
        .filter_map(|content| match &content.schema {
            Some(RefOr::Ref(reference)) => reference
                .ref_location
                .strip_prefix("#/components/schemas/")
                .map(str::to_owned),
            _ => None,
        })
        .collect()
}

fn complete_v1(operation: &mut Operation) {
    operation.security = Some(vec![SecurityRequirement::new::<_, _, &str>(SECRET_KEY, [])]);
    operation
        .parameters
        .get_or_insert_default()
        .extend(version_selectors());
    let with_body = operation.request_body.is_some();
    let statuses = ERROR_STATUSES
        .iter()
        .chain(BODY_ERROR_STATUSES.iter().filter(|_| with_body));
    for (status, description) in statuses {
        operation
            .responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| error_response(description));
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                    .build(),
            )
            .build(),
    )
}

/// `Clerk-API-Version` and `__clerk_api_version`; giving both is refused (400).
fn version_selectors() -> [Parameter; 2] {
    let versions = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(KNOWN_VERSIONS))
            .build()
    };
    let description = "The Clerk API version to follow; without it, 2025-11-10. Send it \
                       either as this header or as the `__clerk_api_version` query parameter.";
    [
        ParameterBuilder::new()
            .name("Clerk-API-Version")
            .parameter_in(ParameterIn::Header)
            .description(Some(description))
            .schema(Some(versions()))
            .build(),
        ParameterBuilder::new()
            .name(QUERY_PARAM)
            .parameter_in(ParameterIn::Query)
            .description(Some(
                "The Clerk API version, as a query parameter instead of the header.",
            ))
            .schema(Some(versions()))
            .build(),
    ]
}

/// The document as served, rendered once when the router is built.
#[derive(Clone)]
pub(crate) struct DocumentJson(pub(crate) std::sync::Arc<str>);

/// This document; served without a key.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "Roster's OpenAPI 3.1 document.", body = Object))
)]
pub(crate) async fn serve(Extension(document): Extension<DocumentJson>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.0.to_string(),
    )
}
