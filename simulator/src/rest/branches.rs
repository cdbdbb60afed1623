//! REST on branches and their protection.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::call::Call;
use crate::actions::{self};
use crate::errors::{gh_error, rest_refusal};
use crate::state::repo_key;
use crate::world::{Protection, Repo, World};

fn protection_json(w: &World, r: &Repo, branch: &str, p: &Protection) -> Value {
    let url = format!(
        "{}/repos/{}/{}/branches/{branch}/protection",
        w.api_base, r.owner, r.name
    );
    let mut v = json!({
        "url": url, "enabled": true,
        "required_status_checks": {
            "url": format!("{url}/required_status_checks"),
            "enforcement_level": "non_admins", "strict": p.strict,
            "contexts": p.contexts,
            "checks": p.contexts.iter().map(|c| json!({"context": c, "app_id": null})).collect::<Vec<_>>(),
            "contexts_url": format!("{url}/required_status_checks/contexts"),
        },
        "enforce_admins": {"url": format!("{url}/enforce_admins"), "enabled": false},
    });
    if p.required_approvals > 0 {
        v["required_pull_request_reviews"] = json!({
            "url": format!("{url}/required_pull_request_reviews"),
            "dismiss_stale_reviews": false, "require_code_owner_reviews": false,
            "required_approving_review_count": p.required_approvals,
        });
    }
    v
}

pub(crate) async fn get_branch(
    call: Call,
    Path((owner, repo, branch)): Path<(String, String, String)>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
    let Some(sha) = r.git.resolve(&format!("refs/heads/{branch}")) else {
        return gh_error(StatusCode::NOT_FOUND, "Branch not found");
    };
    let api = format!("{}/repos/{}/{}", w.api_base, r.owner, r.name);
    let protection = r.protection.get(&branch);
    let checks = protection.map(|p| p.contexts.clone()).unwrap_or_default();
    Json(json!({
        "name": branch, "commit": w.commit_json(r, &sha, false),
        "_links": {"html": format!("{}/{}/{}/tree/{branch}", w.api_base, r.owner, r.name),
                   "self": format!("{api}/branches/{branch}")},
        "protected": protection.is_some(),
        "protection": {
            "enabled": protection.is_some(),
            "required_status_checks": {
                "enforcement_level": if protection.is_some() { "non_admins" } else { "off" },
                "contexts": checks,
                "checks": checks.iter().map(|c| json!({"context": c, "app_id": null})).collect::<Vec<_>>(),
            },
        },
        "protection_url": format!("{api}/branches/{branch}/protection"),
    }))
    .into_response()
    })
}

pub(crate) async fn get_protection(
    call: Call,
    Path((owner, repo, branch)): Path<(String, String, String)>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        if r.git.resolve(&format!("refs/heads/{branch}")).is_none() {
            return gh_error(StatusCode::NOT_FOUND, "Branch not found");
        }
        match r.protection.get(&branch) {
            Some(p) => Json(protection_json(w, r, &branch, p)).into_response(),
            None => gh_error(StatusCode::NOT_FOUND, "Branch not protected"),
        }
    })
}

#[derive(Deserialize)]
pub(crate) struct ProtectionBody {
    required_status_checks: Option<RequiredChecks>,
    required_pull_request_reviews: Option<RequiredReviews>,
}

#[derive(Deserialize)]
struct RequiredChecks {
    strict: bool,
    #[serde(default)]
    contexts: Vec<String>,
    #[serde(default)]
    checks: Vec<Check>,
}

#[derive(Deserialize)]
struct Check {
    context: String,
}

#[derive(Deserialize)]
struct RequiredReviews {
    #[serde(default)]
    required_approving_review_count: u64,
}

/// `PUT .../protection`: admins only, as on GitHub.
pub(crate) async fn put_protection(
    call: Call,
    Path((owner, repo, branch)): Path<(String, String, String)>,
    Json(body): Json<ProtectionBody>,
) -> Response {
    let denied = "Resource not accessible by integration";
    if let Err(refusal) = call.administrator(&owner, &repo, denied) {
        return rest_refusal(refusal);
    }
    let (strict, contexts) = match body.required_status_checks {
        Some(c) => {
            let mut all = c.contexts;
            all.extend(c.checks.into_iter().map(|k| k.context));
            (c.strict, all)
        }
        None => (false, Vec::new()),
    };
    let protection = Protection {
        contexts,
        strict,
        required_approvals: body
            .required_pull_request_reviews
            .map_or(0, |r| r.required_approving_review_count),
    };
    match actions::set_protection(&call.sim, &owner, &repo, &branch, protection) {
        Ok(()) => {
            let w = call.sim.lock();
            let r = &w.repos[&repo_key(&owner, &repo)];
            Json(protection_json(&w, r, &branch, &r.protection[&branch])).into_response()
        }
        Err(refusal) => rest_refusal(refusal),
    }
}
