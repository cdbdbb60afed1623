//! Labels, on repositories and pull requests.

use async_graphql::{ID, SimpleObject};

use super::paging::connection;
use crate::world::{self, node_id};

#[derive(SimpleObject, Clone)]
pub struct Label {
    pub(super) id: ID,
    pub(super) name: String,
    pub(super) color: String,
    pub(super) description: Option<String>,
}

pub(super) fn label(l: &world::Label) -> Label {
    Label {
        id: ID(node_id("L", l.id)),
        name: l.name.clone(),
        color: l.color.clone(),
        description: l.description.clone(),
    }
}

connection!(LabelConnection, LabelEdge, Label);
