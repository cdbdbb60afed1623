//! Every call the server makes on a repository, one typed function each: the handlers and the
//! apply step say what they want done, and only this module knows GitHub's paths and bodies.

use http::Method;
use octocrab::models::issues::{Comment, Issue};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::client::{Answer, GitHubError};
use super::clients::Session;
use super::queries;

/// A check run's state as it is written: lower-case REST spelling.
#[derive(Debug, Clone, Copy)]
pub struct CheckRunWrite<'a> {
    pub status: &'a str,
    pub conclusion: Option<&'a str>,
    pub output: Option<CheckRunOutput<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct CheckRunOutput<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub text: &'a str,
}

impl CheckRunWrite<'_> {
    fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("status".into(), json!(self.status));
        if let Some(c) = self.conclusion {
            body.insert("conclusion".into(), json!(c));
        }
        if let Some(o) = &self.output {
            body.insert(
                "output".into(),
                json!({"title": o.title, "summary": o.summary, "text": o.text}),
            );
        }
        body
    }
}

impl Session {
    /// `GET /compare/{base}...{head}`: how far the head is behind, and the diff.
    pub async fn compare(&self, base: &str, head: &str) -> Result<Value, GitHubError> {
        let path = format!("/compare/{base}...{head}");
        Ok(self.rest(Method::GET, &path, None).await?.body)
    }

