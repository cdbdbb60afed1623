//! Typed model of every configuration key (schema/config.schema.yaml), with the defaults of the
//! Python server. `ServerConfig` holds the keys only config.yaml's root can set; `RepoConfig` is
//! the effective configuration of one repository after layering (see `layering.rs`).

use indexmap::IndexMap;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    Debug,
    #[default]
    Info,
    Warning,
    Error,
}

impl LogLevel {
    pub fn as_filter(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warning => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// Keys of config.yaml's root that are not per-repository settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServerConfig {
    pub mcp_log_file: Option<String>,
    pub logs_server_log_file: Option<String>,
    pub github_app_id: Option<u64>,
    #[serde(default = "default_github_api_url")]
    pub github_api_url: String,
    pub webhook_ip: Option<String>,
    #[serde(default = "default_ip_bind")]
    pub ip_bind: String,
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default = "default_max_workers")]
    pub max_workers: usize,
    #[serde(default = "default_max_delivery_attempts")]
    pub max_delivery_attempts: u32,
    #[serde(default = "default_retry_delay_seconds")]
    pub retry_delay_seconds: f64,
    #[serde(default = "default_true")]
    pub coalesce_deliveries: bool,
    pub webhook_secret: Option<String>,
    #[serde(default)]
    pub verify_github_ips: bool,
    #[serde(default)]
    pub verify_cloudflare_ips: bool,
    #[serde(default)]
    pub disable_ssl_warnings: bool,
    pub docker: Option<DockerCredentials>,
    #[serde(default)]
    pub allow_sensitive_keys_in_repo_file: bool,
    /// Kept as JSON for layering; each entry is checked against `RepoConfig` at load time.
    pub repositories: IndexMap<String, serde_json::Map<String, serde_json::Value>>,
}

fn default_github_api_url() -> String {
    "https://api.github.com".to_string()
}
fn default_ip_bind() -> String {
    "0.0.0.0".to_string()
}
fn default_port() -> u16 {
    5000
}
fn default_max_workers() -> usize {
    10
}
fn default_max_delivery_attempts() -> u32 {
    12
}
fn default_retry_delay_seconds() -> f64 {
    5.0
}
fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DockerCredentials {
    pub username: Option<String>,
    pub password: Option<String>,
}

/// The effective settings of one repository.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct RepoConfig {
    pub log_level: LogLevel,
    pub log_file: Option<String>,
    pub mask_sensitive_data: bool,
    pub github_tokens: Vec<String>,
    /// Empty means every event.
    pub events: Vec<String>,
    pub slack_webhook_url: Option<String>,
    pub verified_job: bool,
    pub pypi: Option<Pypi>,
    pub tox: Option<Tox>,
    pub tox_python_version: Option<String>,
    pub pre_commit: bool,
    pub protected_branches: IndexMap<String, ProtectedBranch>,
    pub default_status_checks: Vec<String>,
    pub container: Option<Container>,
    pub auto_verified_and_merged_users: Vec<String>,
    pub auto_verify_cherry_picked_prs: bool,
    pub create_issue_for_new_pr: bool,
    pub cherry_pick_assign_to_pr_author: bool,
    /// `None`: commands are ignored on drafts; `Some([])`: all allowed; else only those listed.
    pub allow_commands_on_draft_prs: Option<Vec<String>>,
    pub branch_protection: BranchProtection,
    pub set_auto_merge_prs: Vec<String>,
    pub can_be_merged_required_labels: Vec<String>,
    pub conventional_title: Option<String>,
    pub minimum_lgtm: u32,
    pub owners_approval: OwnersApproval,
    pub max_owners_files: u32,
    pub pr_size_thresholds: Option<IndexMap<String, SizeThreshold>>,
    pub labels: Labels,
    pub security_checks: SecurityChecks,
    pub custom_check_runs: Vec<CustomCheckRun>,
    pub ai_features: Option<AiFeatures>,
    pub test_oracle: Option<TestOracle>,
    pub welcome_extra_info: String,
}

