//! The world itself: users, tokens, apps, repositories, hooks, the logs of requests and
//! deliveries, and what tests set (latency, faults, rate limits); and who may do what.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use super::records::{DeliveryRecord, Emitted, Exchange, Hook, Repo};

pub struct World {
    pub state_dir: PathBuf,
    /// Where the API is served, for the `url` fields.
    pub api_base: String,
    pub users: BTreeMap<String, u64>,
    pub tokens: HashMap<String, String>,
    /// Unix time an (installation) token stops working; tokens absent here never expire.
    pub token_expiry: HashMap<String, i64>,
    /// GitHub Apps by id, each with its one installation.
    pub apps: BTreeMap<u64, App>,
    /// By lower-cased full name.
    pub repos: BTreeMap<String, Repo>,
    pub hooks: Vec<Hook>,
    /// Every REST request with its response: the request log of `/_simulator/requests` and
    /// the material of the OpenAPI fidelity check.
    pub exchanges: Vec<Exchange>,
    /// Every webhook payload emitted, for the webhook schema check.
    pub payloads: Vec<Emitted>,
    pub deliveries: Vec<DeliveryRecord>,
    /// Added before every REST answer.
    pub latency_ms: u64,
    /// How long after its base branch moves a pull request's mergeability stays UNKNOWN, as
    /// GitHub recomputes it in the background. Zero (the default): known at once.
    pub mergeability_delay: Duration,
    pub faults: Option<Faults>,
    /// Failures aimed at one request each, in the order they were set.
    pub targeted: Vec<TargetedFault>,
    /// Quota of a token that has no entry in `limits`.
    pub default_limit: u64,
    /// Per token (or `anonymous`): the quota and what is left of it this hour.
    pub limits: HashMap<String, Quota>,
    next_id: u64,
}

impl World {
    pub fn new(state_dir: PathBuf, api_base: String) -> World {
        World {
            state_dir,
            api_base,
            users: BTreeMap::new(),
            tokens: HashMap::new(),
            token_expiry: HashMap::new(),
            apps: BTreeMap::new(),
            repos: BTreeMap::new(),
            hooks: Vec::new(),
            exchanges: Vec::new(),
            payloads: Vec::new(),
            deliveries: Vec::new(),
            latency_ms: 0,
            mergeability_delay: Duration::ZERO,
            faults: None,
            targeted: Vec::new(),
            default_limit: 5000,
            limits: HashMap::new(),
            next_id: 1000,
        }
    }

    /// `key`'s quota without charging it.
    pub fn peek(&mut self, key: &str) -> (Quota, bool) {
        let (quota, _) = self.quota(key);
        (quota, true)
    }

    /// Charges one request to `key`'s quota; false when it is exhausted.
    pub fn charge(&mut self, key: &str) -> (Quota, bool) {
        let (mut quota, key) = self.quota(key);
        if quota.remaining == 0 {
            return (quota, false);
        }
        quota.remaining -= 1;
        self.limits.insert(key, quota);
        (quota, true)
    }

    /// The current quota of `key`, refilled if its hour is over.
    fn quota(&mut self, key: &str) -> (Quota, String) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let default = self.default_limit;
        let quota = self.limits.entry(key.to_string()).or_insert(Quota {
            limit: default,
            remaining: default,
            reset: now + 3600,
        });
        if now >= quota.reset {
            quota.remaining = quota.limit;
            quota.reset = now + 3600;
        }
        (*quota, key.to_string())
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The id of `login`, creating the user on first sight.
    pub fn user_id(&mut self, login: &str) -> u64 {
        if let Some(id) = self.users.get(login) {
            return *id;
        }
        let id = self.next_id();
        self.users.insert(login.to_string(), id);
        id
    }
}

impl World {
    /// The id of the app `slug`: a registered app's own, else its bot user's.
    pub fn app_id(&self, slug: &str) -> u64 {
        match self.apps.values().find(|a| a.slug == slug) {
            Some(app) => app.id,
            None => self
                .users
                .get(&format!("{slug}[bot]"))
                .copied()
                .unwrap_or(0),
        }
    }

    /// Whether `login` administers the repository: its owner or an admin collaborator.
    pub fn is_admin(&self, key: &str, login: &str) -> bool {
        self.repos.get(key).is_some_and(|r| {
            r.owner == login || r.collaborators.get(login).is_some_and(|p| p == "admin")
        })
    }

    /// Whether `login` may write to the repository: its owner, a collaborator with write
    /// access or more, or the bot of an app installed on it.
    pub fn can_write(&self, key: &str, login: &str) -> bool {
        let Some(r) = self.repos.get(key) else {
            return false;
        };
        login == r.owner
            || r.collaborators
                .get(login)
                .is_some_and(|p| matches!(p.as_str(), "write" | "maintain" | "admin"))
            || login.strip_suffix("[bot]").is_some_and(|slug| {
                self.apps
                    .values()
                    .any(|a| a.slug == slug && a.installed_on(key))
            })
    }
}

/// A registered GitHub App and its installation.
pub struct App {
    pub id: u64,
    pub slug: String,
    pub key: rsa::RsaPublicKey,
    pub installation_id: u64,
    /// Lower-cased full names it is installed on; None: every repository.
    pub repos: Option<Vec<String>>,
    pub created_at: String,
}

impl App {
    pub fn installed_on(&self, key: &str) -> bool {
        self.repos
            .as_ref()
            .is_none_or(|r| r.iter().any(|x| x == key))
    }
}

/// Injected failures: each REST request fails with probability `error_rate`, drawing from a
/// seeded generator so a run can be repeated exactly.
pub struct Faults {
    pub error_rate: f64,
    pub statuses: Vec<u16>,
    state: u64,
}

impl Faults {
    pub fn new(error_rate: f64, statuses: Vec<u16>, seed: u64) -> Faults {
        Faults {
            error_rate,
            statuses,
            state: seed,
        }
    }

    /// splitmix64: tiny, fast and the same on every machine.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The status to fail the next request with, if it is to fail.
    pub fn draw(&mut self) -> Option<u16> {
        let roll = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        if roll >= self.error_rate || self.statuses.is_empty() {
            return None;
        }
        let pick = self.next() as usize % self.statuses.len();
        Some(self.statuses[pick])
    }
}

/// Fails the `nth` request (1 for the next one) whose method is `method` and whose path
/// matches `path`, where `*` stands for one path segment; then it is spent.
#[derive(Debug, Clone)]
pub struct TargetedFault {
    pub method: String,
    pub path: String,
    /// Matching requests still to let through before the one that fails.
    pub skip: u64,
    pub status: u16,
}

impl TargetedFault {
    pub fn matches(&self, method: &str, path: &str) -> bool {
        let pattern = self.path.trim_end_matches('/').split('/');
        let actual = path.trim_end_matches('/').split('/');
        self.method.eq_ignore_ascii_case(method)
            && pattern.clone().count() == actual.clone().count()
            && pattern.zip(actual).all(|(p, a)| p == "*" || p == a)
    }
}

/// The status to fail a request with, when a targeted fault aims at it.
pub fn targeted_fault(faults: &mut Vec<TargetedFault>, method: &str, path: &str) -> Option<u16> {
    let i = faults.iter().position(|f| f.matches(method, path))?;
    let fault = &mut faults[i];
    if fault.skip > 0 {
        fault.skip -= 1;
        return None;
    }
    Some(faults.remove(i).status)
}

#[derive(Debug, Clone, Copy)]
pub struct Quota {
    pub limit: u64,
    pub remaining: u64,
    /// Unix time the quota refills.
    pub reset: i64,
}
