//! Opaque global ids (`base64url("Company:<uuid>")`): what clients pass to `node(id:)` and
//! what links in emails carry.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Account,
    Ally,
    AllyIntroAsk,
    ApiToken,
    Company,
    CompanyAdmin,
    Contact,
    IntroList,
    IntroRequest,
    Job,
    Network,
    Talent,
}

impl NodeKind {
    const ALL: [NodeKind; 12] = [
        Self::Account,
        Self::Ally,
        Self::AllyIntroAsk,
        Self::ApiToken,
        Self::Company,
        Self::CompanyAdmin,
        Self::Contact,
        Self::IntroList,
        Self::IntroRequest,
        Self::Job,
        Self::Network,
        Self::Talent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Account => "Account",
            Self::Ally => "Ally",
            Self::AllyIntroAsk => "AllyIntroAsk",
            Self::ApiToken => "ApiToken",
            Self::Company => "Company",
            Self::CompanyAdmin => "CompanyAdmin",
            Self::Contact => "Contact",
            Self::IntroList => "IntroList",
            Self::IntroRequest => "IntroRequest",
            Self::Job => "Job",
            Self::Network => "Network",
            Self::Talent => "Talent",
        }
    }
}

/// An object's kind and row id, as one opaque string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId {
    pub kind: NodeKind,
    pub id: Uuid,
}

impl GlobalId {
    pub fn new(kind: NodeKind, id: Uuid) -> Self {
        Self { kind, id }
    }

    /// Any well-formed global id; `None` for garbage.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (kind, uuid) = text.split_once(':')?;
        let kind = NodeKind::ALL.into_iter().find(|k| k.name() == kind)?;
        Some(Self {
            kind,
            id: Uuid::try_parse(uuid).ok()?,
        })
    }
}

impl std::fmt::Display for GlobalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(format!("{}:{}", self.kind.name(), self.id.simple())))
    }
}
