//! Clerks and supervisors: PINs hashed with argon2, lockout after repeated wrong PINs, and the
//! supervisor approval that voids, refunds, reprints and no-sale drawer opens require.

use crate::journal::Entry;
use crate::store::sql::{OptionalExtension, params};
use crate::store::{Store, StoreError, Tx};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use serde_json::json;
use time::Duration;

crate::branch::service!(
    /// Users: accounts, PIN checks with lockout, supervisor approvals.
    UserService,
    users
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Clerk,
    Supervisor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Supervisor => "supervisor",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "clerk" | "petugas" => Some(Role::Clerk),
            "supervisor" | "penyelia" => Some(Role::Supervisor),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub locked_until_ms: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    InvalidId(String),
    InvalidPin,
    Exists(String),
    Unknown(String),
    Disabled(String),
    WrongPin { remaining: u32 },
    Locked { id: String, until: String },
    NotSupervisor(String),
    ReasonRequired,
    ApprovalInvalid(i64),
    Store(#[from] StoreError),
}

impl From<crate::store::sql::Error> for UserError {
    fn from(e: crate::store::sql::Error) -> Self {
        UserError::Store(StoreError::from(e))
    }
}

/// What checking a PIN found; failures are committed too, so lockout counts survive.
enum Outcome {
    Ok(User),
    Wrong { remaining: u32 },
    Locked { until_ms: i64 },
    Disabled,
}

/// Lockout rules, from the configuration's `[security]`.
#[derive(Debug, Clone, Copy)]
pub struct Lockout {
    pub max_attempts: u32,
    pub minutes: u32,
}

fn valid_id(id: &str) -> bool {
    (2..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

fn valid_pin(pin: &str) -> bool {
    (4..=12).contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit())
}

fn hash_pin(pin: &str) -> Result<String, UserError> {
    let salt = SaltString::encode_b64(&fastrand_salt()).map_err(|_| UserError::InvalidPin)?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| UserError::InvalidPin)
}

/// 16 bytes of salt. Salts need to be unique, not secret; the OS-seeded generator gives that.
fn fastrand_salt() -> [u8; 16] {
    let mut salt = [0u8; 16];
    for b in &mut salt {
        *b = fastrand::u8(..);
    }
    salt
}

fn row_to_user(r: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<User> {
    let role: String = r.get(2)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Clerk),
        active: r.get::<_, i64>(3)? != 0,
        locked_until_ms: r.get(4)?,
    })
}

/// Adds a user.
pub fn add(
    store: &mut Store,
    actor: &str,
    id: &str,
    name: &str,
    role: Role,
    pin: &str,
) -> Result<User, UserError> {
    if !valid_id(id) {
        return Err(UserError::InvalidId(id.to_string()));
    }
    if !valid_pin(pin) {
        return Err(UserError::InvalidPin);
    }
    let pin_hash = hash_pin(pin)?;
    store.write(|tx| {
        let exists: bool = tx.query_row("SELECT COUNT(*) FROM users WHERE id = ?1", [id], |r| {
            r.get::<_, i64>(0)
        })? > 0;
        if exists {
            return Err(UserError::Exists(id.to_string()));
        }
        tx.execute(
            "INSERT INTO users (id, name, role, pin_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, name, role.as_str(), pin_hash, tx.now_ms()],
        )?;
        tx.journal(Entry::new(
            actor,
            "user.added",
            id,
            json!({"name": name, "role": role.as_str()}),
        ))?;
        Ok(User {
            id: id.to_string(),
            name: name.to_string(),
            role,
            active: true,
            locked_until_ms: None,
        })
    })
}

pub fn list(store: &mut Store) -> Result<Vec<User>, UserError> {
    store.read(|c| {
        let mut stmt =
            c.prepare("SELECT id, name, role, active, locked_until_ms FROM users ORDER BY id")?;
        let users = stmt
            .query_map((), row_to_user)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(users)
    })
}

/// Disables (or re-enables) a user; their history stays.
pub fn set_active(store: &mut Store, actor: &str, id: &str, active: bool) -> Result<(), UserError> {
    store.write(|tx| {
        let changed = tx.execute(
            "UPDATE users SET active = ?2, failed_attempts = 0, locked_until_ms = NULL WHERE id = ?1",
            params![id, i64::from(active)],
        )?;
        if changed == 0 {
            return Err(UserError::Unknown(id.to_string()));
        }
        let kind = if active { "user.enabled" } else { "user.disabled" };
        tx.journal(Entry::new(actor, kind, id, json!({})))?;
        Ok(())
    })
}

