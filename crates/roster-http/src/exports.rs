//! Bulk export in Roster's own format (NDJSON, one user a line), shared by `roster export`
//! and `GET /v1/users/export`. The format is what `roster import --from roster` reads.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use roster_domain::exports::ExportPage;
use roster_domain::{DomainResult, Services};
use roster_wire::imports::roster::ExportedUser;
use roster_wire::list_query::{FromPairs, QueryError, first_parsed, parse_bool};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::list_query::ListParams;

/// Users read at a time.
const PAGE: i64 = 500;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_users))
}

/// One page of the export as NDJSON.
pub struct PageLines {
    pub lines: Vec<u8>,
    pub users: usize,
    /// Where the next page starts; `None` after the last.
    pub next: Option<String>,
}

/// The lines of one page, and where the next page starts.
pub async fn page_lines(
    services: &Services,
    after: Option<&str>,
    with_secrets: bool,
) -> DomainResult<PageLines> {
    let ExportPage { users, next } = services.exports.page(after, PAGE, with_secrets).await?;
    let mut lines = Vec::with_capacity(users.len() * 512);
    for exported in &users {
        let password = exported
            .password
            .as_ref()
            .map(|(hasher, digest)| (hasher.as_str(), digest.as_str()));
        let record =
            ExportedUser::from_model(&exported.user, password, exported.totp_secret.as_deref());
        // Serializing plain data into a Vec cannot fail.
        serde_json::to_writer(&mut lines, &record).unwrap_or_default();
        lines.push(b'\n');
    }
    Ok(PageLines {
        lines,
        users: users.len(),
        next,
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// Include each user's TOTP secret in the clear. The export is then itself a secret.
    include_secrets: Option<bool>,
}

impl FromPairs for ExportQuery {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut query = ExportQuery::default();
        for (key, value) in pairs {
            if key == "include_secrets" {
                first_parsed(&mut query.include_secrets, &key, &value, parse_bool)?;
            }
        }
        Ok(query)
    }
}

/// A Roster extension (Clerk has no such route): every user as NDJSON, streamed a page at a
/// time, in the format `POST /v1/users/import?from=roster` and `roster import` read.
#[utoipa::path(
    get,
    path = "/users/export",
    tag = "users",
    params(ExportQuery),
    responses((status = 200, description = "Every user, one JSON object a line.", content_type = "application/x-ndjson", body = String))
)]
async fn export_users(
    State(state): State<AppState>,
    ListParams(query): ListParams<ExportQuery>,
) -> Result<Response, ApiError> {
    let with_secrets = query.include_secrets.unwrap_or(false);
    // The first page is read before answering, so that a failure is still an error answer.
    let PageLines {
        lines: first, next, ..
    } = page_lines(&state.services, None, with_secrets).await?;
    let services = state.services.clone();
    let rest = futures_util::stream::unfold(next, move |cursor| {
        let services = services.clone();
        async move {
            let after = cursor?;
            match page_lines(&services, Some(&after), with_secrets).await {
                Ok(page) => Some((Ok::<_, std::io::Error>(Bytes::from(page.lines)), page.next)),
                Err(error) => {
                    tracing::error!(%error, "the export stopped");
                    Some((Err(std::io::Error::other("the export stopped")), None))
                }
            }
        }
    });
    let first = futures_util::stream::once(async move { Ok(Bytes::from(first)) });
    let body = Body::from_stream(futures_util::StreamExt::chain(first, rest));
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}
