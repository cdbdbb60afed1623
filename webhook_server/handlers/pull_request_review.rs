//! PullRequestReviewHandler: a review leaves its reviewer's label (`lgtm-<u>` for an approval,
//! `changes-requested-<u>`, `commented-<u>`), and `/approve` or `/lgtm` on a line of its body
//! counts as the command does. Unlike the reference, a change request removes that user's
//! `lgtm-` label and a dismissed review drops its label.

use serde_json::json;

use crate::apply::{Desired, Scope, Settle};
use crate::event::Review;
use crate::rules::labels::LGTM_PREFIX;
use crate::rules::reviews::{ReviewFacts, body_approves, body_lgtms, review_labels};
use crate::snapshot::RepositoryData;
use crate::steps::Done;

pub struct PullRequestReviewHandler<'a> {
    pub scope: Scope<'a>,
}

impl PullRequestReviewHandler<'_> {
    pub async fn handle(
        &self,
        action: &str,
        review: &Review,
        data: &mut RepositoryData,
    ) -> anyhow::Result<Done> {
        let mut done = Done::new();
        let user = review.user.as_ref().map_or("", |u| u.login.as_str());
        let state = review.state.as_str();
        let body = review.body.as_deref().unwrap_or_default();
        let approves = body_approves(body) && self.scope.owners.is_approver(user);
        if body_approves(body) && !approves {
            done.insert(
                "approve_ignored".into(),
                json!(format!("{user} is not an approver of this pull request")),
            );
        }
        let current = self.scope.memory.patch_ids.same_code(data);
        let of_current =
            |commit: Option<&str>| commit.is_some_and(|c| current.iter().any(|h| h == c));
        let latest = data
            .pull
            .reviews
            .iter()
            .find(|r| r.author.eq_ignore_ascii_case(user))
            .map(|r| (r.state.as_str(), of_current(r.commit.as_deref())));
        let (mut want, unwanted) = if user.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            review_labels(&ReviewFacts {
                action,
                state,
                on_head: of_current(review.commit_id.as_deref()),
                latest,
                user,
                author: &data.pull.author,
                approves,
            })
        };
        // `/lgtm` in a review's body counts as the comment command does, never the author's.
        if body_lgtms(body) && !user.is_empty() && !user.eq_ignore_ascii_case(&data.pull.author) {
            want.push(format!("{LGTM_PREFIX}{}", user.to_ascii_lowercase()));
        }
        let desired = Desired {
            want,
            unwanted,
            checks: Vec::new(),
        };
        Settle { scope: self.scope }
            .run(data, desired, &mut done)
            .await?;
        Ok(done)
    }
}