/// Lifts a lockout.
pub fn unlock(store: &mut Store, actor: &str, id: &str) -> Result<(), UserError> {
    store.write(|tx| {
        let changed = tx.execute(
            "UPDATE users SET failed_attempts = 0, locked_until_ms = NULL WHERE id = ?1",
            [id],
        )?;
        if changed == 0 {
            return Err(UserError::Unknown(id.to_string()));
        }
        tx.journal(Entry::new(actor, "user.unlocked", id, json!({})))?;
        Ok(())
    })
}

/// Checks a user's PIN, counting wrong ones toward a lockout.
pub fn authenticate(
    store: &mut Store,
    rules: Lockout,
    id: &str,
    pin: &str,
) -> Result<User, UserError> {
    let outcome = store.write(|tx| check_pin(tx, rules, id, pin))?;
    match outcome {
        Outcome::Ok(user) => Ok(user),
        Outcome::Wrong { remaining } => Err(UserError::WrongPin { remaining }),
        Outcome::Disabled => Err(UserError::Disabled(id.to_string())),
        Outcome::Locked { until_ms } => Err(UserError::Locked {
            id: id.to_string(),
            until: crate::when::When::ms(until_ms, store.timezone()).time_zone(),
        }),
    }
}

fn check_pin(tx: &mut Tx<'_>, rules: Lockout, id: &str, pin: &str) -> Result<Outcome, UserError> {
    let row = tx
        .query_row(
            "SELECT id, name, role, active, locked_until_ms, pin_hash, failed_attempts FROM users WHERE id = ?1",
            [id],
            |r| Ok((row_to_user(r)?, r.get::<_, String>(5)?, r.get::<_, u32>(6)?)),
        )
        .optional()?;
    let Some((user, pin_hash, failed)) = row else {
        return Err(UserError::Unknown(id.to_string()));
    };
    let now = tx.now_ms();
    if !user.active {
        tx.journal(Entry::new(
            id,
            "user.login_refused",
            id,
            json!({"why": "disabled"}),
        ))?;
        return Ok(Outcome::Disabled);
    }
    if let Some(until) = user.locked_until_ms.filter(|&u| u > now) {
        tx.journal(Entry::new(
            id,
            "user.login_refused",
            id,
            json!({"why": "locked"}),
        ))?;
        return Ok(Outcome::Locked { until_ms: until });
    }
    let good = PasswordHash::new(&pin_hash)
        .map(|h| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    if good {
        tx.execute(
            "UPDATE users SET failed_attempts = 0, locked_until_ms = NULL WHERE id = ?1",
            [id],
        )?;
        tx.journal(Entry::new(id, "user.pin_ok", id, json!({})))?;
        return Ok(Outcome::Ok(User {
            locked_until_ms: None,
            ..user
        }));
    }
    let failed = failed + 1;
    if failed >= rules.max_attempts {
        // A u32 of minutes is at most about 2.6 × 10^14 ms: always an i64.
        let lock_ms = Duration::minutes(i64::from(rules.minutes)).whole_milliseconds();
        let until = now + i64::try_from(lock_ms).unwrap_or(i64::MAX);
        tx.execute(
            "UPDATE users SET failed_attempts = 0, locked_until_ms = ?2 WHERE id = ?1",
            params![id, until],
        )?;
        tx.journal(Entry::new(
            id,
            "user.locked",
            id,
            json!({"attempts": failed, "until_ms": until}),
        ))?;
        return Ok(Outcome::Locked { until_ms: until });
    }
    tx.execute(
        "UPDATE users SET failed_attempts = ?2 WHERE id = ?1",
        params![id, failed],
    )?;
    tx.journal(Entry::new(
        id,
        "user.pin_wrong",
        id,
        json!({"attempts": failed}),
    ))?;
    Ok(Outcome::Wrong {
        remaining: rules.max_attempts - failed,
    })
}

/// A supervisor's recorded consent to one action on one thing, to be used once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub id: i64,
    pub supervisor: String,
    pub action: String,
    pub subject: String,
    pub reason: String,
}

/// A supervisor approves `action` on `subject` with their PIN and a reason. The approval is
/// journalled at once and must then be consumed by the action's own transaction.
// Each argument is a separate fact the journal records; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn approve(
    store: &mut Store,
    rules: Lockout,
    supervisor: &str,
    pin: &str,
    requested_by: &str,
    action: &str,
    subject: &str,
    reason: &str,
) -> Result<Approval, UserError> {
    let reason = reason.trim();
    if reason.chars().count() < 3 {
        return Err(UserError::ReasonRequired);
    }
    let user = authenticate(store, rules, supervisor, pin)?;
    if user.role != Role::Supervisor {
        return Err(UserError::NotSupervisor(supervisor.to_string()));
    }
    store.write(|tx| {
        let id: i64 = tx.query_row(
            "INSERT INTO approvals (at_ms, supervisor, requested_by, action, subject, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            params![tx.now_ms(), supervisor, requested_by, action, subject, reason],
            |r| r.get(0),
        )?;
        tx.journal(Entry::new(
            supervisor,
            "approval.granted",
            subject,
            json!({"approval": id, "action": action, "requested_by": requested_by, "reason": reason}),
        ))?;
        Ok(Approval {
            id,
            supervisor: supervisor.to_string(),
            action: action.to_string(),
            subject: subject.to_string(),
            reason: reason.to_string(),
        })
    })
}

