//! Who did something: users, and apps acting as bots.

use async_graphql::{ID, Interface, SimpleObject, Union};

use super::paging::connection;
use crate::world::{World, node_id};

#[derive(SimpleObject, Clone)]
pub struct User {
    pub(super) id: ID,
    pub(super) database_id: Option<i32>,
    pub(super) login: String,
    pub(super) url: String,
}

#[derive(SimpleObject, Clone)]
pub struct Bot {
    pub(super) id: ID,
    pub(super) database_id: Option<i32>,
    pub(super) login: String,
    pub(super) url: String,
}

/// GitHub's `Actor`: who did something. Apps act as bots, `<slug>[bot]` in REST.
#[derive(Interface, Clone)]
#[graphql(field(name = "login", ty = "&String"))]
pub enum Actor {
    User(User),
    Bot(Bot),
}

#[derive(Union, Clone)]
pub enum RequestedReviewer {
    User(User),
    Bot(Bot),
}

pub(super) fn user(w: &World, login: &str) -> User {
    let id = w.users.get(login).copied().unwrap_or(0);
    User {
        id: ID(node_id("U", id)),
        database_id: Some(id as i32),
        login: login.to_string(),
        url: format!("{}/{login}", w.api_base),
    }
}

/// Bots go by their slug in GraphQL, without REST's `[bot]` suffix.
pub(super) fn actor(w: &World, login: &str) -> Actor {
    match login.strip_suffix("[bot]") {
        Some(slug) => {
            let id = w.users.get(login).copied().unwrap_or(0);
            Actor::Bot(Bot {
                id: ID(node_id("BOT", id)),
                database_id: Some(id as i32),
                login: slug.to_string(),
                url: format!("{}/apps/{slug}", w.api_base),
            })
        }
        None => Actor::User(user(w, login)),
    }
}

connection!(UserConnection, UserEdge, User);