impl Default for RepoConfig {
    fn default() -> Self {
        RepoConfig {
            log_level: LogLevel::Info,
            log_file: None,
            mask_sensitive_data: true,
            github_tokens: Vec::new(),
            events: Vec::new(),
            slack_webhook_url: None,
            verified_job: true,
            pypi: None,
            tox: None,
            tox_python_version: None,
            pre_commit: false,
            protected_branches: IndexMap::new(),
            default_status_checks: Vec::new(),
            container: None,
            auto_verified_and_merged_users: Vec::new(),
            auto_verify_cherry_picked_prs: true,
            create_issue_for_new_pr: true,
            cherry_pick_assign_to_pr_author: true,
            allow_commands_on_draft_prs: None,
            branch_protection: BranchProtection::default(),
            set_auto_merge_prs: Vec::new(),
            can_be_merged_required_labels: Vec::new(),
            conventional_title: None,
            minimum_lgtm: 0,
            owners_approval: OwnersApproval::Default,
            max_owners_files: 1000,
            pr_size_thresholds: None,
            labels: Labels::default(),
            security_checks: SecurityChecks::default(),
            custom_check_runs: Vec::new(),
            ai_features: None,
            test_oracle: None,
            welcome_extra_info: String::new(),
        }
    }
}

impl RepoConfig {
    /// Whether deliveries of `event` are handled: `events` unset, or listing it or `*`.
    pub fn handles_event(&self, event: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == "*" || e == event)
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Pypi {
    pub token: Option<String>,
}

/// `tox:` maps base branches to environments; `args` and `python-version` are reserved keys.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub struct Tox {
    pub args: Option<String>,
    pub python_version: Option<String>,
    #[serde(flatten)]
    pub branches: IndexMap<String, ToxEnvs>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ToxEnvs {
    /// `"all"` or `"e1,e2"`.
    Text(String),
    List(Vec<String>),
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ProtectedBranch {
    Contexts(Vec<String>),
    Runs(ProtectedBranchRuns),
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProtectedBranchRuns {
    #[serde(default)]
    pub include_runs: Vec<String>,
    #[serde(default)]
    pub exclude_runs: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Container {
    pub username: Option<String>,
    pub password: Option<String>,
    pub repository: Option<String>,
    pub tag: String,
    pub release: bool,
    pub dockerfile: String,
    pub context: String,
    pub build_args: Vec<String>,
    pub args: Vec<String>,
    pub oci_annotations: OciAnnotations,
}

impl Default for Container {
    fn default() -> Self {
        Container {
            username: None,
            password: None,
            repository: None,
            tag: "latest".to_string(),
            release: false,
            dockerfile: "Dockerfile".to_string(),
            context: String::new(),
            build_args: Vec::new(),
            args: Vec::new(),
            oci_annotations: OciAnnotations::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct OciAnnotations {
    pub enabled: bool,
    #[serde(rename = "static")]
    pub static_annotations: IndexMap<String, String>,
    pub auto: OciAuto,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OciAuto {
    pub created: bool,
    pub source: bool,
    pub revision: bool,
    pub version: bool,
    pub title: bool,
}

impl Default for OciAuto {
    fn default() -> Self {
        OciAuto {
            created: true,
            source: true,
            revision: true,
            version: true,
            title: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BranchProtection {
    pub strict: bool,
    pub require_code_owner_reviews: bool,
    pub dismiss_stale_reviews: bool,
    pub required_approving_review_count: u32,
    pub required_linear_history: bool,
    pub required_conversation_resolution: bool,
}

impl Default for BranchProtection {
    fn default() -> Self {
        BranchProtection {
            strict: true,
            require_code_owner_reviews: false,
            dismiss_stale_reviews: true,
            required_approving_review_count: 0,
            required_linear_history: true,
            required_conversation_resolution: true,
        }
    }
}

/// Which approvals of OWNERS approvers a pull request needs (docs/pull-requests.md).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OwnersApproval {
    /// The Python server's: the root approvers, unless the pull request stays inside a
    /// directory that sets `root-approvers: false`, whose own approvers then approve.
    #[default]
    Default,
    /// Prow's, opt-in: one approver of each changed file's nearest OWNERS file or its parents.
    Prow,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SizeThreshold {
    pub threshold: Threshold,
    pub color: Option<String>,
}

/// A size bucket's bound: a change of fewer lines falls in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Lines(u64),
    /// `inf` in any case, or YAML's `.inf`: the unbounded top bucket.
    Unbounded,
}

impl<'de> Deserialize<'de> for Threshold {
    /// As the Python server read it: any number above 0, or `inf`. A change is a whole number of
    /// lines, so a fractional bound counts as the next whole one (`size < 99.5` is `size < 100`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Threshold, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) if s.eq_ignore_ascii_case("inf") => {
                Ok(Threshold::Unbounded)
            }
            serde_json::Value::Number(n) => match (n.as_u64(), n.as_f64()) {
                (Some(lines), _) if lines > 0 => Ok(Threshold::Lines(lines)),
                (None, Some(f)) if f > 0.0 && f < u64::MAX as f64 => {
                    Ok(Threshold::Lines(f.ceil() as u64))
                }
                _ => Err(serde::de::Error::custom(format!(
                    "threshold {n} must be above 0"
                ))),
            },
            other => Err(serde::de::Error::custom(format!(
                "threshold {other} must be a number of lines or inf"
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Labels {
    /// `None`: every category is enabled.
    pub enabled_labels: Option<Vec<LabelCategory>>,
    pub colors: IndexMap<String, String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum LabelCategory {
    Verified,
    Hold,
    Wip,
    NeedsRebase,
    HasConflicts,
    CanBeMerged,
    Size,
    Branch,
    CherryPick,
    Automerge,
}

impl LabelCategory {
    /// The name config files use.
    pub fn name(&self) -> String {
        let name = match self {
            LabelCategory::Verified => "verified",
            LabelCategory::Hold => "hold",
            LabelCategory::Wip => "wip",
            LabelCategory::NeedsRebase => "needs-rebase",
            LabelCategory::HasConflicts => "has-conflicts",
            LabelCategory::CanBeMerged => "can-be-merged",
            LabelCategory::Size => "size",
            LabelCategory::Branch => "branch",
            LabelCategory::CherryPick => "cherry-pick",
            LabelCategory::Automerge => "automerge",
        };
        name.to_string()
    }
}

pub const DEFAULT_SUSPICIOUS_PATHS: &[&str] = &[
    ".claude/",
    ".vscode/",
    ".cursor/",
    ".devcontainer/",
    ".pi/",
    ".github/workflows/",
    ".github/actions/",
];

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct SecurityChecks {
    pub mandatory: bool,
    pub suspicious_paths: Vec<String>,
    pub committer_identity_check: bool,
    pub trusted_committers: Vec<String>,
}

impl Default for SecurityChecks {
    fn default() -> Self {
        SecurityChecks {
            mandatory: true,
            suspicious_paths: DEFAULT_SUSPICIOUS_PATHS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            committer_identity_check: true,
            trusted_committers: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CustomCheckRun {
    pub name: String,
    pub command: String,
    #[serde(default = "yes")]
    pub mandatory: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AiProvider {
    Claude,
    Gemini,
    Cursor,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AiFeatures {
    pub ai_provider: AiProvider,
    pub ai_model: String,
    pub conventional_title: Option<AiConventionalTitle>,
    pub resolve_cherry_pick_conflicts_with_ai: Option<AiCherryPick>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum AiTitleMode {
    #[default]
    Suggest,
    Fix,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AiConventionalTitle {
    pub enabled: bool,
    #[serde(default)]
    pub mode: AiTitleMode,
    #[serde(default = "ten")]
    pub timeout_minutes: u32,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AiCherryPick {
    pub enabled: bool,
    #[serde(default = "ten")]
    pub timeout_minutes: u32,
}

fn ten() -> u32 {
    10
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OracleTrigger {
    Approved,
    PrOpened,
    PrSynchronized,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TestOracle {
    pub server_url: String,
    pub ai_provider: AiProvider,
    pub ai_model: String,
    #[serde(default)]
    pub test_patterns: Vec<String>,
    #[serde(default = "default_triggers")]
    pub triggers: Vec<OracleTrigger>,
}

fn default_triggers() -> Vec<OracleTrigger> {
    vec![OracleTrigger::Approved]
}
