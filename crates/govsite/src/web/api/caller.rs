//! Who is calling: the key in `Authorization: Bearer …`, its account, and what that account
//! may reach. Checked on every request (a revoked key is refused at once: nothing is cached).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use govsite_core::api_key;
use govsite_core::ids::UnitId;
use govsite_core::role::Role;

use super::Problem;
use crate::store::accounts::{self, Account, AccountStatus};
use crate::store::api_keys::{self, ApiKey};
use crate::store::audit::Actor;
use crate::store::offices;
use crate::store::queues::QueueFilter;
use crate::web::WebState;

/// The records an account reaches: everything (the registry), one region (an office), one
/// unit (a unit's own account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    All,
    Region(i64),
    Unit(UnitId),
}

#[derive(Debug)]
pub struct Caller {
    pub account: Account,
    pub key: ApiKey,
    pub reach: Reach,
    pub ip: String,
}

impl Caller {
    /// The audit's actor: the account, marked as acting through this key.
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.account.id),
            label: format!("{}（接口密钥 {}）", self.account.username, self.key.hint),
            ip: self.ip.clone(),
        }
    }

    /// The queue filter's reach: a region for an office, one unit for a unit.
    pub fn filter(&self) -> QueueFilter {
        let mut f = QueueFilter::default();
        match self.reach {
            Reach::All => {}
            Reach::Region(r) => f.region = Some(r),
            Reach::Unit(u) => f.unit = Some(u.get()),
        }
        f
    }

    /// Whether a record of `unit` in `region` is within reach.
    pub fn reaches(&self, unit: UnitId, region: i64) -> bool {
        match self.reach {
            Reach::All => true,
            Reach::Region(r) => r == region,
            Reach::Unit(u) => u == unit,
        }
    }

    /// A reviewer's stage for a decision (true: the registry), if the key may decide.
    pub fn review_stage(&self) -> Result<bool, Problem> {
        if !self.key.scope.decides() {
            return Err(Problem::forbidden(
                "该密钥为只读权限，不能审核；请使用“读取和审核”权限的密钥",
            ));
        }
        match self.account.role {
            Role::OfficeReviewer => Ok(false),
            Role::RegistryReviewer => Ok(true),
            _ => Err(Problem::forbidden("只有审核员可以审核")),
        }
    }
}

fn bearer(parts: &Parts) -> Result<&str, Problem> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            Problem::new(
                "missing_key",
                "请在请求头 Authorization: Bearer <密钥> 中提供接口密钥",
            )
        })?
        .to_str()
        .map_err(|_| Problem::new("invalid_key", "Authorization 请求头含有非法字符"))?;
    let (scheme, key) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Problem::new(
            "invalid_key",
            "Authorization 请求头应为 Bearer <密钥>",
        ));
    }
    Ok(key.trim())
}

async fn reach(web: &WebState, account: &Account) -> Result<Reach, Problem> {
    match account.role {
        Role::Unit => account
            .unit_id
            .map(Reach::Unit)
            .ok_or_else(|| Problem::forbidden("该账号未关联单位")),
        Role::OfficeReviewer => {
            let office = match account.office_id {
                Some(id) => offices::find(&web.db, id).await?,
                None => None,
            };
            office
                .map(|o| Reach::Region(o.region_code))
                .ok_or_else(|| Problem::forbidden("该账号未关联编办"))
        }
        Role::RegistryReviewer | Role::Finance | Role::Admin => Ok(Reach::All),
        Role::Auditor | Role::SecurityAdmin => {
            Err(Problem::forbidden("该角色没有可通过接口读取的数据"))
        }
    }
}

impl FromRequestParts<WebState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, web: &WebState) -> Result<Self, Problem> {
        let presented = bearer(parts)?;
        if !api_key::well_formed(presented) {
            return Err(Problem::new(
                "invalid_key",
                "接口密钥格式不对：应以 gsk_ 开头，共 47 个字符",
            ));
        }
        let hash = crate::auth::token::hash_token(presented);
        let key = api_keys::by_hash(&web.db, &hash)
            .await?
            .ok_or_else(|| Problem::new("invalid_key", "没有这个接口密钥"))?;
        let now = web.now();
        if key.revoked_at.is_some() {
            return Err(Problem::new(
                "key_revoked",
                "该接口密钥已被吊销，请使用有效的密钥",
            ));
        }
        if now >= key.expires_at {
            return Err(Problem::new(
                "key_expired",
                "该接口密钥已过期，请创建新的密钥",
            ));
        }
        let account = accounts::find(&web.db, key.account_id)
            .await?
            .filter(|a| a.status == AccountStatus::Active)
            .ok_or_else(|| Problem::new("account_disabled", "密钥所属账号未启用或已停用"))?;
        // A role changed since the key was made: the key never holds more than the role.
        if !api_key::scopes_for(account.role).contains(&key.scope) {
            return Err(Problem::forbidden(
                "密钥所属账号的角色已不能持有该权限，请重新创建密钥",
            ));
        }
        if let Err(wait) = web.api_rate.admit(key.id, now) {
            let mut p = Problem::new(
                "rate_limited",
                format!("该密钥请求过于频繁，请 {wait} 秒后重试"),
            );
            p.retry_after = Some(wait);
            return Err(p);
        }
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| {
                crate::web::client::address(c.0.ip(), &parts.headers, &web.config.trusted_proxies)
                    .to_string()
            })
            .unwrap_or_default();
        // The last use is written at most once a minute, so reads do not queue as writes.
        let stale = key.last_used_at.is_none_or(|at| at < now - 60);
        if stale && let Err(e) = api_keys::touch(&web.db, key.id, &ip, now).await {
            tracing::warn!(error = %e, key = %key.id, "could not record the key's last use");
        }
        let reach = reach(web, &account).await?;
        Ok(Self {
            account,
            key,
            reach,
            ip,
        })
    }
}
