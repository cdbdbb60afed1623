//! The HTTP surface of the simulator: which handler answers each admin (`/_simulator/`),
//! REST and GraphQL route. Every GitHub route passes through `gate::authenticate` first.

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::errors::not_found;
use crate::gate::authenticate;
use crate::rest::{
    branches, check_runs, comments, commits, hooks, issues, labels, pulls, repos, reviews,
};
use crate::state::Sim;
use crate::{admin, apps, graphql};

pub fn router(sim: Sim) -> Router {
    let admin = Router::new()
        .route("/_simulator/repos", post(admin::create_repo))
        .route("/_simulator/hooks", post(admin::create_hook))
        .route("/_simulator/tokens", post(admin::create_token))
        .route("/_simulator/apps", post(apps::create_app))
        .route("/_simulator/apps/{id}/reinstall", post(apps::reinstall_app))
        .route("/_simulator/reset", post(admin::reset))
        .route("/_simulator/requests", get(admin::list_requests))
        .route("/_simulator/deliveries", get(admin::list_deliveries))
        .route("/_simulator/replay", post(admin::replay))
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls",
            post(admin::open_pull),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/commits",
            post(admin::push_commit),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/issues/{number}/comments",
            post(admin::admin_comment),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/reviews",
            post(admin::review),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/issues/{number}/labels",
            post(admin::add_labels).delete(admin::remove_labels),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/check-runs",
            post(admin::check_run),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/merge",
            post(admin::merge),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/close",
            post(admin::close),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/branches",
            post(admin::branch),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/commits",
            post(admin::commit),
        )
        .route("/_simulator/repos/{owner}/{repo}/tags", post(admin::tag))
        .route(
            "/_simulator/internal/pushed/{owner}/{repo}",
            post(admin::pushed),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/issues/comments/{id}",
            axum::routing::patch(admin::edit_comment),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/rebase",
            post(admin::rebase),
        )
        .route("/_simulator/latency", post(admin::latency))
        .route(
            "/_simulator/mergeability-delay",
            post(admin::mergeability_delay),
        )
        .route("/_simulator/faults", post(admin::faults))
        .route("/_simulator/faults/targeted", post(admin::targeted_fault))
        .route("/_simulator/rate-limit", post(admin::rate_limit));
    let rest = Router::new()
        .route("/user", get(repos::get_user))
        .route(
            "/repos/{owner}/{repo}",
            get(repos::get_repo).patch(repos::update_repo),
        )
        .route(
            "/repos/{owner}/{repo}/collaborators",
            get(repos::list_collaborators),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}",
            get(pulls::get_pull).patch(pulls::update_pull),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}",
            get(issues::get_issue).patch(issues::update_issue),
        )
        .route(
            "/repos/{owner}/{repo}/issues",
            get(issues::list_issues).post(issues::create_issue),
        )
        .route(
            "/repos/{owner}/{repo}/labels",
            get(labels::list_labels).post(labels::create_label),
        )
        .route(
            "/repos/{owner}/{repo}/labels/{name}",
            get(labels::get_label).patch(labels::update_label),
        )
        .route("/rate_limit", get(repos::rate_limit))
        .route("/meta", get(repos::meta))
        .route("/app", get(apps::get_app))
        .route(
            "/repos/{owner}/{repo}/installation",
            get(apps::repo_installation),
        )
        .route(
            "/app/installations/{installation}/access_tokens",
            post(apps::access_token),
        )
        .route(
            "/graphql",
            post(graphql::endpoint).layer(axum::Extension(graphql::schema())),
        )
        .route("/repos/{owner}/{repo}/pulls", get(pulls::list_pulls))
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/commits",
            get(pulls::pull_commits),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/files",
            get(pulls::pull_files),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
            post(pulls::request_reviewers),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews/{id}/dismissals",
            axum::routing::put(reviews::dismiss_review),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/assignees",
            post(issues::add_assignees),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            get(comments::get_comment).patch(comments::update_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}/reactions",
            get(comments::list_reactions).post(comments::add_reaction),
        )
        .route(
            "/repos/{owner}/{repo}/branches/{branch}",
            get(branches::get_branch),
        )
        .route(
            "/repos/{owner}/{repo}/branches/{branch}/protection",
            get(branches::get_protection).put(branches::put_protection),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}",
            get(commits::get_commit),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/pulls",
            get(commits::commit_pulls),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/statuses",
            get(commits::list_statuses),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/status",
            get(commits::combined_status),
        )
        .route(
            "/repos/{owner}/{repo}/statuses/{sha}",
            post(commits::create_status),
        )
        .route(
            "/repos/{owner}/{repo}/compare/{basehead}",
            get(commits::compare),
        )
        .route(
            "/repos/{owner}/{repo}/code-scanning/default-setup",
            get(repos::get_code_scanning).patch(repos::update_code_scanning),
        )
        .route(
            "/repos/{owner}/{repo}/contributors",
            get(commits::contributors),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(comments::list_comments).post(comments::create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            get(repos::get_contents),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels",
            get(labels::list_issue_labels).post(labels::add_issue_labels),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels/{name}",
            axum::routing::delete(labels::remove_issue_label),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews",
            get(reviews::list_reviews).post(reviews::create_review),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/merge",
            get(pulls::is_merged).put(pulls::merge_pull),
        )
        .route(
            "/repos/{owner}/{repo}/check-runs",
            post(check_runs::create_check_run),
        )
        .route(
            "/repos/{owner}/{repo}/check-runs/{id}",
            axum::routing::patch(check_runs::update_check_run),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/check-runs",
            get(check_runs::list_check_runs),
        )
        .route(
            "/repos/{owner}/{repo}/hooks",
            get(hooks::list).post(hooks::create),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}",
            axum::routing::patch(hooks::update).delete(hooks::delete),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}/deliveries",
            get(hooks::deliveries),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}/deliveries/{delivery}/attempts",
            post(hooks::redeliver_attempt),
        )
        .fallback(|| async { not_found() })
        .layer(middleware::from_fn_with_state(sim.clone(), authenticate));
    admin.merge(rest).with_state(sim)
}
