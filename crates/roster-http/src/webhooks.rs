//! Roster's own `/webhook_endpoints` routes: endpoints, their deliveries, and replays.

use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use roster_domain::FieldErrorKind;
use roster_domain::webhooks::{EndpointChanges, EndpointWithSecret};
use roster_wire::common::DeletedObject;
use roster_wire::webhooks::{
    CreateWebhookEndpointRequest, UpdateWebhookEndpointRequest, WebhookDelivery, WebhookEndpoint,
};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/webhook_endpoints",
            get(list_endpoints).post(create_endpoint),
        )
        .route(
            "/webhook_endpoints/{endpoint_id}",
            get(get_endpoint)
                .patch(update_endpoint)
                .delete(delete_endpoint),
        )
        .route(
            "/webhook_endpoints/{endpoint_id}/deliveries",
            get(list_deliveries),
        )
        .route(
            "/webhook_endpoints/{endpoint_id}/replay/{event_id}",
            post(replay_event),
        )
}

fn render(endpoint: &EndpointWithSecret) -> WebhookEndpoint {
    WebhookEndpoint::from_model(&endpoint.endpoint, &endpoint.secret)
}

async fn create_endpoint(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateWebhookEndpointRequest>,
) -> ApiResult<WebhookEndpoint> {
    let endpoint = state
        .services
        .webhooks
        .create(body.url, body.events)
        .await?;
    Ok(Json(render(&endpoint)))
}

async fn list_endpoints(State(state): State<AppState>) -> ApiResult<Vec<WebhookEndpoint>> {
    let endpoints = state.services.webhooks.list().await?;
    Ok(Json(endpoints.iter().map(render).collect()))
}

async fn get_endpoint(
    State(state): State<AppState>,
    Path(endpoint_id): Path<String>,
) -> ApiResult<WebhookEndpoint> {
    let endpoint = state.services.webhooks.get(&endpoint_id).await?;
    Ok(Json(render(&endpoint)))
}

async fn update_endpoint(
    State(state): State<AppState>,
    Path(endpoint_id): Path<String>,
    JsonBody(body): JsonBody<UpdateWebhookEndpointRequest>,
) -> ApiResult<WebhookEndpoint> {
    let endpoint = state
        .services
        .webhooks
        .update(
            &endpoint_id,
            EndpointChanges {
                url: body.url,
                events: body.events,
            },
        )
        .await?;
    Ok(Json(render(&endpoint)))
}

async fn delete_endpoint(
    State(state): State<AppState>,
    Path(endpoint_id): Path<String>,
) -> ApiResult<DeletedObject> {
    state.services.webhooks.delete(&endpoint_id).await?;
    Ok(Json(DeletedObject::new("webhook_endpoint", endpoint_id)))
}

async fn list_deliveries(
    State(state): State<AppState>,
    Path(endpoint_id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Vec<WebhookDelivery>> {
    let (mut limit, mut offset) = (50_i64, 0_i64);
    let query = query.unwrap_or_default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let target = match key.as_ref() {
            "limit" => &mut limit,
            "offset" => &mut offset,
            _ => continue,
        };
        *target = value.parse().map_err(|_| {
            ApiError::field(
                &key,
                FieldErrorKind::ValueInvalid {
                    reason: "must be an integer".to_owned(),
                },
            )
        })?;
    }
    let deliveries = state
        .services
        .webhooks
        .deliveries(&endpoint_id, limit, offset)
        .await?;
    Ok(Json(
        deliveries.iter().map(WebhookDelivery::from_model).collect(),
    ))
}

async fn replay_event(
    State(state): State<AppState>,
    Path((endpoint_id, event_id)): Path<(String, String)>,
) -> ApiResult<WebhookDelivery> {
    let delivery = state
        .services
        .webhooks
        .replay(&endpoint_id, &event_id)
        .await?;
    Ok(Json(WebhookDelivery::from_model(&delivery)))
}
