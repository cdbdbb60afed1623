//! The HTTP surface of the simulator: which handler answers each admin (`/_simulator/`),
//! REST and GraphQL route. Every GitHub route passes through `gate::authenticate` first.

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::errors::not_found;
use crate::gate::authenticate;
use crate::state::Sim;
use crate::{admin, apps, graphql, rest, rest_commits, rest_hooks, rest_pulls};

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
        .route("/_simulator/rate-limit", post(admin::rate_limit));
    let rest = Router::new()
        .route("/user", get(rest::get_user))
        .route(
            "/repos/{owner}/{repo}",
            get(rest::get_repo).patch(rest::update_repo),
        )
        .route(
            "/repos/{owner}/{repo}/collaborators",
            get(rest::list_collaborators),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}",
            get(rest::get_pull).patch(rest_pulls::update_pull),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}",
            get(rest::get_issue).patch(rest::update_issue),
        )
        .route(
            "/repos/{owner}/{repo}/issues",
            get(rest_pulls::list_issues).post(rest::create_issue),
        )
        .route(
            "/repos/{owner}/{repo}/labels",
            get(rest::list_labels).post(rest::create_label),
        )
        .route(
            "/repos/{owner}/{repo}/labels/{name}",
            get(rest::get_label).patch(rest::update_label),
        )
        .route("/rate_limit", get(rest::rate_limit))
        .route("/meta", get(rest::meta))
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
        .route("/repos/{owner}/{repo}/pulls", get(rest_pulls::list_pulls))
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/commits",
            get(rest_pulls::pull_commits),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/files",
            get(rest_pulls::pull_files),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
            post(rest_pulls::request_reviewers),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews/{id}/dismissals",
            axum::routing::put(rest_pulls::dismiss_review),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/assignees",
            post(rest_pulls::add_assignees),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            get(rest_pulls::get_comment).patch(rest_pulls::update_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}/reactions",
            post(rest_pulls::add_reaction),
        )
        .route(
            "/repos/{owner}/{repo}/branches/{branch}",
            get(rest_commits::get_branch),
        )
        .route(
            "/repos/{owner}/{repo}/branches/{branch}/protection",
            get(rest_commits::get_protection).put(rest_commits::put_protection),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}",
            get(rest_commits::get_commit),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/pulls",
            get(rest_commits::commit_pulls),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/statuses",
            get(rest_commits::list_statuses),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/status",
            get(rest_commits::combined_status),
        )
        .route(
            "/repos/{owner}/{repo}/statuses/{sha}",
            post(rest_commits::create_status),
        )
        .route(
            "/repos/{owner}/{repo}/compare/{basehead}",
            get(rest_commits::compare),
        )
        .route(
            "/repos/{owner}/{repo}/code-scanning/default-setup",
            get(rest::get_code_scanning).patch(rest::update_code_scanning),
        )
        .route(
            "/repos/{owner}/{repo}/contributors",
            get(rest_commits::contributors),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(rest::list_comments).post(rest::create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            get(rest::get_contents),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels",
            get(rest::list_issue_labels).post(rest::add_issue_labels),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels/{name}",
            axum::routing::delete(rest::remove_issue_label),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews",
            get(rest::list_reviews).post(rest::create_review),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/merge",
            get(rest_pulls::is_merged).put(rest::merge_pull),
        )
        .route(
            "/repos/{owner}/{repo}/check-runs",
            post(rest::create_check_run),
        )
        .route(
            "/repos/{owner}/{repo}/check-runs/{id}",
            axum::routing::patch(rest::update_check_run),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/check-runs",
            get(rest::list_check_runs),
        )
        .route(
            "/repos/{owner}/{repo}/hooks",
            get(rest_hooks::list).post(rest_hooks::create),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}",
            axum::routing::patch(rest_hooks::update).delete(rest_hooks::delete),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}/deliveries",
            get(rest_hooks::deliveries),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}/deliveries/{delivery}/attempts",
            post(rest_hooks::redeliver_attempt),
        )
        .fallback(|| async { not_found() })
        .layer(middleware::from_fn_with_state(sim.clone(), authenticate));
    admin.merge(rest).with_state(sim)
}
