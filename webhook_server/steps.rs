//! `WebhookContext`: the record of one delivery's steps, turned into the summary record of
//! the Python server's log format (one JSON object per delivery) when the delivery ends.

use std::time::Instant;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// What one handler did, for its step record.
pub type Done = serde_json::Map<String, serde_json::Value>;

/// Python's `datetime.isoformat()` for UTC, which the log viewer and existing tooling parse.
const ISO: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00");

pub fn iso(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(ISO)
        .expect("UTC timestamps always format")
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorInfo {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    pub traceback: String,
}

impl ErrorInfo {
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> ErrorInfo {
        ErrorInfo {
            kind: kind.into(),
            message: message.into(),
            traceback: String::new(),
        }
    }

    /// From an anyhow chain: the outermost context is the message, the causes the "traceback".
    pub fn from_anyhow(kind: &str, err: &anyhow::Error) -> ErrorInfo {
        let causes: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
        ErrorInfo {
            kind: kind.to_string(),
            message: err.to_string(),
            traceback: causes.join("\ncaused by: "),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Started,
    Completed,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub timestamp: String,
    pub status: StepStatus,
    pub error: Option<ErrorInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(flatten)]
    pub data: Map<String, Value>,
    #[serde(skip)]
    started: Instant,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PrInfo {
    pub number: u64,
    pub title: Option<String>,
    pub author: Option<String>,
}

/// Everything recorded about one delivery while it is processed.
#[derive(Debug, Clone)]
pub struct WebhookContext {
    pub hook_id: String,
    pub event_type: String,
    pub action: Option<String>,
    pub sender: Option<String>,
    pub repository: Option<String>,
    pub repository_full_name: Option<String>,
    pub pr: Option<PrInfo>,
    pub api_user: Option<String>,
    pub token_spend: u64,
    pub initial_rate_limit: Option<u64>,
    pub final_rate_limit: Option<u64>,
    started_at: OffsetDateTime,
    started: Instant,
    steps: IndexMap<String, Step>,
    success: bool,
    error: Option<ErrorInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub started_at: String,
    pub completed_at: String,
    pub duration_ms: u64,
}

/// One `webhook_summary` record: a line of `logs/webhooks_YYYY-MM-DD.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub hook_id: String,
    pub level: &'static str,
    pub status: &'static str,
    pub event_type: String,
    pub action: Option<String>,
    pub sender: Option<String>,
    pub repository: Option<String>,
    pub repository_full_name: Option<String>,
    pub pr: Option<PrInfo>,
    pub api_user: Option<String>,
    pub timing: Timing,
    pub workflow_steps: IndexMap<String, Step>,
    pub token_spend: u64,
    pub initial_rate_limit: Option<u64>,
    pub final_rate_limit: Option<u64>,
    pub success: bool,
    pub error: Option<ErrorInfo>,
    pub summary: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl Summary {
    /// `YYYY-MM-DD` of completion (UTC): which daily file the record goes to.
    pub fn day(&self) -> &str {
        &self.timing.completed_at[..10]
    }
}

impl WebhookContext {
    pub fn new(hook_id: impl Into<String>, event_type: impl Into<String>) -> WebhookContext {
        WebhookContext {
            hook_id: hook_id.into(),
            event_type: event_type.into(),
            action: None,
            sender: None,
            repository: None,
            repository_full_name: None,
            pr: None,
            api_user: None,
            token_spend: 0,
            initial_rate_limit: None,
            final_rate_limit: None,
            started_at: OffsetDateTime::now_utc(),
            started: Instant::now(),
            steps: IndexMap::new(),
            success: true,
            error: None,
        }
    }

    pub fn start_step(&mut self, name: &str, data: Map<String, Value>) {
        self.steps.insert(
            name.to_string(),
            Step {
                timestamp: iso(OffsetDateTime::now_utc()),
                status: StepStatus::Started,
                error: None,
                duration_ms: None,
                data,
                started: Instant::now(),
            },
        );
    }

    pub fn complete_step(&mut self, name: &str, data: Map<String, Value>) {
        let step = self.step_mut(name);
        step.status = StepStatus::Completed;
        step.error = None;
        step.duration_ms = Some(elapsed_ms(step.started));
        step.data.extend(data);
    }

    /// Marks the step failed, and with it the whole delivery.
    pub fn fail_step(&mut self, name: &str, error: ErrorInfo, data: Map<String, Value>) {
        let step = self.step_mut(name);
        step.status = StepStatus::Failed;
        step.error = Some(error.clone());
        step.duration_ms = Some(elapsed_ms(step.started));
        step.data.extend(data);
        self.fail(error);
    }

    /// Marks the delivery failed without a step (e.g. it timed out or the task panicked).
    pub fn fail(&mut self, error: ErrorInfo) {
        self.success = false;
        self.error = Some(error);
    }

    pub fn success(&self) -> bool {
        self.success
    }

    pub fn steps(&self) -> &IndexMap<String, Step> {
        &self.steps
    }

    fn step_mut(&mut self, name: &str) -> &mut Step {
        if !self.steps.contains_key(name) {
            self.start_step(name, Map::new());
        }
        self.steps.get_mut(name).expect("inserted above")
    }

    /// "failed" if the delivery failed; "partial" if a step failed or reported a failure
    /// indicator; else "success".
    fn status(&self) -> &'static str {
        if !self.success {
            return "failed";
        }
        let partial = self.steps.values().any(|s| {
            s.status == StepStatus::Failed
                || (s.status == StepStatus::Completed && has_failure_indicator(&s.data))
        });
        if partial { "partial" } else { "success" }
    }

    /// The one-line text summary the Python server logs at the end of each delivery.
    pub fn summary_line(&self, duration_ms: u64) -> String {
        let mut line = format!(
            "[{}] Webhook completed",
            if self.success { "SUCCESS" } else { "FAILED" }
        );
        if let Some(pr) = &self.pr {
            line.push_str(&format!(" PR#{}", pr.number));
        }
        line.push_str(&format!(
            " [{}, tokens:{}]",
            format_duration(duration_ms),
            self.token_spend
        ));
        if self.steps.is_empty() {
            line.push_str(" no steps recorded");
        } else {
            let steps: Vec<String> = self
                .steps
                .iter()
                .map(|(name, s)| match (s.status, s.duration_ms) {
                    (StepStatus::Started, _) | (_, None) => format!("{name}:started(incomplete)"),
                    (status, Some(ms)) => format!(
                        "{name}:{}({})",
                        match status {
                            StepStatus::Completed => "completed",
                            _ => "failed",
                        },
                        format_duration(ms)
                    ),
                })
                .collect();
            line.push_str(&format!(" steps=[{}]", steps.join(", ")));
        }
        line
    }

    pub fn finish(&self) -> Summary {
        let completed_at = OffsetDateTime::now_utc();
        let duration_ms = elapsed_ms(self.started);
        Summary {
            hook_id: self.hook_id.clone(),
            level: "COMPLETED",
            status: self.status(),
            event_type: self.event_type.clone(),
            action: self.action.clone(),
            sender: self.sender.clone(),
            repository: self.repository.clone(),
            repository_full_name: self.repository_full_name.clone(),
            pr: self.pr.clone(),
            api_user: self.api_user.clone(),
            timing: Timing {
                started_at: iso(self.started_at),
                completed_at: iso(completed_at),
                duration_ms,
            },
            workflow_steps: self.steps.clone(),
            token_spend: self.token_spend,
            initial_rate_limit: self.initial_rate_limit,
            final_rate_limit: self.final_rate_limit,
            success: self.success,
            error: self.error.clone(),
            summary: self.summary_line(duration_ms),
            kind: "webhook_summary",
        }
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn has_failure_indicator(data: &Map<String, Value>) -> bool {
    data.iter().any(|(k, v)| match (k.as_str(), v) {
        ("error", v) => !v.is_null(),
        ("can_merge" | "success", Value::Bool(b)) => !b,
        (k, Value::Bool(b)) if k.ends_with("_success") => !b,
        (k, Value::Bool(b)) if k.ends_with("_failed") => *b,
        _ => false,
    })
}

/// `500ms`, `3s12ms`, `3m12s`, `1h5m`.
pub fn format_duration(ms: u64) -> String {
    let (h, m, s, rest) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 {
        format!("{h}h{m}m")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else if s > 0 {
        format!("{s}s{rest}ms")
    } else {
        format!("{rest}ms")
    }
}

/// `json!`-like helper for step data.
#[macro_export]
macro_rules! step_data {
    ($($key:literal : $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut map = serde_json::Map::new();
        $( map.insert($key.to_string(), serde_json::json!($value)); )*
        map
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_record_status_duration_and_data() {
        let mut ctx = WebhookContext::new("d1", "pull_request");
        ctx.start_step("webhook_routing", step_data! {"phase": "triage"});
        ctx.complete_step("webhook_routing", step_data! {"decision": "skip"});
        let s = ctx.finish();
        assert_eq!(s.status, "success");
        let step = serde_json::to_value(&s.workflow_steps["webhook_routing"]).unwrap();
        assert_eq!(step["status"], "completed");
        assert_eq!(step["phase"], "triage");
        assert_eq!(step["decision"], "skip");
        assert!(step["duration_ms"].is_u64());
        assert!(step["error"].is_null());
    }

    #[test]
    fn a_failed_step_fails_the_delivery() {
        let mut ctx = WebhookContext::new("d1", "push");
        ctx.start_step("repo_clone", Map::new());
        ctx.fail_step("repo_clone", ErrorInfo::new("GitError", "boom"), Map::new());
        let s = ctx.finish();
        assert!(!s.success);
        assert_eq!(s.status, "failed");
        assert_eq!(s.error.unwrap().message, "boom");
        assert!(s.summary.starts_with("[FAILED] Webhook completed"));
        assert!(s.summary.contains("repo_clone:failed("), "{}", s.summary);
    }

    #[test]
    fn failure_indicators_make_a_delivery_partial() {
        let mut ctx = WebhookContext::new("d1", "check_run");
        ctx.complete_step("check_merge_eligibility", step_data! {"can_merge": false});
        assert_eq!(ctx.finish().status, "partial");
    }

    #[test]
    fn summary_has_the_reference_fields() {
        let mut ctx = WebhookContext::new("d1", "pull_request");
        ctx.pr = Some(PrInfo {
            number: 7,
            title: Some("t".into()),
            author: Some("a".into()),
        });
        let v = serde_json::to_value(ctx.finish()).unwrap();
        for key in [
            "type",
            "hook_id",
            "event_type",
            "action",
            "sender",
            "repository",
            "repository_full_name",
            "pr",
            "timing",
            "workflow_steps",
            "token_spend",
            "success",
            "error",
            "status",
            "level",
            "summary",
            "api_user",
            "initial_rate_limit",
            "final_rate_limit",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["type"], "webhook_summary");
        assert_eq!(v["pr"]["number"], 7);
        let started = v["timing"]["started_at"].as_str().unwrap();
        assert_eq!(started.len(), "2026-01-01T00:00:00.000000+00:00".len());
        assert!(v["summary"].as_str().unwrap().contains("PR#7"));
        assert!(v["summary"].as_str().unwrap().contains("no steps recorded"));
    }

    #[test]
    fn durations_format_like_the_reference() {
        assert_eq!(format_duration(500), "500ms");
        assert_eq!(format_duration(3012), "3s12ms");
        assert_eq!(format_duration(192_000), "3m12s");
        assert_eq!(format_duration(3_900_000), "1h5m");
    }
}