    /// The numbers of the open pull requests into `base` (the first hundred).
    pub async fn open_pulls_into(&self, base: &str) -> Result<Vec<u64>, GitHubError> {
        let path = format!("/pulls?state=open&base={}&per_page=100", segment(base));
        let answer = self.rest(Method::GET, &path, None).await?;
        Ok(answer
            .body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["number"].as_u64())
            .collect())
    }

    /// The open pull request whose head is `sha`, if any.
    pub async fn open_pull_at(&self, sha: &str) -> Result<Option<u64>, GitHubError> {
        let answer = self
            .rest(Method::GET, &format!("/commits/{sha}/pulls"), None)
            .await?;
        Ok(answer
            .body
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["state"] == "open" && p["head"]["sha"].as_str() == Some(sha))
            .and_then(|p| p["number"].as_u64()))
    }

    /// GitHub's mergeability of a pull request: `MERGEABLE`, `CONFLICTING` or `UNKNOWN`.
    pub async fn mergeable(&self, number: u64) -> Result<String, GitHubError> {
        let body = json!({"query": queries::PULL_REQUEST_MERGEABLE, "variables": {
            "owner": self.owner, "name": self.name, "number": number}});
        let answer = self.graphql(&body).await?;
        Ok(answer["repository"]["pullRequest"]["mergeable"]
            .as_str()
            .unwrap_or("UNKNOWN")
            .to_string())
    }

    pub async fn add_labels(&self, number: u64, labels: &[String]) -> Result<(), GitHubError> {
        let path = format!("/issues/{number}/labels");
        self.rest(Method::POST, &path, Some(&json!({"labels": labels})))
            .await
            .map(drop)
    }

    pub async fn remove_label(&self, number: u64, label: &str) -> Result<(), GitHubError> {
        let path = format!("/issues/{number}/labels/{}", segment(label));
        self.rest(Method::DELETE, &path, None).await.map(drop)
    }

    pub async fn create_label(&self, name: &str, color: &str) -> Result<(), GitHubError> {
        let body = json!({"name": name, "color": color});
        self.rest(Method::POST, "/labels", Some(&body))
            .await
            .map(drop)
    }

    pub async fn recolor_label(&self, name: &str, color: &str) -> Result<(), GitHubError> {
        let path = format!("/labels/{}", segment(name));
        self.rest(Method::PATCH, &path, Some(&json!({"color": color})))
            .await
            .map(drop)
    }

    pub async fn add_assignees(&self, number: u64, logins: &[String]) -> Result<(), GitHubError> {
        let path = format!("/issues/{number}/assignees");
        self.rest(Method::POST, &path, Some(&json!({"assignees": logins})))
            .await
            .map(drop)
    }

    pub async fn request_reviewers(
        &self,
        number: u64,
        reviewers: &[String],
    ) -> Result<(), GitHubError> {
        let path = format!("/pulls/{number}/requested_reviewers");
        let body = json!({ "reviewers": reviewers });
        self.rest(Method::POST, &path, Some(&body)).await.map(drop)
    }

    /// Opens an issue; returns its number.
    pub async fn create_issue(
        &self,
        title: &str,
        body: &str,
        assignees: &[String],
    ) -> Result<Option<u64>, GitHubError> {
        let body = json!({"title": title, "body": body, "assignees": assignees});
        let answer = self.rest(Method::POST, "/issues", Some(&body)).await?;
        let issue: Issue = model("POST /issues", answer)?;
        Ok(Some(issue.number))
    }

    /// Comments on an issue or pull request; returns the comment's id.
    pub async fn create_comment(&self, number: u64, body: &str) -> Result<u64, GitHubError> {
        let path = format!("/issues/{number}/comments");
        let answer = self
            .rest(Method::POST, &path, Some(&json!({"body": body})))
            .await?;
        let comment: Comment = model(&format!("POST {path}"), answer)?;
        Ok(comment.id.into_inner())
    }

    pub async fn update_comment(&self, comment: u64, body: &str) -> Result<(), GitHubError> {
        let path = format!("/issues/comments/{comment}");
        self.rest(Method::PATCH, &path, Some(&json!({"body": body})))
            .await
            .map(drop)
    }

    pub async fn react(&self, comment: u64, content: &str) -> Result<(), GitHubError> {
        let path = format!("/issues/comments/{comment}/reactions");
        self.rest(Method::POST, &path, Some(&json!({"content": content})))
            .await
            .map(drop)
    }

    pub async fn set_title(&self, number: u64, title: &str) -> Result<(), GitHubError> {
        let path = format!("/pulls/{number}");
        self.rest(Method::PATCH, &path, Some(&json!({"title": title})))
            .await
            .map(drop)
    }

    /// Whether the repository has a branch named `name`.
    pub async fn branch_exists(&self, name: &str) -> Result<bool, GitHubError> {
        let path = format!("/branches/{}", segment(name));
        match self.rest(Method::GET, &path, None).await {
            Ok(_) => Ok(true),
            Err(GitHubError::Status { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn issue_is_closed(&self, number: u64) -> Result<bool, GitHubError> {
        let answer = self
            .rest(Method::GET, &format!("/issues/{number}"), None)
            .await?;
        Ok(answer.body["state"] == "closed")
    }

    /// Closes an issue as completed.
    pub async fn close_issue(&self, number: u64) -> Result<(), GitHubError> {
        let body = json!({"state": "closed", "state_reason": "completed"});
        self.rest(Method::PATCH, &format!("/issues/{number}"), Some(&body))
            .await
            .map(drop)
    }

    /// Squash-merges a pull request, provided its head is still `sha`.
    pub async fn squash_merge(&self, number: u64, sha: &str) -> Result<(), GitHubError> {
        let body = json!({"merge_method": "squash", "sha": sha});
        let path = format!("/pulls/{number}/merge");
        self.rest(Method::PUT, &path, Some(&body)).await.map(drop)
    }

    /// Turns on native auto-merge (squash), provided the head is still `head_sha`.
    pub async fn enable_auto_merge(
        &self,
        node_id: &str,
        head_sha: &str,
    ) -> Result<(), GitHubError> {
        let body = json!({"query": queries::ENABLE_AUTO_MERGE, "variables": {
            "pullRequestId": node_id, "mergeMethod": "SQUASH", "expectedHeadOid": head_sha}});
        self.graphql(&body).await.map(drop)
    }

    pub async fn disable_auto_merge(&self, node_id: &str) -> Result<(), GitHubError> {
        let body = json!({"query": queries::DISABLE_AUTO_MERGE,
            "variables": {"pullRequestId": node_id}});
        self.graphql(&body).await.map(drop)
    }

    /// Creates a check run at `head_sha` as the App; returns its id.
    pub async fn create_check_run(
        &self,
        name: &str,
        head_sha: &str,
        run: &CheckRunWrite<'_>,
    ) -> Result<u64, GitHubError> {
        let mut body = run.body();
        body.insert("name".into(), json!(name));
        body.insert("head_sha".into(), json!(head_sha));
        let answer = self
            .app_rest(Method::POST, "/check-runs", Some(&Value::Object(body)))
            .await?;
        Ok(answer.body["id"].as_u64().unwrap_or_default())
    }

    /// Updates a check run in place as the App; returns its id.
    pub async fn update_check_run(
        &self,
        id: u64,
        run: &CheckRunWrite<'_>,
    ) -> Result<u64, GitHubError> {
        let path = format!("/check-runs/{id}");
        let body = Value::Object(run.body());
        let answer = self.app_rest(Method::PATCH, &path, Some(&body)).await?;
        Ok(answer.body["id"].as_u64().unwrap_or_default())
    }
}

/// An answer read as octocrab's model of it.
fn model<T: DeserializeOwned>(request: &str, answer: Answer) -> Result<T, GitHubError> {
    serde_json::from_value(answer.body).map_err(|e| GitHubError::Status {
        request: request.to_string(),
        status: answer.status,
        message: format!("unexpected answer: {e}"),
    })
}

/// A path segment or query value with everything but unreserved characters percent-encoded
/// (`size/XS`).
fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn label_names_are_encoded_as_one_path_segment() {
        assert_eq!(segment("size/XS"), "size%2FXS");
        assert_eq!(segment("needs rebase"), "needs%20rebase");
        assert_eq!(segment("lgtm-a.b_c~d"), "lgtm-a.b_c~d");
    }
}