/// One supervisor approval as it was granted, and whether the action it allowed has been done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRecord {
    pub at_ms: i64,
    pub supervisor: String,
    pub requested_by: String,
    pub action: String,
    pub subject: String,
    pub reason: String,
    /// Whether the action it allowed has been carried out.
    pub used: bool,
}

/// Approvals granted from `start_ms` on, newest first (at most `limit`).
pub fn approvals_since(
    store: &mut Store,
    start_ms: i64,
    limit: u32,
) -> Result<Vec<ApprovalRecord>, UserError> {
    store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT at_ms, supervisor, requested_by, action, subject, reason, used_ms IS NOT NULL
             FROM approvals WHERE at_ms >= ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![start_ms, limit], |r| {
            Ok(ApprovalRecord {
                at_ms: r.get(0)?,
                supervisor: r.get(1)?,
                requested_by: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                reason: r.get(5)?,
                used: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

/// Marks an approval used, inside the transaction of the action it permits. Fails when it does not
/// exist, is for another action or subject, or was used before.
pub fn consume_approval(
    tx: &mut Tx<'_>,
    id: i64,
    action: &str,
    subject: &str,
) -> Result<Approval, UserError> {
    let found = tx
        .query_row(
            "SELECT supervisor, reason FROM approvals WHERE id = ?1 AND action = ?2 AND subject = ?3 AND used_ms IS NULL",
            params![id, action, subject],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?;
    let Some((supervisor, reason)) = found else {
        return Err(UserError::ApprovalInvalid(id));
    };
    tx.execute(
        "UPDATE approvals SET used_ms = ?2 WHERE id = ?1",
        params![id, tx.now_ms()],
    )?;
    Ok(Approval {
        id,
        supervisor,
        action: action.to_string(),
        subject: subject.to_string(),
        reason,
    })
}

/// The users the screens and the CLI act on, with the branch's lockout rules applied.
impl Lockout {
    /// The branch's lockout rules from its `[security]` settings.
    pub fn of(config: &crate::config::Config) -> Lockout {
        Lockout {
            max_attempts: config.security.max_pin_attempts,
            minutes: config.security.lockout_minutes,
        }
    }
}

impl crate::branch::Branch {
    pub fn lockout(&self) -> Lockout {
        Lockout::of(self.config())
    }
}

impl UserService<'_> {
    fn lockout(&self) -> Lockout {
        Lockout::of(self.config)
    }

    /// Every user, by id.
    pub fn list(&mut self) -> Result<Vec<User>, UserError> {
        list(self.store)
    }

    /// Adds a user (`actor` is who adds them, for the journal).
    pub fn add_user(
        &mut self,
        actor: &str,
        id: &str,
        name: &str,
        role: Role,
        pin: &str,
    ) -> Result<User, UserError> {
        add(self.store, actor, id, name, role, pin)
    }

    /// Signs user `id` in with their PIN; wrong PINs count toward the branch's lockout.
    pub fn authenticate(&mut self, id: &str, pin: &str) -> Result<User, UserError> {
        let lockout = self.lockout();
        authenticate(self.store, lockout, id, pin)
    }

    /// A supervisor approves `action` on `subject` with their PIN and a reason, journalled at once;
    /// the action's own transaction consumes it.
    pub fn approve(
        &mut self,
        supervisor: &str,
        pin: &str,
        requested_by: &str,
        action: &str,
        subject: &str,
        reason: &str,
    ) -> Result<Approval, UserError> {
        let lockout = self.lockout();
        approve(
            self.store,
            lockout,
            supervisor,
            pin,
            requested_by,
            action,
            subject,
            reason,
        )
    }

    /// The approvals granted since the start of the branch's business day, newest first (the
    /// newest 500).
    pub fn approvals_today(&mut self) -> Result<Vec<ApprovalRecord>, UserError> {
        let tz = self.config.branch.timezone;
        let start = crate::store::to_ms(self.store.today().start(tz));
        approvals_since(self.store, start, 500)
    }
}
