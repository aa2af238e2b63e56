//! Greenhouse's webhooks (`POST /webhooks/greenhouse/{companyId}`): a delivery signed with
//! the company's webhook secret (`Signature: sha256 <hex>`, HMAC-SHA256 of the raw body,
//! compared in constant time) makes the company's status poll due at once. Its payload is
//! not read: it may still be v1-shaped, and the poll reads the applications through v3.
//! A delivery seen before (`Greenhouse-Event-ID`) does nothing again.

use entities::{greenhouse_connection, greenhouse_webhook_event};
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use sha2::Sha256;
use uuid::Uuid;

use super::connection_of;
use crate::{
    error::{ServiceResult, is_unique_violation},
    services::tx::Tx,
    state::AppState,
};

/// What binds a sealed webhook secret to its company (see [`crate::secret_key::SecretKey`]).
pub fn secret_context(company_id: Uuid) -> String {
    format!("greenhouse-webhook:{company_id}")
}

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Signed: the company's poll is due now.
    Accepted,
    /// Signed, and seen before: nothing done again.
    Duplicate,
    /// Not signed with the company's secret (or no such connection, or no secret): nothing
    /// done. The caller learns no more than that.
    Refused,
}

pub async fn receive(
    state: &AppState,
    company_id: Uuid,
    signature: Option<&str>,
    event_id: Option<&str>,
    body: &[u8],
) -> ServiceResult<Delivery> {
    let Some(connection) = connection_of(state.db.read(), company_id).await? else {
        return Ok(Delivery::Refused);
    };
    let Some(sealed) = &connection.webhook_secret_sealed else {
        return Ok(Delivery::Refused);
    };
    let secret = state
        .secret_key
        .open(&secret_context(company_id), sealed)
        .map_err(|e| e.context("the stored Greenhouse webhook secret"))?;
    if !signature.is_some_and(|signature| signed(&secret, signature, body)) {
        return Ok(Delivery::Refused);
    }
    // The delivery is remembered and the poll made due together: a delivery remembered
    // without its poll would make Greenhouse's retry a "duplicate" and lose the change.
    let tx = Tx::begin(state).await?;
    let now = tx.now();
    if let Some(event_id) = event_id.map(str::trim).filter(|e| !e.is_empty()) {
        let seen = greenhouse_webhook_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(company_id),
            event_id: Set(event_id.chars().take(200).collect()),
            received_at: Set(now),
        }
        .insert(tx.db())
        .await;
        match seen {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(Delivery::Duplicate),
            Err(e) => return Err(e.into()),
        }
    }
    greenhouse_connection::Entity::update_many()
        .col_expr(greenhouse_connection::Column::NextPollAt, Expr::value(now))
        .filter(greenhouse_connection::Column::Id.eq(connection.id))
        .exec(tx.db())
        .await?;
    tx.commit().await?;
    state.greenhouse_poll_wake.notify_one();
    Ok(Delivery::Accepted)
}

/// Whether `signature` (`sha256 <hex>`) is the HMAC-SHA256 of `body` with `secret`.
fn signed(secret: &str, signature: &str, body: &[u8]) -> bool {
    let Some(hex) = signature.trim().strip_prefix("sha256") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    // Constant time.
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::signed;

    #[test]
    fn a_signature_is_the_hmac_of_the_body() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        let body = b"The quick brown fox jumps over the lazy dog";
        let hex = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
        assert!(signed("key", &format!("sha256 {hex}"), body));
        assert!(!signed("key", hex, body), "the scheme is required");
        assert!(!signed("other", &format!("sha256 {hex}"), body));
        assert!(!signed("key", &format!("sha256 {hex}"), b"another body"));
        assert!(!signed("key", "sha256 not-hex", body));
        assert!(!signed("key", "sha256 ", body));
    }
}
