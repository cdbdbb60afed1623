//! What every REST handler starts from: the simulator and who calls, and the checks that
//! decide whether the caller may read, write or administer a repository.

use axum::Json;
use axum::extract::rejection::ExtensionRejection;
use axum::extract::{Extension, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::errors::{Outcome, Refusal, not_found, rest_refusal};
use crate::hooks::Outgoing;
use crate::state::{Caller, Sim, repo_key, visible};
use crate::world::{Repo, World};

/// A REST call: the simulator, and the caller `authenticate` resolved from the token.
pub(crate) struct Call {
    pub(crate) sim: Sim,
    pub(crate) caller: Caller,
}

impl FromRequestParts<Sim> for Call {
    type Rejection = ExtensionRejection;

    async fn from_request_parts(parts: &mut Parts, sim: &Sim) -> Result<Call, Self::Rejection> {
        let Extension(caller) = Extension::<Caller>::from_request_parts(parts, sim).await?;
        Ok(Call {
            sim: sim.clone(),
            caller,
        })
    }
}

impl Call {
    /// Answers from a repository the caller can see, under the lock; 404 when they cannot.
    pub(crate) fn read(
        &self,
        owner: &str,
        repo: &str,
        answer: impl FnOnce(&World, &Repo) -> Response,
    ) -> Response {
        let w = self.sim.lock();
        match visible(&w, &self.caller, owner, repo) {
            Some(r) => answer(&w, r),
            None => not_found(),
        }
    }

    /// The caller, who must be able to see the repository; or the refusal.
    fn writer(&self, owner: &str, repo: &str) -> Outcome<String> {
        let login = self.caller.0.clone().ok_or(Refusal::Unauthenticated)?;
        let w = self.sim.lock();
        if visible(&w, &Caller(Some(login.clone())), owner, repo).is_none() {
            return Err(Refusal::NotFound);
        }
        Ok(login)
    }

    /// Answers as a writer of the repository, or with GitHub's refusal.
    pub(crate) fn with_writer(
        &self,
        owner: &str,
        repo: &str,
        answer: impl FnOnce(String) -> Response,
    ) -> Response {
        match self.writer(owner, repo) {
            Ok(login) => answer(login),
            Err(refusal) => rest_refusal(refusal),
        }
    }

    /// Runs `op` as a writer of the repository: its JSON answered with `ok`, or GitHub's refusal.
    pub(crate) fn write(
        &self,
        owner: &str,
        repo: &str,
        ok: StatusCode,
        op: impl FnOnce(&str) -> Outcome<Value>,
    ) -> Response {
        match self.writer(owner, repo).and_then(|login| op(&login)) {
            Ok(v) => (ok, Json(v)).into_response(),
            Err(refusal) => rest_refusal(refusal),
        }
    }

    /// The caller, who must administer the repository: 404 when they cannot see it, else 403
    /// with `denied`.
    pub(crate) fn administrator(&self, owner: &str, repo: &str, denied: &str) -> Outcome<String> {
        let login = self.writer(owner, repo)?;
        if !self.sim.lock().is_admin(&repo_key(owner, repo), &login) {
            return Err(Refusal::Forbidden(denied.to_string()));
        }
        Ok(login)
    }

    /// Answers, under the lock, for a caller who administers the repository, then sends what
    /// the answer emitted; to anyone else the repository does not exist (404).
    pub(crate) fn administer(
        &self,
        owner: &str,
        repo: &str,
        answer: impl FnOnce(&mut World, String, &mut Vec<Outgoing>) -> Response,
    ) -> Response {
        let mut out = Vec::new();
        let response = {
            let mut w = self.sim.lock();
            let key = repo_key(owner, repo);
            let admin = self
                .caller
                .0
                .as_deref()
                .is_some_and(|login| w.is_admin(&key, login));
            if !admin {
                return not_found();
            }
            answer(&mut w, key, &mut out)
        };
        self.sim.send(out);
        response
    }
}
