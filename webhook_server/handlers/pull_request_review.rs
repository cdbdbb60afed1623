//! PullRequestReviewHandler: a review leaves its reviewer's label (`lgtm-<u>` for an approval,
//! `changes-requested-<u>`, `commented-<u>`), and `/approve` or `/lgtm` on a line of its body
//! counts as the command does. Unlike the reference, a change request removes that user's
//! `lgtm-` label and a dismissed review drops its label.

use std::cell::OnceCell;

use serde_json::json;

use crate::apply::{Desired, Scope, Settle};
use crate::event::Review;
use crate::rules::command_plan;
use crate::rules::commands::Command;
use crate::rules::labels::LGTM_PREFIX;
use crate::rules::permissions::{People, audience};
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
        // A command in the body is held to the same permission table as in a comment; the
        // table is built only for a body that holds one.
        let (approves, lgtms) = {
            let people = OnceCell::new();
            let mut allowed = |command: Command| {
                let people = people.get_or_init(|| People::of(data, self.scope.owners));
                match people.allows(audience(&command), user) {
                    Ok(()) => true,
                    Err(refusal) => {
                        let name = command_plan::command_name(&command);
                        done.insert(
                            format!("{name}_ignored"),
                            json!(refusal.message(user, name, people)),
                        );
                        false
                    }
                }
            };
            (
                body_approves(body) && allowed(Command::Approve { cancel: false }),
                body_lgtms(body) && allowed(Command::Lgtm { cancel: false }),
            )
        };
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
        if lgtms {
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
