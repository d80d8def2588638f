//! `swarmadm inventory`: the nodes as resolved, without connecting.

use serde::Serialize;

use crate::inventory::{Inventory, Node};
use crate::model::exit_codes;

use super::{ErrorObject, Report, document};

#[derive(Serialize)]
pub(crate) struct InventoryNode<'a> {
    /// Never known without connecting: always null.
    node_id: Option<&'a str>,
    /// Always null: nothing is reached.
    error: Option<ErrorObject>,
    /// name, role, ssh, advertise_addr, availability, labels.
    #[serde(flatten)]
    node: &'a Node,
}

#[derive(Serialize)]
pub(crate) struct InventoryExtra<'a> {
    /// The file it was read from.
    source: &'a std::path::Path,
    swarm: &'a crate::inventory::SwarmSettings,
}

/// The inventory as resolved with the ssh config, without connecting; an
/// inventory that cannot be loaded is an error document instead.
impl Report for Inventory {
    const COMMAND: &'static str = "inventory";
    type Node<'a> = InventoryNode<'a>;
    type Extra<'a> = InventoryExtra<'a>;

    fn exit_code(&self) -> u8 {
        exit_codes::OK
    }

    fn error(&self) -> Option<ErrorObject> {
        None
    }

    fn nodes(&self) -> Vec<InventoryNode<'_>> {
        self.nodes
            .iter()
            .map(|node| InventoryNode {
                node_id: None,
                error: None,
                node,
            })
            .collect()
    }

    fn extra(&self) -> InventoryExtra<'_> {
        InventoryExtra {
            source: &self.source,
            swarm: &self.swarm,
        }
    }
}

pub(crate) fn inventory(inventory: &Inventory) -> String {
    document(inventory)
}
