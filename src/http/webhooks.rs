//! `POST /webhooks/greenhouse/{companyId}`: Greenhouse's webhooks, as a trigger to poll the
//! company's application statuses now (see [`crate::services::greenhouse::webhook`]).

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use super::HttpState;
use crate::{
    domain::{GlobalId, NodeKind},
    services::greenhouse::webhook::{self, Delivery},
};

pub async fn greenhouse(
    State(http): State<HttpState>,
    Path(company): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let refused = (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    let Some(company_id) = GlobalId::decode(&company)
        .filter(|id| id.kind == NodeKind::Company)
        .map(|id| id.id)
    else {
        return refused;
    };
    match webhook::receive(
        &http.state,
        company_id,
        header("signature"),
        header("greenhouse-event-id"),
        &body,
    )
    .await
    {
        Ok(Delivery::Accepted | Delivery::Duplicate) => (StatusCode::OK, "ok").into_response(),
        Ok(Delivery::Refused) => refused,
        Err(error) => {
            crate::error::report(&error);
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
