//! Writing a pull request's extras (assignee, review requests, the welcome comment and its
//! tracking issue, comments, native auto-merge) all at once, and recording what was written in
//! the snapshot and the step.

use serde_json::json;

use super::review_requests;
use super::scope::Scope;
use crate::github::client::GitHubError;
use crate::rules::pull_request::{self, Extras, Tracking, Welcome, is_auto_merge_note};
use crate::rules::welcome;
use crate::snapshot::{Comment, RepositoryData};
use crate::steps::Done;

pub struct ExtrasWriter<'a> {
    pub scope: Scope<'a>,
}

/// What was written, to be recorded in the snapshot.
#[derive(Debug, Default)]
pub struct Written {
    assigned: Option<String>,
    requested: Vec<String>,
    comments: Vec<Comment>,
    auto_merge: Option<bool>,
}

impl ExtrasWriter<'_> {
    pub async fn write(&self, data: &RepositoryData, extras: &Extras) -> anyhow::Result<Written> {
        let number = data.pull.number;
        let assign = async {
            if let Some(author) = &extras.assignee {
                self.scope
                    .session
                    .add_assignees(number, std::slice::from_ref(author))
                    .await?;
            }
            anyhow::Ok(extras.assignee.clone())
        };
        let request = async {
            if extras.reviewers.is_empty() {
                return Ok(Vec::new());
            }
            review_requests::request(
                self.scope.session,
                &self.scope.memory.refusals,
                data,
                extras.reviewers.clone(),
            )
            .await
        };
        let welcome = async {
            match &extras.welcome {
                Some(w) => self.welcome(data, w).await.map(Some),
                None => Ok(None),
            }
        };
        let comments = futures_util::future::try_join_all(
            extras.comments.iter().map(|text| self.comment(data, text)),
        );
        let auto_merge = self.auto_merge(data, extras.auto_merge);
        let (assigned, requested, welcome, comments, auto_merge) =
            futures_util::future::try_join5(assign, request, welcome, comments, auto_merge).await?;
        Ok(Written {
            assigned,
            requested,
            comments: welcome.into_iter().chain(comments).collect(),
            auto_merge,
        })
    }

    /// Opens the tracking issue first, so the comment can remember it.
    async fn welcome(&self, data: &RepositoryData, w: &Welcome) -> anyhow::Result<Comment> {
        let tracking_issue = match &w.issue {
            None => None,
            Some(Tracking::Existing(number)) => Some(*number),
            Some(Tracking::New(issue)) => {
                self.scope
                    .session
                    .create_issue(
                        &issue.title,
                        &issue.body,
                        std::slice::from_ref(&issue.assignee),
                    )
                    .await?
            }
        };
        let text =
            pull_request::welcome_text(self.scope.config, self.scope.owners, data, tracking_issue);
        self.comment(data, &text).await
    }

    async fn comment(&self, data: &RepositoryData, body: &str) -> anyhow::Result<Comment> {
        let id = self
            .scope
            .session
            .create_comment(data.pull.number, body)
            .await?;
        Ok(Comment {
            id,
            body: body.to_string(),
        })
    }

    /// Returns the new setting, or `None` when GitHub kept the old one.
    async fn auto_merge(
        &self,
        data: &RepositoryData,
        wanted: Option<bool>,
    ) -> anyhow::Result<Option<bool>> {
        let pull = &data.pull;
        match wanted {
            None => Ok(None),
            Some(false) => {
                self.scope.session.disable_auto_merge(&pull.node_id).await?;
                Ok(Some(false))
            }
            Some(true) => match self
                .scope
                .session
                .enable_auto_merge(&pull.node_id, &pull.head_sha)
                .await
            {
                Ok(()) => Ok(Some(true)),
                // GitHub refuses when nothing is left to wait for (no protection requires a
                // check) or the head moved; the pull request stays as it is.
                Err(GitHubError::GraphQl { message, .. }) => {
                    tracing::warn!(pull = pull.number, "auto-merge not enabled: {message}");
                    Ok(None)
                }
                Err(e) => Err(e.into()),
            },
        }
    }
}

impl Written {
    /// The snapshot and the step record after the writes.
    pub fn record(self, data: &mut RepositoryData, done: &mut Done) {
        if let Some(author) = self.assigned {
            done.insert("assigned".into(), json!(author));
            data.pull.assignees.push(author);
        }
        if !self.requested.is_empty() {
            done.insert("reviewers_requested".into(), json!(self.requested));
            data.pull.requested_reviewers.extend(self.requested);
        }
        for comment in self.comments {
            if comment.body.contains(welcome::MARKER) {
                done.insert("welcome_comment".into(), json!(comment.id));
                if let Some(issue) = welcome::tracking_issue(&comment.body) {
                    done.insert("tracking_issue".into(), json!(issue));
                }
            } else if is_auto_merge_note(&comment.body) {
                done.insert("auto_merge".into(), json!("blocked: suspicious paths"));
            }
            data.pull.our_comments.push(comment);
        }
        if let Some(on) = self.auto_merge {
            if on {
                done.insert("auto_merge".into(), json!("enabled (squash)"));
            }
            data.pull.auto_merge = on;
        }
    }
}
