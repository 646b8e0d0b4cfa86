//! Roster's own `/webhook_endpoints` routes: endpoints, their deliveries, and replays.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::webhooks::{EndpointChanges, EndpointWithSecret};
use roster_model::ids::WebhookEndpointId;
use roster_wire::common::DeletedObject;
use roster_wire::webhooks::{
    CreateWebhookEndpointRequest, DeliveriesQuery, DeliveryPage, UpdateWebhookEndpointRequest,
    WebhookDelivery, WebhookEndpoint,
};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::list_query::ListParams;
use crate::params::{EndpointPath, EventPath};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_endpoints, create_endpoint))
        .routes(routes!(get_endpoint, update_endpoint, delete_endpoint))
        .routes(routes!(list_deliveries))
        .routes(routes!(replay_event))
}

fn render(endpoint: &EndpointWithSecret) -> WebhookEndpoint {
    WebhookEndpoint::from_model(&endpoint.endpoint, &endpoint.secret)
}

#[utoipa::path(
    post,
    path = "/webhook_endpoints",
    tag = "webhooks",
    request_body = CreateWebhookEndpointRequest,
    responses((status = 200, description = "The created endpoint, with its signing secret.", body = WebhookEndpoint))
)]
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

#[utoipa::path(
    get,
    path = "/webhook_endpoints",
    tag = "webhooks",
    responses((status = 200, description = "Every webhook endpoint.", body = Vec<WebhookEndpoint>))
)]
async fn list_endpoints(State(state): State<AppState>) -> ApiResult<Vec<WebhookEndpoint>> {
    let endpoints = state.services.webhooks.list().await?;
    Ok(Json(endpoints.iter().map(render).collect()))
}

#[utoipa::path(
    get,
    path = "/webhook_endpoints/{endpoint_id}",
    tag = "webhooks",
    params(EndpointPath),
    responses((status = 200, description = "The endpoint.", body = WebhookEndpoint))
)]
async fn get_endpoint(
    State(state): State<AppState>,
    Path(endpoint_id): Path<String>,
) -> ApiResult<WebhookEndpoint> {
    let endpoint_id = WebhookEndpointId::requested(endpoint_id);
    let endpoint = state.services.webhooks.get(&endpoint_id).await?;
    Ok(Json(render(&endpoint)))
}

#[utoipa::path(
    patch,
    path = "/webhook_endpoints/{endpoint_id}",
    tag = "webhooks",
    params(EndpointPath),
    request_body = UpdateWebhookEndpointRequest,
    responses((status = 200, description = "The updated endpoint.", body = WebhookEndpoint))
)]
async fn update_endpoint(
    State(state): State<AppState>,
    Path(endpoint_id): Path<String>,
    JsonBody(body): JsonBody<UpdateWebhookEndpointRequest>,
) -> ApiResult<WebhookEndpoint> {
    let webhooks = &state.services.webhooks;
    let changes = EndpointChanges {
        url: body.url,
        events: body.events,
    };
    let endpoint_id = WebhookEndpointId::requested(endpoint_id);
    let endpoint = webhooks.update(&endpoint_id, changes).await?;
    Ok(Json(render(&endpoint)))
}

#[utoipa::path(
    delete,
    path = "/webhook_endpoints/{endpoint_id}",
    tag = "webhooks",
    params(EndpointPath),
    responses((status = 200, description = "The endpoint is deleted.", body = DeletedObject))
)]
async fn delete_endpoint(
    State(state): State<AppState>,
    Path(endpoint_id): Path<String>,
) -> ApiResult<DeletedObject> {
    let endpoint_id = WebhookEndpointId::requested(endpoint_id);
    state.services.webhooks.delete(&endpoint_id).await?;
    Ok(Json(DeletedObject::new(
        "webhook_endpoint",
        endpoint_id.into_string(),
    )))
}

#[utoipa::path(
    get,
    path = "/webhook_endpoints/{endpoint_id}/deliveries",
    tag = "webhooks",
    params(EndpointPath, DeliveriesQuery),
    responses((status = 200, description = "The endpoint's deliveries.", body = Vec<WebhookDelivery>))
)]
async fn list_deliveries(
    State(state): State<AppState>,
    Path(endpoint_id): Path<String>,
    ListParams(page): ListParams<DeliveryPage>,
) -> ApiResult<Vec<WebhookDelivery>> {
    let webhooks = &state.services.webhooks;
    let endpoint_id = WebhookEndpointId::requested(endpoint_id);
    let deliveries = webhooks
        .deliveries(&endpoint_id, page.limit, page.offset)
        .await?;
    Ok(Json(
        deliveries.iter().map(WebhookDelivery::from_model).collect(),
    ))
}

#[utoipa::path(
    post,
    path = "/webhook_endpoints/{endpoint_id}/replay/{event_id}",
    tag = "webhooks",
    params(EndpointPath, EventPath),
    responses((status = 200, description = "The new delivery of the event to the endpoint.", body = WebhookDelivery))
)]
async fn replay_event(
    State(state): State<AppState>,
    Path((endpoint_id, event_id)): Path<(String, String)>,
) -> ApiResult<WebhookDelivery> {
    let endpoint_id = WebhookEndpointId::requested(endpoint_id);
    let delivery = state
        .services
        .webhooks
        .replay(&endpoint_id, &event_id)
        .await?;
    Ok(Json(WebhookDelivery::from_model(&delivery)))
}
